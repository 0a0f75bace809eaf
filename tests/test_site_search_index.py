"""The built search index: inline formulas read as text in their sentences, no TeX is left in the prose, and
displayed formulas, code listings and permalink signs are not indexed (hooks/search.py)."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.site

# TeX in indexed prose: a delimiter, or a command outside <code> (code may show TeX on purpose)
_TEX = re.compile(r"\\\(|\\\[|\$\$|\\(?:frac|partial|mathbf|operatorname|odot|top|tanh|sigma)\b")
_CODE = re.compile(r"<code>.*?</code>|<pre>.*?</pre>", re.S)


def _docs(built_site):
    site_dir, _ = built_site
    return json.loads((site_dir / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]


def test_no_tex_in_the_indexed_prose(built_site):
    raw = [(d["location"], m.group(0)) for d in _docs(built_site)
           for field in ("title", "text") for m in _TEX.finditer(_CODE.sub(" ", d[field]))]
    assert not raw, f"TeX left in the search index: {raw[:10]}"


def test_inline_formulas_read_in_their_sentences(built_site):
    texts = {d["location"]: d["text"] for d in _docs(built_site)}
    carousel = next(t for loc, t in texts.items() if loc.startswith("part-5-lstm/#the-constant-error-carousel"))
    assert "no recurrent weight matrix and no tanh', so" in carousel
    # a derivation's Markdown cell: its inline $...$ are text too
    assert any(loc.startswith("derivations/") and "∂L/∂" in t for loc, t in texts.items())


def test_no_permalink_sign_is_indexed(built_site):
    """A heading's permalink "¶" is not text: in a result's title it reads "carousel¶", and search suggests it."""
    marked = [d["location"] for d in _docs(built_site) if "¶" in d["title"] + d["text"]]
    assert not marked, f"permalink signs in the search index: {marked[:10]}"
