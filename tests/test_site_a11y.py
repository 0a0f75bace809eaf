"""Accessibility: zero serious or critical axe-core violations on every page of the survey (1280 and 390 px,
light and dark, solutions open). axe-core comes from the npm registry (package.json devDependencies, pinned
by package-lock.json) and is injected into each loaded page by the survey (tests/probes/axe.js says so in its
``// @requires`` line); it runs once per load. Each violation is reported per page with its rule id, the
elements it was found on and axe's summary of what to fix.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.site


def test_no_serious_or_critical_axe_violations(survey):
    problems = {}
    for (path, viewport, scheme), entry in survey.items():
        lines = []
        for rule in entry["axe"]:
            lines.append(f"{rule['id']} ({rule['impact']}, {rule['count']} element(s)): {rule['help']}")
            lines += [f"    {node['target']}: {node['summary']}" for node in rule["nodes"]]
        if lines:
            problems[f"{path} ({viewport}, {scheme})"] = lines
    assert not problems, "\n".join(f"{where}:\n  " + "\n  ".join(lines) for where, lines in problems.items())
