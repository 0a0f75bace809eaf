"""Every page of the built site in a real headless Chromium: math typeset, nothing loaded from elsewhere.

The pages are discovered from the built site's sitemap.xml, never listed by hand. For each page the test
records every request the page makes and fails on a request to any host but the local test server, on a
failed request or HTTP error, on a console error, on a MathJax error node, on a glyph that points at nothing,
and on raw TeX delimiters (``$``, ``\\(``, ``\\[``) left in the text outside code (collapsed solutions are
opened first, so their math is checked too).

The math is typeset at build time (hooks/math.py), so the test also fails if any typesetting happens in the
browser: every formula on the page must already be in the HTML the server sent, and no MathJax runs.

Chromium comes from Debian (``apt-get install chromium``); Playwright only drives it and never downloads a
browser. Outside CI a missing Chromium skips these tests with that hint; under CI (``CI=true``) it fails.
"""

from __future__ import annotations

import os
import pathlib
import time
import urllib.parse

import pytest

from tests.conftest import sitemap_pages, wait_for_math

pytestmark = pytest.mark.site


# Text found in the visible page, outside code and outside typeset math, that means TeX was left raw.
RAW_TEX = ("$", "\\(", "\\)", "\\[", "\\]", "\\frac", "\\partial", "\\sum")

COLLECT_PAGE_STATE = r"""
() => {
  for (const details of document.querySelectorAll("details")) details.open = true;
  const skip = "pre, code, script, style, textarea, mjx-container, .md-search, .md-header, .md-nav, .highlight";
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    if (parent.closest("[hidden], [aria-hidden='true']")) continue;
    if (!parent.checkVisibility()) continue;
    raw.push(node.textContent);
  }
  const unprocessed = [...document.querySelectorAll(".arithmatex, .jp-RenderedLatex")]
    .filter((el) => !el.querySelector("mjx-container"))
    .map((el) => el.textContent.trim().slice(0, 80));
  return {
    text: raw.join(" "),
    math: document.querySelectorAll("mjx-container").length,
    mathSources: document.querySelectorAll(".arithmatex, .jp-RenderedLatex").length,
    errors: [...document.querySelectorAll("mjx-merror, [data-mjx-error]")].map(
      (el) => el.getAttribute("data-mjx-error") || el.textContent.slice(0, 80)),
    unprocessed,
    // SVG glyphs are <use> references into the page's glyph cache: one pointing at nothing draws nothing.
    brokenGlyphs: [...document.querySelectorAll("mjx-container use")]
      .map((use) => use.getAttribute("href") || use.getAttribute("xlink:href"))
      .filter((ref) => !ref || !document.getElementById(ref.slice(1))),
    clientMathJax: typeof window.MathJax !== "undefined"
      || [...document.scripts].some((script) => /mathjax/i.test(script.src)),
  };
}
"""


def test_sitemap_lists_the_pages(built_site, site_server):
    site_dir, _ = built_site
    pages = sitemap_pages(site_dir, site_server)
    assert len(pages) >= 5
    assert any(p.endswith("/derivations/building_blocks/") for p in pages)


def test_every_page_typesets_and_stays_local(built_site, site_server, browser):
    site_dir, _ = built_site
    local = urllib.parse.urlsplit(site_server).netloc
    problems: dict[str, list[str]] = {}
    total_math = 0
    for url in sitemap_pages(site_dir, site_server):
        context = browser.new_context()
        page = context.new_page()
        issues: list[str] = []

        aborted: set[str] = set()

        def on_request(route, request, issues=issues, aborted=aborted):
            host = urllib.parse.urlsplit(request.url).netloc
            if request.url.startswith(("data:", "blob:")) or host == local:
                route.continue_()
            else:
                issues.append(f"request to a third-party host: {request.url}")
                aborted.add(request.url)
                route.abort()

        context.route("**/*", on_request)
        page.on("requestfailed", lambda r, issues=issues, aborted=aborted: None if r.url in aborted
                else issues.append(f"failed request: {r.url} ({r.failure})"))
        page.on("response", lambda r, issues=issues: issues.append(f"HTTP {r.status}: {r.url}")
                if r.status >= 400 else None)
        page.on("console", lambda m, issues=issues: issues.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e, issues=issues: issues.append(f"page error: {e}"))

        response = page.goto(url, wait_until="load")
        served = response.text().count("<mjx-container")
        try:
            wait_for_math(page)
        except Exception as e:
            issues.append(f"math not shown: {e}")
        page.wait_for_load_state("networkidle")
        state = page.evaluate(COLLECT_PAGE_STATE)
        total_math += state["math"]
        if state["clientMathJax"]:
            issues.append("the page loads MathJax: math must be typeset at build time, not in the browser")
        if state["math"] != served:
            issues.append(f"{served} formulas in the served HTML but {state['math']} on the page: "
                          "something typeset in the browser")
        issues += [f"glyph points at nothing: {ref}" for ref in state["brokenGlyphs"][:5]]
        issues += [f"MathJax error: {e}" for e in state["errors"]]
        issues += [f"math not typeset: {t!r}" for t in state["unprocessed"]]
        if state["mathSources"] and not state["math"]:
            issues.append("page has math but MathJax produced nothing")
        for token in RAW_TEX:
            if token in state["text"]:
                i = state["text"].index(token)
                issues.append(f"raw TeX {token!r} in visible text: ...{state['text'][max(0, i - 60):i + 60]!r}...")
        if issues:
            problems[url] = issues
        context.close()
    assert total_math > 0, "no formula was typeset on any page"
    assert not problems, "\n".join(f"{u}:\n  " + "\n  ".join(v) for u, v in problems.items())


def test_instant_navigation_typesets_the_next_page(built_site, site_server, browser):
    """Material swaps pages without a reload; the math on the page we navigate to must be typeset too."""
    page = browser.new_page()
    page.goto(site_server + "/", wait_until="load")
    wait_for_math(page)
    page.click("a[href$='derivations/building_blocks/']")
    page.wait_for_url("**/derivations/building_blocks/")
    page.wait_for_function("document.querySelector('.jp-RenderedLatex mjx-container')", timeout=60_000)
    wait_for_math(page)
    state = page.evaluate(COLLECT_PAGE_STATE)
    assert state["math"] > 0 and not state["errors"] and not state["unprocessed"]
    assert not state["brokenGlyphs"], f"glyphs of the swapped-in page point at nothing: {state['brokenGlyphs'][:5]}"
    assert not state["clientMathJax"]
    page.close()


def test_home_page_weight_and_typeset_time(built_site, site_server, browser):
    """Measures (does not judge) bytes transferred on a cold first load and the time until the math is shown."""
    context = browser.new_context()
    page = context.new_page()
    sizes = []
    page.on("response", lambda r: sizes.append(len(r.body()) if r.ok else 0))
    start = time.perf_counter()
    page.goto(site_server + "/", wait_until="load")
    wait_for_math(page)
    typeset = time.perf_counter() - start
    page.wait_for_load_state("networkidle")
    print(f"\nhome page: {len(sizes)} responses, {sum(sizes) / 1024:.0f} KiB, math shown after {typeset * 1000:.0f} ms")
    assert sum(sizes) > 0
    context.close()
