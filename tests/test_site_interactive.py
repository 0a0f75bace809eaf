"""The interactive figures of Parts 3-5, driven in headless Chromium and checked against the package.

Every control is driven (buttons by mouse, sliders and the stepper by keyboard and by mouse), and after each
change the numbers the figure exposes (``data-values`` on its container, JSON, every digit) are compared with
:mod:`gentle_rnn.interactive` computing the same thing with the package's code, to 1e-9 relative. Also: the
stepper's numbers equal the Part 3 table; the captions' claims hold; the figures re-mount after an instant
navigation; without JavaScript the static figure shows; axe-core finds no serious or critical violation at
390 and 1280 px, light and dark; nothing is wider than the column and SVG text stays legible.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from gentle_rnn import interactive, rnn
from gentle_rnn.figures.interactive import LAG_H, LAG_SEED, LAG_T
from gentle_rnn.figures.part2 import _num, _vec, worked_example_inputs
from gentle_rnn.figures.part5 import EXAMPLE_GATES

from .conftest import ROOT, VIEWPORTS, wait_for_math

pytestmark = pytest.mark.site

RTOL = 1e-9
PAGES = {
    "bptt-stepper": "part-3-bptt/",
    "lag": "part-4-vanishing-gradient/",
    "carousel": "part-5-lstm/",
}
FIGURE_IDS = {"bptt-stepper": "fig-bptt-stepper", "lag": "fig-lag", "carousel": "fig-carousel"}
SITE_URL = re.search(r"^site_url:\s*(\S+)", (ROOT / "mkdocs.yml").read_text(), re.M).group(1)


# ----------------------------------------------------------------------------------------------------------------
# helpers


def open_page(browser, base, widget, width=1280, scheme="light", javascript=True, math=False):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme,
                                  java_script_enabled=javascript)
    if javascript:
        # Material's instant navigation intercepts only links listed in sitemap.xml, whose URLs carry the
        # site_url's port (8000): serve it rewritten to this server's origin, as it is when served at site_url
        context.route("**/sitemap.xml", lambda route: route.fulfill(
            response=(r := route.fetch()), body=r.text().replace(SITE_URL.rstrip("/"), base)))
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(base + "/" + PAGES[widget])
    if javascript:
        if math:
            wait_for_math(page)
        page.wait_for_selector(f'[data-widget="{widget}"].rnn-widget--live .rnn-widget')
    return context, page


def values(page, widget):
    return json.loads(page.get_attribute(f'[data-widget="{widget}"]', "data-values"))


def assert_close(js, py, name, atol_scale=True):
    """``js`` equals ``py`` to RTOL relative; with ``atol_scale`` an entry near zero is judged against the
    largest entry of the same array (a vector with a 0 entry has no relative error there)."""
    py = np.asarray(py, dtype=float)
    js = np.asarray(js, dtype=float)
    assert js.shape == py.shape, f"{name}: shape {js.shape} in the page, {py.shape} in Python"
    atol = RTOL * np.max(np.abs(py)) if atol_scale and py.size else 0.0
    np.testing.assert_allclose(js, py, rtol=RTOL, atol=atol, err_msg=f"{name}: the page and gentle_rnn differ")


def _mat(M) -> str:
    return "(" + "; ".join(", ".join(_num(v) for v in row) for row in np.atleast_2d(M)) + ")"


def set_slider_by_mouse(page, selector, fraction):
    """Click the range input at ``fraction`` of its width (as a reader would); return its new value."""
    box = page.locator(selector).bounding_box()
    page.mouse.click(box["x"] + fraction * box["width"], box["y"] + box["height"] / 2)
    return float(page.locator(selector).input_value())


def press(page, selector, *keys):
    page.focus(selector)
    for key in keys:
        page.keyboard.press(key)


# ----------------------------------------------------------------------------------------------------------------
# Part 3: the BPTT stepper


STEPPER = '[data-widget="bptt-stepper"]'
STEPPER_KEYS = ("do", "from_output", "from_future", "dh", "delta", "dW", "dU", "db")


def check_stepper(page, tau, position):
    T = 3
    v = values(page, "bptt-stepper")
    assert (v["tau"], v["position"]) == (tau, position)
    py = interactive.bptt_steps(None if tau >= T else tau)[position]
    shown = page.locator(f"{STEPPER} .rnn-widget__panel dd").all_inner_texts()
    if 1 <= position <= T:
        assert v["t"] == py["t"]
        for key in STEPPER_KEYS:
            assert_close(v[key], py[key], f"tau={tau} position={position} {key}")
        # what the reader sees is what is exposed, formatted as the page's tables
        assert shown == [_vec(py[k]) for k in STEPPER_KEYS[:5]] + [_mat(py["dW"]), _mat(py["dU"]), _vec(py["db"])]
    if position == T + 1:
        assert_close(v["dh0"], py["dh0"], f"tau={tau} dh0")
        assert shown[0] == _vec(py["dh0"])
    return v, shown


def part3_table(page):
    """The backward table of the Part 3 page: {row label start: [cell at t=3, t=2, t=1]}."""
    rows = page.evaluate("""() => {
        const table = [...document.querySelectorAll('article table')].find(
            (t) => t.querySelector('th') && t.querySelector('th').textContent.startsWith('computed in this order'));
        return [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent.trim()));
    }""")
    return [r[1:] for r in rows]  # drop the label column; rows: do, from output, from future, total, delta


def test_stepper_parameters_are_the_worked_example(browser, site_server):
    context, page = open_page(browser, site_server, "bptt-stepper")
    ex = json.loads(page.get_attribute(STEPPER, "data-example"))
    params, x, y, h0 = worked_example_inputs()
    for key in ("U", "W", "b", "V", "c"):
        assert_close(ex[key], params[key], key, atol_scale=False)
    assert_close(ex["x"], x[:, 0], "x", atol_scale=False)
    assert ex["y"] == y[:, 0].tolist()
    assert_close(ex["h0"], h0[0], "h0", atol_scale=False)
    context.close()


def test_stepper_every_step_and_tau_matches_numpy_and_the_page_table(browser, site_server):
    context, page = open_page(browser, site_server, "bptt-stepper")
    table = part3_table(page)
    T = 3
    # full BPTT, by mouse: every step backwards with the button, and its numbers equal the page's table
    check_stepper(page, T, 0)
    for position in range(1, T + 2):
        page.click(f"{STEPPER} button:has-text('Back one step in time')")
        _, shown = check_stepper(page, T, position)
        if position <= T:
            assert shown[:5] == [row[position - 1] for row in table], f"step t = {T - position + 1} vs the table"
    assert page.locator(f"{STEPPER} button:has-text('Back one step in time')").is_disabled()
    final = values(page, "bptt-stepper")
    _, grads = rnn.loss_and_grads(*worked_example_inputs())
    for key in ("W", "U", "b"):
        assert_close(final[f"d{key}"], grads[key], f"final d{key}")
    # undo by mouse, then start over
    page.click(f"{STEPPER} button:has-text('Undo')")
    check_stepper(page, T, T)
    page.click(f"{STEPPER} button:has-text('Start over')")
    check_stepper(page, T, 0)
    # every truncation length, set with the keyboard; stepped with the arrow keys on the graph
    for tau in (1, 2, 3):
        press(page, f"{STEPPER} input[type=range]", "Home", *["ArrowRight"] * (tau - 1))
        assert page.get_attribute(f"{STEPPER} input[type=range]", "aria-valuetext").startswith(f"τ = {tau}")
        press(page, f"{STEPPER} .rnn-widget__graphbox", "Home")
        check_stepper(page, tau, 0)
        for position in range(1, T + 2):
            page.keyboard.press("ArrowLeft")
            check_stepper(page, tau, position)
        page.keyboard.press("ArrowLeft")  # nothing before h(0)
        check_stepper(page, tau, T + 1)
        _, grads = rnn.loss_and_grads(*worked_example_inputs(), truncate=tau)
        final = values(page, "bptt-stepper")
        for key in ("W", "U", "b"):
            assert_close(final[f"d{key}"], grads[key], f"tau={tau} final d{key}")
        assert_close(final["dh0"], grads["h0"][0], f"tau={tau} dh0")
        page.keyboard.press("ArrowRight")
        check_stepper(page, tau, T)
        page.keyboard.press("End")
        check_stepper(page, tau, T + 1)
    # tau = 1 cuts both W^T edges between steps, as the caption says
    press(page, f"{STEPPER} input[type=range]", "Home")
    assert page.locator(f"{STEPPER} .rnn-edge--cut").count() == 2
    live = page.locator(f"{STEPPER} [aria-live]").inner_text()
    assert "Truncation length set to 1" in live
    assert page.errors == []
    context.close()


# ----------------------------------------------------------------------------------------------------------------
# Part 4: the gradient against the lag

LAG = '[data-widget="lag"]'


def check_lag(page):
    v = values(page, "lag")
    assert (v["seed"], v["H"], v["T"]) == (LAG_SEED, LAG_H, LAG_T), "the page's network is the fallback's"
    py = interactive.lag_data(LAG_SEED, LAG_H, LAG_T, v["lambda1"], v["kind"], v["activation"], v["threshold"])
    name = f"lambda_1={v['lambda1']} {v['kind']} {v['activation']} theta={v['threshold']}"
    for key in ("norms", "bound"):
        assert_close(v[key], py[key], f"{name} {key}", atol_scale=False)  # entry by entry, over many decades
    for key in ("lambda_1", "gamma", "grad_norm", "scale", "clipped_norm"):
        assert_close(v[key], py[key], f"{name} {key}", atol_scale=False)
    assert np.all(np.asarray(v["norms"]) <= np.asarray(v["bound"]) * (1 + 1e-12)), f"{name}: a norm above (4.6)"
    return v


def test_lag_figure_matches_numpy_for_every_control(browser, site_server):
    context, page = open_page(browser, site_server, "lag")
    lam = f"{LAG} input[type=range] >> nth=0"
    clip = f"{LAG} input[type=range] >> nth=1"
    seen = {}
    check_lag(page)
    for activation in ("tanh", "sigmoid"):
        page.click(f"{LAG} label:has-text('{activation}')")
        for kind, label in (("orthogonal", "orthogonal"), ("gaussian", "Gaussian")):
            page.click(f"{LAG} label:has-text('{label}')")
            press(page, lam, "Home")  # 0.25
            seen[(activation, kind, 0.25)] = check_lag(page)
            press(page, lam, *["ArrowRight"] * 5)  # 0.5
            seen[(activation, kind, 0.5)] = check_lag(page)
            press(page, lam, *["ArrowRight"] * 10)  # 1.0
            seen[(activation, kind, 1.0)] = check_lag(page)
            press(page, lam, *["ArrowRight"] * 10)  # 1.5
            seen[(activation, kind, 1.5)] = check_lag(page)
            press(page, lam, *["ArrowRight"] * 10)  # 2.0
            seen[(activation, kind, 2.0)] = check_lag(page)
            press(page, lam, "End")  # 3.0
            seen[(activation, kind, 3.0)] = check_lag(page)
    assert {k: v["lambda1"] for k, v in seen.items()} == {k: k[2] for k in seen}
    # by mouse: a click on the track
    value = set_slider_by_mouse(page, lam, 0.6)
    assert 0.25 < value < 3 and check_lag(page)["lambda1"] == value
    # the clipping threshold, by keyboard: the smallest threshold clips, "no clipping" does not
    page.click(f"{LAG} label:has-text('tanh')")
    page.click(f"{LAG} label:has-text('orthogonal')")
    press(page, lam, "End", *["ArrowLeft"] * 20)  # 2.0: the largest gradient of the range
    press(page, clip, "Home")
    v = check_lag(page)
    assert v["threshold"] == 0.01 and v["scale"] < 1 and v["clipped_norm"] == pytest.approx(0.01, rel=1e-12)
    press(page, clip, "End")
    v = check_lag(page)
    assert v["threshold"] is None and v["scale"] == 1
    assert page.get_attribute(clip, "aria-valuetext") == "no clipping"
    set_slider_by_mouse(page, clip, 0.35)
    check_lag(page)
    # the caption's claims
    orth, gauss = ("tanh", "orthogonal"), ("tanh", "gaussian")
    last = lambda key, lam_: seen[(*key, lam_)]["norms"][-1]  # noqa: E731
    bound = lambda key, lam_: seen[(*key, lam_)]["bound"][-1]  # noqa: E731
    assert last(orth, 0.5) > 0.5 * bound(orth, 0.5), "below 1, the orthogonal curve follows the bound"
    assert 1e2 < max(seen[(*orth, 2.0)]["norms"]) < 1e4 and bound(orth, 2.0) > 1e11, "grows far less"
    assert last(orth, 3.0) < 1, "at lambda_1 = 3 it falls again"
    for lam_ in (0.25, 0.5, 1.0, 1.5):
        assert last(gauss, lam_) < 1e-2 * last(orth, lam_), f"Gaussian falls faster at {lam_}"
    for kind in ("orthogonal", "gaussian"):
        for lam_ in (0.25, 0.5, 1.0, 1.5, 2.0, 3.0):
            assert max(seen[("sigmoid", kind, lam_)]["norms"][1:]) < 1, "the sigmoid cannot grow for lambda_1 < 4"
    assert page.errors == []
    context.close()


# ----------------------------------------------------------------------------------------------------------------
# Part 5: the constant error carousel

CAROUSEL = '[data-widget="carousel"]'


def check_carousel(page):
    v = values(page, "carousel")
    py = interactive.carousel_data(v["forget_bias"], v["T"], v["step"])
    name = f"b_f={v['forget_bias']} T={v['T']} step={v['step']}"
    for key in ("ds", "dh", "f"):
        assert_close(v[key], py[key], f"{name} {key}", atol_scale=False)
    for key in ("total_share", "cell_share", "gates_share", "rnn_share"):
        assert_close(v[key], py[key], f"{name} {key}", atol_scale=False)
    for key, value in py["cell"].items():
        assert_close(v["cell"][key], value, f"{name} cell {key}", atol_scale=False)
    return v


def test_carousel_parameters_are_the_part_5_worked_example(browser, site_server):
    context, page = open_page(browser, site_server, "carousel")
    ex = json.loads(page.get_attribute(CAROUSEL, "data-example"))
    assert {k: tuple(v) for k, v in ex["gates"].items()} == EXAMPLE_GATES
    assert ex["rnn"] == interactive.CAROUSEL_RNN and tuple(ex["cycle"]) == interactive.CAROUSEL_CYCLE
    context.close()


def test_carousel_matches_numpy_for_every_control(browser, site_server):
    context, page = open_page(browser, site_server, "carousel")
    bias = f"{CAROUSEL} input[type=range] >> nth=0"
    length = f"{CAROUSEL} input[type=range] >> nth=1"
    step = f"{CAROUSEL} input[type=range] >> nth=2"
    seen = {}
    check_carousel(page)
    for T_keys, T in (((*["ArrowLeft"] * 15,), 5), ((*["ArrowRight"] * 15,), 20), (("End",), 60)):
        press(page, length, *T_keys)
        press(page, bias, "Home")  # -2
        for b in np.arange(-2, 5.01, 0.25):
            v = check_carousel(page)
            assert (v["forget_bias"], v["T"]) == (b, T)
            seen[(b, T)] = v
            page.keyboard.press("ArrowRight")
    # the step shown in the cell: keyboard and mouse; it never passes T
    press(page, step, "End")
    assert check_carousel(page)["step"] == 60
    press(page, length, "Home")  # T = 2 pulls the step back to 2
    v = check_carousel(page)
    assert (v["T"], v["step"]) == (2, 2)
    set_slider_by_mouse(page, length, 0.5)
    set_slider_by_mouse(page, step, 0.3)
    set_slider_by_mouse(page, bias, 0.7)
    check_carousel(page)
    # the caption's claims
    biases = np.arange(-2, 5.01, 0.25)
    for T in (5, 20, 60):
        shares = [seen[(b, T)]["total_share"] for b in biases]
        assert np.all(np.diff(shares) > 0), f"T={T}: the share grows with the forget bias"
        assert seen[(5.0, T)]["total_share"] > 1, "at b_f = 5 the gates add to the carousel"
        for b in biases:
            assert seen[(b, T)]["rnn_share"] <= 0.4 ** (T - 1), "the simple RNN keeps at most 0.4^(T-1)"
            if b >= 0:
                assert seen[(b, T)]["gates_share"] > 0 and seen[(b, T)]["cell_share"] > 0
    assert 1e-15 < seen[(0.0, 60)]["total_share"] < 1e-13 and 0.1 < seen[(3.0, 60)]["total_share"] < 0.3
    assert 0.6 < seen[(5.0, 60)]["cell_share"] < 0.8
    assert 1e-2 < seen[(1.0, 5)]["rnn_share"] < 2e-2 and 1e-30 < seen[(1.0, 60)]["rnn_share"] < 1e-28
    assert page.errors == []
    context.close()


# ----------------------------------------------------------------------------------------------------------------
# instant navigation, no JavaScript, accessibility and layout


def test_figures_remount_after_instant_navigation(browser, site_server):
    context, page = open_page(browser, site_server, "bptt-stepper")
    page.evaluate("window.__sameDocument = true")  # survives only if navigation does not reload the page
    page.click(f"{STEPPER} button:has-text('Back one step in time')")
    page.click("a.md-footer__link--next")  # to Part 4, through Material's instant navigation
    page.wait_for_selector('[data-widget="lag"].rnn-widget--live .rnn-widget')
    assert page.evaluate("window.__sameDocument") is True, "the click reloaded the page: no instant navigation"
    assert page.locator(".rnn-widget").count() == 1
    check_lag(page)
    press(page, f"{LAG} input[type=range] >> nth=0", "End")
    assert check_lag(page)["lambda1"] == 3
    page.go_back()
    page.wait_for_selector(f"{STEPPER}.rnn-widget--live .rnn-widget")
    assert page.evaluate("window.__sameDocument") is True
    assert page.locator(".rnn-widget").count() == 1, "the figure is mounted once, and the old one is gone"
    check_stepper(page, 3, 0)
    page.click(f"{STEPPER} button:has-text('Back one step in time')")
    check_stepper(page, 3, 1)
    page.click("a.md-footer__link--next")
    page.click("a.md-footer__link--next")  # Part 5
    page.wait_for_selector(f"{CAROUSEL}.rnn-widget--live .rnn-widget")
    assert page.locator(".rnn-widget").count() == 1
    check_carousel(page)
    assert page.errors == []
    context.close()


@pytest.mark.parametrize("widget", PAGES)
def test_without_javascript_the_static_figure_shows(browser, site_server, widget):
    context, page = open_page(browser, site_server, widget, javascript=False)
    figure = page.locator(f"figure#{FIGURE_IDS[widget]}")
    image = figure.locator("img:visible")  # the light or the dark render, whichever the scheme shows
    assert image.count() == 1 and image.is_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth > 0"), "the static figure did not load"
    assert image.bounding_box()["width"] > 200
    assert page.locator(".rnn-widget").count() == 0
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("widget", PAGES)
def test_figure_accessible_and_fits(survey, widget, width, scheme):
    """From the page survey (tests/conftest.py; tests/probes/widgets.js), which loads the figure's page at this
    width and scheme and probes the mounted figure once the network is idle."""
    viewport = {390: "phone", 1280: "desktop"}[width]
    assert VIEWPORTS[viewport]["width"] == width
    entry = survey[("/" + PAGES[widget], viewport, scheme)]
    expected = "slate" if scheme == "dark" else "default"
    assert entry["basics"]["colorScheme"] == expected
    [figure] = [f for f in entry["widgets"] if f["widget"] == widget]
    assert figure["id"] == FIGURE_IDS[widget]
    assert figure["images"] >= 1
    assert figure["visibleImages"] == 0, "the static figure is replaced once the figure mounts"
    assert figure["serious"] == [], f"{widget} at {width} px, {scheme}: {figure['serious']}"
    layout = figure["layout"]
    assert layout["right"] <= layout["inner"] and layout["overflow"] <= 1 and layout["wide"] == [], layout
    assert layout["smallest"] >= 10.5, f"SVG text drawn at {layout['smallest']:.1f} px"
    assert entry["wire"] == [], f"{widget} at {width} px, {scheme}: {entry['wire']}"
