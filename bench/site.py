"""``python -m bench.site``: how fast the site builds and how fast its pages show their math (speed, not tests).

One run prints:

* the cold build (``.cache/`` removed, so every derivation executes and every formula is typeset) and the warm
  build (nothing changed), each ``mkdocs build --strict`` as a whole process: wall time and CPU time (that of
  the build's own process and of its children: the derivations' kernels, the figure renderer, Node), and where
  the build's wall time goes, phase by phase (``bench/build_phases.py`` records MkDocs' plugin events);
* each derivation run with plain ``python derivations/<name>.py``: wall and CPU time;
* per page of the built site (read from its sitemap), opened cold in headless Chromium from a local server:
  every file fetched until the network is idle (fonts, scripts, the search index included), raw and as a
  static host serves it gzip-compressed (text types compressed at level 6; woff2 and images as they are), and the
  time from navigation until the math is visible (the document parsed, every formula typeset, any
  client-side typesetting finished and the fonts loaded); and the first contentful paint, with how many of the
  formulas on the first screen were already typeset at that paint.

Timings on a shared machine are noisy: run it several times and quote the minimum and median. Options:
``--no-build`` measures the pages of an existing ``--site-dir``; ``--no-derivations`` skips the derivation runs;
``--no-pages`` skips the page loads; ``--build-repeats N`` runs N cold + warm pairs.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, sitemap_pages  # noqa: E402

# Content types a static host (GitHub Pages, nginx with gzip on) compresses; woff2 and images are sent as they are.
_COMPRESSED_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/xml")

# Installed before any page script: records (in performance.now() ms) when the math is first visible. "Visible"
# means the document is parsed, it has painted, every arithmatex span holds a MathJax container, a client-side
# MathJax (if the page loads one) has marked the page typeset, and every web font the page uses is loaded. On
# a long page that is the end of parsing and of Material's start-up restyle of the whole document, so it also
# records the first contentful paint and whether the formulas on the first screen were typeset at that paint.
_WATCH_MATH = r"""
(() => {
  const done = () => {
    if (document.readyState === "loading") return false;
    if (!performance.getEntriesByName("first-contentful-paint").length) return false;
    if ([...document.querySelectorAll(".arithmatex")].some((el) => !el.querySelector("mjx-container"))) return false;
    const mj = window.MathJax;
    if (mj && (mj.tex || mj.typesetPromise) && document.documentElement.dataset.mathjax !== "typeset") return false;
    return document.fonts.status === "loaded";
  };
  const poll = () => {
    if (done()) window.__mathVisibleAt = performance.now();
    else requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
  // First contentful paint, and the formulas on the first screen at that moment: how many there are and how
  // many of them are already typeset (with build-time math, all of them: the reader sees them at first paint).
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.name !== "first-contentful-paint" || window.__firstPaint) continue;
      const shown = [...document.querySelectorAll(".arithmatex, .jp-RenderedLatex")].filter((el) => {
        const box = el.getBoundingClientRect();
        return box.bottom > 0 && box.top < innerHeight && box.width > 0;
      });
      window.__firstPaint = {ms: entry.startTime, formulas: shown.length,
                             typeset: shown.filter((el) => el.querySelector("mjx-container")).length};
    }
  }).observe({type: "paint", buffered: true});
})();
"""


def _gzip_size(body: bytes, content_type: str) -> int:
    if content_type.startswith(_COMPRESSED_TYPES):
        return len(gzip.compress(body, compresslevel=6))
    return len(body)


def _run(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """Run ``cmd`` to completion (failing loudly); return (wall seconds, CPU seconds of it and its children)."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        # wait4 gives the process's own accounting, which includes its reaped descendants (kernels, Node).
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            out.seek(0)
            sys.exit(f"{' '.join(cmd)} failed:\n{out.read().decode(errors='replace')[-4000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def build(site_dir: pathlib.Path) -> dict[str, tuple[float, float, dict]]:
    """A cold build (``.cache/`` removed) then a warm one: (wall s, CPU s, recorded phases) of each."""
    from bench.build_phases import phases  # noqa: F401  (the same module runs the build below)

    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    out = {}
    shutil.rmtree(ROOT / ".cache", ignore_errors=True)
    for name in ("cold", "warm"):
        with tempfile.NamedTemporaryFile(suffix=".json") as record:
            cmd = [sys.executable, "-m", "bench.build_phases", record.name,
                   "build", "--strict", "--quiet", "--site-dir", str(site_dir)]
            wall, cpu = _run(cmd, env)
            out[name] = (wall, cpu, json.loads(pathlib.Path(record.name).read_text()))
    return out


def _print_builds(runs: list[dict]) -> None:
    from bench.build_phases import phases

    print("build (mkdocs build --strict, whole process)        wall s    CPU s   (main + children CPU s)")
    for name in ("cold", "warm"):
        for run in runs:
            wall, cpu, record = run[name]
            print(f"  {name:<48} {wall:7.1f}  {cpu:7.1f}   ({record['cpu_self']:.1f} + {record['cpu_children']:.1f})")
        if len(runs) > 1:
            walls, cpus = [r[name][0] for r in runs], [r[name][1] for r in runs]
            print(f"  {name + ': min / median':<48} {min(walls):7.1f}  {min(cpus):7.1f}   "
                  f"(median {statistics.median(walls):.1f} wall, {statistics.median(cpus):.1f} CPU)")
    for name in ("cold", "warm"):
        print(f"{name} build by phase (wall s, last run; kernels, figures and Node run beside them)")
        for phase, seconds in phases(runs[-1][name][2]):
            print(f"  {phase:<60} {seconds:6.2f}")


def derivations() -> dict[str, tuple[float, float]]:
    env = dict(os.environ, MPLBACKEND="Agg")
    return {p.stem: _run([sys.executable, str(p)], env) for p in sorted((ROOT / "derivations").glob("*.py"))}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def pages(site_dir: pathlib.Path, repeats: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM:
        sys.exit("no Chromium found: install Debian's package with `apt-get install chromium` (or set CHROMIUM)")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site_dir)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for url in sitemap_pages(site_dir, base):
            times, paints, sizes = [], [], None
            for _ in range(repeats):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                context.add_init_script(_WATCH_MATH)
                responses = []
                context.on("response", lambda r: responses.append(r))
                page = context.new_page()
                page.goto(url, wait_until="load")
                page.wait_for_function("window.__mathVisibleAt !== undefined", timeout=60_000)
                page.wait_for_load_state("networkidle")
                times.append(page.evaluate("window.__mathVisibleAt"))
                page.wait_for_function("window.__firstPaint !== undefined", timeout=60_000)
                paints.append(page.evaluate("window.__firstPaint"))
                files = []
                for r in responses:
                    try:
                        body = r.body()
                    except Exception:  # a redirect or an aborted request has no body
                        continue
                    files.append((r.url, len(body), _gzip_size(body, r.headers.get("content-type", ""))))
                sizes = files
                context.close()
            rows.append({
                "page": urllib.parse.urlsplit(url).path,
                "files": len(sizes),
                "raw": sum(f[1] for f in sizes),
                "gzip": sum(f[2] for f in sizes),
                "largest": sorted(sizes, key=lambda f: -f[2])[:3],
                "math_ms": (min(times), statistics.median(times)),
                "paint_ms": (min(p["ms"] for p in paints), statistics.median(p["ms"] for p in paints)),
                "first_screen": (min(p["typeset"] for p in paints), max(p["formulas"] for p in paints)),
            })
        browser.close()
    server.shutdown()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-build", action="store_true", help="measure the pages of an existing --site-dir")
    parser.add_argument("--no-derivations", action="store_true", help="skip the plain-python derivation runs")
    parser.add_argument("--site-dir", type=pathlib.Path, help="where to build (default: a temporary folder)")
    parser.add_argument("--repeats", type=int, default=3, help="page loads per page (min and median reported)")
    parser.add_argument("--build-repeats", type=int, default=1,
                        help="cold + warm builds, one after the other (min and median reported when more than one)")
    parser.add_argument("--no-pages", action="store_true", help="skip the page loads in Chromium")
    parser.add_argument("--verbose", action="store_true", help="name each page's three largest files")
    args = parser.parse_args()
    site_dir = args.site_dir or pathlib.Path(tempfile.mkdtemp(prefix="bench-site-"))

    if not args.no_build:
        _print_builds([build(site_dir) for _ in range(args.build_repeats)])
    if not args.no_derivations:
        print("derivation (python derivations/<name>.py)           wall s    CPU s")
        results = derivations()
        for name, (wall, cpu) in results.items():
            print(f"  {name:<48} {wall:7.1f}  {cpu:7.1f}")
        print(f"  {'all together':<48} {sum(w for w, _ in results.values()):7.1f}  "
              f"{sum(c for _, c in results.values()):7.1f}")
    if args.no_pages:
        return
    print(f"page (cold load until network idle, {args.repeats} loads)  files   raw KB  gzip KB  math visible ms"
          "  first paint ms  first-screen formulas typeset at first paint")
    print(f"  {'':<40} {'':5} {'':8} {'':8}  {'(min / median)':>15}  {'(min / median)':>14}")
    for row in pages(site_dir, args.repeats):
        lo, med = row["math_ms"]
        p_lo, p_med = row["paint_ms"]
        typeset, shown = row["first_screen"]
        print(f"  {row['page']:<40} {row['files']:5d} {row['raw'] / 1000:8.0f} {row['gzip'] / 1000:8.0f}"
              f"  {lo:7.0f} / {med:<5.0f}  {p_lo:6.0f} / {p_med:<5.0f}  {typeset} of {shown}")
        if args.verbose:
            for url, raw, gz in row["largest"]:
                print(f"      {gz / 1000:6.0f} KB gzip  {urllib.parse.urlsplit(url).path}")


if __name__ == "__main__":
    main()
