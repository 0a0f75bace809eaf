"""Build-time math: every formula is typeset into the HTML the server sends (registered in mkdocs.yml).

MathJax 4 (npm registry, pinned by package.json + package-lock.json) runs in one Node process for the whole
build, ``hooks/typeset.mjs``. As MkDocs finishes each page (``on_post_page``), the pieces of HTML that hold TeX
are cut out and streamed to it:

* on Markdown pages, pymdownx.arithmatex's spans and divs (generic mode: ``\\(...\\)`` and ``\\[...\\]``);
* on the executed derivation pages, mkdocs-jupyter's Markdown and LaTeX output blocks (``.jp-RenderedMarkdown``,
  ``.jp-RenderedLatex``, with ``$...$`` and ``$$...$$``);
* figure captions (``<figcaption>`` is raw HTML, which arithmatex never sees), with ``$...$`` and ``\\(...\\)``.

Node typesets them while MkDocs renders the next pages; ``on_post_build`` splices the SVG output back into
each page and writes it, puts the page's glyph cache at the top of its article (so Material's instant
navigation swaps it in with the page), and writes the one MathJax stylesheet every page links
(``assets/mathjax/mathjax.css``). The browser loads no MathJax and typesets nothing. A TeX error or an
undefined macro is a build warning, so ``mkdocs build --strict`` fails on it.

Results are cached in ``.cache/math/`` on a hash of the page's TeX-bearing HTML and of the typesetting engine
(this file, ``typeset.mjs`` and the installed MathJax), so a warm build starts no Node process at all.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import itertools
import json
import logging
import pathlib
import re
import shutil
import subprocess
import threading

from mkdocs.exceptions import PluginError

log = logging.getLogger("mkdocs.hooks.math")

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENGINE = ROOT / "hooks" / "typeset.mjs"
MATHJAX = ROOT / "node_modules" / "mathjax"
CACHE = ROOT / ".cache" / "math"
STYLESHEET = "assets/mathjax/mathjax.css"

_ARTICLE = '<article class="md-content__inner md-typeset">'
# arithmatex wraps each formula in one element with no markup inside (the TeX is HTML-escaped text).
_ARITHMATEX = re.compile(r'<(span|div) class="arithmatex"[^>]*>.*?</\1>', re.S)
# mkdocs-jupyter's rendered Markdown cells and LaTeX outputs (they nest other divs: matched by depth below).
_NOTEBOOK_BLOCK = re.compile(r'<div class="[^"]*\bjp-Rendered(?:Markdown|Latex)\b[^"]*"[^>]*>')
_DIV_TAG = re.compile(r"<div\b|</div>")
_FIGCAPTION = re.compile(r"<figcaption\b[^>]*>.*?</figcaption>", re.S)
_DELIMITERS = ("$", "\\(", "\\[", "\\begin")


def _engine_key() -> str:
    h = hashlib.sha256()
    for path in (pathlib.Path(__file__), ENGINE, ROOT / "package-lock.json"):
        h.update(path.read_bytes())
    return h.hexdigest()


def _notebook_blocks(html: str) -> list[tuple[int, int]]:
    spans = []
    for m in _NOTEBOOK_BLOCK.finditer(html):
        if spans and m.start() < spans[-1][1]:
            continue  # nested inside the previous block
        depth = 0
        for tag in _DIV_TAG.finditer(html, m.start()):
            depth += 1 if tag.group(0) == "<div" else -1
            if depth == 0:
                spans.append((m.start(), tag.end()))
                break
        else:
            raise PluginError(f"unbalanced <div> after {html[m.start():m.start() + 120]!r}")
    return spans


def fragments(html: str) -> list[tuple[int, int]]:
    """(start, end) of every piece of ``html`` that holds TeX, in document order, not overlapping."""
    found = [m.span() for m in _ARITHMATEX.finditer(html)] + _notebook_blocks(html)
    found += [m.span() for m in _FIGCAPTION.finditer(html)]
    spans = []
    for a, b in sorted(found, key=lambda span: (span[0], -span[1])):
        if spans and a < spans[-1][1]:
            continue  # inside the previous piece (an arithmatex span in a caption): typeset with it
        if any(d in html[a:b] for d in _DELIMITERS):
            spans.append((a, b))
    return spans


def splice(html: str, spans: list[tuple[int, int]], typeset: list[str], cache: str) -> str:
    """Put the typeset fragments in place of the TeX ones and the page's glyph cache at the top of its article."""
    parts, last = [], 0
    for (a, b), new in zip(spans, typeset, strict=True):
        parts += [html[last:a], new]
        last = b
    parts.append(html[last:])
    out = "".join(parts)
    if cache:
        at = out.find(_ARTICLE)
        if at < 0:
            raise PluginError("a page with math has no Material <article> to hold its glyph cache")
        at += len(_ARTICLE)
        out = out[:at] + cache + out[at:]
    return out


def merge_css(sheets: list[str]) -> str:
    """One stylesheet holding every rule of every sheet once, in the order the rules first appear."""
    seen, rules = set(), []
    for sheet in sheets:
        for rule in re.split(r"\n\s*\n", sheet.strip()):
            if rule and rule not in seen:
                seen.add(rule)
                rules.append(rule)
    return "\n\n".join(rules) + "\n"


class _Engine:
    """The one Node process of a build: requests go in as JSON lines, replies come back on a reader thread."""

    def __init__(self):
        if shutil.which("node") is None:
            raise PluginError("Node.js is needed to typeset the math at build time: install `nodejs` and `npm`")
        self.proc = subprocess.Popen(
            ["node", str(ENGINE)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, encoding="utf-8",
        )
        self.futures: dict[int, concurrent.futures.Future] = {}
        self.lock = threading.Lock()
        self.ids = itertools.count()
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            reply = json.loads(line)
            with self.lock:
                self.futures.pop(reply["id"]).set_result(reply)
        with self.lock:  # Node exited: fail whatever is still waiting
            for future in self.futures.values():
                future.set_exception(PluginError("the MathJax process exited early:\n" + "".join(self.stderr)))
            self.futures.clear()

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.stderr.append(line)

    def submit(self, fragments: list[str]) -> concurrent.futures.Future:
        future = concurrent.futures.Future()
        with self.lock:
            request = next(self.ids)
            self.futures[request] = future
        self.proc.stdin.write(json.dumps({"id": request, "fragments": fragments}) + "\n")
        self.proc.stdin.flush()
        return future

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        for line in self.stderr:  # MathJax's own warnings (an unknown option, ...): fail the strict build
            log.warning("MathJax: %s", line.rstrip())


_STATE: dict = {}


def on_config(config):
    if not (MATHJAX / "node-main.mjs").is_file():
        raise PluginError(
            f"MathJax 4 is not installed in {MATHJAX.relative_to(ROOT)}: run `npm ci` in {ROOT} "
            "(`make serve` and `make build` do it for you)."
        )
    return config


def on_pre_build(config):
    _STATE.clear()
    _STATE.update(key=_engine_key(), engine=None, pending=[], sheets=[])


def _typeset(page, output: str, spans, texts, key: str):
    if _STATE["engine"] is None:
        _STATE["engine"] = _Engine()
    future = _STATE["engine"].submit(texts)
    _STATE["pending"].append((page, output, spans, future, key))


def on_post_page(output, page, config):
    spans = fragments(output)
    if not spans:
        return output
    texts = [output[a:b] for a, b in spans]
    key = hashlib.sha256((_STATE["key"] + "\0" + "\0".join(texts)).encode()).hexdigest()
    cached = CACHE / f"{key}.json"
    if cached.is_file():
        result = json.loads(cached.read_text(encoding="utf-8"))
        _STATE["sheets"].append(result["css"])
        return splice(output, spans, result["fragments"], result["cache"])
    _typeset(page, output, spans, texts, key)
    return output  # written now, replaced by the typeset page in on_post_build


def on_post_build(config):
    engine = _STATE.get("engine")
    for page, output, spans, future, key in _STATE.get("pending", []):
        result = future.result()
        if "fatal" in result:
            raise PluginError(f"{page.file.src_uri}: MathJax failed:\n{result['fatal']}")
        for error in result["errors"]:
            log.warning("%s: TeX error: %s", page.file.src_uri, error)
        html = splice(output, spans, result["fragments"], result["cache"])
        pathlib.Path(page.file.abs_dest_path).write_text(html, encoding="utf-8")
        _STATE["sheets"].append(result["css"])
        if not result["errors"]:  # never cache a page with errors: the next build reports them again
            CACHE.mkdir(parents=True, exist_ok=True)
            (CACHE / f"{key}.json").write_text(json.dumps(result), encoding="utf-8")
    if engine is not None:
        engine.close()
    if _STATE.get("sheets"):
        dest = pathlib.Path(config["site_dir"]) / STYLESHEET
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(merge_css(_STATE["sheets"]), encoding="utf-8")
    _STATE.clear()
