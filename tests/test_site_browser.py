"""Every page of the built site in a real headless Chromium: math typeset, nothing loaded from elsewhere.

The pages are discovered from the built site's sitemap.xml, never listed by hand, and loaded once per
configuration by the page survey (tests/conftest.py). For each load the test fails on a request to any host
but the local test server, on a failed request or HTTP error, on a console error, on a MathJax error node, on a glyph that points at nothing,
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

import pytest

from tests.conftest import PROBES, sitemap_pages, wait_for_math

pytestmark = pytest.mark.site


# Text found in the visible page, outside code and outside typeset math, that means TeX was left raw.
RAW_TEX = ("$", "\\(", "\\)", "\\[", "\\]", "\\frac", "\\partial", "\\sum")

# The math probe of the page survey; the instant-navigation test below runs it on a page it navigated to.
COLLECT_PAGE_STATE = (PROBES / "math.js").read_text(encoding="utf-8")


def test_sitemap_lists_the_pages(built_site, site_server):
    site_dir, _ = built_site
    pages = sitemap_pages(site_dir, site_server)
    assert len(pages) >= 5
    assert any(p.endswith("/derivations/building_blocks/") for p in pages)


def test_every_page_typesets_and_stays_local(built_site, survey):
    """Every page in every survey configuration (solutions open): the wire record (third-party requests, failed
    requests, HTTP errors, console errors) and the math probe (typeset at build time, no MathJax error, no raw
    TeX). The served HTML is the built file, so its formulas are counted there."""
    site_dir, _ = built_site
    problems: dict[str, list[str]] = {}
    total_math = 0
    for (path, viewport, scheme), entry in survey.items():
        issues = list(entry["wire"])
        served = (site_dir / path.lstrip("/") / "index.html").read_text(encoding="utf-8").count("<mjx-container")
        state = entry["math"]
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
            problems[f"{path} ({viewport}, {scheme})"] = issues
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
