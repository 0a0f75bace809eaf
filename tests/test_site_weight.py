"""A page's first load fetches what the page shows, and no more (issue 14: first load <= 250 KB compressed).

* Every image of a page's content is sized in the HTML (the box is reserved before the file arrives: nothing
  moves, an anchor lands where it points) and lazy (fetched when the reader scrolls towards it), the
  ``#only-light`` / ``#only-dark`` renders included (hooks/images.py).
* A page in the light scheme never fetches a dark render, and the reverse, even after scrolling through all of
  it; every render it shows does load.
* The interactive figures' modules are fetched only by the pages that hold a figure (docs/javascripts/interactive/
  main.js imports them on demand).

The search index is held back as well; tests/test_site_search.py checks that and that search still works.
"""

from __future__ import annotations

import re
import urllib.parse

import pytest

from tests.conftest import sitemap_pages

pytestmark = pytest.mark.site

IMG = re.compile(r"<img\b[^>]*>")
ARTICLE = '<article class="md-content__inner md-typeset">'


def _pages(site_dir):
    return sorted(p for p in site_dir.rglob("index.html") if ARTICLE in p.read_text(encoding="utf-8"))


def test_every_content_image_is_sized_and_lazy(built_site):
    site_dir, _ = built_site
    problems, seen = [], 0
    for page in _pages(site_dir):
        html = page.read_text(encoding="utf-8")
        for tag in IMG.findall(html[html.index(ARTICLE):]):
            src = re.search(r'src="([^"]*)"', tag).group(1)
            if not src.split("#")[0].endswith(".svg") or src.startswith("data:"):
                continue
            seen += 1
            missing = [a for a in ("width=", "height=", 'loading="lazy"') if a not in tag]
            if missing:
                problems.append(f"{page.relative_to(site_dir)}: {src} lacks {', '.join(missing)}")
    assert seen > 10, "found almost no images: the test looks in the wrong place"
    assert not problems, "\n".join(problems)


SCROLL_THROUGH = """async () => {
  for (let y = 0; y < document.body.scrollHeight; y += 400) {
    window.scrollTo(0, y);
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  }
  const shown = [...document.querySelectorAll("article img")].filter((img) => img.getBoundingClientRect().width > 0);
  await Promise.all(shown.map((img) => img.decode().catch(() => {})));
  return shown.filter((img) => !(img.complete && img.naturalWidth > 0)).map((img) => img.getAttribute("src"));
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_page_fetches_the_render_of_its_own_scheme_only(built_site, site_server, browser, scheme):
    site_dir, _ = built_site
    other = "#only-dark" if scheme == "light" else "#only-light"
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    fetched = []
    context.on("request", lambda r: fetched.append(urllib.parse.urlsplit(r.url).path))
    page = context.new_page()
    problems, twins = [], 0
    for url in sitemap_pages(site_dir, site_server):
        fetched.clear()
        page.goto(url, wait_until="load")
        not_loaded = page.evaluate(SCROLL_THROUGH)
        page.wait_for_load_state("networkidle")
        hidden = page.eval_on_selector_all(
            f"article img[src$='{other}']", "imgs => imgs.map((img) => new URL(img.src).pathname)")
        twins += len(hidden)
        path = urllib.parse.urlsplit(url).path
        problems += [f"{path}: fetched the {other[6:]} render {u}" for u in hidden if u in fetched]
        problems += [f"{path}: a shown image did not load: {src}" for src in not_loaded]
    context.close()
    assert twins > 5, "found almost no light/dark pairs: the test looks in the wrong place"
    assert not problems, "\n".join(problems)


def test_figure_modules_load_only_where_a_figure_is(built_site, site_server, browser):
    site_dir, _ = built_site
    context = browser.new_context()
    fetched = []
    context.on("request", lambda r: fetched.append(urllib.parse.urlsplit(r.url).path))
    page = context.new_page()
    with_figure, without = [], []
    for url in sitemap_pages(site_dir, site_server):
        fetched.clear()
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        modules = [u for u in fetched if "/javascripts/interactive/" in u and not u.endswith("/main.js")]
        widgets = page.eval_on_selector_all("[data-widget]", "nodes => nodes.map((n) => n.dataset.widget)")
        if widgets:
            with_figure.append(url)
            assert page.locator(".rnn-widget--live").count() == len(widgets), f"{url}: a figure did not mount"
            assert modules, f"{url}: has a figure but fetched no figure module"
        else:
            without.append(url)
            assert not modules, f"{url}: has no interactive figure but fetched {modules}"
    assert with_figure and without
    context.close()

