"""One meaning per symbol: every symbol a page uses is defined once on the notation page.

What a *symbol* is, precisely. The TeX of a page is every ``$...$`` and ``$$...$$`` outside code (fenced blocks
and inline code); for a derivation (``derivations/*.py``) only its Markdown cells count. In that TeX a symbol is

* a single Latin letter, or a Greek letter command (``\\alpha`` ... ``\\omega``, ``\\ell``), or the one-hot
  ``\\mathbf 1``;
* together with its decoration, if it has one: ``\\hat``, ``\\bar``, ``\\tilde``, ``\\mathbf``,
  ``\\boldsymbol``, ``\\mathcal``, ``\\mathbb`` (so ``\\hat y`` and ``y`` are two symbols);
* together with its subscript **only if the notation page defines that subscripted form** (``b_f``, ``W_z``,
  ``\\delta_\\tau``, ``\\lambda_1``). Any other subscript is an index (``h_i``, ``W_{ij}``, ``\\hat y_{y^{(t)}}``):
  it is dropped, and the letters inside it count as symbols of their own (``i``, ``j``, ``y``, ``t``).
* Superscripts never belong to a symbol: ``h^{(t)}``, ``h^{(0)}``, ``x^{[n]}`` and ``W^\\top`` are all the symbols
  ``h``, ``x``, ``W``; the letters inside a superscript (``t``, ``n``, ``u``, ``\\tau``) count on their own.
  Primes are dropped too (``h'`` is ``h``, ``t'`` is ``t``).
* Letters inside ``\\text{}``, ``\\operatorname{}``, ``\\mathrm{}``, ``\\tag{}`` and environment names are words,
  not symbols; so are commands such as ``\\tanh``, ``\\log``, ``\\Pr``, ``\\top``, ``\\ast``.

The notation page (``docs/notation.md``) defines symbols in its tables: every table whose first header cell is
``symbol`` lists, in the first cell of each row, the symbols that row defines (one ``$...$`` each, commas between
them). A symbol written there with a time step (``$h^{(t)}$``) is one that carries time steps; a table with a
``kind`` column says which symbols are time steps (kind contains "time": ``t``, ``u``, ``T``, ``\tau``, ...) and
which number examples (kind contains "example": ``n``). Sections whose heading contains "in other texts" map
our letters to other books' letters and are left out of both sides.

The checks, which together keep one meaning per symbol:

* no symbol is defined by two rows (two meanings);
* every symbol a page uses is defined;
* inside a time-step superscript ``^{(...)}`` only time-step symbols appear (``h^{(k)}`` with ``k`` a class fails);
* inside ``^{[...]}`` only example symbols appear;
* a time step is never an index subscript (``g_t``, ``x_t``: time steps go in ``^{(t)}``);
* only a symbol that the notation page writes with a time step carries one (``e^{(t)}`` fails: ``e`` is
  Euler's number).

A new part adds its letters by adding rows (or symbols to a row): nothing in this file needs to change.
"""

from __future__ import annotations

import collections
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
NOTATION = ROOT / "docs" / "notation.md"

GREEK = set(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi rho "
    "varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi "
    "Psi Omega ell".split()
)
DECORATIONS = {"hat", "bar", "tilde", "mathbf", "boldsymbol", "mathcal", "mathbb", "vec", "check", "dot"}
WORD_ARGUMENTS = {"text", "textbf", "textit", "operatorname", "mathrm", "tag", "begin", "end", "label", "mbox"}
MATH = re.compile(r"\$\$(.+?)\$\$|\$((?:[^$]|\n(?!\s*\n))+?)\$", re.S)
OTHER_TEXTS = "in other texts"


# ----------------------------------------------------------------------------------------------------------------
# reading TeX out of pages


def _strip_code(markdown: str) -> str:
    markdown = re.sub(r"^(\s*)(```|~~~).*?^\1\2[ \t]*$", "", markdown, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", markdown)


def tex_of_markdown(markdown: str) -> list[str]:
    """Every inline and displayed formula of a Markdown text, outside code."""
    return [m.group(1) if m.group(1) is not None else m.group(2) for m in MATH.finditer(_strip_code(markdown))]


def markdown_cells(script: str) -> str:
    """The Markdown cells of a Jupytext percent script, comment markers removed."""
    out, in_markdown = [], False
    for line in script.splitlines():
        if line.startswith("# %%"):
            in_markdown = "[markdown]" in line
            out.append("")
            continue
        if in_markdown and line.startswith("#"):
            out.append(line[2:] if line.startswith("# ") else line[1:])
        else:
            in_markdown = False
    return "\n".join(out)


def without_other_texts(markdown: str) -> str:
    """Drop the sections that map our letters to other texts' letters (their symbols are not ours)."""
    kept, skipping, level = [], False, 0
    for line in markdown.splitlines():
        heading = re.match(r"^(#+)\s", line)
        if heading:
            if skipping and len(heading.group(1)) <= level:
                skipping = False
            if OTHER_TEXTS in line.lower():
                skipping, level = True, len(heading.group(1))
        if not skipping:
            kept.append(line)
    return "\n".join(kept)


# ----------------------------------------------------------------------------------------------------------------
# tokens and symbols


def _tokens(tex: str) -> list[tuple[str, str]]:
    out, i = [], 0
    while i < len(tex):
        c = tex[i]
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+)|\\(.)", tex[i:], flags=re.S)
            out.append(("cmd", m.group(1) or m.group(2)))
            i += len(m.group(0))
        elif c.isalpha():
            out.append(("letter", c))
            i += 1
        elif c.isspace():
            i += 1
        else:
            out.append(("chr", c))
            i += 1
    return out


def _argument(tokens, k):
    """The argument starting at ``tokens[k]``: a braced group or one token; returns (tokens, next index)."""
    if k >= len(tokens):
        return [], k
    if tokens[k] != ("chr", "{"):
        return [tokens[k]], k + 1
    depth = 0
    for j in range(k, len(tokens)):
        if tokens[j] == ("chr", "{"):
            depth += 1
        elif tokens[j] == ("chr", "}"):
            depth -= 1
            if depth == 0:
                return tokens[k + 1 : j], j + 1
    return tokens[k + 1 :], len(tokens)


def _render(tokens) -> str:
    return "".join(("\\" + v + (" " if v.isalpha() else "")) if kind == "cmd" else v for kind, v in tokens).strip()


def _base(tokens, k):
    """The base symbol at ``tokens[k]`` (with its decoration) and the index after it, or (None, k + 1)."""
    kind, v = tokens[k]
    if kind == "letter":
        return v, k + 1
    if kind == "cmd" and v in GREEK:
        return "\\" + v, k + 1
    if kind == "cmd" and v in DECORATIONS:
        arg, nxt = _argument(tokens, k + 1)
        if len(arg) == 1 and (arg[0][0] == "letter" or arg[0] == ("chr", "1") or (arg[0][0] == "cmd" and arg[0][1] in GREEK)):
            inner = arg[0][1] if arg[0][0] != "cmd" else "\\" + arg[0][1]
            return f"\\{v} {inner}", nxt
    return None, k + 1


def occurrences(tex: str, compounds: frozenset[str] = frozenset(), keep_subscripts: bool = False):
    """Every symbol of a formula, by the rules of the module docstring, as ``(symbol, where, stepped)``.

    ``where`` says where the symbol stands: ``"top"`` (a symbol in its own right), ``"step"`` (inside a
    superscript in parentheses, a time step: the ``t`` of ``h^{(t)}``), ``"example"`` (inside ``^{[...]}``),
    ``"index"`` (directly inside an index subscript) or ``"sup"`` (inside any other superscript).
    ``stepped`` is true for a symbol that carries a time-step superscript (``h^{(t)}``).
    ``compounds`` are the subscripted symbols the notation page defines (``"b_{f}"``); ``keep_subscripts``
    (used for the notation page's symbol cells) keeps every subscript as part of the symbol.
    """
    found: list[tuple[str, str, bool]] = []

    def walk(tokens, where):
        k = 0
        while k < len(tokens):
            kind, v = tokens[k]
            if kind == "cmd" and v in WORD_ARGUMENTS:
                _, k = _argument(tokens, k + 1)
                continue
            base, nxt = _base(tokens, k)
            if base is None and kind == "cmd" and v in DECORATIONS:  # a decoration over a longer expression
                arg, k = _argument(tokens, k + 1)
                walk(arg, where)
                continue
            k = nxt
            if base is None:
                continue
            subscript, stepped = None, False
            while k < len(tokens) and tokens[k] in (("chr", "_"), ("chr", "^"), ("chr", "'")):
                mark = tokens[k][1]
                if mark == "'":
                    k += 1
                    continue
                arg, k = _argument(tokens, k + 1)
                if mark == "_":
                    subscript = arg
                elif arg[:1] == [("chr", "(")] and arg[-1:] == [("chr", ")")]:
                    stepped = True
                    walk(arg, "step")
                elif arg[:1] == [("chr", "[")] and arg[-1:] == [("chr", "]")]:
                    walk(arg, "example")
                else:
                    walk(arg, "sup")
            key = base
            if subscript is not None:
                compound = f"{base}_{{{_render(subscript)}}}"
                if keep_subscripts or compound in compounds:
                    key = compound
                else:
                    walk(subscript, "index")
            found.append((key, where, stepped))

    walk(_tokens(tex), "top")
    return found


def symbols(tex: str, compounds: frozenset[str] = frozenset(), keep_subscripts: bool = False) -> list[str]:
    """The symbols of a formula (see :func:`occurrences`)."""
    return [key for key, _, _ in occurrences(tex, compounds, keep_subscripts)]


# ----------------------------------------------------------------------------------------------------------------
# the notation page and the pages


def _table_rows(markdown: str):
    """``(header cells, row cells)`` for every body row of every Markdown table."""
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and line.startswith("|") and re.match(r"^\|[\s:|-]+\|$", lines[i + 1].strip()):
            header = [cell.strip().lower() for cell in line.strip().strip("|").split("|")]
            for row in lines[i + 2 :]:
                if not row.startswith("|"):
                    break
                yield header, [cell.strip() for cell in row.strip().strip("|").split("|")]


class Notation:
    """What the notation page defines: its symbol rows, which symbols carry a time step, the step letters."""

    def __init__(self, markdown: str):
        self.rows: dict[str, list[str]] = collections.defaultdict(list)  # symbol -> the rows defining it
        self.stepped: set[str] = set()  # symbols written with a time step, h^{(t)}
        self.kinds: dict[str, str] = {}  # symbol -> its "kind" cell, where the table has one
        for header, cells in _table_rows(without_other_texts(markdown)):
            if header[0] != "symbol":
                continue
            found = [o for tex in tex_of_markdown(cells[0]) for o in occurrences(tex, keep_subscripts=True)]
            for key in dict.fromkeys(key for key, where, _ in found if where == "top"):
                self.rows[key].append(cells[0])
                if "kind" in header:
                    self.kinds[key] = cells[header.index("kind")].lower()
            self.stepped |= {key for key, where, stepped in found if where == "top" and stepped}
        self.step_letters = {key for key, kind in self.kinds.items() if "time" in kind}
        self.example_letters = {key for key, kind in self.kinds.items() if "example" in kind}
        self.compounds = frozenset(key for key in self.rows if "_{" in key)


def page_texts() -> dict[str, str]:
    """The TeX-bearing text of every page: docs/*.md, and the Markdown cells of derivations/*.py."""
    pages = {p.relative_to(ROOT).as_posix(): p.read_text() for p in sorted((ROOT / "docs").glob("*.md"))}
    pages["docs/notation.md"] = without_other_texts(pages["docs/notation.md"])
    for p in sorted((ROOT / "derivations").glob("*.py")):
        pages[p.relative_to(ROOT).as_posix()] = markdown_cells(p.read_text())
    return pages


def problems(text: str, notation: Notation) -> list[str]:
    """What a page does against the notation page, one line per symbol and kind of problem."""
    out: dict[tuple[str, str], str] = {}
    for tex in tex_of_markdown(text):
        where_tex = tex.strip().replace("\n", " ")[:100]
        for key, where, stepped in occurrences(tex, notation.compounds):
            if key not in notation.rows:
                out.setdefault((key, "is not defined on the notation page"), where_tex)
            elif where == "step" and key not in notation.step_letters:
                out.setdefault((key, "is used as a time step but is not one"), where_tex)
            elif where == "example" and key not in notation.example_letters:
                out.setdefault((key, "is used as an example number but is not one"), where_tex)
            elif where == "index" and key in notation.step_letters:
                out.setdefault((key, "is a time step written as a subscript (time steps go in ^{(...)})"), where_tex)
            if stepped and key in notation.rows and key not in notation.stepped:
                out.setdefault((key, "carries a time step, but the notation page defines it without one"), where_tex)
    return [f"  {key} {why}:   ${tex}$" for (key, why), tex in sorted(out.items())]


NOTATION_PAGE = Notation(NOTATION.read_text())


# ----------------------------------------------------------------------------------------------------------------
# the tests


def test_the_notation_page_defines_each_symbol_once():
    twice = {key: cells for key, cells in NOTATION_PAGE.rows.items() if len(cells) > 1}
    assert not twice, "symbols defined by more than one row of docs/notation.md (two meanings):\n" + "\n".join(
        f"  {key}: rows {cells}" for key, cells in sorted(twice.items())
    )


def test_the_notation_page_names_the_time_steps():
    assert {"t", "u", "T", "\\tau"} <= NOTATION_PAGE.step_letters, NOTATION_PAGE.step_letters
    assert "n" in NOTATION_PAGE.example_letters, NOTATION_PAGE.example_letters


@pytest.mark.parametrize("page", sorted(page_texts()))
def test_every_symbol_on_the_page_is_used_as_the_notation_page_defines_it(page):
    found = problems(page_texts()[page], NOTATION_PAGE)
    assert not found, f"{page} uses symbols against docs/notation.md:\n" + "\n".join(found)


def test_the_extraction_follows_the_stated_rules():
    """The rules of the module docstring, on small formulas (so that a change to the reader cannot go unnoticed)."""
    compounds = frozenset({"b_{f}", "\\lambda_{1}", "W_{\\ast}"})
    assert sorted(symbols(r"a^{(t)} = b_f + W_\ast h^{(t-1)}", compounds)) == sorted(["a", "t", "b_{f}", "W_{\\ast}", "h", "t"])
    assert sorted(symbols(r"\hat y^{(t)}_{y^{(t)}} - \mathbf 1_i", compounds)) == sorted(["\\hat y", "t", "y", "t", "\\mathbf 1", "i"])
    assert sorted(symbols(r"\lambda_1 \lambda \operatorname{diag}(d)\, W_{ij}", compounds)) == sorted(
        ["\\lambda_{1}", "\\lambda", "d", "W", "i", "j"]
    )
    assert symbols(r"\tanh(a) \text{ for all } h' \tag{1.2}") == ["a", "h"]
    assert sorted(symbols(r"\ell = \bar h^\top h^{(t)}")) == sorted(["\\ell", "\\bar h", "h", "t"])
    assert tex_of_markdown("a $x$ and `$y$` and\n```\n$z$\n```\n$$w\n+ v$$") == ["x", "w\n+ v"]
    assert symbols(r"b_f", keep_subscripts=True) == ["b_{f}"]


# ----------------------------------------------------------------------------------------------------------------
# the hand-drawn diagrams: their labels are Unicode text, not TeX, so only the time steps are read out of them

DIAGRAMS = ROOT / "docs" / "assets" / "diagrams"
GREEK_UNICODE = dict(zip("αβγδεζηθικλμνξπρστυφχψω", "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu "
                         "nu xi pi rho sigma tau upsilon phi chi psi omega".split()))
# a one-letter symbol (possibly hatted or tilded) followed by "(step)", "(step+1)" or "(step−2)", as in h(t−1), s(u)
_DIAGRAM_STEP = re.compile(r"(?<![A-Za-zα-ω])[A-Za-zα-ω][\u0302\u0303]?\(([A-Za-zα-ω])[′']?(?:\s*[+−-]\s*\d+)?\)")


def diagram_text(svg: str) -> str:
    """The words a reader sees (and hears) in a diagram: each <text> element with its <tspan>s joined, and the
    <title> and <desc>, one line each."""
    parts = re.findall(r"<(text|title|desc)\b[^>]*>(.*?)</\1>", svg, flags=re.S)
    return "\n".join(re.sub(r"<[^>]+>", "", body) for _, body in parts)


def diagram_step_problems(text: str, step_letters: set[str]) -> list[str]:
    out = []
    for m in _DIAGRAM_STEP.finditer(text):
        letter = GREEK_UNICODE.get(m.group(1), m.group(1))
        key = "\\" + letter if len(letter) > 1 else letter
        if key not in step_letters:
            out.append(f"  {m.group(0)}: {key} is used as a time step but docs/notation.md does not make it one")
    return out


@pytest.mark.parametrize("diagram", sorted(p.name for p in DIAGRAMS.glob("*.svg")))
def test_the_diagrams_write_time_steps_with_the_pages_letters(diagram):
    found = diagram_step_problems(diagram_text((DIAGRAMS / diagram).read_text(encoding="utf-8")),
                                  NOTATION_PAGE.step_letters)
    assert not found, f"{diagram} labels time steps against docs/notation.md:\n" + "\n".join(found)


def test_the_diagram_reader_finds_time_steps():
    steps = {"t", "u", "T", "\\tau"}
    svg = '<text>h<tspan dy="-5">(k+1)</tspan></text><desc>from h(t−1) to s(u); diag(f(j)); L(3); σ(a_ζ)</desc>'
    assert diagram_text(svg) == "h(k+1)\nfrom h(t−1) to s(u); diag(f(j)); L(3); σ(a_ζ)"
    assert [p.split(":")[0].strip() for p in diagram_step_problems(diagram_text(svg), steps)] == ["h(k+1)", "f(j)"]
    assert diagram_step_problems("h(τ) x(t′) ŷ(T)", steps) == []
