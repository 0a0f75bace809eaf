"""A warm build converts no Markdown: each page's rendered HTML is cached (registered in mkdocs.yml under ``hooks:``).

What it caches. MkDocs turns every Markdown page into HTML with Python-Markdown (``Page.render``): about 1.5 s a
build for this site, the API page's mkdocstrings blocks (Griffe's loading and thousands of Jinja template calls)
a good half of it. That conversion is a pure function of what it reads, so its result is kept in
``.cache/render/<mkdocs or properdocs>/`` on a hash of all of it, and a page whose inputs have not changed gets it back instead:

* what ``render`` leaves on the page: ``content`` (the HTML), the table of contents, the title found in the
  first heading, the anchors the page holds and its links to anchors of other pages (MkDocs checks those
  after every page is rendered, so a broken anchor still warns);
* what the conversion tells other plugins, replayed in the same order: the anchors mkdocs-autorefs records
  (cross-references are resolved after rendering, from these, so an unresolved one still warns), the objects
  mkdocstrings enters in its inventory (``objects.inv``) and the handlers it used (its stylesheet);
* what the conversion logged below a warning, logged again. A page whose conversion logged a warning or an
  error is never cached: every build converts it again and says it again, so ``--strict`` still fails.

The key: the Markdown after ``on_page_markdown`` (so it follows the page and every hook that edits it), the
page's path and URL; ``mkdocs.yml`` and the configuration MkDocs built from it (Markdown extensions and their
options, every plugin's options, the theme, URL settings, link validation); the list of files with their URLs
(links are resolved against it); every file of the folders that hold the hooks and the theme overrides; the
installed packages and their versions, Python's version. An entry also says at which log level it was
recorded, and serves only builds that show no more than that (``_heard_enough``). Two inputs are known only by
rendering, so a cached page carries the list of them, each checked before the cache is used: the files
pymdownx.snippets embedded (``--8<--``, a missing one included) and, on a page with mkdocstrings blocks
(``::: name``), every Python source under the handler's ``paths``.

Pages whose ``render`` another plugin has replaced (mkdocs-jupyter's derivation pages, cached by it) are
left alone. Entries that no page of a successful build used are deleted at its end.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pathlib
import re
import sys

log = logging.getLogger("mkdocs.hooks.render_cache")

#: Bumped when what an entry holds changes.
FORMAT = "1"
_MKDOCSTRINGS_BLOCK = re.compile(r"^(?:#{1,6} *|)::: ?\S", re.M)
_STATE: dict = {}


# ---------------------------------------------------------------------------------------------------------------
# the key


def _stable(value):
    """``value`` as JSON that is the same in every process (objects by their type, never by their address)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _stable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_stable(v) for v in value]
        return sorted(items, key=json.dumps) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, type) or callable(value):
        return f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', type(value).__qualname__)}"
    return f"<{type(value).__module__}.{type(value).__qualname__}>"


def _hash_tree(h, folder: pathlib.Path, suffixes: tuple[str, ...] = ()) -> None:
    for path in sorted(folder.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file() or (suffixes and path.suffix not in suffixes):
            continue
        h.update(str(path).encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())


def _installed() -> list[str]:
    """Every installed distribution, name and version, as their metadata folders spell them."""
    found = []
    for entry in sys.path:
        if os.path.isdir(entry):
            found += [e for e in os.listdir(entry) if e.endswith((".dist-info", ".egg-info"))]
    return sorted(found)


def build_key(config, files) -> str:
    """The part of every page's key that is the same for all pages of a build."""
    config_file = config.get("config_file_path")
    h = hashlib.sha256()
    h.update(f"{FORMAT}\0{sys.version}\0".encode())
    h.update("\0".join(_installed()).encode())
    if config_file and os.path.isfile(config_file):
        h.update(pathlib.Path(config_file).read_bytes())
    plugins = {name: getattr(plugin, "config", None) for name, plugin in config["plugins"].items()}
    theme = config["theme"]
    settings = {
        "markdown_extensions": config["markdown_extensions"], "mdx_configs": config["mdx_configs"],
        "plugins": {name: dict(c) for name, c in plugins.items() if hasattr(c, "items")},
        "theme": [theme.name, dict(theme.items()) if hasattr(theme, "items") else None,
                  getattr(theme, "custom_dir", None)],
        "docs_dir": config["docs_dir"], "site_url": config["site_url"],
        "use_directory_urls": config["use_directory_urls"], "validation": config.get("validation"),
    }
    h.update(json.dumps(_stable(settings), sort_keys=True).encode())
    folders = {pathlib.Path(hook).resolve().parent for hook in config.get("hooks") or []}
    if getattr(theme, "custom_dir", None):
        folders.add(pathlib.Path(theme.custom_dir).resolve())
    for folder in sorted(folders):
        _hash_tree(h, folder)
    for file in sorted(files, key=lambda f: f.src_uri):
        h.update(f"{file.src_uri}\0{file.dest_uri}\0{file.url}\0{file.inclusion}\0".encode())
    return h.hexdigest()


def _page_key(page) -> str:
    h = hashlib.sha256()
    for part in (_STATE["key"], page.file.src_uri, page.url, page.markdown):
        h.update(part.encode() + b"\0")
    return h.hexdigest()


def _digest(path: str) -> str | None:
    try:
        return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _documented_sources(config) -> dict[str, str | None]:
    """Every Python source under the mkdocstrings Python handler's ``paths`` (the files Griffe may read)."""
    plugin = config["plugins"].get("mkdocstrings")
    handlers = (getattr(plugin, "config", None) or {}).get("handlers") or {}
    paths = (handlers.get("python") or {}).get("paths") or ["."]
    base = pathlib.Path(config.get("config_file_path") or ".").resolve().parent
    found = {}
    for entry in paths:
        for path in sorted((base / entry).rglob("*.py*")):
            if path.suffix in (".py", ".pyi") and not any(part.startswith(".") or part == "__pycache__"
                                                          for part in path.relative_to(base).parts):
                found[str(path)] = _digest(str(path))
    return found


# ---------------------------------------------------------------------------------------------------------------
# recording what a conversion tells the rest of the build


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


class _Recorder:
    """While one page converts: the calls it makes into mkdocs-autorefs, mkdocstrings and pymdownx.snippets,
    and what it logs."""

    def __init__(self, config):
        self.config = config
        self.anchors: list[list] = []
        self.inventory: list[dict] = []
        self.snippets: dict[str, str | None] = {}
        self.capture = _Capture()
        self.undo: list = []

    def __enter__(self):
        autorefs = self.config["plugins"].get("autorefs")
        if autorefs is not None:
            anchor_register = autorefs.register_anchor

            def register_anchor(page, identifier, anchor=None, *, title=None, primary=True):
                self.anchors.append([identifier, anchor, title, primary])
                return anchor_register(page, identifier, anchor, title=title, primary=primary)

            autorefs.register_anchor = register_anchor
            self.undo.append(lambda: vars(autorefs).pop("register_anchor", None))
        handlers = _handlers(self.config)
        if handlers is not None:
            inventory_register = handlers.inventory.register

            def register_item(name, domain, role, uri, priority=1, dispname=None):
                self.inventory.append(dict(name=name, domain=domain, role=role, uri=uri, priority=priority,
                                           dispname=dispname))
                return inventory_register(name, domain, role, uri, priority, dispname)

            handlers.inventory.register = register_item
            self.undo.append(lambda: vars(handlers.inventory).pop("register", None))
        try:
            from pymdownx.snippets import SnippetPreprocessor
        except ImportError:
            pass
        else:
            find = SnippetPreprocessor.get_snippet_path

            def get_snippet_path(preprocessor, path):
                found = find(preprocessor, path)
                if found is not None:
                    self.snippets[os.path.abspath(found)] = _digest(found)
                else:  # absent: the page changes when it appears
                    for base in preprocessor.base_path:
                        self.snippets[os.path.abspath(os.path.join(base, path))] = None
                return found

            SnippetPreprocessor.get_snippet_path = get_snippet_path
            self.undo.append(lambda: setattr(SnippetPreprocessor, "get_snippet_path", find))
        for name in {_STATE["tool"], "mkdocs", ""}:
            logging.getLogger(name).addHandler(self.capture)
            self.undo.append(lambda name=name: logging.getLogger(name).removeHandler(self.capture))
        return self

    def __exit__(self, *exc):
        for undo in reversed(self.undo):
            undo()


def _handlers(config):
    plugin = config["plugins"].get("mkdocstrings")
    return getattr(plugin, "_handlers", None)


# ---------------------------------------------------------------------------------------------------------------
# the page's render, cached


def _toc_tokens(items) -> list[dict]:
    return [{"level": i.level, "id": i.id, "name": i.title, "children": _toc_tokens(i.children)} for i in items]


def _save(page, recorder: _Recorder, deps: dict) -> dict:
    links = getattr(page, "links_to_anchors", None)
    handlers = _handlers(recorder.config)
    return {
        "deps": deps,
        "content": page.content,
        "toc": _toc_tokens(page.toc),
        "title": page._title_from_render,
        "present_anchor_ids": sorted(page.present_anchor_ids or ()),
        "links_to_anchors": None if links is None else [[f.src_uri, anchors] for f, anchors in links.items()],
        "anchors": recorder.anchors,
        "inventory": recorder.inventory,
        "handlers": sorted(getattr(handlers, "_handlers", None) or ()) if recorder.mkdocstrings else [],
        "log": [[r.name, r.levelno, r.getMessage()] for r in recorder.capture.records],
    }


def _restore(page, entry: dict, config, files) -> None:
    from mkdocs.structure.toc import get_toc

    page.content = entry["content"]
    page.toc = get_toc(entry["toc"])
    page._title_from_render = entry["title"]
    page.present_anchor_ids = set(entry["present_anchor_ids"])
    if entry["links_to_anchors"] is not None:
        page.links_to_anchors = {files.get_file_from_path(uri): anchors for uri, anchors in entry["links_to_anchors"]}
    autorefs = config["plugins"].get("autorefs")
    for identifier, anchor, title, primary in entry["anchors"]:
        autorefs.register_anchor(page, identifier, anchor, title=title, primary=primary)
    handlers = _handlers(config)
    for name in entry["handlers"]:
        handlers.get_handler(name)
    for item in entry["inventory"]:
        handlers.inventory.register(**item)
    for name, level, message in entry["log"]:
        logging.getLogger(name).log(level, "%s", message)


def _heard_enough(recorded: int, level: int) -> bool:
    """Whether a conversion recorded at log level ``recorded`` serves a build at ``level``: it logged everything
    this build would show (``mkdocs build --quiet`` hides warnings, so a page recorded under it is converted
    again by a build that shows them), and MkDocs recorded the links to other pages' anchors as this build
    does (it leaves them out at the debug level)."""
    return recorded <= level and (recorded > logging.DEBUG) == (level > logging.DEBUG)


def _fresh(entry: dict) -> bool:
    return all(_digest(path) == digest for path, digest in entry["deps"].items())


def _cached_render(page, render):
    def cached_render(config, files):
        if "key" not in _STATE:  # the files as the pages see them, after every plugin's on_files
            _STATE["key"] = build_key(config, files)
        key = _page_key(page)
        path = _STATE["dir"] / f"{key}.json"
        _STATE["used"].add(path.name)
        level = logging.getLogger(_STATE["tool"]).getEffectiveLevel()
        if path.is_file():
            entry = json.loads(path.read_text(encoding="utf-8"))
            if _fresh(entry) and _heard_enough(entry["level"], level):
                _restore(page, entry, config, files)
                return
        with _Recorder(config) as recorder:
            render(config, files)
        recorder.mkdocstrings = bool(_MKDOCSTRINGS_BLOCK.search(page.markdown))
        if any(r.levelno >= logging.WARNING for r in recorder.capture.records):
            path.unlink(missing_ok=True)  # converted again, and warns again, at every build
            return
        deps = dict(recorder.snippets)
        if recorder.mkdocstrings:
            deps.update(_documented_sources(config))
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_text(json.dumps({"level": level, **_save(page, recorder, deps)}), encoding="utf-8")
        partial.replace(path)

    return cached_render


def on_pre_build(config):
    base = pathlib.Path(config.get("config_file_path") or ".").resolve().parent
    # MkDocs, or ProperDocs (which serves ``mkdocs.*`` imports from its own modules and logs as "properdocs"):
    # each keeps its own entries, and its own logger is the one listened to
    tool = type(config).__module__.split(".")[0]
    _STATE.clear()
    _STATE.update(dir=base / ".cache" / "render" / tool, used=set(), tool=tool)


def on_pre_page(page, config, files):
    if "render" not in vars(page) and "dir" in _STATE:  # another plugin's render (a notebook) is its own business
        page.render = _cached_render(page, page.render)
    return page


def on_post_build(config):
    folder = _STATE.get("dir")
    if folder is not None and folder.is_dir():
        for entry in folder.glob("*.json"):
            if entry.name not in _STATE["used"]:
                entry.unlink()
    _STATE.clear()
