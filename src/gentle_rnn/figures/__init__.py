"""Every figure the site shows that is computed (plots), registered by name and rendered at build time.

A figure is a function that returns a Matplotlib ``Figure``, registered with :func:`figure`::

    @figure("part-4/decay.svg")
    def decay():
        fig, ax = plt.subplots()
        ...
        return fig

The site's build hook (``hooks/site.py``) imports every module of this package, calls each registered
function and adds the SVG to the site under ``figures/<name>``, so a page links it as
``![...](figures/part-4/decay.svg)`` relative to the docs root. Nothing generated is committed.
``python -m gentle_rnn.figures OUTDIR`` writes them all to a folder, for looking at them outside the site.
"""

from __future__ import annotations

import importlib
import io
import pkgutil
from collections.abc import Callable

_REGISTRY: dict[str, Callable] = {}


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


def render(name: str) -> bytes:
    """Render the registered figure ``name`` to SVG bytes, deterministically (no date, fixed ids)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fn = load_all()[name]
    with matplotlib.rc_context({"svg.hashsalt": "gentle-rnn", "svg.fonttype": "path", "font.size": 10}):
        fig = fn()
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
        plt.close(fig)
    return buf.getvalue()
