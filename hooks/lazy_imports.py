"""Start-up: nbconvert and Jupytext are imported when a notebook needs them, not when MkDocs loads mkdocs-jupyter.

mkdocs-jupyter's plugin module imports its converter (``mkdocs_jupyter.convert``, which imports nbconvert and
builds nbconvert's command-line application, every exporter included) and Jupytext at the top: about a second
of CPU at every build, a third of a warm one. A warm build converts no notebook (mkdocs-jupyter's cache holds
every executed derivation page, ``.cache/downloads`` every ``.ipynb`` download), so it needs neither. This makes
both modules lazy: each is imported as it is now, in full, at the first use of one of its attributes (a cold build's first derivation, a download to convert).

It has to run before MkDocs loads the plugins, which is before any hook is loaded, so mkdocs.yml runs it as
MkDocs reads the file (``extra: lazy_imports:``). No installed file is changed.
"""

import importlib.util
import sys
import threading
import types

#: The modules made lazy (mkdocs-jupyter reaches nbconvert through its ``convert`` module only).
LAZY = ("mkdocs_jupyter.convert", "jupytext")
_LOCK = threading.RLock()


class _LazyModule(types.ModuleType):
    """A module whose code runs at the first look-up of a name it does not have yet.

    Its ``__spec__``, ``__path__`` and ``__file__`` are set from the start, so ``import jupytext`` (which reads
    ``__spec__``) leaves it lazy; the standard library's ``LazyLoader`` would run the module there. The code
    runs once, under a lock: a second thread waits for the first, and gets the whole module."""

    def __getattr__(self, name):
        with _LOCK:
            if type(self) is _LazyModule and not vars(self).get("_lazy_running"):
                self._lazy_running = True
                try:
                    self.__spec__.loader.exec_module(self)
                finally:
                    del self._lazy_running
                self.__class__ = types.ModuleType
        return object.__getattribute__(self, name)  # a name the module really lacks: AttributeError


def _lazy(name: str) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return  # not installed: MkDocs reports that as it would without this
    module = importlib.util.module_from_spec(spec)
    module.__class__ = _LazyModule
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)


for _name in LAZY:
    _lazy(_name)
