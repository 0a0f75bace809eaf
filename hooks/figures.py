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
"""

from __future__ import annotations

import html as html_lib
import logging
import posixpath
import re

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


def on_files(files, config):
    _NUMBERS.clear()
    for file in files.documentation_pages():
        if file.src_uri.endswith(".md"):
            _NUMBERS[file.url] = source_numbers(file.content_string)
    return files


def number_figures(html: str, where: str, url: str = "", numbers_by_url: dict | None = None) -> str:
    """Number the figures of one rendered page and resolve its figure references (see the module docstring).

    ``where`` names the page in warnings; ``url`` is its site URL and ``numbers_by_url`` the figure numbers of
    every page by URL, for references to figures on other pages.
    """
    numbers: dict[str, int] = {}
    count = [0]

    def figure(m: re.Match) -> str:
        attrs, body = m.group(1), m.group(2)
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
    return number_figures(html, page.file.src_uri, page.url, _NUMBERS)
