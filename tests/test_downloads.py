"""Downloads: every derivation page offers its script and a Jupytext notebook (hooks/downloads.py), the parts
offer the exercise skeletons, and the grader's equation links point at anchors of the built pages.

The link test of test_site_build.py resolves every href of the built site (downloads included); here we check
that the links are there at all, that the files are what they claim, and that nothing generated is committed.
"""

from __future__ import annotations

import html.parser
import importlib.util
import pathlib
import re
import subprocess
import urllib.parse

import jupytext
import nbformat
import pytest

from gentle_rnn.grade import CATALOGUE

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "derivations").glob("*.py"))
MODEL_OF = {"dense_backward.py": "dense", "rnn_bptt.py": "rnn", "lstm_backward.py": "lstm"}
PARTS_WITH_EXERCISES = {"part-1-why-rnn": ["dense_backward.py"], "part-3-bptt": ["rnn_bptt.py"],
                        "part-5-lstm": ["lstm_backward.py"]}


def _hook():
    spec = importlib.util.spec_from_file_location("downloads_hook", ROOT / "hooks" / "downloads.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells]


class _Anchors(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[dict] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs)


def _parse(path: pathlib.Path) -> _Anchors:
    p = _Anchors()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def _resolve(page: pathlib.Path, href: str) -> pathlib.Path:
    return (page.parent / urllib.parse.unquote(urllib.parse.urlsplit(href).path)).resolve()


# ----------------------------------------------------------------------------------------------------------------
# without a build: the conversion itself


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_is_valid_and_has_the_scripts_cells(script):
    text = _hook().notebook(script)
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "a generated notebook has outputs"
    assert _cells(jupytext.reads(text, fmt="ipynb")) == _cells(jupytext.read(script))
    assert len(nb.cells) > 3


def test_no_notebook_is_committed():
    tracked = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True).stdout
    assert tracked.strip() == "", f"committed notebooks: {tracked}"


# ----------------------------------------------------------------------------------------------------------------
# in the built site


@pytest.mark.site
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_derivation_page_links_its_script_and_notebook(built_site, script):
    site_dir, _ = built_site
    page = site_dir / "derivations" / script.stem / "index.html"
    links = _parse(page).links
    by_target = {_resolve(page, a["href"]): a for a in links}
    py = (site_dir / "downloads" / script.name).resolve()
    nb = (site_dir / "downloads" / f"{script.stem}.ipynb").resolve()
    for target in (py, nb):
        assert target in by_target, f"{page.relative_to(site_dir)} does not link {target.name}"
        assert by_target[target].get("download"), f"the link to {target.name} is not a download link"
        assert target.is_file(), f"{target} is not in the built site"
    assert py.read_bytes() == script.read_bytes()
    downloaded = nbformat.read(nb, as_version=4)
    nbformat.validate(downloaded)
    assert _cells(jupytext.read(nb)) == _cells(jupytext.read(script))
    text = page.read_text(encoding="utf-8")
    assert "Run this derivation yourself" in text and f".venv/bin/python derivations/{script.name}" in text


@pytest.mark.site
@pytest.mark.parametrize("part", list(PARTS_WITH_EXERCISES))
def test_part_offers_its_exercise_skeleton_and_the_grader_command(built_site, part):
    site_dir, _ = built_site
    page = site_dir / part / "index.html"
    targets = {_resolve(page, a["href"]): a for a in _parse(page).links}
    text = re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8"))  # code blocks are split by highlighting
    for name in PARTS_WITH_EXERCISES[part]:
        skeleton = (site_dir / "exercises" / name).resolve()
        assert skeleton in targets and targets[skeleton].get("download"), f"{part} does not offer {name}"
        assert skeleton.read_bytes() == (ROOT / "docs" / "exercises" / name).read_bytes()
        assert f"python -m gentle_rnn.grade {MODEL_OF[name]} {name}" in text, f"{part}: no grader command"


@pytest.mark.site
def test_every_diagnosis_links_an_anchor_of_the_built_site(built_site):
    site_dir, _ = built_site
    ids: dict[str, set[str]] = {}
    missing = []
    for mistakes in CATALOGUE.values():
        for m in mistakes:
            page = m.page.removesuffix(".md")
            if page not in ids:
                ids[page] = _parse(site_dir / page / "index.html").ids
            if m.anchor not in ids[page]:
                missing.append(f"{m.bug}: {page}/#{m.anchor}")
    assert not missing, missing
