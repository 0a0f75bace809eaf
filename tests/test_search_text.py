"""The search index keeps each inline formula in its sentence, as the text a reader types or reads (hooks/search.py:
``tex_to_text``), not as TeX and not as a gap: fast, no build."""

from __future__ import annotations

import importlib.util
import json

import pytest

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("search_hook_under_test", ROOT / "hooks" / "search.py")
search = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(search)


@pytest.mark.parametrize(("tex", "text"), [
    (r"\tanh'", "tanh'"),
    (r"\frac{\partial L}{\partial W^{(t)}}", "∂L/∂W^(t)"),
    (r"\tfrac{a+b}{2}", "(a+b)/2"),
    (r"\operatorname{diag}(1 - (h^{(t)})^2)\, W", "diag(1 - (h^(t))^2) W"),
    (r"W^\top \delta^{(t)}", "Wᵀδ^(t)"),
    (r"x \in \mathbb{R}^{n}", "x ∈ ℝ^n"),
    (r"\hat{y}_t = \sigma(a_t + b)", "ŷ_t = σ(a_t + b)"),
    (r"\lVert g\rVert \le \tau", "‖g‖ ≤ τ"),
    (r"\tanh x + \log(y)", "tanh x + log(y)"),
    (r"\sum_{t=1}^{T} L^{(t)}", "Σ_(t=1)^T L^(t)"),
    (r"f^{(t)} \odot c^{(t-1)}", "f^(t) ⊙ c^(t-1)"),
    (r"\mathbf{1}_y", "1_y"),
    (r"\{a, b\}", "{a, b}"),
    (r"\sqrt{d_k}", "√(d_k)"),
    (r"\begin{aligned} a &= b \\ c &= d \end{aligned}", "a = b , c = d"),
    (r"\zeta^{(t)}_{\text{new}}", "ζ^(t)_new"),
    (r"\unknownmacro{x}", "unknownmacrox"),
])
def test_tex_reads_as_text(tex, text):
    assert search.tex_to_text(tex) == text


def test_the_written_index_reads_formulas_as_text(tmp_path):
    """on_post_build rewrites the index Material wrote: inline formulas of every page become text, HTML-escaped;
    a derivation's displayed formulas are dropped and its inline ones become text; code stays as it is."""
    index = tmp_path / "search" / "search_index.json"
    index.parent.mkdir()
    docs = [
        {"location": "part-5/", "title": r"Why \(\tanh'\) matters",
         "text": r"<p>no \(\tanh'\), so; \(a &lt; b\)</p> <code>\(x\)</code>"},
        {"location": "derivations/x/", "title": "x", "text": r"<p>Here $$\frac{a}{b}$$ and $W^\top$.</p>"},
    ]
    index.write_text(json.dumps({"config": {}, "docs": docs}), encoding="utf-8")
    search.on_post_build({"site_dir": str(tmp_path)})
    part5, derivation = json.loads(index.read_text(encoding="utf-8"))["docs"]
    assert part5["title"] == "Why tanh' matters"
    assert part5["text"] == "<p>no tanh', so; a &lt; b</p> <code>x</code>"
    assert derivation["text"] == "<p>Here   and Wᵀ.</p>"


def test_only_displayed_formulas_and_code_are_left_out_of_the_index():
    html = ('<p>see <span class="arithmatex">\\(x\\)</span></p><div class="arithmatex">\\[y\\]</div>'
            '<pre><code>z</code></pre>')
    page = type("Page", (), {"file": type("File", (), {"src_uri": "part-1.md"})()})()
    out = search.on_page_content(html, page, {}, None)
    assert '<span class="arithmatex">' in out
    assert '<div class="arithmatex" data-search-exclude>' in out and "<pre data-search-exclude>" in out
