"""hooks/render_cache.py: a warm build writes the site a cold build writes, re-converts every page whose inputs
changed, and still fails ``--strict`` on a broken link, anchor or cross-reference.

Each test builds a small site of its own under tmp_path (in this process: MkDocs, Material, mkdocs-autorefs,
mkdocstrings and pymdownx.snippets as the real site uses them), with a copy of the hook.
"""

from __future__ import annotations

import filecmp
import pathlib
import shutil

import pytest

from tests.conftest import ROOT

MKDOCS_YML = """\
site_name: Mini
site_url: http://127.0.0.1:8000/
theme:
  name: material
  font: false
markdown_extensions:
  - toc:
      permalink: true
  - attr_list
  - pymdownx.snippets:
      base_path: ["."]
      check_paths: true
plugins:
  - search
  - autorefs
  - mkdocstrings:
      handlers:
        python:
          paths: [src]
          options:
            show_source: false
            heading_level: 2
validation:
  anchors: warn
hooks:
  - hooks/render_cache.py
  - hooks/para.py
"""

PAGES = {
    "index.md": "# Home\n\nSee [the other page](other.md#second) and [`mini.twice`][mini.twice].\n\n"
                "```python\n--8<-- \"snippets/code.py\"\n```\n",
    "other.md": "# Other\n\nFirst.\n\n## Second\n\nBack [home](index.md).\n",
    "api.md": "# API\n\n::: mini\n",
}

MODULE = '''"""A module to document."""


def twice(x):
    """Return ``x`` doubled."""
    return 2 * x


def thrice(x):
    """Return ``x`` tripled."""
    return 3 * x
'''

# A hook whose code changes the conversion without changing any page's Markdown: a tree processor that puts a
# class on every paragraph.
PARA_HOOK = '''import markdown


class _Para(markdown.treeprocessors.Treeprocessor):
    def run(self, root):
        for p in root.iter("p"):
            p.set("class", "CLASS")


class _Extension(markdown.Extension):
    def extendMarkdown(self, md):
        md.treeprocessors.register(_Para(md), "para", 1)


def on_config(config):
    config.markdown_extensions.append(_Extension())
    return config
'''


@pytest.fixture
def mini(tmp_path, monkeypatch):
    """A small site (Markdown pages, an embedded snippet, an API page, a hook) and its builds."""
    from mkdocs.structure import pages

    root = tmp_path / "mini"
    (root / "docs").mkdir(parents=True)
    for name, text in PAGES.items():
        (root / "docs" / name).write_text(text)
    (root / "src" / "mini").mkdir(parents=True)
    (root / "src" / "mini" / "__init__.py").write_text(MODULE)
    (root / "snippets").mkdir()
    (root / "snippets" / "code.py").write_text("x = 1\n")
    (root / "hooks").mkdir()
    shutil.copy(ROOT / "hooks" / "render_cache.py", root / "hooks")
    (root / "hooks" / "para.py").write_text(PARA_HOOK.replace("CLASS", "plain"))
    (root / "mkdocs.yml").write_text(MKDOCS_YML)
    monkeypatch.chdir(root)  # the snippets' base path is relative to the working directory, as in the real build
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # the sitemap's date: the same for every build

    converted: list[str] = []
    render = pages.Page.render

    def counting_render(page, config, files):
        converted.append(page.file.src_uri)
        return render(page, config, files)

    monkeypatch.setattr(pages.Page, "render", counting_render)

    def build(site: str = "site") -> list[str]:
        """Build strictly into ``site``; return the pages whose Markdown was converted."""
        from mkdocs.commands.build import build as mkdocs_build
        from mkdocs.config import config_options, load_config

        converted.clear()
        config_options.Hooks._load_hook.cache_clear()  # MkDocs keeps every hook it loaded: load the edited one
        mkdocs_build(load_config(str(root / "mkdocs.yml"), strict=True, site_dir=str(root / site)))
        return sorted(converted)

    def cold(site: str = "cold") -> None:
        """A build with no render cache (the other caches do not apply to this site)."""
        shutil.rmtree(root / ".cache" / "render", ignore_errors=True)
        assert build(site) == sorted(p.name for p in (root / "docs").glob("*.md"))

    return type("Mini", (), {"root": root, "build": staticmethod(build), "cold": staticmethod(cold)})


def _same_tree(a: pathlib.Path, b: pathlib.Path) -> None:
    """Every file of both trees, byte for byte."""
    names_a = sorted(p.relative_to(a) for p in a.rglob("*"))
    names_b = sorted(p.relative_to(b) for p in b.rglob("*"))
    assert names_a == names_b, f"different files: {set(names_a) ^ set(names_b)}"
    different = [str(n) for n in names_a if (a / n).is_file() and not filecmp.cmp(a / n, b / n, shallow=False)]
    assert not different, f"files that differ between {a.name} and {b.name}: {different}"


def test_a_warm_build_writes_exactly_the_site_a_cold_build_writes(mini):
    mini.cold()
    assert mini.build("warm") == [], "a warm build converted Markdown again"
    _same_tree(mini.root / "cold", mini.root / "warm")
    assert (mini.root / "warm" / "objects.inv").is_file(), "mkdocstrings' inventory was not written"
    assert "mini.twice" in (mini.root / "warm" / "index.html").read_text(), "the cross-reference was lost"


EDITS = {
    # what is edited: (the edit, the pages that must be converted again)
    "a page": (lambda r: (r / "docs" / "other.md").write_text(PAGES["other.md"] + "\nMore.\n"), ["other.md"]),
    "an embedded snippet": (lambda r: (r / "snippets" / "code.py").write_text("x = 2\n"), ["index.md"]),
    "a documented docstring": (lambda r: (r / "src" / "mini" / "__init__.py").write_text(
        MODULE.replace("doubled", "times two")), ["api.md"]),
    "mkdocs.yml": (lambda r: (r / "mkdocs.yml").write_text(MKDOCS_YML.replace("permalink: true",
                                                                             'permalink: "#"')), sorted(PAGES)),
    "a hook": (lambda r: (r / "hooks" / "para.py").write_text(PARA_HOOK.replace("CLASS", "changed-by-the-hook")), sorted(PAGES)),
    "the list of files": (lambda r: (r / "docs" / "new.md").write_text("# New\n"), sorted([*PAGES, "new.md"])),
}


@pytest.mark.parametrize("what", list(EDITS))
def test_editing_an_input_converts_again_what_depends_on_it(mini, what):
    edit, expected = EDITS[what]
    mini.cold("before")
    edit(mini.root)
    assert mini.build("warm") == expected, f"after editing {what}"
    assert mini.build("warm") == [], "the new conversions were not cached"
    mini.cold("cold")
    _same_tree(mini.root / "cold", mini.root / "warm")
    assert not filecmp.cmp(mini.root / "before" / "index.html", mini.root / "cold" / "index.html") or \
        what in ("a page", "a documented docstring"), "the edit changed nothing: this case checks nothing"


def test_a_broken_link_fails_every_strict_build(mini):
    from mkdocs.exceptions import Abort

    (mini.root / "docs" / "other.md").write_text(PAGES["other.md"] + "\n[gone](missing.md)\n")
    for _ in range(2):  # the first build would have cached the page: the second must still warn
        with pytest.raises(Abort):
            mini.build()


def test_a_cached_page_still_warns_when_its_link_target_loses_an_anchor(mini):
    from mkdocs.exceptions import Abort

    mini.cold()
    (mini.root / "docs" / "other.md").write_text(PAGES["other.md"].replace("## Second", "## Later"))
    with pytest.raises(Abort):
        mini.build()  # index.md, unchanged and from the cache, links to other.md#second


def test_a_cached_page_still_warns_when_its_cross_reference_target_is_gone(mini):
    from mkdocs.exceptions import Abort

    mini.cold()
    (mini.root / "src" / "mini" / "__init__.py").write_text(MODULE.replace("def twice", "def double"))
    with pytest.raises(Abort):
        mini.build()  # index.md, unchanged and from the cache, refers to mini.twice
    (mini.root / "src" / "mini" / "__init__.py").write_text(MODULE)
    assert mini.build() == ["api.md"], "the cross-reference resolves again once its target is back"


def test_a_cached_page_still_warns_when_the_page_it_links_to_is_deleted(mini):
    from mkdocs.exceptions import Abort

    mini.cold()
    (mini.root / "docs" / "other.md").unlink()
    with pytest.raises(Abort):
        mini.build()  # index.md, unchanged, links to other.md: its links are checked against the new list of files


@pytest.fixture
def log_level():
    """Sets the level of MkDocs' logger as ``mkdocs build`` (INFO), ``--quiet`` (ERROR) or ``-v`` (DEBUG) do."""
    import logging

    logger = logging.getLogger("mkdocs")
    before = logger.level
    yield logger.setLevel
    logger.setLevel(before)


def test_a_page_cached_by_a_quiet_build_still_warns_in_a_build_that_shows_warnings(mini, log_level):
    import logging

    from mkdocs.exceptions import Abort

    (mini.root / "docs" / "other.md").write_text(PAGES["other.md"] + "\n[gone](missing.md)\n")
    log_level(logging.ERROR)  # --quiet: MkDocs sees no warning, and its strict build passes
    mini.build()
    log_level(logging.INFO)
    with pytest.raises(Abort):
        mini.build()


def test_quiet_and_normal_builds_share_the_cache(mini, log_level):
    import logging

    log_level(logging.INFO)
    mini.cold()
    log_level(logging.ERROR)
    assert mini.build() == [], "a quiet build converted pages a normal build had cached"
    log_level(logging.INFO)
    assert mini.build() == [], "the quiet build evicted the normal build's pages"
    log_level(logging.DEBUG)  # -v: MkDocs records no links to anchors, which a normal build checks
    assert mini.build() == sorted(PAGES)
    log_level(logging.INFO)
    assert mini.build() == sorted(PAGES)


def test_properdocs_warm_build_writes_the_same_site_and_still_fails_on_a_broken_link(mini):
    """ProperDocs (which builds this config too) logs as "properdocs": its warnings are heard as well."""
    import os
    import subprocess
    import sys

    properdocs = pathlib.Path(sys.executable).with_name("properdocs")

    def build(site: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(properdocs), "build", "--strict", "--site-dir", site], cwd=mini.root,
                              env=dict(os.environ, NO_MKDOCS_2_WARNING="1"), capture_output=True, text=True)

    assert build("cold").returncode == 0
    assert build("warm").returncode == 0
    _same_tree(mini.root / "cold", mini.root / "warm")
    (mini.root / "docs" / "other.md").write_text(PAGES["other.md"] + "\n[gone](missing.md)\n")
    for _ in range(2):
        proc = build("broken")
        assert proc.returncode != 0 and "missing.md" in proc.stderr, proc.stderr[-2000:]
