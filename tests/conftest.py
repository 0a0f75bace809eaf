"""Shared fixtures: the built site (built once per session, strictly) and a local server for it."""

from __future__ import annotations

import fnmatch
import functools
import http.server
import os
import pathlib
import shutil
import subprocess
import sys
import threading
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


# ---------------------------------------------------------------------------------------------------------------
# Two workers: `make test` runs `pytest -n 2` (pytest-xdist). Whatever `-n` and `--dist` say, tests are handed
# out in whole units, each run on one worker from start to end: the files that use the built site (SITE_FILES)
# form one unit, "site", so the site is built, served, opened in Chromium and surveyed once per run, as without
# xdist (test_site_build.py's ProperDocs build shares the build's .cache/ and must not race the cold build);
# every other file is a unit of its own, so its module fixtures and lru_caches are computed once, as without
# xdist. The site unit is the longest chain: it is handed out first; the other worker takes the files in order,
# and a worker that is free takes the next. The unit of a test is read from its node id alone (the controller
# sees no fixtures; xdist's own `xdist_group` mark is not used: it rewrites `item._nodeid`, which pytest 9.2
# no longer reads, so the mark silently does nothing). A test elsewhere that asks for a site fixture stops the
# collection with a hint.

SITE_FIXTURES = {"built_site", "site_server", "browser", "survey"}
SITE_FILES = ("tests/test_site_*.py", "tests/test_downloads.py")


def xdist_unit(nodeid: str) -> str:
    """The work unit of a test under xdist: "site", or the test's file."""
    path = nodeid.split("::", 1)[0]
    return "site" if any(fnmatch.fnmatch(path, pattern) for pattern in SITE_FILES) else path


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    strays = [item.nodeid for item in items
              if SITE_FIXTURES.intersection(item.fixturenames) and xdist_unit(item.nodeid) != "site"]
    if strays:
        raise pytest.UsageError(
            f"these tests use the built site ({', '.join(sorted(SITE_FIXTURES))}) outside the site's files: move "
            f"them into a tests/test_site_*.py file, or add their file to SITE_FILES in tests/conftest.py, so that "
            f"under xdist the site is still built once:\n  " + "\n  ".join(strays))
    if hasattr(config, "workerinput"):  # an xdist worker: the site unit first (a stable sort keeps file order)
        items.sort(key=lambda item: xdist_unit(item.nodeid) != "site")


try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:  # without pytest-xdist the suite runs in one process
    pass
else:
    class _UnitScheduling(LoadScopeScheduling):
        """xdist's loadscope with the units above, in collection order (not the largest unit first)."""

        def _split_scope(self, nodeid: str) -> str:
            return xdist_unit(nodeid)

        def schedule(self) -> None:
            self.config.option.loadscopereorder = False
            super().schedule()

    def pytest_xdist_make_scheduler(config, log):
        if config.getvalue("dist") != "each":
            return _UnitScheduling(config, log)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """Run ``mkdocs build --strict`` into a temporary folder; return (site_dir, build log)."""
    site_dir = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{log[-6000:]}"
    return site_dir, log


def sitemap_pages(site_dir: pathlib.Path, base: str) -> list[str]:
    """Every page URL of the built site, read from its sitemap.xml (never listed by hand), under ``base``."""
    root = ET.parse(site_dir / "sitemap.xml").getroot()
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    return [base + urllib.parse.urlsplit(loc.text.strip()).path for loc in root.findall("s:url/s:loc", ns)]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="session")
def site_server(built_site):
    """Serve the built site on 127.0.0.1 (a free port) for the browser checks; yield its base URL."""
    site_dir, _ = built_site
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for every browser test of the session (Playwright drives it; it never
    downloads a browser). Outside CI a missing Chromium skips; under CI it fails."""
    if not CHROMIUM:
        message = "no Chromium found: install Debian's package with `apt-get install chromium` (or set CHROMIUM=/path)"
        if IN_CI:
            pytest.fail(message + " -- under CI a missing browser is a failure")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
        )
        yield browser
        browser.close()


def wait_for_math(page, timeout_ms: int = 60_000) -> None:
    """Wait until the formulas on the current page are shown (one definition for every browser test).

    The math is typeset at build time (hooks/math.py): it is in the HTML the server sends, so it is there as
    soon as the document is parsed, and nothing typesets in the browser. This waits for the parsed document and
    fails if a page (loaded or swapped in by instant navigation) holds a formula that was left untypeset.
    """
    page.wait_for_function("document.readyState !== 'loading'", timeout=timeout_ms)
    untypeset = page.evaluate(
        """() => [...document.querySelectorAll(".arithmatex, .jp-RenderedLatex")]
                  .filter((el) => !el.querySelector("mjx-container"))
                  .map((el) => el.textContent.trim().slice(0, 80))"""
    )
    assert not untypeset, f"{page.url}: formulas left untypeset: {untypeset[:5]}"


# ---------------------------------------------------------------------------------------------------------------
# The page survey: every page of the sitemap, loaded once per configuration, examined by every probe.
#
# A probe is a file tests/probes/NAME.js holding one JavaScript function expression (`() => {...}` or
# `async () => {...}`) that returns JSON. The survey loads each page at each viewport and colour scheme, opens
# every <details> (solutions included), waits for the math, runs every probe, and records the results under
# result[(path, viewport, scheme)][NAME]; it also records, per load, the problems seen on the wire and in the
# console under "wire", and the path of every request the page made (until the network is idle, and during the
# probes after it) under "fetched". Test files then assert on the survey instead of loading pages again, so the
# whole suite loads each page four times, not four times per test.
#
# A probe may begin with directive comments that the survey honours:
#   // @requires node_modules/x/x.min.js   inject that script (a path from the repository root) before probing
#   // @narrower                           at the narrowest viewport, also run the probe after narrowing the viewport to
#                                          NARROWEST (no reload: the layout is CSS), recorded as NAME@360
#   // @after-networkidle                  run the probe after the network is idle (after the other probes)

PROBES = ROOT / "tests" / "probes"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
SCHEMES = ("light", "dark")
NARROWEST = {"width": 360, "height": 780}

OPEN_EVERY_DETAILS = """() => {
  for (const d of document.querySelectorAll("details")) d.open = true;
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
}"""


def _probes() -> dict[str, dict]:
    """{name: {"source": js, "requires": [script paths], "narrower": bool}} for every tests/probes/*.js."""
    probes = {}
    for path in sorted(PROBES.glob("*.js")):
        source = path.read_text(encoding="utf-8")
        directives = [line[4:].split() for line in source.splitlines() if line.startswith("// @")]
        requires = [ROOT / d[1] for d in directives if d[0] == "requires"]
        for script in requires:
            if not script.is_file():
                pytest.fail(f"probe {path.name} requires {script.relative_to(ROOT)}: run `npm ci` in {ROOT}")
        probes[path.stem] = {"source": source, "requires": requires,
                             "narrower": any(d[0] == "narrower" for d in directives),
                             "after_idle": any(d[0] == "after-networkidle" for d in directives)}
    return probes


@pytest.fixture(scope="session")
def survey(built_site, site_server, browser):
    """{(path, viewport, scheme): {probe name: result, "wire": [problems]}} over every sitemap page."""
    site_dir, _ = built_site
    local = urllib.parse.urlsplit(site_server).netloc
    probes = _probes()
    scripts = list(dict.fromkeys(script for probe in probes.values() for script in probe["requires"]))
    narrowest = min(VIEWPORTS.values(), key=lambda v: v["width"])
    result: dict[tuple[str, str, str], dict] = {}
    for viewport_name, viewport in VIEWPORTS.items():
        for scheme in SCHEMES:
            context = browser.new_context(viewport=viewport, color_scheme=scheme)
            wire: list[str] = []
            fetched: list[str] = []
            aborted: set[str] = set()

            def on_route(route, request, wire=wire, aborted=aborted):
                host = urllib.parse.urlsplit(request.url).netloc
                if request.url.startswith(("data:", "blob:")) or host == local:
                    route.continue_()
                else:
                    wire.append(f"request to a third-party host: {request.url}")
                    aborted.add(request.url)
                    route.abort()

            context.route("**/*", on_route)
            page = context.new_page()
            page.on("request", lambda r, fetched=fetched: fetched.append(urllib.parse.urlsplit(r.url).path))
            page.on("response", lambda r, wire=wire: wire.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
            page.on("console", lambda m, wire=wire: wire.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e, wire=wire: wire.append(f"page error: {e}"))
            page.on("requestfailed", lambda r, wire=wire, aborted=aborted: None if r.url in aborted
                    else wire.append(f"failed request: {r.url} ({r.failure})"))
            for url in sitemap_pages(site_dir, site_server):
                path = urllib.parse.urlsplit(url).path
                wire.clear()
                fetched.clear()
                page.goto(url, wait_until="load")
                try:
                    wait_for_math(page)
                except Exception as e:  # a timeout, or formulas left untypeset
                    wire.append(f"math not shown: {e}")
                page.evaluate(OPEN_EVERY_DETAILS)
                for script in scripts:
                    page.add_script_tag(path=script)
                entry = {name: page.evaluate(probe["source"]) for name, probe in probes.items()
                         if not probe["after_idle"]}
                if viewport is narrowest and any(probe["narrower"] for probe in probes.values()):
                    page.set_viewport_size(NARROWEST)
                    page.evaluate(OPEN_EVERY_DETAILS)  # two frames: the layout settles at the new width
                    for name, probe in probes.items():
                        if probe["narrower"]:
                            entry[f"{name}@{NARROWEST['width']}"] = page.evaluate(probe["source"])
                    page.set_viewport_size(viewport)
                page.wait_for_load_state("networkidle")  # late requests (search index, sitemap) are seen too
                for name, probe in probes.items():
                    if probe["after_idle"]:
                        entry[name] = page.evaluate(probe["source"])
                entry["wire"] = list(wire)
                entry["fetched"] = list(fetched)
                result[(path, viewport_name, scheme)] = entry
            context.close()
    return result
