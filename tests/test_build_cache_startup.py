"""hooks/lazy_imports.py: loading mkdocs-jupyter imports neither nbconvert nor Jupytext, and both work as before
at their first use, from several threads at once (each check in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

PRELUDE = f"""
import runpy, sys
runpy.run_path({str(ROOT / "hooks" / "lazy_imports.py")!r})
"""


def _run(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", PRELUDE + code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_loading_mkdocs_jupyter_imports_neither_nbconvert_nor_jupytext():
    out = _run("""
import mkdocs_jupyter.plugin
print(sorted(m for m in sys.modules if m.split(".")[0] in ("nbconvert", "nbformat", "jupytext")
             and type(sys.modules[m]).__name__ != "_LazyModule"))
""")
    assert out.strip() == "[]", f"imported at plugin load: {out}"


def test_the_lazy_modules_work_as_the_real_ones_at_first_use():
    script = "# %% [markdown]\n# # Title\n\n# %%\nx = 1 + 1\n"
    use = f"""
import jupytext
from mkdocs_jupyter import convert
notebook = jupytext.reads({script!r}, fmt="py")
print([(cell.cell_type, cell.source) for cell in notebook.cells], convert.nb2html.__name__)
print(type(jupytext).__name__, type(convert).__name__)
"""
    lazy = _run(use)
    plain = subprocess.run([sys.executable, "-c", use], capture_output=True, text=True, check=True).stdout
    assert lazy == plain, "the lazy modules behave differently"
    assert "('code', 'x = 1 + 1')" in lazy and lazy.endswith("module module\n"), lazy


def test_a_lazy_module_loads_once_when_threads_reach_it_together():
    out = _run("""
import threading
from mkdocs_jupyter import convert
import jupytext

barrier, errors, got = threading.Barrier(4), [], []

def use(i):
    barrier.wait()
    try:
        got.append((convert.nb2html if i % 2 else jupytext.reads).__name__)
    except Exception as error:
        errors.append(repr(error))

threads = [threading.Thread(target=use, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(errors, sorted(got))
""")
    assert out.strip() == "[] ['nb2html', 'nb2html', 'reads', 'reads']", out


def test_a_name_the_module_lacks_is_still_an_attribute_error():
    out = _run("""
import jupytext
try:
    jupytext.no_such_name
except AttributeError:
    print("AttributeError", jupytext.reads.__name__)
""")
    assert out.strip() == "AttributeError reads"
