"""Layout that holds at any width, on every page of the survey (1280 and 390 px, light and dark, solutions open,
and 360 px by narrowing the phone viewport), measured by tests/probes/layout.js:

- the document never scrolls sideways (its scroll width is at most the viewport width);
- nothing in the content paints outside the content column (over the sidebars or the table of contents), and
  no display, table, code block or notebook output overflows without a box of its own that clips it;
- at 1280 px no such box needs a sideways scroll (1 px tolerance);
- on a phone every box that does scroll is a scroll container a keyboard can reach (tabindex) and a screen
  reader can name (aria-label), as hooks/layout.py makes them.
"""

from __future__ import annotations

import pytest

from tests.conftest import NARROWEST

pytestmark = pytest.mark.site

NARROW = f"layout@{NARROWEST['width']}"


def _layouts(survey):
    """(where, layout result) for every load and every narrowed rerun."""
    for (path, viewport, scheme), entry in survey.items():
        yield f"{path} ({viewport}, {scheme})", entry["layout"]
        if NARROW in entry:
            yield f"{path} ({NARROWEST['width']} px, {scheme})", entry[NARROW]


def _report(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{where}:\n  " + "\n  ".join(items) for where, items in problems.items())


def test_no_page_scrolls_sideways(survey):
    wide = {where: [f"document is {layout['scrollWidth']} px wide in a {layout['viewportWidth']} px viewport"]
            for where, layout in _layouts(survey) if layout["scrollWidth"] > layout["viewportWidth"]}
    assert not wide, _report(wide)


def test_nothing_paints_outside_the_content_column(survey):
    problems = {}
    for where, layout in _layouts(survey):
        items = [f"{o['what']} overflows the column by {max(-o['left'], o['right'])} px" for o in layout["outside"]]
        items += [f"{u['kind']} without a scroll box: {u['what']} ({u['width']} px in {u['room']} px)"
                  for u in layout["unboxed"]]
        if items:
            problems[where] = items
    assert not problems, _report(problems)


def test_at_1280_no_box_needs_a_sideways_scroll(survey):
    problems = {}
    for (path, viewport, scheme), entry in survey.items():
        if viewport != "desktop":
            continue
        items = [f"{o['kind']}: {o['what']} is {o['scrollWidth']} px wide in a {o['clientWidth']} px box"
                 for o in entry["layout"]["overflowing"]]
        if items:
            problems[f"{path} ({scheme})"] = items
    assert not problems, _report(problems)


def test_every_box_that_scrolls_is_focusable_and_named(survey):
    problems = {}
    for where, layout in _layouts(survey):
        items = []
        for o in layout["overflowing"]:
            missing = [what for what, ok in (("scrollable (overflow-x auto or scroll)", o["overflowX"] in ("auto", "scroll")),
                                             ("focusable (tabindex)", o["focusable"]),
                                             ("named (aria-label)", bool(o["name"]))) if not ok]
            if missing:
                items.append(f"{o['kind']}: {o['what']} overflows but is not " + ", not ".join(missing))
        if items:
            problems[where] = items
    assert not problems, _report(problems)


def test_the_survey_measured_the_content(survey):
    """Guards the probe itself: it found the content boxes (a selector that matches nothing would pass all)."""
    totals = {}
    for _, layout in _layouts(survey):
        for kind, count in layout["counts"].items():
            totals[kind] = totals.get(kind, 0) + count
    assert all(totals.get(kind, 0) > 0 for kind in ("display", "table", "code", "output")), totals
    assert any(NARROW in entry for entry in survey.values()), "the narrowed 360 px pass did not run"
