"""The learner's grader (gentle_rnn.grade): it passes our code, names every classic mistake of its catalogue as
itself and as nothing else, localises a mistake in time, and gives a clear error for a broken module.

The buggy modules are written to a temporary folder and graded by path, as a learner's file would be.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from gentle_rnn import dense, lstm, rnn
from gentle_rnn.grade import CATALOGUE, EXIT_NOT_GRADED, EXIT_RIGHT, EXIT_WRONG, MODELS, grade
from gentle_rnn.grade import catalogue, variants
from gentle_rnn.grade.__main__ import main
from tests.helpers import assert_close

ROOT = Path(__file__).resolve().parents[1]
OURS = {"dense": "gentle_rnn.dense", "rnn": "gentle_rnn.rnn", "rnn-truncated": "gentle_rnn.rnn",
        "lstm": "gentle_rnn.lstm"}


def _module(tmp_path: Path, source: str, name: str = "learner") -> str:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return str(path)


def _variant_module(tmp_path, model: str, bug: str | None, hooks: bool = False) -> str:
    """A learner's module that commits ``bug`` (through the catalogue's variant), optionally with the hooks."""
    args = ", ".join(MODELS[model].signature)
    fn = {"dense": "dense", "rnn": "rnn", "rnn-truncated": "rnn", "lstm": "lstm"}[model]
    source = f"""
        from gentle_rnn.grade import variants
        def loss_and_grads({args}):
            return variants.{fn}({args}, bug={bug!r})[:2]
        """
    if hooks:
        source += f"""
        def hidden_state_grads({args}):
            return variants.{fn}({args}, bug={bug!r})[2]["dh"]
        def cell_state_grads({args}):
            return variants.{fn}({args}, bug={bug!r})[2]["ds"]
        """
    return _module(tmp_path, source, f"learner_{model.replace('-', '_')}_{(bug or 'right').replace('-', '_')}")


def _ours_edited(tmp_path, model: str, edit: str) -> str:
    """A learner's module that returns our loss and gradients after one edit of the gradient dict ``g``."""
    args = ", ".join(MODELS[model].signature)
    return _module(tmp_path, f"from {OURS[model]} import loss_and_grads as ours\n"
                             f"def loss_and_grads({args}):\n    L, g = ours({args})\n    {edit}\n    return L, g\n")


# ----------------------------------------------------------------------------------------------------------------
# the variants without a bug are our implementation


@pytest.mark.parametrize("model", list(MODELS))
def test_variant_without_bug_equals_our_implementation(model):
    M = MODELS[model]
    ours = {"dense": dense.loss_and_grads, "rnn": rnn.loss_and_grads, "rnn-truncated": rnn.loss_and_grads,
            "lstm": lstm.loss_and_grads}[model]
    for problem in M.sizes + M.scan:
        L_want, g_want = ours(*(problem.kwargs[a] for a in M.signature))
        L, g, _ = M.variant(problem.kwargs, None)
        assert abs(L - L_want) <= 1e-12 * abs(L_want), f"{model} {problem.label}: loss"
        for k in M.grad_keys:
            assert_close(f"{model} {problem.label}: d{k}", g[k], g_want[k], 1e-12)


@pytest.mark.parametrize("model", ["rnn", "lstm"])
def test_variant_states_equal_our_state_gradients(model):
    M = MODELS[model]
    for problem in M.sizes:
        args = tuple(problem.kwargs[a] for a in M.signature)
        _, _, states = M.variant(problem.kwargs, None)
        module = rnn if model == "rnn" else lstm
        assert_close("dL/dh(t)", states["dh"], module.hidden_state_grads(*args), 1e-12)
        if model == "lstm":
            assert_close("dL/ds(t)", states["ds"], lstm.cell_state_grads(*args), 1e-12)


def test_catalogue_entries_are_variants_with_distinct_bugs():
    known = {"dense": variants.DENSE_BUGS, "rnn": variants.RNN_BUGS,
             "rnn-truncated": variants.RNN_BUGS + variants.TRUNCATION_BUGS, "lstm": variants.LSTM_BUGS}
    for model, mistakes in CATALOGUE.items():
        bugs = [m.bug for m in mistakes]
        assert len(set(bugs)) == len(bugs), f"{model}: a bug is listed twice"
        assert set(bugs) == set(known[model]), f"{model}: catalogue and variants disagree"


# ----------------------------------------------------------------------------------------------------------------
# our implementation passes


@pytest.mark.parametrize("model", list(MODELS))
def test_grader_passes_our_implementation(model):
    report = grade(model, OURS[model])
    assert report.status == "right", report.text()
    assert report.exit_code == EXIT_RIGHT
    assert report.diagnoses == []
    assert "Everything is right" in report.text()


def test_grader_passes_our_implementation_loaded_by_path(tmp_path):
    path = _module(tmp_path, "from gentle_rnn.lstm import loss_and_grads, hidden_state_grads, cell_state_grads\n")
    assert grade("lstm", path).status == "right"


# ----------------------------------------------------------------------------------------------------------------
# every classic mistake is diagnosed as itself, and as nothing else


def _cases():
    return [pytest.param(model, m.bug, id=f"{model}-{m.bug}") for model, ms in CATALOGUE.items() for m in ms]


@pytest.mark.parametrize(("model", "bug"), _cases())
def test_every_mistake_is_diagnosed_as_itself(tmp_path, model, bug):
    report = grade(model, _variant_module(tmp_path, model, bug))
    text = report.text()
    assert report.status == "wrong" and report.exit_code == EXIT_WRONG, text
    assert [m.bug for m in report.diagnoses] == [bug], text
    mistake = report.diagnoses[0]
    assert f"Diagnosis: {mistake.name}." in text and mistake.url in text


@pytest.mark.parametrize("model", ["rnn", "rnn-truncated", "lstm"])
def test_mistake_report_says_the_smallest_T_without_hooks(tmp_path, model):
    # dh_next not accumulated: one step is right, two are not
    report = grade(model, _variant_module(tmp_path, model, "dh-next-not-accumulated"))
    assert "smallest sequence length at which something is wrong is T = 2" in report.where, report.text()
    report = grade(model, _variant_module(tmp_path, model, "gradients-mean-loss-sum"))
    assert "is T = 1" in report.where and "single step" in report.where, report.text()


@pytest.mark.parametrize(("model", "bug", "first"), [
    ("rnn", "dh-next-not-accumulated", "dL/dh(t) (from hidden_state_grads) goes wrong first at t = 2"),
    ("rnn", "W-instead-of-W-transpose", "dL/dh(t) (from hidden_state_grads) goes wrong first at t = 2"),
    ("lstm", "forget-gate-path-dropped", "dL/ds(t) (from cell_state_grads) goes wrong first at t = 2"),
    ("lstm", "tanh-prime-of-s-missing", "dL/ds(t) (from cell_state_grads) goes wrong first at t = 3"),
    ("lstm", "dh-next-not-accumulated", "dL/dh(t) (from hidden_state_grads) goes wrong first at t = 2"),
])
def test_mistake_report_says_the_first_wrong_step_with_hooks(tmp_path, model, bug, first):
    # the first problem has T = 3: the backward pass starts at t = 3
    report = grade(model, _variant_module(tmp_path, model, bug, hooks=True))
    assert first in report.where, report.text()
    assert [m.bug for m in report.diagnoses] == [bug]


def test_hooks_right_but_sums_wrong_says_the_mistake_is_after_them(tmp_path):
    report = grade("rnn", _variant_module(tmp_path, "rnn", "off-by-one-in-dW", hooks=True))
    assert "agree with the derivation at every step" in report.where, report.text()
    assert report.wrong == ["W"]


def test_a_mistake_outside_the_catalogue_is_wrong_without_a_diagnosis(tmp_path):
    report = grade("rnn", _ours_edited(tmp_path, "rnn", 'g["b"] = 2 * g["b"]'))
    assert report.status == "wrong" and report.wrong == ["b"] and report.diagnoses == []
    assert "No classic mistake of the catalogue matches" in report.text()


def test_loss_mean_report_shows_the_inconsistency_with_finite_differences(tmp_path):
    report = grade("rnn", _variant_module(tmp_path, "rnn", "loss-mean-gradients-sum"))
    by_name = {q.name: q for q in report.quantities}
    assert report.wrong == ["loss"]
    assert by_name["W"].right and by_name["W"].fd_error > 0.5  # right gradients of a sum, wrong for a mean


# ----------------------------------------------------------------------------------------------------------------
# the equations the diagnoses link to exist


def test_site_url_is_the_configured_one():
    config = (ROOT / "mkdocs.yml").read_text()
    assert re.search(rf"^site_url:\s*{re.escape(catalogue.SITE_URL)}\s*$", config, re.M)


@pytest.mark.parametrize(("model", "bug"), _cases())
def test_every_diagnosis_links_an_equation_anchor_that_exists(model, bug):
    m = next(m for m in CATALOGUE[model] if m.bug == bug)
    source = (ROOT / "docs" / m.page).read_text()
    assert f'id="{m.anchor}"' in source, f"{m.page} has no anchor {m.anchor}"
    number = m.equation.strip("()").replace(".", "-")
    assert m.anchor == f"eq-{number}", f"{m.anchor} is not equation {m.equation}"


# ----------------------------------------------------------------------------------------------------------------
# broken modules get a clear error, and the exit status says "not graded"


def _error(tmp_path, model, source=None, edit=None):
    report = grade(model, _module(tmp_path, source) if edit is None else _ours_edited(tmp_path, model, edit))
    assert report.status == "error" and report.exit_code == EXIT_NOT_GRADED, report.text()
    assert report.text().startswith("Grading ") and "CANNOT GRADE: " in report.text()
    return report.message


@pytest.mark.parametrize(("model", "source", "edit", "expected"), [
    pytest.param("rnn", "def loss_and_grads(params, x, y, h0):\n    return (1,\n\nx = = 2\n", None,
                 ["does not load: syntax error", "line "], id="syntax-error-names-the-line"),
    pytest.param("rnn", "import numpy_which_does_not_exist\n", None,
                 ["does not load", "ModuleNotFoundError"], id="import-error-is-reported"),
    pytest.param("rnn", "def backward(params):\n    pass\n", None,
                 ["defines no function loss_and_grads(params, x, y, h0)", "backward"],
                 id="missing-function-lists-what-the-module-defines"),
    pytest.param("lstm", "def loss_and_grads(params, x, y, h0):\n    pass\n", None,
                 ["must accept the arguments (params, x, y, h0, s0)", "loss_and_grads(params, x, y, h0)"],
                 id="wrong-signature-shows-the-expected-and-the-actual"),
    pytest.param("rnn", None, 'g["U"] = g["U"].T',
                 ["the gradient 'U' has shape (2, 3); it must have the shape of U, (3, 2) (it looks transposed)"],
                 id="wrong-shape-names-the-gradient-and-its-shape"),
])
def test_broken_module_gets_a_clear_error(tmp_path, model, source, edit, expected):
    msg = _error(tmp_path, model, source, edit)
    for text in expected:
        assert text in msg


def test_missing_gradient_key_is_named(tmp_path):
    msg = _error(tmp_path, "dense", edit='del g["x"]')
    assert "lacks the keys ['x']" in msg


def test_not_a_pair_and_nan_are_reported(tmp_path):
    assert "must return a pair (loss, grads)" in _error(tmp_path, "dense", "def loss_and_grads(params, x, y):\n    return 1.0\n")
    msg = _error(tmp_path, "dense", edit='g["b"] = g["b"] * float("nan")')
    assert "'b' contains NaN" in msg


def test_an_exception_in_the_learners_code_names_its_line(tmp_path):
    msg = _error(tmp_path, "rnn", "def loss_and_grads(params, x, y, h0):\n    return params['Q'], {}\n")
    assert "your loss_and_grads raised KeyError: 'Q'" in msg and "line 2" in msg


def test_missing_file_and_unknown_model(tmp_path):
    report = grade("rnn", str(tmp_path / "nothere.py"))
    assert report.status == "error" and "there is no file" in report.message
    with pytest.raises(ValueError, match="model must be one of"):
        grade("gru", str(tmp_path / "nothere.py"))


def test_not_implemented_is_a_report_not_a_crash(tmp_path):
    report = grade("rnn", _module(tmp_path, """
        def loss_and_grads(params, x, y, h0):
            raise NotImplementedError("write the backward pass")
        """))
    assert report.status == "not-implemented" and report.exit_code == EXIT_NOT_GRADED
    assert "NOT IMPLEMENTED YET: loss_and_grads (learner.py, line 3) raised NotImplementedError" in report.text()
    assert "write the backward pass" in report.message


# ----------------------------------------------------------------------------------------------------------------
# the command


def test_command_prints_the_report_and_returns_the_exit_status(tmp_path, capsys):
    assert main(["rnn", _variant_module(tmp_path, "rnn", "tanh-prime-missing")]) == EXIT_WRONG
    out = capsys.readouterr().out
    assert "Diagnosis: the tanh' factor is missing." in out and "#eq-3-4" in out


def test_command_runs_as_a_module():
    proc = subprocess.run([sys.executable, "-m", "gentle_rnn.grade", "dense", "gentle_rnn.dense"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Everything is right" in proc.stdout
