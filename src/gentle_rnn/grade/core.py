"""Grading: call the learner's function on tiny problems, compare with SymPy and finite differences, localise
the first wrong quantity, and name the mistake when it is a classic one.

What counts as right: the loss and every gradient within `RIGHT_TOL` relative error (``max|a - b|``
over the largest entry, `gentle_rnn.gradcheck.relative_error`) of the symbolic reference at every
problem. The finite differences (centred, step 1e-6, at the first and smallest problem) are of the learner's
*own* loss; they show whether the gradients are at least consistent with the loss the function returns (they
are not, for example, when the loss is a mean and the gradients a sum).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..gradcheck import numerical_gradient, relative_error
from .catalogue import CATALOGUE, MATCH_TOL, SITE_URL, Mistake
from .load import GradeError, NotImplementedYet, call, check_result, check_states, find_function, load_module
from .models import HOOK_STATES, MODELS, Model, Problem

#: Relative error below which a float64 loss or gradient counts as right (the exact value rounded to float64
#: and computed in another order differs by ~1e-15; a wrong formula by far more than 1e-8).
RIGHT_TOL = 1e-8
#: The same for agreement with centred finite differences (their truncation error is ~1e-9 at step 1e-6).
FD_TOL = 1e-6

EXIT_RIGHT, EXIT_WRONG, EXIT_NOT_GRADED = 0, 1, 2


@dataclass
class Quantity:
    """The verdict on one quantity (the loss or one gradient) over all problems."""

    name: str  # "loss" or a gradient key
    equation: str
    error: float  # largest relative error against SymPy
    fd_error: float | None  # relative error against finite differences of the learner's loss (first problem)

    @property
    def right(self) -> bool:
        return self.error <= RIGHT_TOL


@dataclass
class Report:
    """Everything the grader found; `text` is what the command prints."""

    model: str
    target: str
    status: str  # "right", "wrong", "error" (could not grade) or "not-implemented"
    message: str = ""
    problems: list[str] = field(default_factory=list)
    quantities: list[Quantity] = field(default_factory=list)
    where: str = ""
    diagnoses: list[Mistake] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return {"right": EXIT_RIGHT, "wrong": EXIT_WRONG}.get(self.status, EXIT_NOT_GRADED)

    @property
    def wrong(self) -> list[str]:
        return [q.name for q in self.quantities if not q.right]

    def text(self) -> str:
        model = MODELS[self.model]
        lines = [f"Grading {model.call} in {self.target} as '{self.model}'", ""]
        if self.status in ("error", "not-implemented"):
            lines.append(("NOT IMPLEMENTED YET: " if self.status == "not-implemented" else "CANNOT GRADE: ")
                         + self.message)
            if self.status == "not-implemented":
                lines += ["", "Write the missing part, then run the same command again."]
            return "\n".join(_wrap(line) for line in lines) + "\n"
        lines.append(f"Compared with the SymPy derivation at {len(self.problems)} tiny sizes:")
        lines += [f"  {p}" for p in self.problems]
        lines += ["", f"  {'quantity':<10} {'eq.':<8} {'verdict':<8} {'rel. error vs SymPy':>20}   "
                      f"{'vs finite differences of your loss*':>35}"]
        for q in self.quantities:
            fd = "" if q.fd_error is None else f"{q.fd_error:.1e}"
            label = q.name if q.name == "loss" else f"dL/d{q.name}"
            lines.append(f"  {label:<10} {q.equation:<8} {'right' if q.right else 'WRONG':<8} "
                         f"{q.error:>20.1e}   {fd:>35}")
        lines += [f"  * centred differences of the loss your function returns, at {self.problems[0]}", ""]
        if self.status == "right":
            lines.append("Everything is right: the loss and every gradient agree with the derivation.")
            return "\n".join(_wrap(line) for line in lines) + "\n"
        lines.append(f"Wrong: {', '.join(self.wrong)}.")
        if self.where:
            lines += ["", "Where: " + self.where]
        if self.diagnoses:
            for m in self.diagnoses:
                lines += ["", f"Diagnosis: {m.name}.", f"  {m.explanation}",
                          f"  See equation {m.equation}: {m.url}"]
        else:
            lines += ["", "No classic mistake of the catalogue matches your numbers exactly; compare your code "
                          f"with the equations of {SITE_URL}{model.page.removesuffix('.md')}/ step by step."]
        return "\n".join(_wrap(line) for line in lines) + "\n"


def _wrap(line: str, width: int = 100) -> str:
    """Wrap a long line of prose at ``width``, keeping its indentation (table rows are left alone)."""
    if len(line) <= width:
        return line
    indent = line[: len(line) - len(line.lstrip())]
    return textwrap.fill(line, width, initial_indent="", subsequent_indent=indent + ("  " if not indent else ""))


def grade(model_name: str, target: str) -> Report:
    """Grade the learner's module ``target`` (a path or a module name) as ``model_name``."""
    if model_name not in MODELS:
        raise ValueError(f"model must be one of {list(MODELS)}, got {model_name!r}")
    model = MODELS[model_name]
    report = Report(model_name, target, "error")
    try:
        _grade(model, target, report)
    except NotImplementedYet as exc:
        report.status, report.message = "not-implemented", str(exc)
    except GradeError as exc:
        report.status, report.message = "error", str(exc)
    return report


def _grade(model: Model, target: str, report: Report) -> None:
    module = load_module(target)
    path = Path(target) if Path(target).is_file() else None
    fn = find_function(module, "loss_and_grads", model.signature)
    hooks = {}
    for name in model.hooks:
        hook = find_function(module, name, model.signature, required=False)
        if hook is not None:
            hooks[name] = hook

    def run(problem: Problem):
        args = tuple(problem.copy_kwargs()[a] for a in model.signature)
        result = call(fn, args, path)
        return check_result(result, model.grad_keys, lambda k: model.grad_shape(k, problem.dims), fn.__name__)

    results = [run(p) for p in model.sizes]
    refs = [model.reference(p) for p in model.sizes]
    report.problems = [p.label for p in model.sizes]
    loss_err = max(_rel(L, ref["loss"]) for (L, _), ref in zip(results, refs))
    fd = _finite_differences(model, fn, model.sizes[0], path)  # at the first size: 2 calls per entry
    report.quantities = [Quantity("loss", _loss_equation(model), loss_err, None)]
    for k in model.grad_keys:
        err = max(relative_error(g[k], ref["grads"][k]) for (_, g), ref in zip(results, refs))
        fd_err = relative_error(results[0][1][k], fd[k])
        report.quantities.append(Quantity(k, model.equations.get(k, ""), err, fd_err))
    if not report.wrong:
        report.status = "right"
        return
    report.status = "wrong"
    report.where = _localise(model, hooks, path, results, refs) if hooks else _smallest_T(model, run)
    report.diagnoses = [m for m in CATALOGUE[model.name] if _matches(model, m, results)]


def _rel(a: float, b: float) -> float:
    return relative_error(np.array([a]), np.array([b]))


def _loss_equation(model: Model) -> str:
    return {"dense": "(1.4)", "lstm": "(5.7)"}.get(model.name, "(2.4)")


def _finite_differences(model: Model, fn, problem: Problem, path) -> dict:
    """Centred differences of the learner's own loss with respect to every array that has a gradient."""
    kwargs = problem.copy_kwargs()
    args = lambda: tuple(kwargs[a] for a in model.signature)  # noqa: E731 (reads the perturbed arrays)

    def loss() -> float:
        result = call(fn, args(), path)
        return float(np.asarray(result[0], dtype=np.float64).ravel()[0])

    out = {}
    for k in model.grad_keys:
        array = kwargs[k] if k in kwargs else kwargs["params"][k]
        out[k] = numerical_gradient(loss, array)
    return out


def _matches(model: Model, mistake: Mistake, results) -> bool:
    """The signature test of a catalogue entry: the learner's loss and every gradient equal the variant's."""
    for problem, (L, grads) in zip(model.sizes, results):
        L_bug, g_bug, _ = model.variant(problem.kwargs, mistake.bug)
        if _rel(L, L_bug) > MATCH_TOL:
            return False
        if any(relative_error(grads[k], g_bug[k]) > MATCH_TOL for k in model.grad_keys):
            return False
    return True


def _localise(model: Model, hooks: dict, path, results, refs) -> str:
    """The first step (in the order of the backward pass, t = T down to 1) at which a hook's quantity departs."""
    for problem, ref in zip(model.sizes, refs):
        d = problem.dims
        mine = {}
        for name, hook in hooks.items():
            value = call(hook, tuple(problem.copy_kwargs()[a] for a in model.signature), path)
            mine[HOOK_STATES[name]] = check_states(value, (d["T"], d["B"], d["H"]), name)
        for t in range(d["T"], 0, -1):
            for key in ("dh", "ds"):
                if key in mine and relative_error(mine[key][t - 1], ref[key][t - 1]) > RIGHT_TOL:
                    symbol = "dL/dh" if key == "dh" else "dL/ds"
                    right = f"t = {t + 1}" if t + 1 == d["T"] else f"t = {d['T']} ... {t + 1}"
                    later = (f"it agrees with the derivation at {right} and departs at t = {t}"
                             if t < d["T"] else f"it departs already at the last step, t = T = {t}")
                    return (f"your {symbol}(t) (from {'hidden' if key == 'dh' else 'cell'}_state_grads) goes "
                            f"wrong first at t = {t}, going backward from t = T: {later} "
                            f"(at {problem.label}).")
    names = " and ".join(f"{'dL/dh' if HOOK_STATES[n] == 'dh' else 'dL/ds'}(t)" for n in hooks)
    return (f"your {names} agree with the derivation at every step, so the mistake comes after them: in the "
            "deltas of the parameters' pre-activations or in the sums over time.")


def _smallest_T(model: Model, run) -> str:
    """The smallest sequence length at which some quantity is wrong (when the module exposes no hook)."""
    if not model.scan:
        return ""
    for problem in model.scan:
        L, grads = run(problem)
        ref = model.reference(problem)
        wrong = [k for k in model.grad_keys if relative_error(grads[k], ref["grads"][k]) > RIGHT_TOL]
        if _rel(L, ref["loss"]) > RIGHT_TOL:
            wrong.insert(0, "loss")
        if wrong:
            T = problem.dims["T"]
            shorter = "T = 1" if T == 2 else f"T = 1 ... {T - 1}"
            before = (f"at {shorter} everything is right, so the mistake is in what crosses from one step to the "
                      "one before") if T > 1 else "already wrong with a single step"
            return (f"the smallest sequence length at which something is wrong is T = {T} ({', '.join(wrong)}; "
                    f"{before}). Define {' and '.join(model.hooks)} in your module (same arguments, returning (T, B, H)) "
                    "to see the first wrong time step."
                    if model.hooks else f"the smallest sequence length at which something is wrong is T = {T} "
                    f"({', '.join(wrong)}; {before}).")
    return "at every T = 1 ... 5 of the scan everything is right; it goes wrong only at the larger sizes above."
