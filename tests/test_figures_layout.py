"""Every computed figure (gentle_rnn.figures), drawn for the page column: no wider than the column, text large
enough, no label overlapping another label, and no label under a drawn curve. Checked on Matplotlib's own
layout of each figure (no browser); tests/test_site_figures.py measures the same figures as displayed."""

from __future__ import annotations

import itertools

import matplotlib
import pytest

matplotlib.use("Agg")

from gentle_rnn import figures  # noqa: E402

#: Sub- and superscripts of mathtext are drawn at 70 % of their text; everything else at 9 pt or more.
MIN_POINTS = 9.0


def _draw(name):
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"font.size": 10}):
        fig = figures.load_all()[name]()
        fig.canvas.draw()
    return fig, plt


def _texts(fig):
    """Every text that is drawn (tick labels outside the view limits exist but are not drawn)."""
    ticks, drawn = set(), set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                ticks |= {id(tick.label1), id(tick.label2)}
            for tick in axis._update_ticks():
                drawn |= {id(t) for t, on in ((tick.label1, tick.label1.get_visible()), (tick.label2, tick.label2.get_visible())) if on}
    return [t for t in fig.findobj(matplotlib.text.Text)
            if t.get_visible() and t.get_text().strip() and t.get_window_extent().width > 0
            and (id(t) not in ticks or id(t) in drawn)]


@pytest.fixture(scope="module", params=sorted(figures.load_all()))
def drawn(request):
    fig, plt = _draw(request.param)
    yield request.param, fig
    plt.close(fig)


def test_figure_is_drawn_no_wider_than_the_page_column(drawn):
    name, fig = drawn
    width = fig.get_tightbbox().width  # inches, what bbox_inches="tight" saves
    assert width <= figures.COLUMN_INCHES + 0.05, f"{name} is {width:.2f} in wide, the column {figures.COLUMN_INCHES} in"


def test_text_is_at_least_nine_points(drawn):
    name, fig = drawn
    small = [(t.get_text(), t.get_fontsize()) for t in _texts(fig) if t.get_fontsize() < MIN_POINTS]
    assert not small, f"{name}: text below {MIN_POINTS} pt: {small}"


def test_no_two_labels_overlap(drawn):
    name, fig = drawn
    boxes = [(t.get_text(), t.get_window_extent().padded(-1)) for t in _texts(fig)]
    clashes = [(a, b) for (a, ba), (b, bb) in itertools.combinations(boxes, 2) if ba.overlaps(bb)]
    assert not clashes, f"{name}: overlapping labels {clashes}"


def test_no_label_sits_on_a_curve(drawn):
    """A label inside an axes must not be crossed by any data line of that axes (reference lines included)."""
    name, fig = drawn
    clashes = []
    for ax in fig.axes:
        inner = [t for t in _texts(fig) if t.axes is ax and t not in (ax.title, ax._left_title, ax._right_title)
                 and t.get_window_extent().overlaps(ax.get_window_extent())]
        for t in inner:
            box = t.get_window_extent().padded(-1)
            for line in ax.lines:
                if not line.get_visible() or line.get_linestyle() in ("None", "") and line.get_marker() in ("None", "", None):
                    continue
                path = line.get_transform().transform_path(line.get_path())
                if path.intersects_bbox(box, filled=False):
                    clashes.append((t.get_text(), line.get_label()))
    assert not clashes, f"{name}: labels crossed by a curve: {clashes}"
