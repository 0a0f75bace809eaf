"""What the grader asks of each model: the function, its problems and the symbolic reference answers.

A `Model` names the function the learner writes (the same signature as ours), the gradient keys it
must return, the optional hooks it may expose for localising a mistake in time, and how to pose problems:
tiny, unequal sizes (D, H, K all different, T >= 3) with random parameters, inputs and targets. The reference
answers come from SymPy:

* dense: ``sympy.diff`` of the symbolic loss of one example (`gentle_rnn.symbolic.dense`'s network with
  a symbolic one-hot target), lambdified and evaluated on the batch;
* rnn, rnn-truncated, lstm: the backward pass in matrix form built on the unrolled SymPy network
  (`gentle_rnn.symbolic.rnn.bptt`, `gentle_rnn.symbolic.rnn.truncated_bptt`,
  `gentle_rnn.symbolic.lstm.bptt`), evaluated on the batch. The derivations prove these equal to
  brute-force ``sympy.diff`` of the unrolled loss (``derivations/rnn_bptt.py``, ``derivations/lstm_bptt.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import sympy as sp

from .. import lstm as np_lstm
from ..symbolic import Tanh, brute_force_gradient, lambdify_numpy, matrix_symbols
from ..symbolic import lstm as slstm
from ..symbolic import rnn as srnn
from . import variants


@dataclass
class Problem:
    """One call of the learner's function: keyword arguments, sizes, and (for truncation) tau."""

    kwargs: dict
    dims: dict  # D H K B (and T)
    truncate: int | None = None

    @property
    def label(self) -> str:
        text = ", ".join(f"{k} = {v}" for k, v in self.dims.items())
        return text + (f", truncate = {self.truncate}" if self.truncate is not None else "")

    def copy_kwargs(self) -> dict:
        """Fresh copies of every array, so that the learner's function cannot change our problem."""
        def cp(v):
            if isinstance(v, dict):
                return {k: np.array(a, dtype=np.float64) for k, a in v.items()}
            return v.copy() if isinstance(v, np.ndarray) else v
        return {k: cp(v) for k, v in self.kwargs.items()}


@dataclass(frozen=True)
class Model:
    """The grader's view of one model (one choice of the command's first argument)."""

    name: str
    signature: tuple[str, ...]  # the arguments of loss_and_grads, in order
    grad_keys: tuple[str, ...]
    grad_shape: Callable[[str, dict], tuple]  # (key, dims) -> expected shape
    sizes: tuple  # the main problems
    scan: tuple  # problems of growing T at one size, for "the smallest T at which it fails"
    reference: Callable[[Problem], dict]  # {"loss", "grads", and per-step "dh", "ds" where defined}
    variant: Callable  # (problem kwargs, bug) -> (loss, grads, states)
    hooks: tuple[str, ...] = ()  # optional functions with the same signature: name -> states key
    page: str = ""
    equations: dict = field(default_factory=dict)  # gradient key -> equation label, for the report
    truncation: bool = False

    @property
    def call(self) -> str:
        return f"loss_and_grads({', '.join(self.signature)})"


# ----------------------------------------------------------------------------------------------------------------
# random problems


def _rng(dims: dict, salt: int) -> np.random.Generator:
    return np.random.default_rng([salt, *dims.values()])


def _random_params(rng, shapes: dict) -> dict:
    # scale 1 over sqrt(fan-in) for matrices, unit normal biases: every entry matters, none saturates
    return {k: rng.normal(0.0, 1.0 / np.sqrt(s[-1]) if len(s) == 2 else 0.5, size=s) for k, s in shapes.items()}


def _dense_problem(D, H, K, B, salt=1) -> Problem:
    dims = dict(D=D, H=H, K=K, B=B)
    rng = _rng(dims, salt)
    params = _random_params(rng, {"U": (H, D), "b": (H,), "V": (K, H), "c": (K,)})
    x = rng.normal(size=(B, D))
    y = rng.integers(0, K, size=B)
    return Problem({"params": params, "x": x, "y": y}, dims)


def _rnn_shapes(D, H, K):
    return {"U": (H, D), "W": (H, H), "b": (H,), "V": (K, H), "c": (K,)}


def _lstm_shapes(D, H, K):
    shapes = {}
    for gate in np_lstm.GATES:
        shapes.update({f"U_{gate}": (H, D), f"W_{gate}": (H, H), f"b_{gate}": (H,)})
    return {**shapes, "V": (K, H), "c": (K,)}


def _sequence_problem(kind, D, H, K, T, B, truncate=None, salt=2) -> Problem:
    dims = dict(D=D, H=H, K=K, T=T, B=B)
    rng = _rng(dims, salt)
    shapes = _rnn_shapes(D, H, K) if kind == "rnn" else _lstm_shapes(D, H, K)
    kwargs = {"params": _random_params(rng, shapes), "x": rng.normal(size=(T, B, D)),
              "y": rng.integers(0, K, size=(T, B)), "h0": rng.normal(0.0, 0.5, size=(B, H))}
    if kind == "lstm":
        kwargs["s0"] = rng.normal(0.0, 0.5, size=(B, H))
    if truncate is not None:
        kwargs["truncate"] = truncate
    return Problem(kwargs, dims, truncate)


# ----------------------------------------------------------------------------------------------------------------
# symbolic references


@lru_cache(maxsize=None)
def _dense_symbolic(D: int, H: int, K: int):
    """Loss and brute-force gradients of one example with a symbolic one-hot target e, lambdified entry by
    entry: a function of (U, b, V, c, x, e) returning [loss, dU entries, db, dV, dc, dx]."""
    U, b, V, c = matrix_symbols("U", H, D), matrix_symbols("b", H), matrix_symbols("V", K, H), matrix_symbols("c", K)
    x, e = matrix_symbols("x", D), matrix_symbols("e", K)
    h = (b + U * x).applyfunc(Tanh)  # (1.1)-(1.2)
    loss = srnn.cross_entropy(c + V * h, e)  # (1.3)-(1.4)
    entries = [loss] + [g for M in (U, b, V, c, x) for g in brute_force_gradient(loss, M)]
    return lambdify_numpy([*U, *b, *V, *c, *x, *e], entries)


def _dense_reference(problem: Problem) -> dict:
    kw, d = problem.kwargs, problem.dims
    D, H, K, B = d["D"], d["H"], d["K"], d["B"]
    p, x, y = kw["params"], kw["x"], kw["y"]
    e = np.eye(K)[y]  # (B, K) one-hot targets, one row per example
    args = [*(float(v) for k in ("U", "b", "V", "c") for v in p[k].ravel()), *x.T, *e.T]
    values = _dense_symbolic(D, H, K)(*args)
    per_example = np.stack([np.broadcast_to(np.asarray(v, float), (B,)) for v in values])  # (entries, B)
    out, i = {}, 1
    for key, shape in (("U", (H, D)), ("b", (H,)), ("V", (K, H)), ("c", (K,)), ("x", (D,))):
        n = int(np.prod(shape))
        block = per_example[i : i + n]
        i += n
        # the loss is a sum over the batch: parameter gradients add up, dL/dx has one row per example
        out[key] = block.T.reshape(B, D) if key == "x" else block.sum(axis=1).reshape(shape)
    return {"loss": float(per_example[0].sum()), "grads": out}


def _shaped(grads: dict, params: dict) -> dict:
    """Parameter gradients shaped like the parameters (a one-column matrix comes back as a vector)."""
    return {k: np.reshape(v, params[k].shape) if k in params else v for k, v in grads.items()}


@lru_cache(maxsize=None)
def _rnn_symbolic(D, H, K, T, truncate):
    net = srnn.unroll(D, H, K, T)
    states = {}
    if truncate is None:
        bp = srnn.bptt(net)
        grads = bp.grads
        states = {f"dh{t}": bp.dh[t] for t in range(1, T + 1)}  # the total dL/dh(t) of (3.3)
    else:
        grads = srnn.truncated_bptt(net, truncate)  # (3.12)
    return net, {**grads, "loss": sp.Matrix([net.L])}, states


def _rnn_reference(problem: Problem) -> dict:
    d, kw = problem.dims, problem.kwargs
    net, exprs, states = _rnn_symbolic(d["D"], d["H"], d["K"], d["T"], problem.truncate)
    args = (kw["params"], kw["x"], kw["y"], kw["h0"])
    out = srnn.numeric(net, exprs, *args)
    ref = {"loss": out.pop("loss"), "grads": _shaped(out, kw["params"])}
    if states:
        per_step = srnn.numeric(net, states, *args, batch_sum=False)
        ref["dh"] = np.stack([per_step[f"dh{t}"] for t in range(1, d["T"] + 1)])  # (T, B, H)
    return ref


@lru_cache(maxsize=None)
def _lstm_symbolic(D, H, K, T):
    net = slstm.unroll(D, H, K, T)
    bp = slstm.bptt(net)
    states = {**{f"dh{t}": bp.dh[t] for t in range(1, T + 1)}, **{f"ds{t}": bp.ds[t] for t in range(1, T + 1)}}
    return net, {**bp.grads, "loss": sp.Matrix([net.L])}, states


def _lstm_reference(problem: Problem) -> dict:
    d, kw = problem.dims, problem.kwargs
    net, exprs, states = _lstm_symbolic(d["D"], d["H"], d["K"], d["T"])
    args = (kw["params"], kw["x"], kw["y"], kw["h0"], kw["s0"])
    out = slstm.numeric(net, exprs, *args)
    per_step = slstm.numeric(net, states, *args, batch_sum=False)
    T = d["T"]
    return {"loss": out.pop("loss"), "grads": _shaped(out, kw["params"]),
            "dh": np.stack([per_step[f"dh{t}"] for t in range(1, T + 1)]),
            "ds": np.stack([per_step[f"ds{t}"] for t in range(1, T + 1)])}


# ----------------------------------------------------------------------------------------------------------------
# the four models


def _param_shape(shapes_of):
    def shape(key, d):
        if key in ("h0", "s0"):
            return (d["B"], d["H"])
        if key == "x":
            return (d["B"], d["D"])
        return shapes_of(d["D"], d["H"], d["K"])[key]
    return shape


_SEQ_SIZES = ((2, 3, 4, 3, 2), (3, 2, 5, 4, 3), (1, 4, 3, 5, 2))
_SCAN = tuple((2, 3, 4, T, 2) for T in range(1, 6))
_TRUNC_SIZES = (((2, 3, 4, 4, 2), 2), ((3, 2, 5, 5, 3), 3), ((1, 4, 3, 4, 2), 1))

_RNN_EQ = {"U": "(3.9)", "W": "(3.8)", "b": "(3.7)", "V": "(3.6)", "c": "(3.5)", "h0": "(3.10)"}
_LSTM_EQ = {**{f"{k}_{g}": "(5.15)" for g in "zgfq" for k in "UWb"}, "V": "(5.8)", "c": "(5.8)",
            "h0": "(5.16)", "s0": "(5.16)"}

MODELS: dict[str, Model] = {
    "dense": Model(
        "dense", ("params", "x", "y"), ("U", "b", "V", "c", "x"),
        _param_shape(lambda D, H, K: {"U": (H, D), "b": (H,), "V": (K, H), "c": (K,)}),
        sizes=tuple(_dense_problem(*s) for s in ((2, 3, 4, 3), (3, 2, 5, 2), (4, 5, 3, 4))),
        scan=(), reference=_dense_reference,
        variant=lambda kw, bug: variants.dense(kw["params"], kw["x"], kw["y"], bug=bug),
        page="part-1-why-rnn.md",
        equations={"U": "(1.9)", "b": "(1.9)", "V": "(1.6)", "c": "(1.6)", "x": "(1.10)"},
    ),
    "rnn": Model(
        "rnn", ("params", "x", "y", "h0"), ("U", "W", "b", "V", "c", "h0"), _param_shape(_rnn_shapes),
        sizes=tuple(_sequence_problem("rnn", *s) for s in _SEQ_SIZES),
        scan=tuple(_sequence_problem("rnn", *s) for s in _SCAN), reference=_rnn_reference,
        variant=lambda kw, bug: variants.rnn(kw["params"], kw["x"], kw["y"], kw["h0"], bug=bug),
        hooks=("hidden_state_grads",), page="part-3-bptt.md", equations=_RNN_EQ,
    ),
    "rnn-truncated": Model(
        "rnn-truncated", ("params", "x", "y", "h0", "truncate"), ("U", "W", "b", "V", "c", "h0"),
        _param_shape(_rnn_shapes),
        sizes=tuple(_sequence_problem("rnn", *s, truncate=tau) for s, tau in _TRUNC_SIZES),
        scan=tuple(_sequence_problem("rnn", *s, truncate=2) for s in _SCAN), reference=_rnn_reference,
        variant=lambda kw, bug: variants.rnn(kw["params"], kw["x"], kw["y"], kw["h0"], kw["truncate"], bug=bug),
        page="part-3-bptt.md", equations={**_RNN_EQ, "U": "(3.12)", "W": "(3.12)", "b": "(3.12)", "h0": "(3.12)"},
        truncation=True,
    ),
    "lstm": Model(
        "lstm", ("params", "x", "y", "h0", "s0"), np_lstm.GRAD_KEYS, _param_shape(_lstm_shapes),
        sizes=tuple(_sequence_problem("lstm", *s) for s in _SEQ_SIZES),
        scan=tuple(_sequence_problem("lstm", *s) for s in _SCAN), reference=_lstm_reference,
        variant=lambda kw, bug: variants.lstm(kw["params"], kw["x"], kw["y"], kw["h0"], kw["s0"], bug=bug),
        hooks=("hidden_state_grads", "cell_state_grads"), page="part-5-lstm.md", equations=_LSTM_EQ,
    ),
}

#: Which per-step quantity each hook returns (the key in a reference and in a variant's states).
HOOK_STATES = {"hidden_state_grads": "dh", "cell_state_grads": "ds"}
