"""MkDocs build hook: every derivation page offers its script and a notebook for download.

For each Jupytext percent script ``derivations/NAME.py`` the site gets two generated files,

* ``downloads/NAME.py``: the script itself, which runs with plain ``python`` (it asserts every identity it
  claims and pretty-prints the formulas in a terminal);
* ``downloads/NAME.ipynb``: the same cells as a Jupyter notebook, converted by Jupytext at build time
  (never committed), without outputs: the reader's Jupyter runs it;

and the derivation page gets a visible download box under its title with both links and the one command
that runs the derivation in a clone of the repository. The links are written with the final URLs
(``File.url_relative_to``), so the link test of ``tests/test_site_build.py`` resolves them like any other.

Registered in ``mkdocs.yml`` after ``hooks/site.py`` and before ``hooks/math.py``: the box is added to the
finished page in ``on_post_page``, after site.py has cleaned the notebook page and rewritten its links, and
before math.py takes the page (which, for a page it typesets anew, writes the HTML it was handed).
"""

from __future__ import annotations

import hashlib
import html
import pathlib

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

ROOT = pathlib.Path(__file__).resolve().parent.parent
DERIVATIONS = ROOT / "derivations"
CACHE = ROOT / ".cache" / "downloads"
DOWNLOADS = "downloads"
_FILES: dict[str, dict[str, File]] = {}  # derivation page src_uri -> {"py": File, "ipynb": File}

_ARTICLE = '<article class="md-content__inner md-typeset">'


def notebook(script: pathlib.Path) -> str:
    """The Jupytext percent script as an ``.ipynb`` document (nbformat 4, no outputs).

    Kept in ``.cache/downloads`` on a hash of the script and the Jupytext version (a warm build converts none).
    """
    from importlib.metadata import version

    source = script.read_bytes()
    key = hashlib.sha256(source + b"\0" + version("jupytext").encode()).hexdigest()[:16]
    cached = CACHE / f"{script.stem}-{key}.ipynb"
    if cached.is_file():
        return cached.read_text(encoding="utf-8")
    import jupytext

    text = jupytext.writes(jupytext.reads(source.decode("utf-8"), fmt="py"), fmt="ipynb")
    CACHE.mkdir(parents=True, exist_ok=True)
    for old in CACHE.glob(f"{script.stem}-*.ipynb"):
        old.unlink()
    cached.write_text(text, encoding="utf-8")
    return text


def on_files(files, config):
    _FILES.clear()
    for script in sorted(DERIVATIONS.glob("*.py")):
        page_src = f"derivations/{script.name}"
        if files.get_file_from_path(page_src) is None:
            continue  # not part of this site (it is not under docs/derivations)
        py = File.generated(config, f"{DOWNLOADS}/{script.name}", content=script.read_bytes())
        nb = File.generated(config, f"{DOWNLOADS}/{script.stem}.ipynb", content=notebook(script).encode())
        files.append(py)
        files.append(nb)
        _FILES[page_src] = {"py": py, "ipynb": nb}
    return files


def download_box(page) -> str:
    """The HTML of the download box for a derivation page."""
    got = _FILES[page.file.src_uri]
    name = pathlib.PurePosixPath(page.file.src_uri).name
    stem = name.removesuffix(".py")
    py_url = html.escape(got["py"].url_relative_to(page.file))
    nb_url = html.escape(got["ipynb"].url_relative_to(page.file))
    return (
        '<div class="admonition info derivation-downloads">'
        '<p class="admonition-title">Run this derivation yourself</p>'
        f'<p><a class="md-button" href="{py_url}" download="{name}">Script: {name}</a> '
        f'<a class="md-button" href="{nb_url}" download="{stem}.ipynb">Notebook: {stem}.ipynb</a></p>'
        f"<p>The script is the source of this page (a Jupytext percent script): it asserts every identity it "
        f"claims and prints the formulas in a terminal. The notebook has the same cells, without outputs. "
        f"In a clone of the repository, one command runs it (<code>make test</code> or <code>make serve</code> "
        f"creates <code>.venv</code> the first time):</p>"
        f'<pre><code>.venv/bin/python derivations/{name}</code></pre>'
        f"<p>A downloaded copy runs the same way, <code>python {name}</code>, wherever the package "
        f"<code>gentle_rnn</code> is installed (<code>pip install -e .</code> in the clone).</p>"
        "</div>"
    )


def on_post_page(output, page, config):
    if page.file.src_uri not in _FILES:
        return output
    start = output.find(_ARTICLE)
    title_end = output.find("</h1>", start)
    if start < 0 or title_end < 0:
        raise PluginError(f"{page.file.src_uri}: no title found to put the download box under")
    at = title_end + len("</h1>")
    return output[:at] + download_box(page) + output[at:]
