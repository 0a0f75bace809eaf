"""Scroll boxes a keyboard can reach (a MkDocs hook, registered in mkdocs.yml under ``hooks:`` after site.py).

At every width the page itself never scrolls sideways: what cannot fit in the content column (a long display, a
wide table, a long line of code, a notebook output) scrolls inside its own box (``stylesheets/layout.css``). A
box that scrolls must be reachable by keyboard and say what it holds, so after each page is rendered this hook
gives every such box, in the article only, ``tabindex="0"``, ``role="region"`` and an ``aria-label``:

- display math: arithmatex's ``<div class="arithmatex">`` on Markdown pages, and on the executed derivation
  pages the Markdown paragraphs that hold only a ``$$...$$`` display (they get the class ``display-math``).
  The label is "Equation (N)" when the display carries ``\\tag{N}``;
- tables: wrapped in ``<div class="md-scrollbox">`` (Material wraps each table in its own scroll container in
  the browser, too late for a build-time attribute; layout.css lets the outer box do the scrolling);
- code blocks: the ``<code>`` inside ``<pre>`` (highlighted or not) that Material's CSS scrolls (Material's script drops the
  ``tabindex`` again where a block fits, so only blocks that scroll stay tab stops);
- notebook outputs: ``.jp-OutputArea-output`` (nbconvert already makes them focusable; they get a role and a
  name). nbconvert's ``tabindex`` on every input cell wrapper, where nothing scrolls, is removed.

Both worlds of math are handled: TeX left for MathJax in the browser, or ``<mjx-container>`` typeset at build
time, because only the wrappers are touched.
"""

from __future__ import annotations

import html
import itertools
import re

_ARTICLE = '<article class="md-content__inner md-typeset">'
_REGION = 'tabindex="0" role="region" aria-label="{}"'

_DISPLAY = re.compile(r'<div class="arithmatex"([^>]*)>(.*?)</div>', re.S)
_NOTEBOOK_DISPLAY = re.compile(
    r'<p>(\s*(?:\$\$.*?\$\$|<mjx-container\b[^>]*\bdisplay="true".*?</mjx-container>)\s*)</p>', re.S)
_TAG = re.compile(r"\\tag\{([^{}]*)\}")
_TABLE = re.compile(r"<table>.*?</table>", re.S)
# (written as two alternatives rather than an optional prefix: the same matches, twenty times faster, since the
# optional group made the engine try a <div class=...> at every "<" of the page)
_CODE = re.compile(
    r'(<div class="([^"]*\bhighlight\b[^"]*)"[^>]*>\s*<pre\b[^>]*>(?:<span></span>)?|<pre\b[^>]*>(?:<span></span>)?)<code>')
_LANGUAGE = re.compile(r"\b(?:language|hl)-([\w+-]+)")
_OUTPUT = re.compile(r'<div class="[^"]*\bjp-OutputArea-output\b[^"]*"[^>]*')
_INPUT_WRAPPER = re.compile(r'(<div class="jp-Cell-inputWrapper") tabindex="0"')


def _equation_label(tex: str) -> str:
    tag = _TAG.search(tex)
    return f"Equation ({tag.group(1)})" if tag else "Equation"


def regions(article: str) -> str:
    """Give every scroll box of an article's HTML its tabindex, role and name (see the module docstring)."""
    article = _DISPLAY.sub(
        lambda m: f'<div class="arithmatex"{m.group(1)} {_REGION.format(_equation_label(m.group(2)))}>{m.group(2)}</div>',
        article)
    article = _NOTEBOOK_DISPLAY.sub(
        lambda m: f'<p class="display-math" {_REGION.format(_equation_label(m.group(1)))}>{m.group(1)}</p>',
        article)
    tables = itertools.count(1)
    article = _TABLE.sub(
        lambda m: f'<div class="md-scrollbox" {_REGION.format(f"Table {next(tables)}")}>{m.group(0)}</div>', article)

    def code(m: re.Match) -> str:
        language = _LANGUAGE.search(m.group(2) or "")
        name = f"{language.group(1).capitalize()} code" if language and language.group(1) != "text" else "Code"
        return f"{m.group(1)}<code {_REGION.format(html.escape(name))}>"

    article = _CODE.sub(code, article)
    article = _OUTPUT.sub(lambda m: m.group(0).replace(' tabindex="0"', "") + " " + _REGION.format("Cell output"),
                          article)
    return _INPUT_WRAPPER.sub(r"\1", article)


def on_post_page(output, page, config):
    start = output.find(_ARTICLE)
    end = output.find("</article>", start)
    if start < 0 or end < 0:
        return output
    start += len(_ARTICLE)
    return output[:start] + regions(output[start:end]) + output[end:]
