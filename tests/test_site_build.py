"""The site builds strictly with no warning, every derivation runs with plain python, and links resolve."""

from __future__ import annotations

import html.parser
import os
import pathlib
import re
import subprocess
import sys
import urllib.parse

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DERIVATIONS = sorted((ROOT / "derivations").glob("*.py"))

pytestmark = pytest.mark.site


def test_strict_build_log_has_no_warning(built_site):
    _, log = built_site
    warnings = [line for line in log.splitlines() if "WARNING" in line or "warning:" in line.lower()]
    assert not warnings, "the build log holds warnings:\n" + "\n".join(warnings)


def test_properdocs_builds_the_same_config(tmp_path):
    """ProperDocs, the maintained drop-in fork of MkDocs 1.x, builds mkdocs.yml strictly as well."""
    properdocs = pathlib.Path(sys.executable).with_name("properdocs")
    assert properdocs.is_file(), "properdocs is part of the test extra: pip install -e '.[test]'"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run(
        [str(properdocs), "build", "--strict", "-f", "mkdocs.yml", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"properdocs build --strict failed:\n{log[-4000:]}"
    assert (tmp_path / "site" / "index.html").is_file()
    assert not [line for line in log.splitlines() if "WARNING" in line], log[-4000:]


def test_every_derivation_is_rendered(built_site):
    site_dir, _ = built_site
    for script in DERIVATIONS:
        page = site_dir / "derivations" / script.stem / "index.html"
        assert page.is_file(), f"{script.name} was not rendered to {page.relative_to(site_dir)}"
        text = page.read_text(encoding="utf-8")
        assert "jp-OutputArea" in text, f"{script.name}: the rendered page shows no executed output"


@pytest.mark.parametrize("script", DERIVATIONS, ids=[p.stem for p in DERIVATIONS])
def test_derivation_runs_with_plain_python(script):
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"{script.name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert "<IPython.core.display" not in proc.stdout, f"{script.name} prints display objects in a terminal"


# ---------------------------------------------------------------------------------------------------------------
# internal links and anchors


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            if tag in ("a", "link", "script", "img", "source") and attrs.get(key):
                self.links.append(attrs[key])


def _parse(path: pathlib.Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _target(site_dir: pathlib.Path, page: pathlib.Path, url: str) -> tuple[pathlib.Path, str] | None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("mailto:", "data:", "javascript:")):
        return None  # external link: may be visited by a reader, is never loaded by the site itself
    path = urllib.parse.unquote(parts.path)
    if not path:
        target = page
    elif path.startswith("/"):
        target = site_dir / path.lstrip("/")
    else:
        target = (page.parent / path).resolve()
    if target.is_dir() or path.endswith("/"):
        target = target / "index.html"
    return target, urllib.parse.unquote(parts.fragment)


def test_internal_links_and_anchors_resolve(built_site):
    site_dir, _ = built_site
    site_dir = site_dir.resolve()
    pages = sorted(site_dir.rglob("*.html"))
    assert len(pages) > 3
    parsed = {page: _parse(page) for page in pages}
    broken = []
    checked = 0
    for page, links in parsed.items():
        for url in links.links:
            resolved = _target(site_dir, page, url)
            if resolved is None:
                continue
            target, fragment = resolved
            checked += 1
            where = f"{page.relative_to(site_dir)} -> {url}"
            if not target.is_file():
                broken.append(f"{where}: no file {target}")
                continue
            if fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if fragment not in ids:
                    broken.append(f"{where}: no anchor #{fragment}")
    assert checked > 50
    assert not broken, f"{len(broken)} broken internal link(s):\n" + "\n".join(broken[:40])


def test_site_references_no_third_party_host_in_assets(built_site):
    """Scripts, stylesheets, fonts and images the pages load are all local (the browser test proves it live)."""
    site_dir, _ = built_site
    offenders = []
    pattern = re.compile(r"""<(?:script|link|img|source|iframe)\b[^>]*\b(?:src|href)=["'](https?:)?//""", re.I)
    for page in site_dir.rglob("*.html"):
        for m in pattern.finditer(page.read_text(encoding="utf-8")):
            tag = m.group(0)
            if 'rel="canonical"' in tag or "rel=canonical" in tag:
                continue
            offenders.append(f"{page.relative_to(site_dir)}: {tag[:120]}")
    assert not offenders, "\n".join(offenders[:20])
