"""The figure-numbering hook (hooks/figures.py) on synthetic pages: fast, no build, no browser."""

from __future__ import annotations

import importlib.util
import logging

import pytest

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("figures_hook", ROOT / "hooks" / "figures.py")
hook = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hook)

PAGE = """<p>See <a href="#fig-b">Figure</a> and <a href="#fig-a">figure</a>, also <a href="#fig-a"></a>.</p>
<figure id="fig-a">
<p><img alt="a" src="a.svg"></p>
<figcaption>First.</figcaption>
</figure>
<p><a href="#fig-a">the first plot</a></p>
<figure id="fig-b"><p><img alt="b" src="b.svg"></p>
<figcaption>
<p>Second, with a paragraph.</p>
</figcaption>
</figure>"""


def numbered(html, **kw):
    return hook.number_figures(html, "page.md", **kw)


def test_figures_are_numbered_in_order_and_captions_prefixed(caplog):
    with caplog.at_level(logging.WARNING):
        out = numbered(PAGE)
    assert not caplog.records
    assert '<figcaption><span class="fig-number">Figure 1.</span> First.</figcaption>' in out
    assert '<p><span class="fig-number">Figure 2.</span> Second, with a paragraph.</p>' in out
    assert '<p class="fig-media" tabindex="0"><img alt="a" src="a.svg"></p>' in out  # scrolls on a phone


def test_references_get_the_number_and_keep_their_case():
    out = numbered(PAGE)
    assert '<a href="#fig-b">Figure 2</a>' in out
    assert '<a href="#fig-a">figure 1</a>' in out
    assert '<a href="#fig-a">Figure 1</a>' in out  # the empty link
    assert '<a href="#fig-a">the first plot</a>' in out  # own words are kept


@pytest.mark.parametrize(
    ("html", "message"),
    [
        (PAGE + '<a href="#fig-c">Figure</a>', "no such figure"),
        (PAGE.replace('id="fig-b"', 'id="fig-a"'), "used twice"),
        (PAGE.replace(' id="fig-b"', ""), "has no id"),
        (PAGE.replace("<figcaption>First.</figcaption>", ""), "has no <figcaption>"),
    ],
    ids=["unknown-reference", "duplicate-id", "missing-id", "missing-caption"],
)
def test_each_mistake_is_a_build_warning(caplog, html, message):
    with caplog.at_level(logging.WARNING):
        numbered(html)
    assert any(message in r.getMessage() for r in caplog.records), [r.getMessage() for r in caplog.records]


def test_cross_page_references_use_the_other_pages_numbers(caplog):
    table = {"part-4/": hook.source_numbers('x <figure markdown id="fig-p">\n<figure markdown id="fig-q">'),
             "part-3/": {}}
    html = '<a href="../part-4/#fig-q">Figure</a> <a href="../part-4/#fig-z">Figure</a>'
    with caplog.at_level(logging.WARNING):
        out = numbered(html, url="part-3/", numbers_by_url=table)
    assert '<a href="../part-4/#fig-q">Figure 2</a>' in out
    assert [r.getMessage() for r in caplog.records if "fig-z" in r.getMessage()]


def test_source_numbers_skip_code_blocks_and_match_the_rendered_page(caplog):
    source = '```html\n<figure markdown id="fig-example">\n```\n<figure markdown id="fig-a">\n<figure id="fig-b">'
    assert hook.source_numbers(source) == {"fig-a": 1, "fig-b": 2}
    with caplog.at_level(logging.WARNING):
        numbered(PAGE, url="p/", numbers_by_url={"p/": {"fig-b": 1, "fig-a": 2}})
    assert any("differ from the figures in its source" in r.getMessage() for r in caplog.records)
