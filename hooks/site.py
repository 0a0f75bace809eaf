"""MkDocs build hooks for the site (registered in mkdocs.yml under ``hooks:``).

1. Derivation kernels: the Jupyter configuration they run under, and running them in the background (two at a
   time) from the start of the build, their pages rendered last.
   (The math is typeset at build time by hooks/math.py; the browser loads no MathJax.)
2. (Computed figures are rendered by ``hooks/figures.py``.)
3. Cache invalidation: mkdocs-jupyter caches executed derivations keyed on the script alone, not on the
   modules it imports; we clear that cache whenever any file under src/ (code or data) changes.
4. Notebook pages: mkdocs-jupyter wraps every executed page in JupyterLab CSS and scripts; we strip them
   (see ``_clean_notebook_page``).
5. Caches for a warm build: each page's search entries, and the compiled Jinja templates.
"""

from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import json
import logging
import os
import pathlib
import posixpath
import re

from mkdocs.exceptions import PluginError

log = logging.getLogger("mkdocs.hooks.site")

ROOT = pathlib.Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"


def _source_hash() -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in (ROOT / "src").rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(str(path.relative_to(ROOT)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


# ---------------------------------------------------------------------------------------------------------------
# 1. derivation kernels


def on_config(config):
    # mkdocs.yml ran hooks/lazy_imports.py as MkDocs read it (``extra: lazy_imports:``); what that returned (the
    # script's globals) is no setting of the site
    config["extra"].pop("lazy_imports", None)
    # Executed derivations talk to their kernel over a local socket (IPC) rather than TCP: ipykernel warns
    # about unencrypted TCP, and a strict build keeps its log free of warnings. nbconvert reads this from the
    # Jupyter config path.
    jupyter = str(ROOT / "hooks" / "jupyter")
    paths = os.environ.get("JUPYTER_CONFIG_PATH", "")
    if jupyter not in paths.split(os.pathsep):
        os.environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join(p for p in (jupyter, paths) if p)
    return config


# ---------------------------------------------------------------------------------------------------------------
# 3. cache invalidation


def on_pre_build(config):
    stamp = CACHE / "mkdocs-jupyter" / ".src-hash"
    current = _source_hash()
    if not stamp.is_file() or stamp.read_text() != current:
        removed = 0
        for cached in stamp.parent.glob("*.json"):
            cached.unlink()
            removed += 1
        if removed:
            log.info("src/ changed: cleared %d cached derivation page(s)", removed)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(current)
    _start_derivations(config)
    _cache_search_entries(config)
    _cache_compiled_templates(config)


#: How many derivations execute at once.
KERNELS_AT_ONCE = 2
#: {page src_uri: Future} of the derivations executing in the background in this build.
_RUNNING: dict[str, concurrent.futures.Future] = {}
_POOL: dict = {}


def _start_derivations(config) -> None:
    """Start executing every derivation whose page is not cached yet, in the background, two at a time.

    mkdocs-jupyter executes a notebook when it renders its page, one after another, with the build waiting.
    Here the derivations start executing in their kernels at the start of the build, filling mkdocs-jupyter's
    cache, while the rest of the build goes on (the figures draw in a child process, the Markdown pages render);
    the derivation pages are rendered last (``on_files``) and each waits for its own kernel (``on_pre_page``).
    Two kernels at a time (this machine has two cores; all six at once measured about 4 s more CPU), the
    longest scripts first, so that the slowest is not the one left running alone at the end. The pages are
    converted by mkdocs-jupyter's own functions with its own options and cache key, so the result is exactly
    what it would have produced. If those internals change, we fall back to its sequential path (same output, slower).
    """
    _RUNNING.clear()
    plugin = config["plugins"].get("mkdocs-jupyter")
    if plugin is None or not plugin.config["execute"] or not plugin.config["cache"]:
        return
    try:
        from mkdocs_jupyter import convert
        from mkdocs_jupyter.plugin import _compute_cache_key, _get_cache_path, _get_nb_toc_tokens
    except ImportError:
        log.info("mkdocs-jupyter internals changed: derivations execute one at a time")
        return
    opts = plugin.config
    todo = []
    for script in sorted((ROOT / "derivations").glob("*.py"), key=lambda p: -p.stat().st_size):
        src_uri = f"derivations/{script.name}"
        path = str(pathlib.Path(config["docs_dir"]) / src_uri)
        cache_path = _get_cache_path(opts["cache_dir"], _compute_cache_key(path, opts, True))
        if not cache_path.exists():
            todo.append((src_uri, path, cache_path))

    def run(path, cache_path):
        body = convert.nb2html(
            path, execute=True, kernel_name=opts["kernel_name"], theme=opts["theme"],
            allow_errors=opts["allow_errors"], show_input=opts["show_input"], no_input=opts["no_input"],
            no_prompt=opts["no_prompt"], remove_tag_config=opts["remove_tag_config"],
            highlight_extra_classes=opts["highlight_extra_classes"],
            include_requirejs=opts["include_requirejs"], custom_mathjax_url=opts["custom_mathjax_url"],
        )
        toc_tokens, title = _get_nb_toc_tokens(path, opts["toc_depth"])
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        partial = cache_path.with_name(cache_path.name + ".part")  # never a half-written page in the cache
        partial.write_text(json.dumps({"content": body, "toc_tokens": toc_tokens, "title": title}))
        partial.replace(cache_path)

    if todo:
        log.info("executing %d derivation(s) in the background", len(todo))
        pool = _POOL["pool"] = concurrent.futures.ThreadPoolExecutor(max_workers=min(len(todo), KERNELS_AT_ONCE))
        for src_uri, path, cache_path in todo:
            _RUNNING[src_uri] = pool.submit(run, path, cache_path)


def _derivation_pages_last(files):
    """The same files with the derivation pages at the end, so that MkDocs renders every other page while the
    kernels run (it renders pages in the order of ``files``). ``_restore_file_order`` puts them back before
    MkDocs writes the pages, the search index and the sitemap (also in that order): a cold build writes the
    same site as a warm one."""
    from mkdocs.structure.files import Files

    listed = list(files)
    last = [f for f in listed if f.src_uri in _RUNNING]
    if not last:
        return files
    _FILES["order"] = [f.src_uri for f in listed]
    return Files([f for f in listed if f.src_uri not in _RUNNING] + last)


def _restore_file_order(files) -> None:
    order = _FILES.pop("order", None)
    if order is None or [f.src_uri for f in files] == order:
        return
    by_uri = {f.src_uri: f for f in files}
    for uri in order:  # Files' own remove and append, in the original order
        files.remove(by_uri[uri])
        files.append(by_uri[uri])


def on_pre_page(page, config, files):
    """A derivation page that is executing waits for its kernel before mkdocs-jupyter renders it (from the
    cache the kernel has just filled); a failing derivation stops the build here with its error."""
    future = _RUNNING.pop(page.file.src_uri, None)
    if future is not None:
        render = page.render

        def render_when_executed(config, files):
            future.result()
            return render(config, files)

        page.render = render_when_executed
    return page


def _stop_derivations(wait: bool) -> None:
    pool = _POOL.pop("pool", None)
    if pool is not None:
        pool.shutdown(wait=wait, cancel_futures=True)
    _RUNNING.clear()


def on_post_build(config):
    _stop_derivations(wait=True)


def on_build_error(error):
    _stop_derivations(wait=True)  # a kernel already running finishes (and is shut down) before we exit


def on_files(files, config):
    _FILES.pop("order", None)
    _FILES["files"] = files = _derivation_pages_last(files)
    return files


# ---------------------------------------------------------------------------------------------------------------
# 4. clean the executed derivation pages

_ARTICLE = '<article class="md-content__inner md-typeset">'
_WRAPPER = '<div class="jupyter-wrapper">'
_TEMPLATE_JUNK = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<!--.*?-->", re.S)
_COPY_WIDGET = re.compile(
    r'<div class="zeroclipboard-container">.*?</clipboard-copy>\s*</div>|<div class="clipboard-copy-txt"[^>]*>.*?</div>',
    re.S,
)
_CODE_BLOCK = re.compile(r'<div class="highlight-ipynb (hl-[\w-]+)"><pre[^>]*>(.*?)</pre></div>', re.S)


def _clean_notebook_page(html: str) -> str:
    """Strip what nbconvert's template adds in front of the notebook, and restyle code as Material code.

    mkdocs-jupyter's template inlines about 600 KB of JupyterLab CSS, a MathJax 2 configuration with an
    empty ``<script src="">`` (which makes the browser request the page a second time), a Mermaid loader that
    would import from a CDN, and a clipboard web component. None of it is needed: hooks/math.py typesets the
    notebook's math at build time, ``stylesheets/notebook.css`` lays out the cells, and Material's own copy
    button serves code cells once they are ``<pre><code>`` blocks inside a ``.highlight`` div.
    """
    start = html.find(_ARTICLE)
    wrapper = html.find(_WRAPPER, start)
    if start < 0 or wrapper < 0:
        raise PluginError("an executed derivation page no longer has the expected nbconvert layout")
    head = _TEMPLATE_JUNK.sub("", html[start + len(_ARTICLE):wrapper])
    body = _COPY_WIDGET.sub("", html[wrapper:])
    body = _CODE_BLOCK.sub(r'<div class="highlight highlight-ipynb \1"><pre><code>\2</code></pre></div>', body)
    return html[: start + len(_ARTICLE)] + head + body


_HREF = re.compile(r'(<a\b[^>]*?\bhref=")([^"#:]+\.(?:md|py))(#[^"]*)?(")')
_FILES = {}


def _resolve_notebook_links(html: str, page) -> str:
    """Rewrite Markdown-style links in a derivation (``../part-3-bptt.md#eq-3-4``, ``rnn_bptt.py``) to URLs.

    MkDocs rewrites and validates links on Markdown pages only; notebook pages are HTML by the time MkDocs
    sees them. So we do the same here, and an unknown target fails the strict build instead of shipping a 404.
    """
    files = _FILES["files"]

    def fix(m: re.Match) -> str:
        src = posixpath.normpath(posixpath.join(posixpath.dirname(page.file.src_uri), m.group(2)))
        target = files.get_file_from_path(src)
        if target is None:  # a warning fails the strict build; a non-strict build keeps going
            log.warning("%s: link to %r, but docs/%s does not exist", page.file.src_uri, m.group(2), src)
            return m.group(0)
        return m.group(1) + target.url_relative_to(page.file) + (m.group(3) or "") + m.group(4)

    return _HREF.sub(fix, html)


def on_post_page(output, page, config):
    if page.file.src_uri.startswith("derivations/") and page.file.src_uri.endswith(".py"):
        return _resolve_notebook_links(_clean_notebook_page(output), page)
    return output


# ---------------------------------------------------------------------------------------------------------------
# 5. work a warm build would otherwise redo: caches keyed on everything their result reads

_SEARCH_CACHE = CACHE / "search"
_JINJA_CACHE = CACHE / "jinja"


def _toc_key(toc) -> list:
    return [[item.id, item.url, item.title, item.level, _toc_key(item.children)] for item in toc]


@functools.lru_cache(maxsize=None)
def _material_version() -> str:
    """Material's version (read once: each look-up scans the installed packages' metadata)."""
    from importlib.metadata import version

    return version("mkdocs-material")


def search_entries_key(page, plugin_config) -> str:
    """The key of one page's search entries: everything Material's ``add_entry_from_context`` reads (the page's
    HTML, URL, title, metadata and table of contents, the search configuration) and Material's version."""
    h = hashlib.sha256()
    for part in (_material_version(), page.url, str(page.title), json.dumps(page.meta, sort_keys=True,
                 default=repr), json.dumps(_toc_key(page.toc), default=repr),
                 json.dumps(dict(plugin_config), sort_keys=True, default=repr), page.content):
        h.update(part.encode() + b"\0")
    return h.hexdigest()


def _cache_search_entries(config) -> None:
    """Material's search plugin parses every page's HTML with ``html.parser`` to cut it into sections (a second
    or so a build); a page whose HTML and table of contents have not changed gets the entries it got last time."""
    plugin = config["plugins"].get("material/search")
    index = getattr(plugin, "search_index", None)
    if index is None or not hasattr(index, "entries"):
        return
    add = index.add_entry_from_context

    def add_cached(page):
        cached = _SEARCH_CACHE / f"{search_entries_key(page, plugin.config)}.json"
        if cached.is_file():
            index.entries.extend(json.loads(cached.read_text(encoding="utf-8")))
            return
        before = len(index.entries)
        add(page)
        _SEARCH_CACHE.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(index.entries[before:]), encoding="utf-8")

    index.add_entry_from_context = add_cached


def _cache_compiled_templates(config) -> None:
    """Jinja compiles mkdocstrings' 76 templates (about a second) at every build; its own bytecode cache keeps
    the compiled code on disk, keyed on each template's name and source (and Python's bytecode version)."""
    plugin = config["plugins"].get("mkdocstrings")
    try:
        env = plugin.handlers.get_handler("python").env
    except Exception:  # mkdocstrings' API changed: it compiles them itself, as before
        return
    import jinja2

    _JINJA_CACHE.mkdir(parents=True, exist_ok=True)
    env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(_JINJA_CACHE))


def on_env(env, config, files):
    import jinja2

    _restore_file_order(files)  # every page is rendered: write them in the order of a build that executes none

    _JINJA_CACHE.mkdir(parents=True, exist_ok=True)
    env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(_JINJA_CACHE))  # the theme's templates, likewise
    return env
