"""Keep the search index to what a reader searches for (registered in mkdocs.yml under ``hooks:``).

The search index is the largest file of the site; it is fetched when a reader first opens search
(``overrides/partials/lazy-search.js``), and its size is the wait before the first results. Three kinds of text in it are noise: the TeX source of the formulas (``\\partial L / \\partial W^{(t)}`` is not
what anyone types into a search box, and the search results showed it raw), the code cells of the executed
derivations with their output (prompts, "Copied!" labels, SymPy's printed expressions), and code listings
(``<pre>`` blocks: source embedded from ``src/``, whose functions are searchable by name and docstring on the
API page). They are marked ``data-search-exclude``, which Material's search plugin skips; the prose, the
headings and the inline ``code`` of every page, derivations included, stay searchable.
This runs on the page content before the search plugin reads it and before the math is typeset. The TeX of
the derivations' Markdown cells is plain text between dollar signs, not an element that can be marked, so it
is cut from the written index instead (``on_post_build``, which runs after the search plugin has written it).
"""

from __future__ import annotations

import json
import pathlib
import re

_EVERY_PAGE = re.compile(r'<(span|div) class="(arithmatex)"|<(pre)\b()')
# Material's search parser compares elements by tag name only, so an excluded <div> stops being excluded at the
# first nested </div>: mark the innermost elements that hold the noise (code and text outputs are <pre>, the
# copy button is <clipboard-copy>, prompts and LaTeX outputs are divs with no div inside).
_NOTEBOOK_NOISE = re.compile(
    r'<(clipboard-copy)\b()|<(div) class="((?:jp-InputPrompt|jp-OutputPrompt|clipboard-copy-txt|jp-RenderedLatex)[^"]*)"'
)


def _exclude(m: re.Match) -> str:
    tag, cls = next((m.group(i), m.group(i + 1)) for i in range(1, m.re.groups, 2) if m.group(i))
    return f'<{tag} class="{cls}" data-search-exclude' if cls else f"<{tag} data-search-exclude"


def on_page_content(html, page, config, files):
    html = _EVERY_PAGE.sub(_exclude, html)
    if page.file.src_uri.startswith("derivations/") and page.file.src_uri.endswith(".py"):
        html = _NOTEBOOK_NOISE.sub(_exclude, html)
    return html


_NOTEBOOK_TEX = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.S)


def on_post_build(config):
    index = pathlib.Path(config["site_dir"]) / "search" / "search_index.json"
    if not index.is_file():
        return
    data = json.loads(index.read_text(encoding="utf-8"))
    for doc in data["docs"]:
        if doc["location"].startswith("derivations/"):
            doc["text"] = _NOTEBOOK_TEX.sub(" ", doc["text"])
    index.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
