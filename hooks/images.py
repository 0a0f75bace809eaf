"""Images that neither move the page when they arrive nor load before they are needed (listed in mkdocs.yml).

Every ``<img>`` of a page's content whose source is an SVG of this site gets the SVG's own ``width`` and
``height`` (so the browser reserves its box before the file arrives: no reflow, and a link to an anchor further
down lands where it should), ``loading="lazy"`` (a figure far below the first screen is fetched when the reader
scrolls towards it, not as part of the first load; the render of the other colour scheme, ``#only-dark`` in light
mode and ``#only-light`` in dark mode, is hidden by Material's stylesheet and so never fetched at all) and
``decoding="async"``. Images that already carry a width
or height, or whose size cannot be read, are left as they are. Material's stylesheet keeps them within the
column (``max-width: 100%`` with ``height: auto`` scales both attributes together).
"""

from __future__ import annotations

import posixpath
import re

_IMG = re.compile(r"<img\b[^>]*>", re.S)
# The source may carry a fragment: Material's ``#only-light`` / ``#only-dark`` (the file is the part before it).
_SRC = re.compile(r'\bsrc="([^"#?:]+\.svg)(?:#[^"]*)?"')
_SVG_ROOT = re.compile(rb"<svg\b[^>]*>", re.S)
_LENGTH = re.compile(r"^\s*([0-9.]+)\s*(px|pt)?\s*$")
_PX_PER = {None: 1.0, "px": 1.0, "pt": 4 / 3}
_FILES: dict = {}
_SIZES: dict[str, tuple[int, int] | None] = {}


def on_files(files, config):
    _FILES["files"] = files
    _SIZES.clear()
    return files


def _svg_size(src_uri: str) -> tuple[int, int] | None:
    if src_uri not in _SIZES:
        _SIZES[src_uri] = None
        file = _FILES["files"].get_file_from_path(src_uri)
        root = _SVG_ROOT.search(file.content_bytes[:4096]) if file is not None else None
        if root:
            attrs = dict(re.findall(r'\b(width|height)="([^"]*)"', root.group(0).decode()))
            lengths = [_LENGTH.match(attrs.get(name, "")) for name in ("width", "height")]
            if all(lengths):
                _SIZES[src_uri] = tuple(round(float(m.group(1)) * _PX_PER[m.group(2)]) for m in lengths)
    return _SIZES[src_uri]


def on_post_page(output, page, config):
    base = page.url  # the page's own folder: img sources in the output are relative to it
    start = output.find('<article class="md-content__inner md-typeset">')

    def fix(m: re.Match) -> str:
        tag = m.group(0)
        src = _SRC.search(tag)
        if src is None or re.search(r"\b(width|height|loading)=", tag):
            return tag
        size = _svg_size(posixpath.normpath(posixpath.join(base, src.group(1))))
        if size is None:
            return tag
        closing = "/>" if tag.endswith("/>") else ">"
        body = tag[: -len(closing)].rstrip()
        return f'{body} width="{size[0]}" height="{size[1]}" loading="lazy" decoding="async" {closing}'

    if start < 0:
        return output
    return output[:start] + _IMG.sub(fix, output[start:])
