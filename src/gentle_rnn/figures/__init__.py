"""Every figure the site shows that is computed (plots), registered by name and rendered at build time.

A figure is a function that returns a Matplotlib ``Figure``, registered with :func:`figure`::

    @figure("part-4/decay.svg")
    def decay():
        fig, ax = plt.subplots()
        ...
        return fig

The site's build hook (``hooks/figures.py``) imports every module of this package, calls each registered
function and adds the SVG to the site under ``figures/<name>``, so a page links it as
``![...](figures/part-4/decay.svg)`` relative to the docs root. Nothing generated is committed.
``python -m gentle_rnn.figures OUTDIR`` writes them all to a folder, for looking at them outside the site.

**Size.** The page column is about 690 CSS px wide at 1280 px, and an SVG of ``w`` inches is ``96 w`` CSS px
wide: draw at most :data:`COLUMN_INCHES` wide, with text of 9 pt or more, so that text is at least 11 CSS px
as displayed (the browser tests measure it). A multi-panel plot becomes several rows, or several figures.

**Light and dark.** Every figure is rendered twice, with a transparent background: once as drawn (for the
light scheme) and once through :func:`darken`, which keeps every colour's hue and saturation and reverses its
lightness into the range that reads on Material's dark (slate) background (black text becomes near-white, a
dark red line a light red one). The hook adds the dark render as ``figures/<name minus .svg>-dark.svg`` and
shows the two with Material's ``#only-light`` / ``#only-dark``. Write figures in light colours only; a
figure that wants a hand-picked dark version registers it as its twin ``<name minus .svg>-dark.svg``, which
is then used as drawn instead of the recoloured render (:func:`light_figures` lists the figures without it).
Ink drawn over a colour-mapped image (which keeps its colours) is marked with :func:`over_image` and keeps its
colour too: white on viridis stays white, where recolouring would turn it grey on the image's dark end.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import pkgutil
import re
from collections.abc import Callable

_REGISTRY: dict[str, Callable] = {}

#: The widest a figure should be drawn, in inches (96 CSS px each): the page column at 1280 px.
COLUMN_INCHES = 7.2
#: The two colour schemes every figure is rendered in (Material's "default" and "slate").
SCHEMES = ("light", "dark")
#: Lightness ranges in the dark render, for ink and for pale fills (Material's slate background: about 0.14).
_DARK_INK = (0.42, 0.92)
_DARK_FILL = (0.14, 0.40)
_HEX6 = re.compile(r"#[0-9a-fA-F]{6}")


def figure(name: str) -> Callable[[Callable], Callable]:
    """Register a function that returns a Matplotlib figure under ``name`` (a relative ``.svg`` path)."""
    if not name.endswith(".svg"):
        raise ValueError(f"figure names end in .svg, got {name!r}")

    def register(fn: Callable) -> Callable:
        if name in _REGISTRY:
            raise ValueError(f"figure {name!r} is registered twice")
        _REGISTRY[name] = fn
        return fn

    return register


def load_all() -> dict[str, Callable]:
    """Import every module of this package (which registers its figures) and return the registry."""
    for mod in pkgutil.iter_modules(__path__):
        if mod.name == "__main__":  # the command-line entry point: importing it would write every figure
            continue
        importlib.import_module(f"{__name__}.{mod.name}")
    return dict(_REGISTRY)


def dark_name(name: str) -> str:
    """The file name of the dark render of figure ``name``: ``part-4/decay.svg`` -> ``part-4/decay-dark.svg``."""
    return name[: -len(".svg")] + "-dark.svg"


def dark_colour(colour, role: str = "ink"):
    """One colour for the dark scheme, as an RGBA tuple: same hue and saturation, lightness reversed.

    ``role="ink"`` (lines, text, markers, strokes) maps lightness 0..1 to :data:`_DARK_INK` reversed, so black
    becomes near-white and every ink stays readable on the dark background. ``role="fill"`` (areas) treats a
    pale colour (lightness above 0.6) as a background and maps it to :data:`_DARK_FILL` reversed (white becomes
    the page's own dark grey); a darker fill is ink. Alpha is kept; "none" stays "none".
    """
    import colorsys

    if role not in ("ink", "fill"):
        raise ValueError(f"role must be 'ink' or 'fill', got {role!r}")
    if colour is None or (isinstance(colour, str) and colour.lower() in ("none", "transparent")):
        return colour
    if isinstance(colour, str) and _HEX6.fullmatch(colour):  # what to_rgba returns, without importing Matplotlib
        r, g, b, a = (*(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)), 1.0)
    else:
        from matplotlib.colors import to_rgba

        r, g, b, a = to_rgba(colour)
    hue, light, sat = colorsys.rgb_to_hls(r, g, b)
    low, high = _DARK_FILL if role == "fill" and light > 0.6 else _DARK_INK
    return (*colorsys.hls_to_rgb(hue, low + (high - low) * (1.0 - light), sat), a)


def over_image(*artists):
    """Mark ``artists`` (lines, text) as drawn over a colour-mapped image: :func:`darken` keeps their colours,
    as it keeps the image's. Returns the artists."""
    for artist in artists:
        artist.gentle_rnn_over_image = True
    return artists


def darken(fig) -> None:
    """Recolour a finished figure for the dark scheme in place (see the module docstring); colour maps of
    images keep their colours (viridis reads on both backgrounds)."""
    import numpy as np
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.text import Text

    seen = set()
    for artist in fig.findobj():
        if id(artist) in seen or getattr(artist, "gentle_rnn_over_image", False):
            continue
        seen.add(id(artist))
        if isinstance(artist, Line2D):
            artist.set_color(dark_colour(artist.get_color()))
            artist.set_markerfacecolor(dark_colour(artist.get_markerfacecolor()))
            artist.set_markeredgecolor(dark_colour(artist.get_markeredgecolor()))
        elif isinstance(artist, Text):
            artist.set_color(dark_colour(artist.get_color()))
            box = artist.get_bbox_patch()
            if box is not None and id(box) not in seen:
                seen.add(id(box))
                box.set_facecolor(dark_colour(box.get_facecolor(), "fill"))
                box.set_edgecolor(dark_colour(box.get_edgecolor()))
        elif isinstance(artist, Patch):
            artist.set_facecolor(dark_colour(artist.get_facecolor(), "fill"))
            artist.set_edgecolor(dark_colour(artist.get_edgecolor()))
        elif isinstance(artist, Collection) and artist.get_array() is None:  # not a colour-mapped collection
            for role, get, put in (("fill", artist.get_facecolor, artist.set_facecolor),
                                   ("ink", artist.get_edgecolor, artist.set_edgecolor)):
                colours = np.atleast_2d(get())
                if colours.size:
                    put([dark_colour(tuple(c), role) for c in colours])


def light_figures() -> list[str]:
    """The registered figures that are not the hand-picked dark twin of another one, sorted."""
    names = load_all()
    return sorted(n for n in names if not any(dark_name(m) == n for m in names))


def render_schemes(name: str, schemes: tuple[str, ...] = SCHEMES) -> dict[str, bytes]:
    """Render the registered figure ``name`` once, to SVG bytes for each of ``schemes`` ("light", "dark"), on
    a transparent background, deterministically (no date, fixed ids).

    The figure is laid out and cropped once, by the light render (``bbox_inches="tight"``); the dark render is
    drawn on that layout and crop, and is byte for byte what laying out the dark figure afresh would give
    (``render(name, "dark")``). Inside, SVG renderers share their text measurements (:func:`_shared_metrics`)
    and their mathtext parses (:func:`_shared_mathtext`)."""
    for scheme in schemes:
        if scheme not in SCHEMES:
            raise ValueError(f"schemes must be among {SCHEMES}, got {scheme!r}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    registry = load_all()
    twin = registry.get(dark_name(name))
    rc = {"svg.hashsalt": "gentle-rnn", "svg.fonttype": "path", "font.size": 10,
          "figure.facecolor": "none", "axes.facecolor": "none", "savefig.transparent": True}

    out, fig = {}, None
    with matplotlib.rc_context(rc), _shared_mathtext(), _shared_metrics():
        if schemes and (twin is None or "light" in schemes):
            fig = registry[name]()
            if "light" not in schemes:
                darken(fig)  # only the dark render: lay out and crop the recoloured figure itself
            out["light" if "light" in schemes else "dark"], crop = _save_tight(fig)
        if "dark" in schemes and "light" in schemes:
            # Only colours change, so the light render's layout and crop hold: the dark one is drawn on them, with
            # the layout engine off ("none" keeps a placeholder, so Matplotlib still makes its cheap measuring
            # draw, at the 72 dpi of SVG, and crops with the very same floats). That is byte for byte what laying
            # out the dark figure afresh gives (tests/test_figures_render.py); running constrained layout again
            # on the light render's layout would not: it is not a fixed point, and a second run moves axes by up
            # to 3 px. A hand-picked twin gets the light figure's axes positions, as it differs in colours only.
            if twin is None:
                dark = fig
                darken(dark)
            else:
                dark = twin()
                _take_layout(dark, fig)
            dark.set_layout_engine("none")
            out["dark"] = _save(dark, crop)
            plt.close(dark)
        elif "dark" in schemes and twin is not None:
            dark = twin()
            out["dark"] = _save_tight(dark)[0]
            plt.close(dark)
        if fig is not None:
            plt.close(fig)
    return out


def _take_layout(fig, like) -> None:
    """Put every axes of ``fig`` where laying out ``like`` put its own (the same number of axes, in order)."""
    if len(fig.axes) != len(like.axes) or fig.subfigs or like.subfigs:
        raise ValueError("a dark twin must have its light figure's axes, in the same order, and no subfigures")
    for ax, other in zip(fig.axes, like.axes):
        ax._set_position(other.get_position(original=True), "original")
        ax._set_position(other.get_position(original=False), "active")


def _save(fig, bbox_inches) -> bytes:
    """The figure as SVG bytes (no date), cropped to ``bbox_inches`` ("tight" or a ``Bbox`` in inches)."""
    _SAVING.append(_text_settings())
    _TICKS.clear()  # tick state is remembered within one save only (see _shared_metrics)
    try:
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", bbox_inches=bbox_inches, metadata={"Date": None})
    finally:
        _SAVING.pop()
        _TICKS.clear()
    return buf.getvalue()


def _save_tight(fig) -> tuple[bytes, object]:
    """``savefig(bbox_inches="tight")``, as Matplotlib does it (layout, measuring draw, crop, draw), and the
    crop it used: the figure's tight box padded by ``savefig.pad_inches`` (a ``Bbox`` in inches)."""
    from matplotlib import rcParams

    boxes = []
    measure = fig.get_tightbbox

    def get_tightbbox(*args, **kwargs):
        boxes.append(measure(*args, **kwargs))
        return boxes[-1]

    fig.get_tightbbox = get_tightbbox  # the one call is print_figure's, for the crop
    try:
        svg = _save(fig, "tight")
    finally:
        del fig.get_tightbbox
    pad = rcParams["savefig.pad_inches"]
    return svg, boxes[-1].padded(pad, pad)


#: Parsed mathtext, shared by every renderer of this process: {key: what MathTextParser would return}.
_MATHTEXT: dict = {}


@contextlib.contextmanager
def _shared_mathtext():
    """Let every renderer created inside share one parse cache of its mathtext (``$...$`` labels).

    Each Matplotlib renderer makes its own ``TextToPath``, whose parser caches what it parsed for that renderer
    only; a ``savefig`` with ``bbox_inches="tight"`` makes two renderers, and each scheme saves once more, so
    every label's TeX was parsed by pyparsing four times per figure (about half of a render's time). Here the
    renderers share one ``TextToPath`` whose parser looks its result up in :data:`_MATHTEXT` first, keyed on
    everything the parse reads: the string, dpi, font properties, antialiasing, hinting and the ``mathtext.*``
    and ``font.*`` settings. The SVG written is byte for byte the same (``tests/test_build_caches.py``).
    """
    from matplotlib import text
    from matplotlib.mathtext import MathTextParser
    from matplotlib.textpath import TextToPath

    parse = MathTextParser._parse_cached.__wrapped__  # the uncached parse under the lru_cache

    class Parser(MathTextParser):
        def _parse_cached(self, s, dpi, prop, antialiased, load_glyph_flags):
            key = (self._output_type, s, dpi, prop, antialiased, load_glyph_flags, _text_settings())
            if key not in _MATHTEXT:
                _MATHTEXT[key] = parse(self, s, dpi, prop, antialiased, load_glyph_flags)
            return _MATHTEXT[key]

    shared = TextToPath()
    shared.mathtext_parser = Parser("path")
    original = text.TextToPath
    text.TextToPath = lambda: shared
    try:
        yield
    finally:
        text.TextToPath = original


#: The settings of the save under way (see :func:`_text_settings`), or None outside :func:`_save`.
_SAVING: list = []


def _text_settings() -> tuple:
    """Every setting that measuring or parsing text reads (``font.*``, ``mathtext.*``, ``text.*``), as a
    hashable tuple: taken once per save while :func:`_save` runs (nothing changes the settings during a draw),
    else read now."""
    if _SAVING:
        return _SAVING[-1]
    from matplotlib import rcParams

    return tuple((k, str(rcParams[k])) for k in rcParams if k.startswith(("font.", "mathtext.", "text.")))


#: Text measurements shared by every SVG renderer of this process: {key: what the renderer would return}.
_METRICS: dict = {}
#: The ticks each axis last updated during the save under way: {id(axis): (what they depend on, ticks drawn)}.
_TICKS: dict = {}


@contextlib.contextmanager
def _shared_metrics():
    """Let every SVG renderer created inside share one cache of text measurements and font heights.

    Matplotlib caches a text's size per renderer, and a figure saved light and dark meets three (the measuring
    draw of ``bbox_inches="tight"``, then one draw per scheme), so every label was measured three times; and a
    text's layout reads its font's ascent and descent from the font's tables on every call, uncached, unless
    the renderer offers ``_get_font_height_metrics`` (the PDF and PostScript ones do). SVG text measurements
    depend on the string, the font properties and the ``font.*``, ``mathtext.*`` and ``text.*`` settings only
    (they come from the renderer's ``TextToPath`` at a fixed 72 dpi), so inside this context they are computed
    once per key; other renderers (Agg) go through Matplotlib's own cache.

    An axis also updates its ticks (locator, formatter, each tick's position and label) over and over while one
    figure is laid out, measured and drawn: a dozen times per axis and save, for every tick-label box, spine and
    title placed. During a save made by :func:`_save` (no code of ours runs in it, so no tick setting changes),
    an axis whose view and data limits, scale, locators, formatters, size and place on the figure are the same
    as at its previous update returns the ticks that update left, without recomputing them.

    The SVG written is byte for byte the same (``tests/test_figures_render.py``).
    """
    from matplotlib import text
    from matplotlib.axis import Axis
    from matplotlib.backends.backend_mixed import MixedModeRenderer
    from matplotlib.backends.backend_svg import RendererSVG
    from matplotlib.font_manager import fontManager, get_font

    measure = text._get_text_metrics_with_cache

    def metrics(renderer, s, fontprop, ismath, dpi):
        if not isinstance(getattr(renderer, "_renderer", renderer), RendererSVG):
            return measure(renderer, s, fontprop, ismath, dpi)
        key = ("text", s, fontprop.copy(), ismath, dpi, _text_settings())  # a copy: FontProperties are mutable
        if key not in _METRICS:
            _METRICS[key] = measure(renderer, s, fontprop, ismath, dpi)
        return _METRICS[key]

    def font_height_metrics(self, prop):
        """What ``Text._get_layout`` reads from the font's tables (``OS/2``, else ``hhea``), in pixels."""
        own = getattr(self._renderer, "_get_font_height_metrics", None)
        if own is not None:
            return own(prop)
        dpi = self.figure.dpi
        key = ("height", prop.copy(), dpi, _text_settings())
        if key not in _METRICS:
            _METRICS[key] = None, None, None
            font = get_font(fontManager._find_fonts_by_props(prop))
            for table_name, linegap_key, ascent_key, descent_key in (
                    ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                    ("hhea", "lineGap", "ascent", "descent")):
                table = font.get_sfnt_table(table_name)
                if table is None:
                    continue
                # the same expression as Matplotlib's, so that the same floats come out
                fontsize = prop.get_size_in_points()
                units_per_em = font.get_sfnt_table("head")["unitsPerEm"]
                scale = 1 / units_per_em * fontsize * dpi / 72
                _METRICS[key] = (table[ascent_key] * scale, -table[descent_key] * scale, table[linegap_key] * scale)
                break
        return _METRICS[key]

    update_ticks = Axis._update_ticks

    def remembered_ticks(self):
        if not _SAVING:
            return update_ticks(self)
        ax = self.axes
        key = (tuple(self.get_view_interval()), tuple(self.get_data_interval()), self.get_minpos(),
               ax.bbox.bounds, ax.get_figure(root=True).dpi, id(self._scale), id(self.major.locator),
               id(self.major.formatter), id(self.minor.locator), id(self.minor.formatter))
        last = _TICKS.get(id(self))
        if last is None or last[0] != key:
            last = _TICKS[id(self)] = (key, update_ticks(self))
        return list(last[1])

    text._get_text_metrics_with_cache = metrics
    MixedModeRenderer._get_font_height_metrics = font_height_metrics
    Axis._update_ticks = remembered_ticks
    try:
        yield
    finally:
        text._get_text_metrics_with_cache = measure
        del MixedModeRenderer._get_font_height_metrics
        Axis._update_ticks = update_ticks


def render(name: str, scheme: str = "light") -> bytes:
    """Render the registered figure ``name`` to SVG bytes for one ``scheme`` (see :func:`render_schemes`)."""
    return render_schemes(name, (scheme,))[scheme]
