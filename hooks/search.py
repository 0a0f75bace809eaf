"""Keep the search index to what a reader searches for (registered in mkdocs.yml under ``hooks:``).

The search index is the largest file of the site; it is fetched when a reader first opens search
(``overrides/partials/lazy-search.js``), and its size is the wait before the first results. Three kinds of text
in it are noise: displayed formulas (a page of TeX source is not what anyone types into a search box), the code
cells of the executed derivations with their output (prompts, "Copied!" labels, SymPy's printed expressions),
and code listings (``<pre>`` blocks: source embedded from ``src/``, whose functions are searchable by name and
docstring on the API page). They are marked ``data-search-exclude``, which Material's search plugin skips; the
prose, the headings and the inline ``code`` of every page, derivations included, stay searchable. This runs on
the page content before the search plugin reads it and before the math is typeset.

Inline formulas stay in the sentence they belong to, but not as TeX: a result's snippet would otherwise read
``no recurrent weight matrix and no \\(\\tanh'\\)`` (or, with the formula left out, "and no , so").
``on_post_build``, after the search plugin has written the index, rewrites each inline formula of every entry
as the text a reader would type or read (:func:`tex_to_text`: ``\\tanh'`` becomes ``tanh'``,
``\\frac{\\partial L}{\\partial W^{(t)}}`` becomes ``∂L/∂W^(t)``) and drops the displayed formulas of the
derivations' Markdown cells (plain text between dollar signs there, not an element that can be marked).
"""

from __future__ import annotations

import html
import json
import pathlib
import re
import unicodedata

_EVERY_PAGE = re.compile(r'<(div) class="(arithmatex)"|<(pre)\b()')
# Material's search parser compares elements by tag name only, so an excluded <div> stops being excluded at the
# first nested </div>: mark the innermost elements that hold the noise (code and text outputs are <pre>, the
# copy button is <clipboard-copy>, prompts and LaTeX outputs are divs with no div inside, a heading's permalink
# is an <a>).
_NOTEBOOK_NOISE = re.compile(
    r'<(clipboard-copy)\b()|<(div) class="((?:jp-InputPrompt|jp-OutputPrompt|clipboard-copy-txt|jp-RenderedLatex)[^"]*)"'
    r'|<(a) class="(anchor-link)"'  # nbconvert's permalink after each heading, a "¶" (Material skips its own)
)


def _exclude(m: re.Match) -> str:
    tag, cls = next((m.group(i), m.group(i + 1)) for i in range(1, m.re.groups, 2) if m.group(i))
    return f'<{tag} class="{cls}" data-search-exclude' if cls else f"<{tag} data-search-exclude"


def on_page_content(html, page, config, files):
    html = _EVERY_PAGE.sub(_exclude, html)
    if page.file.src_uri.startswith("derivations/") and page.file.src_uri.endswith(".py"):
        html = _NOTEBOOK_NOISE.sub(_exclude, html)
    return html


# Formulas in the written index: arithmatex's inline \(...\) (on every page), and the dollar-delimited TeX of
# the derivations' Markdown cells, displayed ($$...$$, dropped) or inline ($...$). In the index, text is HTML.
_INLINE = re.compile(r"\\\((.+?)\\\)", re.S)
_NOTEBOOK_TEX = re.compile(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$", re.S)


def _inline_text(m: re.Match) -> str:
    return html.escape(tex_to_text(html.unescape(m.group(m.lastindex))), quote=False)


def _searchable(text: str, notebook: bool) -> str:
    if notebook:
        text = _NOTEBOOK_TEX.sub(lambda m: " " if m.group(1) is not None else _inline_text(m), text)
    return _INLINE.sub(_inline_text, text)


def on_post_build(config):
    index = pathlib.Path(config["site_dir"]) / "search" / "search_index.json"
    if not index.is_file():
        return
    data = json.loads(index.read_text(encoding="utf-8"))
    for doc in data["docs"]:
        notebook = doc["location"].startswith("derivations/")
        doc["text"] = _searchable(doc["text"], notebook)
        doc["title"] = _searchable(doc["title"], notebook)
    index.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


# ---------------------------------------------------------------------------------------------------------------
# TeX as text: what the formulas of this site read as in a search result

_SYMBOLS = {
    # Greek
    **{name: chr(code) for name, code in (
        ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4), ("epsilon", 0x3F5),
        ("varepsilon", 0x3B5), ("zeta", 0x3B6), ("eta", 0x3B7), ("theta", 0x3B8), ("iota", 0x3B9),
        ("kappa", 0x3BA), ("lambda", 0x3BB), ("mu", 0x3BC), ("nu", 0x3BD), ("xi", 0x3BE), ("pi", 0x3C0),
        ("rho", 0x3C1), ("sigma", 0x3C3), ("tau", 0x3C4), ("upsilon", 0x3C5), ("phi", 0x3D5), ("varphi", 0x3C6),
        ("chi", 0x3C7), ("psi", 0x3C8), ("omega", 0x3C9), ("Gamma", 0x393), ("Delta", 0x394), ("Theta", 0x398),
        ("Lambda", 0x39B), ("Xi", 0x39E), ("Pi", 0x3A0), ("Sigma", 0x3A3), ("Phi", 0x3A6), ("Psi", 0x3A8),
        ("Omega", 0x3A9))},
    # operators, relations, arrows, delimiters
    "partial": "∂", "nabla": "∇", "sum": "Σ", "prod": "∏", "odot": "⊙", "oplus": "⊕", "otimes": "⊗",
    "circ": "∘", "ast": "∗", "cdot": "·", "times": "×", "pm": "±", "mp": "∓", "div": "÷", "infty": "∞",
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈", "equiv": "≡",
    "sim": "∼", "propto": "∝", "ll": "≪", "gg": "≫", "in": "∈", "notin": "∉", "subset": "⊂", "cup": "∪",
    "cap": "∩", "forall": "∀", "exists": "∃", "to": "→", "rightarrow": "→", "leftarrow": "←", "mapsto": "↦",
    "Rightarrow": "⇒", "iff": "⇔", "ell": "ℓ", "imath": "ı", "dots": "…", "ldots": "…", "cdots": "⋯",
    "vdots": "⋮", "ddots": "⋱", "lVert": "‖", "rVert": "‖", "Vert": "‖", "|": "‖", "lvert": "|",
    "rvert": "|", "vert": "|", "mid": "|", "langle": "⟨", "rangle": "⟩", "lceil": "⌈", "rceil": "⌉",
    "lfloor": "⌊", "rfloor": "⌋", "{": "{", "}": "}", "_": "_", "%": "%", "&": "&", "#": "#", "$": "$",
    "prime": "′", "top": "ᵀ", "intercal": "ᵀ", "bmod": "mod", "setminus": "∖", "emptyset": "∅",
    # spacing (and the sizes of delimiters, which read as nothing)
    ",": " ", ";": " ", ":": " ", " ": " ", "quad": " ", "qquad": " ", "!": "", "left": "", "right": "",
    "big": "", "Big": "", "bigg": "", "Bigg": "", "bigl": "", "bigr": "", "Bigl": "", "Bigr": "", "biggl": "",
    "biggr": "", "middle": "", "displaystyle": "", "textstyle": "", "limits": "", "nolimits": "",
}
#: Relations and binary operators: spaced, as they read (a letter command eats the space after it, as in TeX)
_SPACED = set("∈∉≤≥≠≈≡∼∝≪≫→←↦⇒⇔⊙⊕⊗·×±∓÷∘∗⊂∪∩∖")
#: Commands whose one argument is read as it is (a font, a box, an operator's name, a brace under a term)
_AS_IS = {"mathbf", "mathrm", "mathit", "mathsf", "mathtt", "boldsymbol", "bm", "text", "textrm", "textbf",
          "textit", "operatorname", "mathcal", "mathscr", "mathfrak", "underbrace", "overbrace", "underline",
          "overline", "mbox", "hbox", "mathop", "mathbin", "mathrel", "mathord", "boxed"}
_ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303", "widetilde": "\u0303", "bar": "\u0304",
            "vec": "\u20d7", "dot": "\u0307", "ddot": "\u0308"}
_DOUBLE_STRUCK = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ", "1": "𝟙"}
_TOKEN = re.compile(r"\\([a-zA-Z]+\s*|.)|([{}^_&~])|(\s+)|(.)", re.S)


def tex_to_text(tex: str) -> str:
    """The text a formula reads as: Unicode symbols for TeX's, ``a/b`` for a fraction, ``^`` and ``_`` for
    scripts (parenthesised unless a word or number), fonts, sizes and spacing dropped. Unknown commands
    read as their name (``\\tanh`` as ``tanh``)."""
    tokens = [(m.group(1), m.group(2), m.group(3), m.group(4)) for m in _TOKEN.finditer(tex)]
    pos = 0

    def group() -> str:
        """One argument: a {...} group, or a single token."""
        nonlocal pos
        while pos < len(tokens) and tokens[pos][2] is not None:
            pos += 1
        if pos >= len(tokens):
            return ""
        if tokens[pos][1] == "{":
            pos += 1
            return sequence(until="}")
        return atom()

    def script(body: str) -> str:
        body = body.strip()
        return body if body.isalnum() or body.startswith("(") else f"({body})"

    def atom() -> str:
        nonlocal pos
        command, special, space, char = tokens[pos]
        pos += 1
        spaced = command is not None and command[-1:].isspace()
        command = command.strip() or command if command is not None else None
        if space is not None:
            return " "
        if char is not None:
            return char
        if special == "{":
            return sequence(until="}")
        if special in ("^", "_"):
            body = group()
            if special == "^" and body.strip() in ("ᵀ", "′", "′′"):
                return body.strip()
            return special + script(body)
        if special == "&":
            return " "
        if special == "~":
            return " "
        if special == "}":
            return ""
        if command in ("frac", "tfrac", "dfrac", "cfrac"):
            top, bottom = group(), group()
            wrap = (lambda t: f"({t.strip()})" if re.search(r"[\s+\-=,·]", t.strip()) else t.strip())
            return f"{wrap(top)}/{wrap(bottom)}"
        if command == "sqrt":
            return "√" + script(group())
        if command in _ACCENTS:
            return group().strip() + _ACCENTS[command]
        if command == "mathbb":
            body = group().strip()
            return _DOUBLE_STRUCK.get(body, body)
        if command in _AS_IS:
            return group()
        if command in ("begin", "end"):
            group()
            return " "
        if command == "tag":
            return f" ({group().strip()})"
        if command == "\\":
            return ", "
        if command in _SYMBOLS:
            symbol = _SYMBOLS[command]
            return f" {symbol} " if symbol in _SPACED else symbol
        return command + (" " if spaced else "")  # a function's name (\\tanh x): keep the space TeX drops

    def sequence(until: str | None = None) -> str:
        nonlocal pos
        out = []
        while pos < len(tokens):
            if until is not None and tokens[pos][1] == until:
                pos += 1
                break
            out.append(atom())
        return "".join(out)

    text = sequence()
    return unicodedata.normalize("NFC", re.sub(r"\s+", " ", text).strip())
