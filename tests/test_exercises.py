"""The exercise skeletons (docs/exercises/*.py): as shipped, each gets a clear "not implemented yet" report; with
its blanks filled by our own backward passes (the package's functions), or by the worked solutions the pages show
(tests/exercise_solutions.py), it grades as right.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from gentle_rnn.grade import EXIT_NOT_GRADED, EXIT_RIGHT, grade

EXERCISES = Path(__file__).resolve().parents[1] / "docs" / "exercises"
BLANK = re.compile(r"( *)# ---- your code: from here ----\n.*?# ---- your code: to here ----\n", re.S)

#: skeleton -> the models it is graded as
SKELETONS = {"dense_backward.py": ["dense"], "rnn_bptt.py": ["rnn", "rnn-truncated"], "lstm_backward.py": ["lstm"]}

#: Our backward passes, written into the blanks in order (one per blank of the skeleton).
SOLUTIONS = {
    "dense_backward.py": ["""
        from gentle_rnn import dense as ours
        from gentle_rnn.functional import onehot
        do = p - onehot(y, p.shape[-1])  # (1.5)
        dV, dc, dh = ours.output_backward(params["V"], h, do)  # (1.6)-(1.7)
        dU, db, dx = ours.hidden_backward(params["U"], x, h, dh)  # (1.8)-(1.10)
        return {"U": dU, "b": db, "V": dV, "c": dc, "x": dx}
        """],
    "rnn_bptt.py": ["""
        from gentle_rnn import readout, rnn as ours
        from gentle_rnn.functional import onehot
        dV, dc, dh_out = readout.backward(params["V"], hs[1:], p - onehot(y, p.shape[-1]))
        dU, dW, db, dh0, dh = ours._backward(params, x, hs, dh_out)
        return {"U": dU, "W": dW, "b": db, "V": dV, "c": dc, "h0": dh0}, dh
        """, """
        from gentle_rnn import readout, rnn as ours
        from gentle_rnn.functional import onehot
        dV, dc, dh_out = readout.backward(params["V"], hs[1:], p - onehot(y, p.shape[-1]))
        dU, dW, db, dh0, _ = ours._backward_truncated(params, x, hs, dh_out, truncate)
        return {"U": dU, "W": dW, "b": db, "V": dV, "c": dc, "h0": dh0}
        """],
    "lstm_backward.py": ["""
        import numpy as np
        from gentle_rnn import lstm as ours, readout
        from gentle_rnn.functional import onehot
        gates = np.concatenate([cache[k][1:] for k in GATES], axis=-1)  # (T, B, 4H) in the order z, g, f, q
        trace = ours.Trace(cache["h"], cache["s"], gates, np.tanh(cache["s"][1:]))
        dV, dc, dh_out = readout.backward(params["V"], cache["h"][1:], p - onehot(y, p.shape[-1]))
        grads, dh, ds, _ = ours._backward(params, x, trace, dh_out)
        return {**grads, "V": dV, "c": dc}, dh, ds
        """],
}


SOLUTION_FILE = Path(__file__).resolve().parent / "exercise_solutions.py"
#: skeleton -> the sections of exercise_solutions.py that fill its blanks, in order
WORKED = {"dense_backward.py": ["dense"], "rnn_bptt.py": ["rnn", "rnn_truncated"], "lstm_backward.py": ["lstm"]}


def _worked_body(section: str) -> str:
    """The body of the function in a section of exercise_solutions.py (what goes into the blank)."""
    text = SOLUTION_FILE.read_text()
    m = re.search(rf"# --8<-- \[start:{section}\]\ndef [^\n]*\n(.*?)# --8<-- \[end:{section}\]", text, re.S)
    assert m, f"no section {section} in {SOLUTION_FILE.name}"
    return m.group(1)


def _completed(tmp_path: Path, name: str, worked: bool = False) -> Path:
    source = (EXERCISES / name).read_text()
    blanks = BLANK.findall(source)
    solutions = [_worked_body(sec) for sec in WORKED[name]] if worked else SOLUTIONS[name]
    assert len(blanks) == len(solutions), f"{name}: {len(blanks)} blanks"
    bodies = iter(solutions)
    filled = BLANK.sub(lambda m: textwrap.indent(textwrap.dedent(next(bodies)).strip() + "\n", m.group(1)), source)
    path = tmp_path / name
    path.write_text(filled)
    return path


def _cases():
    return [pytest.param(name, model, id=f"{name}-{model}") for name, models in SKELETONS.items() for model in models]


def test_every_skeleton_is_listed():
    assert sorted(p.name for p in EXERCISES.glob("*.py")) == sorted(SKELETONS)


@pytest.mark.parametrize(("name", "model"), _cases())
def test_skeleton_as_shipped_is_reported_not_implemented(name, model):
    report = grade(model, str(EXERCISES / name))
    assert report.status == "not-implemented" and report.exit_code == EXIT_NOT_GRADED, report.text()
    assert "NotImplementedError" in report.message and "equations" in report.message
    assert "NOT IMPLEMENTED YET" in report.text()


@pytest.mark.parametrize(("name", "model"), _cases())
def test_skeleton_completed_with_our_backward_pass_grades_right(tmp_path, name, model):
    report = grade(model, str(_completed(tmp_path, name)))
    assert report.status == "right" and report.exit_code == EXIT_RIGHT, report.text()


@pytest.mark.parametrize(("name", "model"), _cases())
def test_skeleton_completed_with_the_worked_solution_grades_right(tmp_path, name, model):
    report = grade(model, str(_completed(tmp_path, name, worked=True)))
    assert report.status == "right" and report.exit_code == EXIT_RIGHT, report.text()


@pytest.mark.parametrize("name", list(SKELETONS))
def test_skeleton_names_its_grader_command(name):
    source = (EXERCISES / name).read_text()
    for model in SKELETONS[name]:
        assert f"python -m gentle_rnn.grade {model} {name}" in source
