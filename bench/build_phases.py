"""``python -m bench.build_phases OUT.json [mkdocs build arguments]``: ``mkdocs build`` that records its phases.

It runs MkDocs' own command line in this process, after wrapping ``PluginCollection.run_event`` (which every
plugin event of MkDocs goes through) to note when each event starts and ends, and for the page events which
page it was for. At exit it writes to OUT.json the events, the process's own CPU time and that of its reaped
children (the derivations' kernels, the figure renderer, Node), so that ``bench/site.py`` can say where a
build's time goes. It changes nothing the build does.
"""

from __future__ import annotations

import atexit
import json
import resource
import sys
import time

START = time.perf_counter()


def main() -> None:
    out, argv = sys.argv[1], sys.argv[2:]
    from mkdocs import __main__ as cli
    from mkdocs.plugins import PluginCollection

    events: list[dict] = []
    run_event = PluginCollection.run_event

    def timed(self, name, item=None, **kwargs):
        page = kwargs.get("page") or (item if name == "pre_page" else None)
        record = {"event": name, "start": time.perf_counter() - START,
                  "page": page.file.src_uri if page is not None else None}
        try:
            return run_event(self, name, item, **kwargs)
        finally:
            record["end"] = time.perf_counter() - START
            events.append(record)

    PluginCollection.run_event = timed

    def write() -> None:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(out, "w") as f:
            json.dump({"events": events, "end": time.perf_counter() - START,
                       "cpu_self": own.ru_utime + own.ru_stime,
                       "cpu_children": children.ru_utime + children.ru_stime}, f)

    atexit.register(write)
    sys.argv = ["mkdocs", *argv]
    cli.cli()


def phases(record: dict) -> list[tuple[str, float]]:
    """(phase, wall seconds) of one recorded build, in the order they happen."""
    events = record["events"]

    def first(name):
        return min(e["start"] for e in events if e["event"] == name)

    def last_end(name):
        return max(e["end"] for e in events if e["event"] == name)

    rows = [("start-up: imports, config, plugins loaded", first("config"))]
    rows.append(("on_config .. on_nav (kernels and figure renderer start)", first("pre_page") - first("config")))
    pages = {}
    for e in events:  # a page is read from on_pre_page to the end of its on_page_content
        if e["page"] and e["event"] in ("pre_page", "page_content"):
            span = pages.setdefault(e["page"], [e["start"], e["end"]])
            span[0], span[1] = min(span[0], e["start"]), max(span[1], e["end"])
    derivations = sum(b - a for p, (a, b) in pages.items() if p.startswith("derivations/"))
    rows.append(("read pages: Markdown and API pages", first("env") - first("pre_page") - derivations))
    rows.append(("read pages: derivations (waiting for their kernels)", derivations))
    rows.append(("on_env (waiting for the figure renderer)", last_end("env") - first("env")))
    rows.append(("write pages: templates, search, hooks", first("post_build") - last_end("env")))
    rows.append(("on_post_build (Node's last formulas, search index)", last_end("post_build") - first("post_build")))
    rows.append(("exit", record["end"] - last_end("post_build")))
    return rows


if __name__ == "__main__":
    main()
