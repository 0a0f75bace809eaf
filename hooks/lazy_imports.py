"""Start-up: nbconvert and Jupytext are imported when a notebook needs them, not when MkDocs loads mkdocs-jupyter.

mkdocs-jupyter's plugin module imports its converter (``mkdocs_jupyter.convert``, which imports nbconvert and
builds nbconvert's command-line application, every exporter included) and Jupytext at the top: about a second
of CPU at every build, a third of a warm one. A warm build converts no notebook (mkdocs-jupyter's cache holds
every executed derivation page, ``.cache/downloads`` every ``.ipynb`` download), so it needs neither. This makes
both modules lazy with the standard library's ``importlib.util.LazyLoader``: each is imported as it is now, in
full, at the first use of one of its attributes (a cold build's first derivation, a download to convert).

It has to run before MkDocs loads the plugins, which is before any hook is loaded, so mkdocs.yml runs it as
MkDocs reads the file (``extra: lazy_imports:``). No installed file is changed. A lazy module loads in the thread
that first touches it; ``hooks/site.py`` touches both in the main thread before it starts the derivations'
threads (``load_notebook_tools``), so two threads never load one module at once.
"""

import importlib.util
import sys

#: The modules made lazy (mkdocs-jupyter reaches nbconvert through its ``convert`` module only).
LAZY = ("mkdocs_jupyter.convert", "jupytext")


def _lazy(name: str) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return  # not installed: MkDocs reports that as it would without this
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)


for _name in LAZY:
    _lazy(_name)
