"""Figures as the reader sees them, on every sitemap page, at 1280 and 390 px, light and dark, solutions open.

The measurements come from tests/probes/figures.js, run by the session-wide page survey (tests/conftest.py):
numbering and captions, references, pictures outside figures, displayed text size, colliding labels in the
inline SVG diagrams, and colours against the colour scheme. New figures (Part 6, the interactive ones) are
covered as soon as they are on a page.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.site

#: Smallest text in a figure as displayed at 1280 px, in CSS px (about 8.5 pt). Sub- and superscripts may be
#: smaller, down to SCRIPT_PX.
MIN_TEXT_PX = 11.0
SCRIPT_PX = 8.0
#: On a phone a figure keeps a width of 540 px and scrolls; the same drawing then shows its text at 540/690
#: of the desktop size.
MIN_TEXT_PX_PHONE = 8.5


def _configs(survey, viewport=None, scheme=None):
    for (path, vp, sc), entry in sorted(survey.items()):
        if (viewport is None or vp == viewport) and (scheme is None or sc == scheme):
            yield path, vp, sc, entry["figures"]


def test_every_figure_has_an_id_and_a_caption_numbered_in_order(survey):
    problems = []
    for path, vp, sc, probe in _configs(survey, "desktop", "light"):
        ids = [f["id"] for f in probe["figures"]]
        for n, fig in enumerate(probe["figures"], start=1):
            if not (fig["id"] or "").startswith("fig-"):
                problems.append(f"{path}: figure {n} has no id fig-...")
            if fig["caption"] is None:
                problems.append(f"{path}: figure {n} ({fig['id']}) has no caption")
            elif fig["number"] != f"Figure {n}." or not fig["caption"].startswith(f"Figure {n}."):
                problems.append(f"{path}: figure {n} ({fig['id']}) is captioned {fig['caption'][:30]!r}")
            elif len(fig["caption"]) < len(f"Figure {n}.") + 20:
                problems.append(f"{path}: the caption of {fig['id']} says too little: {fig['caption']!r}")
        if len(set(ids)) != len(ids):
            problems.append(f"{path}: duplicate figure ids {ids}")
    assert not problems, "\n".join(problems)


def test_every_picture_on_a_page_sits_in_a_figure(survey):
    problems = [f"{path} ({vp}, {sc}): a {p['tag']} {p['src'] or ''} ({p['width']} px) outside any <figure>"
                for path, vp, sc, probe in _configs(survey) for p in probe["outside"]]
    assert not problems, "\n".join(problems)


def test_every_figure_reference_resolves_and_reads_the_figure_number(survey):
    numbers = {path: {f["id"]: n for n, f in enumerate(probe["figures"], start=1)}
               for path, _, _, probe in _configs(survey, "desktop", "light")}
    problems = []
    for path, _, _, probe in _configs(survey, "desktop", "light"):
        for ref in probe["references"]:
            target_path, fig_id = ref["targetPath"], ref["targetId"]  # resolved by the browser
            table = numbers.get(target_path)
            if table is None or fig_id not in table:
                problems.append(f"{path}: link {ref['href']!r} ({ref['text']!r}) points at no figure")
                continue
            m = re.fullmatch(r"[Ff]igure (\d+)", ref["text"])
            if ref["text"].lower().startswith("figure") and (m is None or int(m.group(1)) != table[fig_id]):
                problems.append(f"{path}: link {ref['href']!r} reads {ref['text']!r}, but it is figure {table[fig_id]}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("viewport", "limit"), [("desktop", MIN_TEXT_PX), ("phone", MIN_TEXT_PX_PHONE)])
def test_text_in_every_figure_is_large_enough_as_displayed(survey, viewport, limit):
    problems = []
    for path, vp, sc, probe in _configs(survey, viewport, "light"):
        for fig in probe["figures"]:
            for m in fig["media"]:
                if m["tag"] in ("img", "svg") and not m["texts"] and m.get("src", "").split("#")[0].endswith(".svg"):
                    problems.append(f"{path}: {fig['id']}: no text found to measure in {m.get('src')}")
                small = [t for t in m["texts"] if t["px"] < (limit * SCRIPT_PX / MIN_TEXT_PX if t.get("script") else limit)]
                if small:
                    worst = min(small, key=lambda t: t["px"])
                    problems.append(f"{path}: {fig['id']} ({m['tag']} shown {m['width']} px wide): {len(small)} "
                                    f"text(s) below {limit} px, smallest {worst['px']:.1f} px: {worst['text']!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_no_two_labels_collide_in_an_svg_figure(survey, viewport):
    problems = [f"{path}: {fig['id']}: {c}"
                for path, _, _, probe in _configs(survey, viewport, "light")
                for fig in probe["figures"] for m in fig["media"] for c in m["collisions"]]
    assert not problems, "\n".join(problems)


def test_no_figure_is_a_light_card_on_a_dark_page(survey):
    problems = []
    for path, _, _, probe in _configs(survey, scheme="dark"):
        for fig in probe["figures"]:
            where = f"{path}: {fig['id']}"
            if fig["background"] > 0.2:
                problems.append(f"{where}: painted on a light background (luminance {fig['background']:.2f})")
            for m in fig["media"]:
                if m["background"] > 0.2:
                    problems.append(f"{where}: a {m['tag']} painted on a light background (luminance {m['background']:.2f})")
                if m.get("lightShare") is not None and m["lightShare"] > 0.15:
                    problems.append(f"{where}: {m['src']} is {100 * m['lightShare']:.0f} % light pixels")
                if m.get("meanInk") is not None and m["meanInk"] < 0.2:
                    problems.append(f"{where}: {m['src']} draws dark ink (mean luminance {m['meanInk']:.2f})")
                if m.get("canvasError"):
                    problems.append(f"{where}: {m['src']} could not be examined: {m['canvasError']}")
                problems += [f"{where}: a light panel behind the drawing (luminance {f['luminance']:.2f})"
                             for f in m["darkFills"] if f["luminance"] > 0.2]
                dark_ink = [i for i in m["inks"] if i["luminance"] < 0.2]
                if dark_ink:
                    problems.append(f"{where}: {len(dark_ink)} label(s) in dark ink, e.g. {dark_ink[0]['text']!r}")
    assert not problems, "\n".join(problems)


def test_figures_read_on_the_light_page_too(survey):
    problems = []
    for path, _, _, probe in _configs(survey, scheme="light"):
        for fig in probe["figures"]:
            for m in fig["media"]:
                if m.get("meanInk") is not None and m["meanInk"] > 0.8 and m.get("lightShare", 0) < 0.5:
                    problems.append(f"{path}: {fig['id']}: {m['src']} draws light ink on the light page")
                light_ink = [i for i in m["inks"] if i["luminance"] > 0.45]
                if light_ink:
                    problems.append(f"{path}: {fig['id']}: {len(light_ink)} label(s) in light ink, e.g. {light_ink[0]['text']!r}")
    assert not problems, "\n".join(problems)
