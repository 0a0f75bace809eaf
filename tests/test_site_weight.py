"""A page's first load fetches what the page shows, and no more (issue 14: first load <= 250 KB compressed).

* Every image of a page's content is sized in the HTML (the box is reserved before the file arrives: nothing
  moves, an anchor lands where it points) and lazy (fetched when the reader scrolls towards it), the
  ``#only-light`` / ``#only-dark`` renders included (hooks/images.py).
* A page in the light scheme never fetches a dark render, and the reverse, even after scrolling through all of
  it; every render it shows does load.
* The interactive figures' modules are fetched only by the pages that hold a figure (docs/javascripts/interactive/
  main.js imports them on demand).

The search index is held back as well; tests/test_site_search.py checks that and that search still works.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.site

IMG = re.compile(r"<img\b[^>]*>")
ARTICLE = '<article class="md-content__inner md-typeset">'


def _pages(site_dir):
    return sorted(p for p in site_dir.rglob("index.html") if ARTICLE in p.read_text(encoding="utf-8"))


def test_every_content_image_is_sized_and_lazy(built_site):
    site_dir, _ = built_site
    problems, seen = [], 0
    for page in _pages(site_dir):
        html = page.read_text(encoding="utf-8")
        for tag in IMG.findall(html[html.index(ARTICLE):]):
            src = re.search(r'src="([^"]*)"', tag).group(1)
            if not src.split("#")[0].endswith(".svg") or src.startswith("data:"):
                continue
            seen += 1
            missing = [a for a in ("width=", "height=", 'loading="lazy"') if a not in tag]
            if missing:
                problems.append(f"{page.relative_to(site_dir)}: {src} lacks {', '.join(missing)}")
    assert seen > 10, "found almost no images: the test looks in the wrong place"
    assert not problems, "\n".join(problems)


# The two tests below read the page survey (tests/conftest.py), which loads every page of the sitemap at 1280
# and 390 px, light and dark, records every request path of each load under "fetched", and runs
# tests/probes/weight.js once the network is idle: at 1280 px it scrolls through the whole page.


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_page_fetches_the_render_of_its_own_scheme_only(survey, scheme):
    problems, twins, scrolled = [], 0, 0
    for (path, viewport, entry_scheme), entry in survey.items():
        weight = entry["weight"]
        if entry_scheme != scheme or weight["notLoaded"] is None:
            continue  # the other scheme, or the phone width (scrolled through at the desktop width only)
        scrolled += 1
        hidden = weight["onlyDark"] if scheme == "light" else weight["onlyLight"]
        other = "dark" if scheme == "light" else "light"
        twins += len(hidden)
        problems += [f"{path} ({viewport}): fetched the {other} render {u}" for u in hidden if u in entry["fetched"]]
        problems += [f"{path} ({viewport}): a shown image did not load: {src}" for src in weight["notLoaded"]]
    assert scrolled >= 5, "the survey scrolled through almost no page"
    assert twins > 5, "found almost no light/dark pairs: the test looks in the wrong place"
    assert not problems, "\n".join(problems)


def test_figure_modules_load_only_where_a_figure_is(survey):
    with_figure, without, problems = [], [], []
    for (path, viewport, scheme), entry in survey.items():
        where = f"{path} ({viewport}, {scheme})"
        modules = [u for u in entry["fetched"] if "/javascripts/interactive/" in u and not u.endswith("/main.js")]
        widgets = entry["weight"]["widgets"]
        if widgets:
            with_figure.append(path)
            if entry["weight"]["live"] != len(widgets):
                problems.append(f"{where}: {entry['weight']['live']} of {len(widgets)} figures mounted")
            if not modules:
                problems.append(f"{where}: has a figure but fetched no figure module")
        else:
            without.append(path)
            if modules:
                problems.append(f"{where}: has no interactive figure but fetched {modules}")
    assert with_figure and without
    assert not problems, "\n".join(problems)
