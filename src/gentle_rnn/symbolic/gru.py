"""The GRU in SymPy: one step, the unrolled network, brute-force gradients, BPTT and RTRL.

Used by ``derivations/gru_bptt.py`` (which proves the equations of Part 6) and by the tests (which check the
NumPy code of :mod:`gentle_rnn.gru` against these expressions). Column vectors, 1-based time, as on the
page; both conventions (``update`` = "keep" / "write", ``reset`` = "before" / "after") as in
:mod:`gentle_rnn.gru`::

    zeta = sigma(a_zeta),  rho = sigma(a_rho),  h_tilde = tanh(a_h)                  (6.1)-(6.3)
    h(t) = mu . h(t-1) + (1 - mu) . h_tilde,  mu = zeta ("keep") or 1 - zeta ("write")    (6.4)

Three routes to the gradient, each used to check another: :func:`brute_force` (differentiate the unrolled
loss; ``method="memo"`` runs SymPy's own derivative rules once per distinct subexpression, identical results
to plain ``sympy.diff``, see :func:`gentle_rnn.symbolic.lstm.memoized_diff`), :func:`bptt` (the backward
recursion in matrix form, (6.6)-(6.13)) and :func:`rtrl` (forward mode from ``sympy.diff``'s one-step
Jacobians).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sympy as sp

from ..gru import GATES, GRAD_KEYS, PARAM_KEYS, check_convention
from .core import Sigmoid, Tanh, gate_parameter_symbols, matrix_sum, matrix_symbols, mul
from .lstm import _lazy_product, _lazy_sum, diag, exact_forward_mode_agreement, hadamard, memoized_diff
from .rnn import NUMPY_FUNCTIONS, bind_batch, cross_entropy, evaluate, evaluate_on_batch, exact_agreement, softmax

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "GATES", "GRAD_KEYS", "PARAM_KEYS", "Cell", "UnrolledGRU", "GRUBPTT", "StepGrads", "parameter_symbols",
    "cell", "unroll", "brute_force", "step_backward", "bptt", "rtrl", "rtrl_agreement", "step_jacobian", "numeric", "evaluate",
    "exact_agreement", "hadamard", "diag", "NUMPY_FUNCTIONS",
]

GATE_PARAM_KEYS = PARAM_KEYS[:-2]
LATEX = {"zeta": r"\zeta", "rho": r"\rho", "h": "h"}


def parameter_symbols(D: int, H: int, K: int) -> dict[str, sp.Matrix]:
    """Symbols for U_* (H x D), W_* (H x H), b_* (H) for * = zeta, rho, h, and V (K x H), c (K)."""
    return gate_parameter_symbols(D, H, K, GATES, LATEX)


@dataclass
class Cell:
    """One GRU step, as columns: pre-activations ``a``, gates ``zeta rho``, ``h_tilde``, ``mu``, ``h``, and
    ``Wh_h`` = W_h h(t-1) (used by reset="after")."""

    a: dict[str, sp.Matrix]
    zeta: sp.Matrix
    rho: sp.Matrix
    h_tilde: sp.Matrix
    mu: sp.Matrix
    h: sp.Matrix
    Wh_h: sp.Matrix


def cell(P: Mapping[str, sp.Matrix], x: sp.Matrix, h_prev: sp.Matrix, update: str = "keep",
         reset: str = "before") -> Cell:
    """One step of the GRU, equations (6.1)-(6.4), from the previous state h_prev and the input x."""
    update, reset = check_convention(update, reset)
    a = {g: P[f"b_{g}"] + mul(P[f"W_{g}"], h_prev) + mul(P[f"U_{g}"], x) for g in ("zeta", "rho")}
    zeta = a["zeta"].applyfunc(Sigmoid)  # (6.1)
    rho = a["rho"].applyfunc(Sigmoid)  # (6.2)
    Wh_h = mul(P["W_h"], h_prev)
    if reset == "before":
        a["h"] = P["b_h"] + mul(P["W_h"], hadamard(rho, h_prev)) + mul(P["U_h"], x)  # (6.3)
    else:
        a["h"] = P["b_h"] + hadamard(rho, Wh_h) + mul(P["U_h"], x)  # (6.3')
    h_tilde = a["h"].applyfunc(Tanh)
    one = sp.ones(h_prev.rows, 1)
    mu = zeta if update == "keep" else one - zeta
    h = hadamard(mu, h_prev) + hadamard(one - mu, h_tilde)  # (6.4)
    return Cell(a, zeta, rho, h_tilde, mu, h, Wh_h)


@dataclass
class UnrolledGRU:
    """The GRU unrolled over T steps for one sample (1-based dicts ``x e cells h o y_hat L_t``)."""

    D: int
    H: int
    K: int
    T: int
    update: str
    reset: str
    params: dict[str, sp.Matrix]
    h0: sp.Matrix
    x: dict[int, sp.Matrix]
    e: dict[int, sp.Matrix]
    cells: dict[int, Cell] = field(default_factory=dict)
    h: dict[int, sp.Matrix] = field(default_factory=dict)
    o: dict[int, sp.Matrix] = field(default_factory=dict)
    y_hat: dict[int, sp.Matrix] = field(default_factory=dict)
    L_t: dict[int, sp.Expr] = field(default_factory=dict)
    symbolic_targets: bool = True

    @property
    def L(self) -> sp.Expr:
        return sp.Add(*self.L_t.values())

    @property
    def wrt(self) -> dict[str, sp.Matrix]:
        return {**self.params, "h0": self.h0}

    @property
    def inputs(self) -> list[sp.Symbol]:
        """Every free symbol: parameters, h(0), x(1..T), and e(1..T) if symbolic."""
        out = [v for k in PARAM_KEYS for v in self.params[k]] + list(self.h0)
        out += [v for t in range(1, self.T + 1) for v in self.x[t]]
        if self.symbolic_targets:
            out += [v for t in range(1, self.T + 1) for v in self.e[t]]
        return out


def unroll(D: int, H: int, K: int, T: int, y: Sequence[int] | None = None, *, update: str = "keep",
           reset: str = "before") -> UnrolledGRU:
    """Build the unrolled GRU, equations (6.1)-(6.5), for one sample (``y=None``: symbolic targets)."""
    P = parameter_symbols(D, H, K)
    h0 = matrix_symbols("h0", H, latex="h^{(0)}")
    x, e = {}, {}
    for t in range(1, T + 1):
        x[t] = matrix_symbols(f"x({t})", D, latex=f"x^{{({t})}}")
        e[t] = (matrix_symbols(f"e({t})", K, latex=f"e^{{({t})}}") if y is None
                else sp.Matrix([int(k == int(y[t - 1])) for k in range(K)]))
    net = UnrolledGRU(D, H, K, T, update, reset, P, h0, x, e, symbolic_targets=y is None)
    net.h[0] = h0
    for t in range(1, T + 1):
        net.cells[t] = cell(P, x[t], net.h[t - 1], update, reset)
        net.h[t] = net.cells[t].h
        net.o[t] = P["c"] + mul(P["V"], net.h[t])  # (6.5)
        net.y_hat[t] = softmax(net.o[t])
        net.L_t[t] = cross_entropy(net.o[t], e[t])
    return net


def brute_force(net: UnrolledGRU, names: Sequence[str] | None = None, method: str = "memo") -> dict[str, sp.Matrix]:
    """dL/dtheta for every entry (or those of ``names``) by differentiating the unrolled loss term by term."""
    if method not in ("sympy", "memo"):
        raise ValueError(f"method must be 'sympy' or 'memo', got {method!r}")
    wrt = net.wrt
    names = list(wrt) if names is None else list(names)
    terms = list(net.L_t.values())
    context = memoized_diff() if method == "memo" else contextlib.nullcontext()
    with context:
        return {n: wrt[n].applyfunc(lambda v: sp.Add(*[Lt.diff(v) for Lt in terms])) for n in names}


# ----------------------------------------------------------------------------------------------------------------
# one step of the backward pass, and BPTT


@dataclass
class StepGrads:
    """What one backward step computes from the total dL/dh(t)."""

    da: dict[str, sp.Matrix]  # dL/da_zeta, dL/da_rho, dL/da_h          (6.8)-(6.10)
    dh_prev: sp.Matrix  # sent to h(t-1)                                 (6.11)
    dU: dict[str, sp.Matrix]  # this step's share of dL/dU_*             (6.12)
    dW: dict[str, sp.Matrix]
    db: dict[str, sp.Matrix]


def step_backward(P: Mapping[str, sp.Matrix], c: Cell, x: sp.Matrix, h_prev: sp.Matrix, dh: sp.Matrix,
                  update: str, reset: str) -> StepGrads:
    """One step of the backward pass in matrix form, equations (6.8)-(6.12), given the total dL/dh(t)."""
    one = sp.ones(h_prev.rows, 1)
    sign = 1 if update == "keep" else -1
    da = {"zeta": sign * hadamard(hadamard(dh, h_prev - c.h_tilde), hadamard(c.zeta, one - c.zeta))}  # (6.8)
    da["h"] = hadamard(hadamard(dh, one - c.mu), one - hadamard(c.h_tilde, c.h_tilde))  # (6.9)
    d_rho = hadamard(c.rho, one - c.rho)
    if reset == "before":
        d_rh = mul(P["W_h"].T, da["h"])
        da["rho"] = hadamard(hadamard(d_rh, h_prev), d_rho)  # (6.10)
        via_candidate = hadamard(d_rh, c.rho)
        dW_h = mul(da["h"], hadamard(c.rho, h_prev).T)  # (6.12)
    else:
        da["rho"] = hadamard(hadamard(da["h"], c.Wh_h), d_rho)  # (6.10')
        via_candidate = mul(P["W_h"].T, hadamard(c.rho, da["h"]))
        dW_h = mul(hadamard(c.rho, da["h"]), h_prev.T)  # (6.12')
    dh_prev = hadamard(c.mu, dh) + mul(P["W_zeta"].T, da["zeta"]) + mul(P["W_rho"].T, da["rho"]) + via_candidate  # (6.11)
    dU = {g: mul(da[g], x.T) for g in GATES}
    dW = {"zeta": mul(da["zeta"], h_prev.T), "rho": mul(da["rho"], h_prev.T), "h": dW_h}
    return StepGrads({g: da[g] for g in GATES}, dh_prev, dU, dW, {g: da[g] for g in GATES})


@dataclass
class GRUBPTT:
    """The backward pass keyed by time (1-based) and the gradients keyed by name (GRAD_KEYS)."""

    do: dict[int, sp.Matrix]
    dh: dict[int, sp.Matrix]
    da: dict[int, dict[str, sp.Matrix]]
    grads: dict[str, sp.Matrix]


def bptt(net: UnrolledGRU) -> GRUBPTT:
    """Back propagation through time for the GRU, equations (6.6)-(6.13), on the nodes of ``net``."""
    P, T, H = net.params, net.T, net.H
    do = {t: net.y_hat[t] - net.e[t] for t in range(1, T + 1)}  # (6.6)
    dh, da, steps = {}, {}, {}
    dh_next = sp.zeros(H, 1)
    for t in range(T, 0, -1):
        dh[t] = mul(P["V"].T, do[t]) + dh_next  # (6.7)
        st = step_backward(P, net.cells[t], net.x[t], net.h[t - 1], dh[t], net.update, net.reset)
        da[t], steps[t], dh_next = st.da, st, st.dh_prev
    grads: dict[str, sp.Matrix] = {}
    for g in GATES:  # (6.12)
        grads[f"U_{g}"] = matrix_sum(steps[t].dU[g] for t in range(1, T + 1))
        grads[f"W_{g}"] = matrix_sum(steps[t].dW[g] for t in range(1, T + 1))
        grads[f"b_{g}"] = matrix_sum(steps[t].db[g] for t in range(1, T + 1))
    grads["V"] = matrix_sum(mul(do[t], net.h[t].T) for t in range(1, T + 1))  # (6.6)
    grads["c"] = matrix_sum(do[t] for t in range(1, T + 1))
    grads["h0"] = dh_next  # (6.13)
    return GRUBPTT(do, dh, da, {k: grads[k] for k in GRAD_KEYS})


# ----------------------------------------------------------------------------------------------------------------
# one-step Jacobian and forward mode (RTRL)


@dataclass
class StepJacobians:
    """One generic step differentiated by ``sympy.diff``: free symbols ``h_prev``, ``x``; ``state`` dh/dh_prev
    (H x H); ``params`` dh/d(gate parameters in GATE_PARAM_KEYS order) (H x P)."""

    h_prev: sp.Matrix
    x: sp.Matrix
    cell: Cell
    state: sp.Matrix
    params: sp.Matrix


def theta(P: Mapping[str, sp.Matrix]) -> list[sp.Symbol]:
    return [v for k in GATE_PARAM_KEYS for v in P[k]]


def step_jacobian(P: Mapping[str, sp.Matrix], D: int, H: int, update: str = "keep", reset: str = "before",
                  *, with_params: bool = True) -> StepJacobians:
    """Differentiate one generic step (6.1)-(6.4) with ``sympy.diff`` (memoised): the local Jacobians."""
    h_prev = matrix_symbols("hp", H, latex=r"h^{(t-1)}")
    x = matrix_symbols("xt", D, latex=r"x^{(t)}")
    c = cell(P, x, h_prev, update, reset)
    with memoized_diff():
        state = c.h.jacobian(h_prev)
        params = c.h.jacobian(theta(P)) if with_params else None
    return StepJacobians(h_prev, x, c, state, params)


def rtrl(net: UnrolledGRU) -> dict[str, sp.Matrix]:
    """Every gradient of L by forward-mode differentiation (real-time recurrent learning).

    M(t) = dh(t)/d(theta, h(0)): M(0) = [0 | I], M(t) = J_state(t) M(t-1) + [J_params(t) | 0], and
    dL/dtheta = sum_t dL(t)/dh(t) M(t), with every local derivative from ``sympy.diff``.
    """
    P, D, H, K, T = net.params, net.D, net.H, net.K, net.T
    J = step_jacobian(P, D, H, net.update, net.reset)
    n_theta = J.params.cols
    M = sp.zeros(H, n_theta).row_join(sp.eye(H))
    h_free = matrix_symbols("hfree", H)
    e_free = matrix_symbols("efree", K)
    Lt = cross_entropy(P["c"] + P["V"] * h_free, e_free)
    dLt_dh = sp.Matrix([[sp.diff(Lt, v) for v in h_free]])
    dLt_dV = P["V"].applyfunc(lambda v: sp.diff(Lt, v))
    dLt_dc = P["c"].applyfunc(lambda v: sp.diff(Lt, v))
    total = sp.zeros(1, n_theta + H)
    dV, dc = sp.zeros(K, H), sp.zeros(K, 1)
    for t in range(1, T + 1):
        at_t = {**dict(zip(J.h_prev, net.h[t - 1])), **dict(zip(J.x, net.x[t]))}
        J_state = J.state.xreplace(at_t)
        J_params = J.params.xreplace(at_t).row_join(sp.zeros(H, H))
        M = _lazy_sum(_lazy_product(J_state, M), J_params)
        out_t = {**dict(zip(h_free, net.h[t])), **dict(zip(e_free, net.e[t]))}
        total = _lazy_sum(total, _lazy_product(dLt_dh.xreplace(out_t), M))
        dV += dLt_dV.xreplace(out_t)
        dc += dLt_dc.xreplace(out_t)
    grads: dict[str, sp.Matrix] = {}
    i = 0
    for k in GATE_PARAM_KEYS:
        n = len(P[k])
        grads[k] = sp.Matrix(P[k].rows, P[k].cols, list(total[0, i : i + n]))
        i += n
    grads["V"], grads["c"] = dV, dc
    grads["h0"] = total[0, i : i + H].T
    return {k: grads[k] for k in GRAD_KEYS}


def rtrl_agreement(net: UnrolledGRU, claimed: Mapping[str, sp.Matrix], points: int = 3, seed: int = 0) -> int:
    """``claimed`` (e.g. ``bptt(net).grads``) against forward mode (:func:`rtrl`), run on exact numbers at
    random rational points (:func:`gentle_rnn.symbolic.lstm.exact_forward_mode_agreement`)."""
    J = step_jacobian(net.params, net.D, net.H, net.update, net.reset)
    state = {t: list(net.h[t]) for t in range(net.T + 1)}
    return exact_forward_mode_agreement(net, claimed, J, list(J.h_prev), state, GATE_PARAM_KEYS, ("h0",),
                                        points, seed)


def step_jacobian_formula(P: Mapping[str, sp.Matrix], c: Cell, h_prev: sp.Matrix, update: str,
                          reset: str) -> sp.Matrix:
    """The one-step Jacobian dh(t)/dh(t-1) in matrix form, equation (6.14)."""
    one = sp.ones(h_prev.rows, 1)
    sign = 1 if update == "keep" else -1
    d_rho = hadamard(c.rho, one - c.rho)
    if reset == "before":
        da_h = mul(P["W_h"], diag(c.rho)) + mul(P["W_h"], diag(hadamard(h_prev, d_rho)), P["W_rho"])
    else:
        da_h = mul(diag(c.rho), P["W_h"]) + mul(diag(hadamard(c.Wh_h, d_rho)), P["W_rho"])
    return (diag(c.mu)
            + mul(diag(sign * hadamard(h_prev - c.h_tilde, hadamard(c.zeta, one - c.zeta))), P["W_zeta"])
            + mul(diag(hadamard(one - c.mu, one - hadamard(c.h_tilde, c.h_tilde))), da_h))


def numeric(net: UnrolledGRU, exprs: Mapping[str, sp.Matrix], params: Mapping[str, np.ndarray], x, y, h0,
            *, batch_sum: bool = True) -> dict[str, np.ndarray]:
    """Evaluate per-sample expressions of ``net`` (built with ``y=None``) on a NumPy batch, in float64
    (as :func:`gentle_rnn.symbolic.lstm.numeric`; ``"h0"`` comes back (B, H))."""
    values, B = bind_batch(net, PARAM_KEYS, params, x, y, [(net.h0, h0)])
    matrix_keys = [k for k in PARAM_KEYS if k[0] in "UWV"]
    return evaluate_on_batch(exprs, values, B, batch_sum=batch_sum, state_keys=("h0",), matrix_keys=matrix_keys)
