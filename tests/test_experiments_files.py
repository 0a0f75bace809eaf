"""How the regenerate commands treat the committed result files (gentle_rnn.experiments.settle / compare)."""

from __future__ import annotations

import json
import pathlib

from gentle_rnn import experiments

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _write(path, data):
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path.read_text()


def test_compare_uses_the_stated_relative_tolerance():
    a = {"runs": [{"loss": [1.0, 2000.0], "model": "rnn"}]}
    assert not experiments.compare("x", a, {"runs": [{"loss": [1.0 + 5e-10, 2000.0 + 1e-6], "model": "rnn"}]})
    assert experiments.compare("x", a, {"runs": [{"loss": [1.0 + 2e-9, 2000.0], "model": "rnn"}]})
    assert experiments.compare("x", a, {"runs": [{"loss": [1.0, 2000.0 + 1e-5], "model": "rnn"}]})
    assert experiments.compare("x", a, {"runs": [{"loss": [1.0, 2000.0], "model": "lstm"}]})
    assert experiments.compare("x", a, {"runs": [{"loss": [1.0], "model": "rnn"}]})
    assert experiments.compare("x", {"v": float("nan")}, {"v": float("nan")}), "NaN never agrees"


def test_settle_leaves_an_agreeing_file_untouched(tmp_path):
    path = tmp_path / "r.json"
    before = _write(path, {"a": [1.0, 2.0]})
    lines = []
    assert experiments.settle(path, {"a": (1.0, 2.0 + 1e-12)}, [], out=lines.append) == 0
    assert path.read_text() == before and "agree" in lines[0] and "untouched" in lines[0]


def test_settle_rewrites_a_differing_file_only_when_the_claims_hold(tmp_path):
    path = tmp_path / "r.json"
    before = _write(path, {"a": [1.0, 2.0]})
    lines = []
    assert experiments.settle(path, {"a": [1.0, 3.0]}, ["the RNN learns"], out=lines.append) == 1
    assert path.read_text() == before, "a failed claim leaves the file alone"
    assert any("do NOT hold" in line for line in lines) and any("the RNN learns" in line for line in lines)
    lines.clear()
    assert experiments.settle(path, {"a": [1.0, 3.0]}, [], out=lines.append) == 0
    assert json.loads(path.read_text()) == {"a": [1.0, 3.0]}
    assert "differ" in lines[0] and any("rewrote" in line for line in lines)


def test_the_pages_and_readme_state_the_tolerance_the_code_uses():
    assert experiments.RTOL == 1e-9
    for page in ("docs/part-1-why-rnn.md", "docs/part-4-vanishing-gradient.md"):
        assert "to $10^{-9}$, relative" in (ROOT / page).read_text(), page
    assert "relative tolerance of 1e-9" in (ROOT / "README.md").read_text()
