"""The build's caches (hooks/site.py, hooks/figures.py, gentle_rnn.figures) are invalidated by every input they
read, and what they return is what the uncached path returns: fast, no build, no browser."""

from __future__ import annotations

import importlib.util
import io
import pathlib
import subprocess
import sys
import types

import pytest

from tests.conftest import ROOT


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"{name}_hook_under_test", ROOT / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tree(tmp_path: pathlib.Path) -> pathlib.Path:
    """A repository in miniature: src/ with a module and a figure module, two derivations, docs/derivations."""
    root = tmp_path / "repo"
    (root / "src" / "gentle_rnn" / "figures").mkdir(parents=True)
    (root / "src" / "gentle_rnn" / "model.py").write_text("W = 1\n")
    (root / "src" / "gentle_rnn" / "figures" / "part9.py").write_text("# draws a line\n")
    (root / "derivations").mkdir()
    for name in ("alpha", "beta"):
        (root / "derivations" / f"{name}.py").write_text(f"# %% [markdown]\n# # {name}\n\n# %%\nx = 1\n")
    (root / "docs").mkdir()
    (root / "docs" / "derivations").symlink_to(root / "derivations")
    return root


# ---------------------------------------------------------------------------------------------------------------
# derivations: a derivation re-executes when a module it imports changes, and only then


@pytest.fixture
def site_hook(tmp_path, monkeypatch):
    """hooks/site.py on a miniature repository, with mkdocs-jupyter's executor replaced by a recorder."""
    from mkdocs_jupyter import convert
    from mkdocs_jupyter import plugin as jupyter_plugin

    root = _tree(tmp_path)
    hook = _load("site")
    monkeypatch.setattr(hook, "ROOT", root)
    monkeypatch.setattr(hook, "CACHE", root / ".cache")
    monkeypatch.setattr(hook, "_SEARCH_CACHE", root / ".cache" / "search")
    monkeypatch.setattr(hook, "_JINJA_CACHE", root / ".cache" / "jinja")
    executed = []

    def nb2html(path, execute, **options):
        assert execute
        executed.append(pathlib.Path(path).name)
        return f"<p>executed {pathlib.Path(path).name}</p>"

    monkeypatch.setattr(convert, "nb2html", nb2html)
    monkeypatch.setattr(jupyter_plugin, "_get_nb_toc_tokens", lambda path, depth: ([], None))
    plugin = jupyter_plugin.Plugin()
    errors, warnings = plugin.load_config({"include": ["derivations/*.py"], "execute": True,
                                           "cache_dir": str(root / ".cache" / "mkdocs-jupyter")})
    assert not errors and not warnings
    config = {"plugins": {"mkdocs-jupyter": plugin}, "docs_dir": str(root / "docs")}

    def build() -> list[str]:
        executed.clear()
        hook.on_pre_build(config)
        futures = list(hook._RUNNING.values())
        for future in futures:
            future.result()
        hook.on_post_build(config)
        return sorted(executed)

    return types.SimpleNamespace(root=root, build=build, hook=hook, config=config)


def test_a_derivation_reexecutes_when_a_module_it_imports_changes(site_hook):
    assert site_hook.build() == ["alpha.py", "beta.py"], "a cold build executes every derivation"
    assert site_hook.build() == [], "a warm build executes none (their pages are cached)"
    (site_hook.root / "src" / "gentle_rnn" / "model.py").write_text("W = 2\n")
    assert site_hook.build() == ["alpha.py", "beta.py"], "a change under src/ must re-execute every derivation"
    assert site_hook.build() == []


def test_a_derivation_reexecutes_when_its_script_changes(site_hook):
    site_hook.build()
    (site_hook.root / "derivations" / "beta.py").write_text("# %%\nx = 2\n")
    assert site_hook.build() == ["beta.py"]


def test_a_new_data_file_under_src_reexecutes_the_derivations(site_hook):
    site_hook.build()
    (site_hook.root / "src" / "gentle_rnn" / "data.json").write_text("{}")
    assert site_hook.build() == ["alpha.py", "beta.py"]


def test_derivation_pages_render_last_and_wait_for_their_kernel(site_hook, monkeypatch):
    import threading

    from mkdocs.structure.files import File, Files
    from mkdocs_jupyter import convert

    executing = convert.nb2html
    gate = threading.Event()  # the kernels finish only once the page is already waiting for them

    def slow(path, **options):
        gate.wait(timeout=30)
        return executing(path, **options)

    monkeypatch.setattr(convert, "nb2html", slow)
    threading.Timer(0.3, gate.set).start()
    hook = site_hook.hook
    hook.on_pre_build(site_hook.config)
    names = ["index.md", "derivations/alpha.py", "part-1.md", "derivations/beta.py", "reference/api.md"]
    files = Files([File(n, src_dir=str(site_hook.root / "docs"), dest_dir="/tmp/site", use_directory_urls=True)
                   for n in names])
    reordered = hook.on_files(files, site_hook.config)
    ordered = [f.src_uri for f in reordered]
    assert ordered == ["index.md", "part-1.md", "reference/api.md", "derivations/alpha.py", "derivations/beta.py"]
    future = hook._RUNNING["derivations/beta.py"]
    rendered = []
    page = types.SimpleNamespace(file=types.SimpleNamespace(src_uri="derivations/beta.py"),
                                 render=lambda config, files: rendered.append(future.done()))
    hook.on_pre_page(page, site_hook.config, files).render(site_hook.config, files)
    assert rendered == [True], "the page rendered before its derivation had finished executing"
    hook.on_env(types.SimpleNamespace(), site_hook.config, reordered)
    assert [f.src_uri for f in reordered] == names, \
        "the pages are written (sitemap, search index) in another order than a warm build writes them"
    hook.on_post_build(site_hook.config)


def test_a_failing_derivation_fails_its_page(site_hook, monkeypatch):
    from mkdocs_jupyter import convert

    def broken(path, **options):
        raise RuntimeError(f"cell failed in {pathlib.Path(path).name}")

    monkeypatch.setattr(convert, "nb2html", broken)
    hook = site_hook.hook
    hook.on_pre_build(site_hook.config)
    page = types.SimpleNamespace(file=types.SimpleNamespace(src_uri="derivations/alpha.py"),
                                 render=lambda config, files: None)
    with pytest.raises(RuntimeError, match="cell failed in alpha.py"):
        hook.on_pre_page(page, site_hook.config, None).render(site_hook.config, None)
    hook.on_build_error(None)
    assert not list((site_hook.root / ".cache" / "mkdocs-jupyter").glob("*.json")), "a failed page was cached"


# ---------------------------------------------------------------------------------------------------------------
# search entries: cached on everything they read


def _page(content: str, url: str = "part-1/", title: str = "Part 1"):
    from mkdocs.structure.toc import get_toc

    toc = get_toc([{"level": 1, "id": "part-1", "name": "Part 1", "children": []}])
    return types.SimpleNamespace(content=content, url=url, title=title, meta={}, toc=toc)


def test_search_entries_key_changes_with_every_input(site_hook):
    key = site_hook.hook.search_entries_key
    base = key(_page("<h1 id='part-1'>Part 1</h1><p>text</p>"), {"lang": ["en"]})
    assert key(_page("<h1 id='part-1'>Part 1</h1><p>text</p>"), {"lang": ["en"]}) == base
    assert key(_page("<h1 id='part-1'>Part 1</h1><p>other text</p>"), {"lang": ["en"]}) != base
    assert key(_page("<h1 id='part-1'>Part 1</h1><p>text</p>", url="part-2/"), {"lang": ["en"]}) != base
    assert key(_page("<h1 id='part-1'>Part 1</h1><p>text</p>", title="Part 2"), {"lang": ["en"]}) != base
    assert key(_page("<h1 id='part-1'>Part 1</h1><p>text</p>"), {"lang": ["de"]}) != base


def test_cached_search_entries_equal_materials_own(site_hook):
    from material.plugins.search.plugin import SearchPlugin

    def index_of(pages, cached: bool):
        plugin = SearchPlugin()
        plugin.load_config({})
        plugin.config.lang, plugin.config.separator, plugin.config.pipeline = ["en"], r"[\s\-]+", []
        plugin.config.fields = {}
        from material.plugins.search.plugin import SearchIndex

        plugin.search_index = SearchIndex(**plugin.config)
        if cached:
            site_hook.hook._cache_search_entries({"plugins": {"material/search": plugin}})
        for page in pages:
            plugin.search_index.add_entry_from_context(page)
        return plugin.search_index.entries

    pages = [_page("<h1 id='part-1'>Part 1</h1><p>first <code>W</code></p><h2 id='b'>B</h2><p>second</p>"),
             _page("<h1 id='x'>X</h1><p>third</p>", url="x/", title="X")]
    plain = index_of(pages, cached=False)
    assert index_of(pages, cached=True) == plain, "the first (filling) pass differs from Material's"
    assert index_of(pages, cached=True) == plain, "the cached pass differs from Material's"
    changed = [_page("<h1 id='part-1'>Part 1</h1><p>changed</p>"), pages[1]]
    assert index_of(changed, cached=True) == index_of(changed, cached=False), "a changed page kept old entries"


# ---------------------------------------------------------------------------------------------------------------
# computed figures: re-rendered when anything they read changes


@pytest.fixture
def figures_hook(tmp_path, monkeypatch):
    root = _tree(tmp_path)
    hook = _load("figures")
    monkeypatch.setattr(hook, "ROOT", root)
    monkeypatch.setattr(hook, "CACHE", root / ".cache" / "figures")
    started = []

    class Popen:  # records the renderer child instead of starting it
        def __init__(self, cmd, **kwargs):
            started.append(cmd)

        def poll(self):
            return None

        def kill(self):
            pass

        def wait(self):
            return -9

    monkeypatch.setattr(hook, "subprocess", types.SimpleNamespace(Popen=Popen, DEVNULL=subprocess.DEVNULL,
                                                                  STDOUT=subprocess.STDOUT))
    return types.SimpleNamespace(root=root, hook=hook, started=started)


def test_figure_key_changes_with_the_figure_code_its_data_and_matplotlib(figures_hook, monkeypatch):
    hook, root = figures_hook.hook, figures_hook.root
    key = hook.figure_key()
    assert hook.figure_key() == key
    (root / "src" / "gentle_rnn" / "figures" / "part9.py").write_text("# draws a thicker line\n")
    assert hook.figure_key() != key, "a figure whose code changed would not be re-rendered"
    key = hook.figure_key()
    (root / "src" / "gentle_rnn" / "data").mkdir()
    (root / "src" / "gentle_rnn" / "data" / "run.json").write_text("[1, 2]")
    assert hook.figure_key() != key, "a figure whose data changed would not be re-rendered"
    key = hook.figure_key()
    import importlib.metadata

    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda d: "0.0" if d == "matplotlib" else real(d))
    assert hook.figure_key() != key, "a new Matplotlib would not re-render the figures"


def test_figures_render_unless_a_complete_render_of_this_key_is_cached(figures_hook):
    hook, started = figures_hook.hook, figures_hook.started
    hook.on_pre_build({})
    assert len(started) == 1 and started[0][1:3] == ["-m", "gentle_rnn.figures"], "a cold build renders"
    cache = hook._RENDER["dir"]
    hook._RENDER.pop("proc")
    hook._RENDER.pop("log").close()
    (cache / "names.json").write_text("[]")
    hook.on_pre_build({})
    assert len(started) == 2, "a render that never completed is started again"
    hook._RENDER.pop("proc")
    hook._RENDER.pop("log").close()
    (cache / "names.json").write_text("[]")
    (cache / "complete").write_text("")
    hook.on_pre_build({})
    assert len(started) == 2, "a complete render of the same sources is rendered again"
    (figures_hook.root / "src" / "gentle_rnn" / "figures" / "part9.py").write_text("# another line\n")
    hook.on_pre_build({})
    assert len(started) == 3, "a figure whose code changed is not re-rendered"
    hook.on_build_error(None)


def test_a_failing_figure_render_fails_the_build(figures_hook, monkeypatch):
    from mkdocs.exceptions import PluginError

    hook = figures_hook.hook
    # the renderer child, replaced by one that fails the way a broken figure does
    monkeypatch.setattr(hook.subprocess, "Popen", lambda cmd, **kw: subprocess.Popen(
        [sys.executable, "-c", "raise SystemExit('figure 3 broke')"], **kw))
    hook.on_pre_build({})
    with pytest.raises(PluginError, match="figure 3 broke"):
        hook._figure_names()
    hook.on_build_error(None)
    assert not (hook._RENDER["dir"] / "complete").exists()


# ---------------------------------------------------------------------------------------------------------------
# the shared mathtext parse cache writes the same SVG as Matplotlib alone


#: Mathtext settings: the font set is also part of each label's font properties; "mathtext.default" (the font of
#: letters) is read by the parser alone, so a cache keyed on the font properties only fails on the first two.
SETTINGS = [("dejavusans", "it"), ("dejavusans", "rm"), ("cm", "it")]


def _rc(setting) -> dict:
    fontset, default = setting
    return {"mathtext.fontset": fontset, "mathtext.default": default, "svg.hashsalt": "test", "svg.fonttype": "path"}


def _svg(fig, setting) -> bytes:
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context(_rc(setting)):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buf.getvalue()


def _labelled(setting):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context(_rc(setting)):
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.set_xlabel(r"$\partial L / \partial W^{(t)}$")
        ax.set_title(r"$h^{(t)} = \tanh(a^{(t)})$")
    return fig, plt


def test_shared_mathtext_cache_writes_the_same_svg_and_follows_the_font_settings():
    from gentle_rnn import figures

    plain = {}
    for setting in SETTINGS:
        fig, plt = _labelled(setting)
        plain[setting] = _svg(fig, setting)
        plt.close(fig)
    assert len(set(plain.values())) == len(SETTINGS), "the settings do not change the drawing"
    figures._MATHTEXT.clear()
    with figures._shared_mathtext():
        for setting in SETTINGS + SETTINGS[:1]:
            fig, plt = _labelled(setting)
            first, again = _svg(fig, setting), _svg(fig, setting)  # the second save is served by the cache
            plt.close(fig)
            assert first == plain[setting], f"{setting}: the first render differs from Matplotlib's own"
            assert again == plain[setting], f"{setting}: the cached render differs from Matplotlib's own"
    assert figures._MATHTEXT, "nothing went through the shared cache"
    from matplotlib import text, textpath

    assert text.TextToPath is textpath.TextToPath, "the renderers' TextToPath was not restored"


def test_a_figure_renders_the_same_with_and_without_the_shared_cache(monkeypatch):
    """One registered figure end to end, both schemes (the one with the most formulas per second of drawing)."""
    import contextlib

    from gentle_rnn import figures

    name = "interactive/bptt-stepper.svg"
    cached = figures.render_schemes(name)
    monkeypatch.setattr(figures, "_shared_mathtext", contextlib.nullcontext)
    plain = figures.render_schemes(name)
    assert sorted(cached) == ["dark", "light"]
    assert cached["light"] == plain["light"] and cached["dark"] == plain["dark"]


# ---------------------------------------------------------------------------------------------------------------
# the notebook downloads: converted again when their script changes


def test_notebook_download_follows_its_script(tmp_path, monkeypatch):
    hook = _load("downloads")
    monkeypatch.setattr(hook, "CACHE", tmp_path / "cache")
    script = tmp_path / "alpha.py"
    script.write_text("# %% [markdown]\n# # Alpha\n\n# %%\nx = 1\n")
    first = hook.notebook(script)
    assert "x = 1" in first and hook.notebook(script) == first, "a warm build converts the script again"
    script.write_text("# %% [markdown]\n# # Alpha\n\n# %%\nx = 2\n")
    assert "x = 2" in hook.notebook(script), "the download kept the old script's cells"
    assert len(list((tmp_path / "cache").iterdir())) == 1, "old conversions pile up in the cache"


# ---------------------------------------------------------------------------------------------------------------
# the warm path's shortcut: dark colours of hex literals without Matplotlib, the same as with it


def test_dark_colour_of_a_hex_literal_equals_matplotlibs_path(monkeypatch):
    import random

    from matplotlib import colors

    from gentle_rnn import figures

    rng = random.Random(14)
    literals = ["#000000", "#ffffff", "#FFAA00", "#7f7f7f"] + [f"#{rng.randrange(1 << 24):06x}" for _ in range(500)]
    fast = {(c, role): figures.dark_colour(c, role) for c in literals for role in ("ink", "fill")}
    monkeypatch.setattr(figures, "_HEX6", figures.re.compile(r"(?!)"))  # never matches: always Matplotlib's to_rgba
    for (c, role), value in fast.items():
        assert value == figures.dark_colour(c, role), f"dark_colour({c!r}, {role!r})"
    hook = _load("figures")
    dark = {}
    hook._variable("fill", "#1f77b4", dark)
    assert dark == {"--dg-fill-1f77b4": colors.to_hex(figures.dark_colour("#1f77b4", "fill"))}
