"""Figure numbering (a MkDocs hook, registered in mkdocs.yml under ``hooks:``).

Every figure on a page is written as::

    <figure markdown id="fig-SOMETHING">

    ![...](...)

    <figcaption>What it shows; what to look at.</figcaption>
    </figure>

and the prose refers to it as ``[Figure](#fig-SOMETHING)`` (or, on another page,
``[Figure](part-4-vanishing-gradient.md#fig-SOMETHING)``). On each page this hook numbers the figures in
document order, prefixes each caption with ``<span class="fig-number">Figure N.</span>``, and rewrites the text
of every link to a figure whose text is "Figure" (or "figure", or empty) to "Figure N". A link to an unknown
figure, a figure without an id or a caption, and a duplicate id are build warnings, so the strict build fails;
nobody ever writes a figure number by hand.

Cross-page references need the numbers of pages not rendered yet, so the numbers are first read from every
page's Markdown source (``on_files``); the rendered page is then checked against that reading.

The hook also shows figures in both colour schemes:

* **Computed figures** (``gentle_rnn.figures``) are rendered at build time, light and dark, into
  ``figures/<name>`` and ``figures/<name>-dark.svg`` (cached in ``.cache/figures`` on a hash of ``src/`` and the Matplotlib and NumPy versions; a cold build draws them
  in a child process while the rest of the build goes on). A page
  links the light one, ``![...](figures/part-4/decay.svg)``; the hook shows both with Material's
  ``#only-light`` / ``#only-dark``.
* **Hand-drawn diagrams** (``docs/assets/diagrams/*.svg``, linked as images) are inlined into the page, so that
  their colours can follow the scheme: every colour literal becomes a CSS variable with the light colour as its
  fallback, the dark values are computed by ``gentle_rnn.figures.dark_colour`` (the same rule as the plots),
  and the diagram's own ``<style>`` rules are scoped to its id.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import json
import logging
import os
import pathlib
import posixpath
import re
import shutil
import subprocess
import sys
import time

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

log = logging.getLogger("mkdocs.hooks.figures")

_FIGURE_SRC = re.compile(r"<figure\b[^>]*?\bid=\"(fig-[^\"]+)\"")
_FIGURE = re.compile(r"<figure\b([^>]*)>(.*?)</figure>", re.S)
_ID = re.compile(r"\bid=\"([^\"]*)\"")
_CAPTION = re.compile(r"<figcaption\b[^>]*>(\s*(?:<p\b[^>]*>)?)", re.S)
_LINK = re.compile(r"<a\b([^>]*?)\bhref=\"([^\"]*)#(fig-[^\"]*)\"([^>]*)>(.*?)</a>", re.S)
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)

#: {page url: {figure id: number}}, read from the Markdown sources before any page is rendered.
_NUMBERS: dict[str, dict[str, int]] = {}


def source_numbers(markdown: str) -> dict[str, int]:
    """The figure ids of a Markdown source in order of appearance, numbered from 1 (code blocks skipped)."""
    numbers: dict[str, int] = {}
    for fig_id in _FIGURE_SRC.findall(_FENCE.sub("", markdown)):
        numbers.setdefault(fig_id, len(numbers) + 1)
    return numbers


ROOT = pathlib.Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "figures"
DIAGRAMS = "assets/diagrams/"


def on_files(files, config):
    _NUMBERS.clear()
    for file in files.documentation_pages():
        if file.src_uri.endswith(".md"):
            _NUMBERS[file.url] = source_numbers(file.content_string)
    from gentle_rnn.figures import dark_name  # (the package imports Matplotlib only where it draws)

    _COMPUTED.clear()
    cache = _RENDER["dir"]
    for name in _figure_names():
        _COMPUTED[name] = dark_name(name)
        for file_name in (name, _COMPUTED[name]):  # read when MkDocs copies them, after on_env
            files.append(File.generated(config, f"figures/{file_name}", abs_src_path=str(cache / file_name)))
    return files


# ---------------------------------------------------------------------------------------------------------------
# computed figures, light and dark
#
# A cold build renders them in a child process (``python -m gentle_rnn.figures``), started in on_pre_build, so
# that Matplotlib draws on one core while the derivations' kernels and the Markdown pages use the other; the
# build waits for the drawings only in on_env, just before MkDocs copies the files. The renders are kept in
# .cache/figures/<key>/, keyed on everything they read (every file under src/, and the versions of Matplotlib
# and NumPy); a warm build reads the names from there and imports no Matplotlib at all.

#: {figure name: name of its dark render}, for the figures of gentle_rnn.figures.
_COMPUTED: dict[str, str] = {}
#: The render of this build: "dir" (its cache folder) and, while it runs, "proc" (the child) and "log".
_RENDER: dict = {}
_NAMES, _COMPLETE = "names.json", "complete"


def figure_key() -> str:
    """The cache key of the computed figures: every file under src/ and the Matplotlib and NumPy versions."""
    from importlib.metadata import version

    h = hashlib.sha256()
    for path in sorted(p for p in (ROOT / "src").rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    for dist in ("matplotlib", "numpy"):
        h.update(f"{dist}=={version(dist)}\0".encode())
    return h.hexdigest()[:16]


def on_pre_build(config):
    _stop_render()
    cache = CACHE / figure_key()
    _RENDER["dir"] = cache
    if (cache / _COMPLETE).is_file():
        return
    shutil.rmtree(cache, ignore_errors=True)  # what an interrupted render left
    cache.mkdir(parents=True)
    _RENDER["log"] = log_file = open(cache / "render.log", "w+b")
    _RENDER["proc"] = subprocess.Popen(
        [sys.executable, "-m", "gentle_rnn.figures", "--quiet", "--names", str(cache / _NAMES), str(cache)],
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
        env=dict(os.environ, MPLBACKEND="Agg"),
    )


def _failed(proc) -> PluginError:
    log_file = _RENDER["log"]
    log_file.seek(0)
    out = log_file.read().decode(errors="replace")[-4000:]
    return PluginError(f"rendering the computed figures failed (exit status {proc.returncode}):\n{out}")


def _figure_names() -> list[str]:
    """The computed figures' names: from the cache, or from the child as soon as it has written them."""
    names = _RENDER["dir"] / _NAMES
    proc = _RENDER.get("proc")
    while proc is not None and not names.is_file():
        if proc.poll() is not None and not names.is_file():
            raise _failed(proc)
        time.sleep(0.01)
    return json.loads(names.read_text())


def on_env(env, config, files):
    """Wait for the child that renders the figures (MkDocs copies them next)."""
    proc = _RENDER.pop("proc", None)
    if proc is None:
        return env
    if proc.wait() != 0:
        raise _failed(proc)
    _RENDER.pop("log").close()
    cache = _RENDER["dir"]
    missing = [n for name in _COMPUTED for n in (name, _COMPUTED[name]) if not (cache / n).is_file()]
    if missing:
        raise PluginError(f"the figure renderer did not write {missing}")
    (cache / _COMPLETE).write_text("")
    for old in CACHE.iterdir():  # renders of older sources are never read again
        if old != cache and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
    return env


def _stop_render():
    proc = _RENDER.pop("proc", None)
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait()
    if "log" in _RENDER:
        _RENDER.pop("log").close()


def on_build_error(error):
    _stop_render()


_IMG = re.compile(r"<img\b[^>]*>")
#: The box a figure's picture sits in: on a phone the picture keeps a legible width and scrolls inside it.
_MEDIA = '<span class="fig-media" tabindex="0">{}</span>'
_SRC = re.compile(r"\bsrc=\"([^\"]*)\"")


def show_both_schemes(html: str, computed: dict[str, str]) -> str:
    """Replace every ``<img src=".../figures/NAME">`` of a computed figure by its light and dark renders."""

    def img(m: re.Match) -> str:
        tag = m.group(0)
        src = _SRC.search(tag)
        if src is None or "#" in src.group(1):
            return tag
        for name, dark in computed.items():
            if src.group(1).endswith("figures/" + name):
                base = src.group(1)[: -len(name)]
                light_tag = tag.replace(src.group(0), f'src="{base}{name}#only-light"')
                dark_tag = tag.replace(src.group(0), f'src="{base}{dark}#only-dark"')
                return _MEDIA.format(light_tag + dark_tag)
        return tag

    return _IMG.sub(img, html)


# ---------------------------------------------------------------------------------------------------------------
# hand-drawn diagrams, inlined

_HEX = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")
_COLOUR_ATTR = re.compile(r"\b(fill|stroke|stop-color|color)=\"(#[0-9a-fA-F]{3,6})\"")
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_DECL_COLOUR = re.compile(r"\b(fill|stroke|stop-color|color)\s*:\s*(#[0-9a-fA-F]{3,6})\b")


def _hex6(colour: str) -> str:
    c = colour.lstrip("#").lower()
    return "".join(ch * 2 for ch in c) if len(c) == 3 else c


def _variable(prop: str, colour: str, dark: dict[str, str]) -> str:
    """``var(--dg-ROLE-HEX, #HEX)`` for one colour of a diagram, recording its dark value in ``dark``."""
    from gentle_rnn.figures import dark_colour

    role = "ink" if prop != "fill" else "fill"
    name = f"--dg-{role}-{_hex6(colour)}"
    rgb = dark_colour("#" + _hex6(colour), role)[:3]
    dark[name] = "#" + "".join(format(round(v * 255), "02x") for v in rgb)  # as matplotlib.colors.to_hex
    return f"var({name}, #{_hex6(colour)})"


def inline_diagram(svg: str, name: str) -> str:
    """The SVG file of a hand-drawn diagram as inline markup whose colours follow the colour scheme."""
    svg = re.sub(r"<\?xml[^>]*\?>|<!--.*?-->", "", svg, flags=re.S).strip()
    root_end = svg.index(">")
    root = svg[:root_end]
    ident = _ID.search(root)
    if ident is None:
        ident_value = "diagram-" + re.sub(r"[^\w-]", "-", name)
        root += f' id="{ident_value}"'
    else:
        ident_value = ident.group(1)
    width = re.search(r'\swidth="([\d.]+)(?:px)?"', root)
    root = re.sub(r'\s(?:width|height)="[^"]*"', "", root)
    root = re.sub(r'\sclass="([^"]*)"', r' class="\1 diagram"', root) if " class=" in root else root + ' class="diagram"'
    if width:
        root += f' style="max-width: {width.group(1)}px"'
    svg = root + svg[root_end:]
    dark: dict[str, str] = {}

    def scope(style: re.Match) -> str:
        def rule(r: re.Match) -> str:
            selectors = ", ".join(
                sel if sel.startswith("#" + ident_value) else f"#{ident_value} {sel}"
                for sel in (s.strip() for s in r.group(1).split(",")) if sel
            )
            body = _DECL_COLOUR.sub(lambda d: f"{d.group(1)}: {_variable(d.group(1), d.group(2), dark)}", r.group(2))
            return f"{selectors} {{{body}}}\n"

        return "<style>" + _RULE.sub(rule, style.group(1)) + "</style>"

    svg = _STYLE.sub(scope, svg)
    svg = _COLOUR_ATTR.sub(lambda a: f'{a.group(1)}="{_variable(a.group(1), a.group(2), dark)}"', svg)
    leftover = _HEX.findall(re.sub(r"var\([^)]*\)|url\(#[\w-]+\)|href=\"#[\w-]+\"", "", svg))
    if leftover:
        log.warning("diagram %s: colours %s are not in a fill/stroke attribute or rule, so they cannot follow "
                    "the dark scheme", name, sorted(set(leftover)))
    if dark:
        values = "; ".join(f"{k}: {v}" for k, v in sorted(dark.items()))
        style = f'<style>[data-md-color-scheme="slate"] #{ident_value} {{ {values} }}</style>'
        close = svg.index(">") + 1
        svg = svg[:close] + style + svg[close:]
    return svg


def inline_diagrams(html: str, docs_dir: pathlib.Path, where: str) -> str:
    """Replace every ``<img>`` of a diagram under docs/assets/diagrams/ by the diagram's inline SVG."""

    def img(m: re.Match) -> str:
        tag = m.group(0)
        src = _SRC.search(tag)
        if src is None or DIAGRAMS not in src.group(1) or not src.group(1).endswith(".svg"):
            return tag
        name = src.group(1)[src.group(1).index(DIAGRAMS) + len(DIAGRAMS):]
        path = docs_dir / DIAGRAMS / name
        if not path.is_file():
            log.warning("%s: diagram %s does not exist", where, path)
            return tag
        return _MEDIA.format(inline_diagram(path.read_text(encoding="utf-8"), name[: -len(".svg")]))

    return _IMG.sub(img, html)


_IMAGE_PARAGRAPH = re.compile(r"<p>((?:\s*<img\b[^>]*>\s*)+)</p>")


def _media_boxes(body: str) -> str:
    """Make each paragraph of images at the top level of a figure its media box (see ``_MEDIA``)."""

    def box(m: re.Match) -> str:
        before = body[: m.start()]
        if before.count("<div") != before.count("</div"):
            return m.group(0)  # inside a widget's own markup: leave it alone
        return f'<p class="fig-media" tabindex="0">{m.group(1)}</p>'

    return _IMAGE_PARAGRAPH.sub(box, body)


def number_figures(html: str, where: str, url: str = "", numbers_by_url: dict | None = None) -> str:
    """Number the figures of one rendered page and resolve its figure references (see the module docstring).

    ``where`` names the page in warnings; ``url`` is its site URL and ``numbers_by_url`` the figure numbers of
    every page by URL, for references to figures on other pages.
    """
    numbers: dict[str, int] = {}
    count = [0]

    def figure(m: re.Match) -> str:
        attrs, body = m.group(1), _media_boxes(m.group(2))
        count[0] += 1
        n = count[0]
        id_match = _ID.search(attrs)
        if id_match is None or not id_match.group(1).startswith("fig-"):
            log.warning("%s: figure %d has no id of the form fig-...; write <figure markdown id=\"fig-...\">", where, n)
        else:
            fig_id = id_match.group(1)
            if fig_id in numbers:
                log.warning("%s: figure id %r is used twice (figures %d and %d)", where, fig_id, numbers[fig_id], n)
            numbers.setdefault(fig_id, n)
        caption = _CAPTION.search(body)
        if caption is None:
            log.warning("%s: figure %d has no <figcaption> saying what it shows", where, n)
            return m.group(0)
        number = f'<span class="fig-number">Figure {n}.</span> '
        body = body[: caption.end()] + number + body[caption.end():]
        return f"<figure{attrs}>{body}</figure>"

    html = _FIGURE.sub(figure, html)
    expected = (numbers_by_url or {}).get(url)
    if expected is not None and expected != numbers:
        log.warning("%s: figures in the page (%s) differ from the figures in its source (%s)", where,
                    list(numbers), list(expected))

    def link(m: re.Match) -> str:
        before, target, fig_id, after, text = m.groups()
        if target:  # another page: resolve the relative URL against this page's URL
            target_url = posixpath.normpath(posixpath.join(posixpath.dirname("/" + url), target.split("?")[0]))
            target_url = target_url.lstrip("/")
            if target.endswith("/"):
                target_url += "/"
            table = (numbers_by_url or {}).get(target_url if target_url != "." else "")
            if table is None:
                return m.group(0)  # not a page with figures we know of (MkDocs validates the link itself)
        else:
            table = numbers
        if fig_id not in table:
            log.warning("%s: link to figure #%s, but %s has no such figure (figures: %s)", where, fig_id,
                        "that page" if target else "the page", ", ".join(table) or "none")
            return m.group(0)
        label = html_lib.unescape(text).strip()
        if label not in ("", "Figure", "figure"):
            return m.group(0)  # a link with its own words is left alone
        word = label or "Figure"
        return f'<a{before}href="{target}#{fig_id}"{after}>{word} {table[fig_id]}</a>'

    return _LINK.sub(link, html)


def on_page_content(html, page, config, files):
    html = inline_diagrams(html, pathlib.Path(config["docs_dir"]), page.file.src_uri)
    html = show_both_schemes(html, _COMPUTED)
    return number_figures(html, page.file.src_uri, page.url, _NUMBERS)
