"""Search on demand (overrides/partials/lazy-search.js): no page fetches the search index or starts the search
worker when it loads, and search still works from the keyboard and on a phone, finds pages, and highlights the
words of a result on the page it opens.

The index is the largest file of the site; holding it back is what keeps every page's first load small, so the
first test fails on any request for it in the page survey (every page of the sitemap, at both widths, in both
schemes: tests/conftest.py), and follows instant navigation.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.site

INDEX = re.compile(r"/search/search_index\.json$")
WORKER = re.compile(r"/assets/javascripts/workers/search\.[0-9a-f]+\.min\.js$")
RESULT = ".md-search-result__item a"


def _open(browser, viewport=None):
    """A fresh context and page that record every URL requested and every page error."""
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
    page = context.new_page()
    page.requested = []
    page.errors = []
    context.on("request", lambda r: page.requested.append(r.url.split("?")[0]))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return context, page


def _fetched(page, pattern):
    return [u for u in page.requested if pattern.search(u)]


def test_no_page_fetches_the_search_index_when_it_loads(survey, site_server, browser):
    # every page of the sitemap, at 1280 and 390 px, light and dark: the survey records every request of each load
    for (path, viewport, scheme), entry in survey.items():
        where = f"{path} ({viewport}, {scheme})"
        assert not [u for u in entry["fetched"] if INDEX.search(u)], f"{where} fetched the search index on load"
        assert not [u for u in entry["fetched"] if WORKER.search(u)], f"{where} started the search worker on load"
    context, page = _open(browser)
    page.goto(site_server + "/", wait_until="load")
    for _ in range(3):  # instant navigation, as a reader moves on
        page.click("a.md-footer__link--next")
        page.wait_for_load_state("networkidle")
    assert not _fetched(page, INDEX), "a page fetched the search index before anyone searched"
    assert not _fetched(page, WORKER), "a page started the search worker before anyone searched"
    assert page.errors == []
    context.close()


def _search(page, query):
    page.fill("input.md-search__input", query)
    page.wait_for_selector(RESULT, timeout=30_000)
    return page.eval_on_selector_all(RESULT, "links => links.map((a) => a.getAttribute('href'))")


def test_slash_key_loads_the_index_and_finds_the_page(site_server, browser):
    context, page = _open(browser)
    page.goto(site_server + "/part-2-forward-propagation/", wait_until="load")
    page.wait_for_load_state("networkidle")
    assert not _fetched(page, INDEX)
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.matches('input.md-search__input')")
    hrefs = _search(page, "vanishing")
    assert any("part-4-vanishing-gradient/" in h for h in hrefs), hrefs
    assert len(_fetched(page, INDEX)) == 1 and len(_fetched(page, WORKER)) == 1
    assert page.errors == []
    context.close()


def test_search_on_a_phone_and_the_result_is_highlighted(site_server, browser):
    """At 390 px the search box is behind a button in the header, which opens the search dialog. The result opens
    (by instant navigation) with the searched word highlighted, which Material does with the index's configuration."""
    context, page = _open(browser, {"width": 390, "height": 844})
    page.goto(site_server + "/", wait_until="load")
    page.wait_for_load_state("networkidle")
    assert not page.is_checked("#__search") and not _fetched(page, INDEX)
    page.click("label.md-header__button[for=__search]")
    assert page.is_checked("#__search") and page.is_visible("input.md-search__input")
    hrefs = _search(page, "forget")
    assert any("part-5-lstm/" in h for h in hrefs), hrefs
    page.click(f"{RESULT}[href*='part-5-lstm/?h=forget']")  # a section of the page (Material leaves h empty on some)
    page.wait_for_url("**/part-5-lstm/**")
    page.wait_for_selector("article mark[data-md-highlight]", timeout=30_000)
    assert "forget" in page.inner_text("article mark[data-md-highlight]").lower()
    assert page.errors == []
    context.close()


def test_a_page_opened_from_a_search_link_highlights_at_once(site_server, browser):
    """A search result's address carries ?h=WORDS: opened directly (a shared link, a new tab), the page fetches
    the index straight away and highlights the words, without anyone touching the search box."""
    context, page = _open(browser)
    page.goto(site_server + "/part-4-vanishing-gradient/?h=clipping", wait_until="load")
    page.wait_for_selector("article mark[data-md-highlight]", timeout=30_000)
    assert "clipping" in page.inner_text("article mark[data-md-highlight]").lower()
    assert _fetched(page, INDEX)
    page.keyboard.press("s")
    hrefs = _search(page, "clipping")
    assert any("part-4-vanishing-gradient/" in h for h in hrefs), hrefs
    assert page.errors == []
    context.close()
