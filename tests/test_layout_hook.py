"""hooks/layout.py: every scroll box of an article gets a tab stop, role="region" and a name, whatever other hooks
added to the wrappers first (search.py's data-search-exclude), and only inside the article."""

from __future__ import annotations

import importlib.util
import re

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("layout_hook", ROOT / "hooks" / "layout.py")
layout = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(layout)

ARTICLE = '<article class="md-content__inner md-typeset">{}</article>'
REGION = re.compile(r'tabindex="0" role="region" aria-label="([^"]+)"')


def _names(html: str) -> list[str]:
    return REGION.findall(layout.on_post_page(html, None, None))


def test_display_math_is_a_named_region_with_its_tag():
    html = ARTICLE.format('<div class="arithmatex" data-search-exclude="">\\[ a = b \\tag{3.4} \\]</div>'
                          '<div class="arithmatex">\\[ c \\]</div>')
    assert _names(html) == ["Equation (3.4)", "Equation"]


def test_notebook_displays_before_and_after_typesetting():
    html = ARTICLE.format('<p>$$x \\tag{5.17}$$</p><p>text $y$</p>'
                          '<p><mjx-container class="MathJax" display="true">...</mjx-container></p>')
    out = layout.on_post_page(html, None, None)
    assert out.count('<p class="display-math"') == 2 and "<p>text $y$</p>" in out
    assert _names(html) == ["Equation (5.17)", "Equation"]


def test_tables_code_and_outputs():
    html = ARTICLE.format(
        "<table><tr><td>1</td></tr></table>"
        '<div class="language-python highlight"><pre><span></span><code>x = 1</code></pre></div>'
        '<div class="jp-RenderedText jp-OutputArea-output" data-mime-type="text/plain" tabindex="0"><pre>1</pre></div>'
        '<div class="jp-Cell-inputWrapper" tabindex="0"></div>'
        "<p>run <code>make</code>:</p><pre><code>make test</code></pre>")
    out = layout.on_post_page(html, None, None)
    assert _names(html) == ["Table 1", "Python code", "Cell output", "Code"]
    assert '<div class="md-scrollbox" tabindex="0"' in out
    assert out.count('tabindex="0"') == 4, "the output keeps one tab stop; the input wrapper loses its own"


def test_only_the_article_is_touched():
    html = '<div class="md-search"><table></table></div>' + ARTICLE.format("")
    assert layout.on_post_page(html, None, None) == html
