"""How gentle_rnn.figures renders a figure in both schemes cheaply, and writes what plain Matplotlib writes.

``render_schemes`` lays a figure out once (the light render) and draws the dark render on that layout and crop;
SVG renderers share their text measurements (``_shared_metrics``). Both are shortcuts only: the SVG written must
be the same, byte for byte, as the slow way.
"""

from __future__ import annotations

import contextlib

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from gentle_rnn import figures  # noqa: E402

#: Figures whose constrained layout is not a fixed point (a second run moves their axes): a dark render that
#: laid itself out again on the light render's layout would differ from one laid out afresh. bptt-stepper has
#: text boxes and mathtext; worked-example a legend below its axes, anchored in axes coordinates.
NOT_FIXED_POINTS = ["interactive/bptt-stepper.svg", "part-2/worked-example.svg"]


@pytest.mark.parametrize("name", NOT_FIXED_POINTS)
def test_dark_render_on_the_light_layout_equals_the_dark_figure_laid_out_afresh(name):
    both = figures.render_schemes(name)
    assert both["light"] == figures.render(name, "light"), f"{name}: the light render depends on the dark one"
    assert both["dark"] == figures.render(name, "dark"), (
        f"{name}: the dark render drawn on the light render's layout and crop is not the dark figure laid out afresh")


#: Figures with a hand-picked dark twin: the twin is drawn on the light figure's layout and crop.
TWINS = [name for name in figures.light_figures() if figures.dark_name(name) in figures.load_all()]


def test_there_is_a_dark_twin_to_check():
    assert TWINS, "no figure has a hand-picked dark twin: the twin path of render_schemes goes unchecked"


@pytest.mark.parametrize("name", TWINS)
def test_dark_twin_on_the_light_layout_equals_the_twin_laid_out_afresh(name):
    assert figures.render_schemes(name)["dark"] == figures.render(name, "dark"), (
        f"{name}: its dark twin drawn on the light figure's layout is not the twin laid out afresh")


def test_a_twin_with_other_axes_is_refused():
    import matplotlib.pyplot as plt

    one, _ = plt.subplots()
    two, _ = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="axes"):
        figures._take_layout(two, one)
    plt.close(one)
    plt.close(two)


def test_shared_text_measurements_write_what_matplotlib_writes(monkeypatch):
    """One figure with many labels, mathtext and text boxes, both schemes, with and without the shared caches."""
    name = "interactive/bptt-stepper.svg"
    figures._METRICS.clear()
    cached = figures.render_schemes(name)
    assert figures._METRICS, "no text measurement went through the shared cache"
    monkeypatch.setattr(figures, "_shared_metrics", contextlib.nullcontext)
    monkeypatch.setattr(figures, "_shared_mathtext", contextlib.nullcontext)
    plain = figures.render_schemes(name)
    for scheme in figures.SCHEMES:
        assert cached[scheme] == plain[scheme], f"{name} ({scheme}): the shared caches change the SVG"


#: Settings that change how text measures but that a label's font properties do not record: the fonts behind
#: the generic family "sans-serif", the font of mathtext letters, the mathtext font set's fallback.
SETTINGS = [{"font.sans-serif": ["DejaVu Sans"]}, {"font.sans-serif": ["DejaVu Serif"]},
            {"mathtext.default": "rm"}, {"mathtext.default": "it"}]


def _labelled(setting):
    import matplotlib.pyplot as plt

    with matplotlib.rc_context(setting):
        fig, ax = plt.subplots(figsize=(3, 2), layout="constrained")
        ax.set_xlabel("step t, plain text")
        ax.set_ylabel(r"$\partial L / \partial h^{(t)}$")
        ax.set_title("a title on two\nlines", loc="left")
    return fig, plt


def _saved(setting) -> bytes:
    rc = {"svg.hashsalt": "test", "svg.fonttype": "path", **setting}
    fig, plt = _labelled(setting)
    with matplotlib.rc_context(rc):
        svg = figures._save(fig, "tight")
    plt.close(fig)
    return svg


def test_shared_text_measurements_follow_the_settings_of_each_save():
    plain = {str(s): _saved(s) for s in SETTINGS}
    assert len(set(plain.values())) == len(SETTINGS), "the settings do not change the drawing"
    figures._METRICS.clear()
    with figures._shared_mathtext(), figures._shared_metrics():
        for setting in SETTINGS + SETTINGS[:1]:  # the last one again: served by the cache
            assert _saved(setting) == plain[str(setting)], f"{setting}: the shared measurements change the SVG"
    from matplotlib import text
    from matplotlib.backends.backend_mixed import MixedModeRenderer

    assert not hasattr(MixedModeRenderer, "_get_font_height_metrics"), "the font-height shortcut was not removed"
    assert text._get_text_metrics_with_cache.__module__ == "matplotlib.text", "text measuring was not restored"


def test_agg_drawing_is_not_served_by_the_svg_cache():
    """Agg measures with hinting: its sizes differ from SVG's even at SVG's 72 dpi, so it keeps its own cache."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2), dpi=72)
    ax.set_title("hinted text")
    fig.canvas.draw()
    plain = ax.title.get_window_extent().bounds
    figures._METRICS.clear()
    with figures._shared_metrics():
        figures._save(fig, "tight")
        fig.canvas.draw()
        shared = ax.title.get_window_extent().bounds
    plt.close(fig)
    assert shared == plain, "an Agg draw inside the context was measured as SVG"


def test_ink_over_an_image_keeps_its_colour_in_the_dark_render():
    """White on viridis stays white in the dark render (as the image keeps its colours); the same white off the
    image is recoloured as usual. The truncated-BPTT figure marks its cut line and label so."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex

    fig, ax = plt.subplots()
    ax.imshow(np.arange(4.0).reshape(2, 2))
    (on_image,) = figures.over_image(*ax.plot([0, 1], [0, 1], color="white"))
    label = figures.over_image(ax.text(0, 0, "dropped", color="white"))[0]
    elsewhere = ax.text(0, 1, "title", color="black")
    figures.darken(fig)
    assert to_hex(on_image.get_color()) == "#ffffff" and to_hex(label.get_color()) == "#ffffff"
    assert to_hex(elsewhere.get_color()) != "#000000"
    plt.close(fig)

    fig = figures.load_all()["part-3/truncated.svg"]()
    whites = [a for a in fig.findobj() if getattr(a, "gentle_rnn_over_image", False)]
    assert len(whites) == 2, "the truncated figure's cut line and its label are marked as drawn over the image"
    plt.close(fig)
