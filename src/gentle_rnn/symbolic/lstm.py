"""The LSTM in SymPy: one step, the unrolled network, brute-force gradients, BPTT and RTRL.

Used by ``derivations/lstm_bptt.py`` (which proves the equations of Part 5) and by the tests (which check
the NumPy code of :mod:`gentle_rnn.lstm` against these expressions). Column vectors, 1-based time, as on
the pages::

    a_*(t) = b_* + W_* h(t-1) + U_* x(t)                  * = z, g, f, q
    z(t) = tanh(a_z(t)),  g, f, q(t) = sigma(a_g, a_f, a_q(t))        (5.1)-(5.4)
    s(t) = f(t) . s(t-1) + g(t) . z(t),  h(t) = q(t) . tanh(s(t))     (5.5)-(5.6)   (. is elementwise)
    o(t) = c + V h(t),  L(t) = -e(t)^T o(t) + log sum_k exp(o_k(t))   (5.7)

``e(t)`` is the one-hot target: fixed unit vectors (``y`` given as integers) or free symbols (``y=None``,
general in the targets; see :mod:`gentle_rnn.symbolic.rnn`).

Four ways to the gradient, each used to check another:

* :func:`brute_force`: ``sympy.diff`` of the unrolled loss, entry by entry (knows no recursion). Plain
  ``sympy.diff`` re-walks the expanded tree at every level of the chain rule: for the LSTM at
  (D, H, K, T) = (1, 2, 3, 3) all 45 entries take 2.5-3 minutes here. ``method="memo"`` runs the very same
  SymPy derivative rules (each class's ``_eval_derivative_n_times``, as ``sympy.diff`` dispatches them) but
  remembers the derivative of every distinct subexpression, so a shared subtree is differentiated once:
  5 s, and the results are *identical* expressions (``==``), which the derivation shows for some entries
  and ``tests/test_lstm_brute_force.py`` for all.
* :func:`step_backward`: one step of the backward pass, proven against ``sympy.diff`` of one step.
* :func:`bptt`: backpropagation through time in matrix form, equations (5.8)-(5.16).
* :func:`rtrl`: forward mode (real-time recurrent learning, Williams & Zipser 1989), built from one-step
  Jacobians that ``sympy.diff`` derives: an independent route to the same numbers.

Numbers come from :func:`gentle_rnn.symbolic.rnn.evaluate` (each shared node once) and exact checks from
:func:`gentle_rnn.symbolic.core.exact_agreement`, which we reuse. The derivation does not build the brute
force at all: :func:`gentle_rnn.symbolic.core.exact_gradient_agreement` computes the derivative's values at
the random points by one reverse sweep of the same SymPy rules, and :func:`rtrl_agreement` runs forward mode
on exact numbers; ``tests/test_exact_gradient.py`` ties both to plain ``sympy.diff`` and to :func:`rtrl`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sympy as sp

from .core import Sigmoid, Tanh, gate_parameter_symbols, matrix_sum, matrix_symbols, memoized_diff, mul, random_points
from .rnn import NUMPY_FUNCTIONS, bind_batch, cross_entropy, evaluate, evaluate_on_batch, exact_agreement, softmax

if TYPE_CHECKING:
    import numpy as np

#: The gates, parameter names and gradient names of :mod:`gentle_rnn.lstm` (the same tuples, written here
#: so that the symbolic model does not import NumPy; tests/test_lstm.py asserts they are equal).
GATES = ("z", "g", "f", "q")
PARAM_KEYS = tuple(f"{kind}_{gate}" for gate in GATES for kind in ("U", "W", "b")) + ("V", "c")
GRAD_KEYS = PARAM_KEYS + ("h0", "s0")

__all__ = [
    "GATES", "GRAD_KEYS", "PARAM_KEYS", "Cell", "UnrolledLSTM", "LSTMBPTT", "StepGrads", "parameter_symbols",
    "cell", "unroll", "brute_force", "memoized_diff", "hadamard", "diag", "step_backward", "bptt", "rtrl",
    "rtrl_agreement",
    "numeric", "evaluate", "exact_agreement",
]

GATE_PARAM_KEYS = PARAM_KEYS[:-2]  # U_z W_z b_z ... b_q: the parameters of the recurrence


def hadamard(u: sp.Matrix, v: sp.Matrix) -> sp.Matrix:
    """The elementwise product u . v of two columns (written with ``\\odot`` on the pages)."""
    return u.multiply_elementwise(v)


def diag(v: sp.Matrix) -> sp.Matrix:
    """The diagonal matrix with the entries of the column ``v``."""
    return sp.diag(*list(v))


def _ones(n: int) -> sp.Matrix:
    return sp.ones(n, 1)


# ----------------------------------------------------------------------------------------------------------------
# one step and the unrolled network


def parameter_symbols(D: int, H: int, K: int) -> dict[str, sp.Matrix]:
    """Symbols for U_* (H x D), W_* (H x H), b_* (H) for * = z, g, f, q, and V (K x H), c (K)."""
    return gate_parameter_symbols(D, H, K, GATES)


@dataclass
class Cell:
    """The quantities of one LSTM step, as columns: pre-activations ``a[gate]``, ``z g f q s tanh_s h``."""

    a: dict[str, sp.Matrix]
    z: sp.Matrix
    g: sp.Matrix
    f: sp.Matrix
    q: sp.Matrix
    s: sp.Matrix
    tanh_s: sp.Matrix
    h: sp.Matrix


def cell(P: Mapping[str, sp.Matrix], x: sp.Matrix, h_prev: sp.Matrix, s_prev: sp.Matrix) -> Cell:
    """One step of the LSTM, equations (5.1)-(5.6), from the previous state (h_prev, s_prev) and input x."""
    a = {gate: P[f"b_{gate}"] + mul(P[f"W_{gate}"], h_prev) + mul(P[f"U_{gate}"], x) for gate in GATES}
    z = a["z"].applyfunc(Tanh)  # (5.1)
    g = a["g"].applyfunc(Sigmoid)  # (5.2)
    f = a["f"].applyfunc(Sigmoid)  # (5.3)
    q = a["q"].applyfunc(Sigmoid)  # (5.4)
    s = hadamard(f, s_prev) + hadamard(g, z)  # (5.5)
    tanh_s = s.applyfunc(Tanh)
    h = hadamard(q, tanh_s)  # (5.6)
    return Cell(a, z, g, f, q, s, tanh_s, h)


@dataclass
class UnrolledLSTM:
    """The LSTM unrolled over T steps for one sample; see :func:`unroll`.

    Matrices keyed by time, 1-based: ``x[t]``, ``e[t]``, ``cells[t]`` (a :class:`Cell`), ``h[t]``, ``s[t]``
    (``h[0]``, ``s[0]`` are the initial states), ``o[t]``, ``y_hat[t]``, ``L_t[t]``.
    """

    D: int
    H: int
    K: int
    T: int
    params: dict[str, sp.Matrix]
    h0: sp.Matrix
    s0: sp.Matrix
    x: dict[int, sp.Matrix]
    e: dict[int, sp.Matrix]
    cells: dict[int, Cell] = field(default_factory=dict)
    h: dict[int, sp.Matrix] = field(default_factory=dict)
    s: dict[int, sp.Matrix] = field(default_factory=dict)
    o: dict[int, sp.Matrix] = field(default_factory=dict)
    y_hat: dict[int, sp.Matrix] = field(default_factory=dict)
    L_t: dict[int, sp.Expr] = field(default_factory=dict)
    symbolic_targets: bool = True

    @property
    def L(self) -> sp.Expr:
        """The total loss, sum_t L(t) (equation 5.7)."""
        return sp.Add(*self.L_t.values())

    @property
    def wrt(self) -> dict[str, sp.Matrix]:
        """What we differentiate with respect to: the parameters, h(0) and s(0), keyed as in GRAD_KEYS."""
        return {**self.params, "h0": self.h0, "s0": self.s0}

    @property
    def inputs(self) -> list[sp.Symbol]:
        """Every free symbol in a fixed order: parameters, h(0), s(0), x(1..T), and e(1..T) if symbolic."""
        out = [v for k in PARAM_KEYS for v in self.params[k]] + list(self.h0) + list(self.s0)
        out += [v for t in range(1, self.T + 1) for v in self.x[t]]
        if self.symbolic_targets:
            out += [v for t in range(1, self.T + 1) for v in self.e[t]]
        return out


def unroll(D: int, H: int, K: int, T: int, y: Sequence[int] | None = None) -> UnrolledLSTM:
    """Build the unrolled LSTM, equations (5.1)-(5.7), for one sample.

    ``y``: T integer targets in [0, K), or ``None`` for symbolic one-hot targets e(t). Every step is built
    from the *objects* h(t-1), s(t-1) of the step before, so SymPy shares them: a graph of a few hundred
    nodes, although the printed tree of L grows about tenfold per step.
    """
    if y is not None:
        y = [int(v) for v in y]
        if len(y) != T or min(y) < 0 or max(y) >= K:
            raise ValueError(f"y must hold T = {T} integers in [0, {K}), got {y}")
    P = parameter_symbols(D, H, K)
    h0 = matrix_symbols("h0", H, latex="h^{(0)}")
    s0 = matrix_symbols("s0", H, latex="s^{(0)}")
    x, e = {}, {}
    for t in range(1, T + 1):
        x[t] = matrix_symbols(f"x({t})", D, latex=f"x^{{({t})}}")
        if y is None:
            e[t] = matrix_symbols(f"e({t})", K, latex=f"e^{{({t})}}")
        else:
            e[t] = sp.Matrix([int(k == y[t - 1]) for k in range(K)])
    net = UnrolledLSTM(D, H, K, T, P, h0, s0, x, e, symbolic_targets=y is None)
    net.h[0], net.s[0] = h0, s0
    for t in range(1, T + 1):
        net.cells[t] = cell(P, x[t], net.h[t - 1], net.s[t - 1])  # (5.1)-(5.6)
        net.h[t], net.s[t] = net.cells[t].h, net.cells[t].s
        net.o[t] = P["c"] + mul(P["V"], net.h[t])  # (5.7)
        net.y_hat[t] = softmax(net.o[t])
        net.L_t[t] = cross_entropy(net.o[t], e[t])  # (5.7)
    return net


# ----------------------------------------------------------------------------------------------------------------
# brute force: sympy.diff of the unrolled loss


def brute_force(net: UnrolledLSTM, names: Sequence[str] | None = None, method: str = "memo") -> dict[str, sp.Matrix]:
    """dL/dtheta for every entry of the parameters, h(0) and s(0) (or of ``names``) by differentiating L.

    Each term L(t) is differentiated on its own and the results added (the derivative of a sum is the sum of
    the derivatives). ``method="sympy"``: plain ``sympy.diff`` per entry; ``method="memo"``: the same SymPy
    rules inside :func:`memoized_diff` (identical results, minutes faster).
    """
    if method not in ("sympy", "memo"):
        raise ValueError(f"method must be 'sympy' or 'memo', got {method!r}")
    wrt = net.wrt
    names = list(wrt) if names is None else list(names)
    terms = list(net.L_t.values())
    context = memoized_diff() if method == "memo" else contextlib.nullcontext()
    with context:
        return {n: wrt[n].applyfunc(lambda v: sp.Add(*[Lt.diff(v) for Lt in terms])) for n in names}


# ----------------------------------------------------------------------------------------------------------------
# one step of the backward pass


@dataclass
class StepGrads:
    """What one backward step computes from the gradients arriving at its outputs h(t) and s(t)."""

    ds: sp.Matrix  # total dL/ds(t)                              (5.10)
    da: dict[str, sp.Matrix]  # dL/da_*(t) for * = z, g, f, q    (5.11)-(5.14)
    dh_prev: sp.Matrix  # sent to h(t-1): sum_* W_*^T da_*       (5.9)
    ds_prev: sp.Matrix  # sent to s(t-1): f(t) . ds              (5.10)
    dU: dict[str, sp.Matrix]  # this step's share of dL/dU_*     (5.15)
    dW: dict[str, sp.Matrix]
    db: dict[str, sp.Matrix]


def step_backward(P: Mapping[str, sp.Matrix], c: Cell, x: sp.Matrix, h_prev: sp.Matrix, s_prev: sp.Matrix,
                  dh: sp.Matrix, ds_next: sp.Matrix) -> StepGrads:
    """One step of the backward pass in matrix form, equations (5.9)-(5.15).

    ``dh`` is the total dL/dh(t); ``ds_next`` what s(t) receives through s(t+1) (``f(t+1) . dL/ds(t+1)``).
    """
    H = c.h.rows
    one = _ones(H)
    ds = hadamard(hadamard(dh, c.q), one - hadamard(c.tanh_s, c.tanh_s)) + ds_next  # (5.10)
    da = {
        "q": hadamard(hadamard(dh, c.tanh_s), hadamard(c.q, one - c.q)),  # (5.11)
        "z": hadamard(hadamard(ds, c.g), one - hadamard(c.z, c.z)),  # (5.12)
        "g": hadamard(hadamard(ds, c.z), hadamard(c.g, one - c.g)),  # (5.13)
        "f": hadamard(hadamard(ds, s_prev), hadamard(c.f, one - c.f)),  # (5.14)
    }
    dh_prev = matrix_sum(mul(P[f"W_{gate}"].T, da[gate]) for gate in GATES)  # (5.9)
    ds_prev = hadamard(c.f, ds)  # (5.10): the cell path
    dU = {gate: mul(da[gate], x.T) for gate in GATES}  # (5.15)
    dW = {gate: mul(da[gate], h_prev.T) for gate in GATES}
    db = {gate: da[gate] for gate in GATES}
    return StepGrads(ds, {g: da[g] for g in GATES}, dh_prev, ds_prev, dU, dW, db)


# ----------------------------------------------------------------------------------------------------------------
# BPTT in matrix form


@dataclass
class LSTMBPTT:
    """The backward pass keyed by time (1-based) and the gradients keyed by name (GRAD_KEYS)."""

    do: dict[int, sp.Matrix]
    dh: dict[int, sp.Matrix]
    ds: dict[int, sp.Matrix]
    da: dict[int, dict[str, sp.Matrix]]
    grads: dict[str, sp.Matrix]


def bptt(net: UnrolledLSTM) -> LSTMBPTT:
    """Backpropagation through time for the LSTM, equations (5.8)-(5.16), built on the nodes of ``net``.

    (5.8)  dL/do(t) = y_hat(t) - e(t);  dL/dV = sum_t dL/do(t) h(t)^T,  dL/dc = sum_t dL/do(t)
    (5.9)  dL/dh(t) = V^T dL/do(t) + sum_* W_*^T dL/da_*(t+1)
    (5.10) dL/ds(t) = q(t) . (1 - tanh^2 s(t)) . dL/dh(t) + f(t+1) . dL/ds(t+1)
    (5.11)-(5.14) the gate deltas, (5.15) the sums over t, (5.16) dL/dh(0) and dL/ds(0)
    """
    P, T, H = net.params, net.T, net.H
    zero = sp.zeros(H, 1)
    do = {t: net.y_hat[t] - net.e[t] for t in range(1, T + 1)}  # (5.8)
    dh, ds, da, steps = {}, {}, {}, {}
    dh_next, ds_next = zero, zero
    for t in range(T, 0, -1):
        dh[t] = mul(P["V"].T, do[t]) + dh_next  # (5.9)
        st = step_backward(P, net.cells[t], net.x[t], net.h[t - 1], net.s[t - 1], dh[t], ds_next)
        ds[t], da[t], steps[t] = st.ds, st.da, st
        dh_next, ds_next = st.dh_prev, st.ds_prev
    grads: dict[str, sp.Matrix] = {}
    for gate in GATES:  # (5.15)
        grads[f"U_{gate}"] = matrix_sum(steps[t].dU[gate] for t in range(1, T + 1))
        grads[f"W_{gate}"] = matrix_sum(steps[t].dW[gate] for t in range(1, T + 1))
        grads[f"b_{gate}"] = matrix_sum(steps[t].db[gate] for t in range(1, T + 1))
    grads["V"] = matrix_sum(mul(do[t], net.h[t].T) for t in range(1, T + 1))  # (5.8)
    grads["c"] = matrix_sum(do[t] for t in range(1, T + 1))
    grads["h0"], grads["s0"] = dh_next, ds_next  # (5.16)
    return LSTMBPTT(do, dh, ds, da, {k: grads[k] for k in GRAD_KEYS})


# ----------------------------------------------------------------------------------------------------------------
# forward mode: real-time recurrent learning from sympy.diff's one-step Jacobians


@dataclass
class StepJacobians:
    """One generic step differentiated by ``sympy.diff``: free symbols for h(t-1), s(t-1), x(t).

    ``state``: d[h; s] / d[h_prev; s_prev], (2H x 2H); ``params``: d[h; s] / d(gate parameters, in the order
    of :func:`theta`), (2H x P). ``h_prev``, ``s_prev``, ``x`` are the free symbols to replace per step.
    """

    h_prev: sp.Matrix
    s_prev: sp.Matrix
    x: sp.Matrix
    state: sp.Matrix
    params: sp.Matrix


def theta(P: Mapping[str, sp.Matrix]) -> list[sp.Symbol]:
    """The gate parameters as one flat list, key by key (GATE_PARAM_KEYS), each matrix row by row."""
    return [v for k in GATE_PARAM_KEYS for v in P[k]]


def step_jacobians(P: Mapping[str, sp.Matrix], D: int, H: int) -> StepJacobians:
    """Differentiate one generic step (5.1)-(5.6) with ``sympy.diff``: the local Jacobians RTRL chains."""
    h_prev = matrix_symbols("hp", H, latex=r"h^{(t-1)}")
    s_prev = matrix_symbols("sp", H, latex=r"s^{(t-1)}")
    x = matrix_symbols("xt", D, latex=r"x^{(t)}")
    c = cell(P, x, h_prev, s_prev)
    out = c.h.col_join(c.s)  # (2H x 1)
    with memoized_diff():
        state = out.jacobian(h_prev.col_join(s_prev))
        params = out.jacobian(theta(P))
    return StepJacobians(h_prev, s_prev, x, state, params)


def _lazy_product(A: sp.Matrix, B: sp.Matrix) -> sp.Matrix:
    """``A * B`` with unevaluated sums and products, skipping zero entries.

    The sensitivities of RTRL are large shared expressions; SymPy's ``*`` would canonicalise every product
    (distributing numbers over sums, asking assumptions of whole subtrees). The value is the same; only
    :func:`evaluate` reads these expressions.
    """
    out = sp.zeros(A.rows, B.cols)
    for i in range(A.rows):
        row = [(j, a) for j, a in enumerate(A.row(i)) if a != 0]
        for k in range(B.cols):
            terms = [sp.Mul(a, B[j, k], evaluate=False) for j, a in row if B[j, k] != 0]
            if terms:
                out[i, k] = terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)
    return out


def _lazy_sum(A: sp.Matrix, B: sp.Matrix) -> sp.Matrix:
    """``A + B`` entrywise with unevaluated sums (see :func:`_lazy_product`)."""
    entries = [b if a == 0 else a if b == 0 else sp.Add(a, b, evaluate=False) for a, b in zip(A, B)]
    return sp.Matrix(A.rows, A.cols, entries)


def rtrl(net: UnrolledLSTM) -> dict[str, sp.Matrix]:
    """Every gradient of L by forward-mode differentiation (real-time recurrent learning).

    Carry the sensitivities M(t) = d[h(t); s(t)] / d(theta, h(0), s(0)) forward in time:
    M(0) = [0 | I], M(t) = J_state(t) M(t-1) + [J_params(t) | 0], with the one-step Jacobians of
    :func:`step_jacobians` evaluated at step t; then dL/dtheta = sum_t dL(t)/dh(t) M_h(t), where
    dL(t)/dh(t) and the output layer's dL(t)/dV, dL(t)/dc also come from ``sympy.diff``. No backward
    recursion anywhere: an independent route to the gradients of :func:`bptt`.
    """
    P, D, H, K, T = net.params, net.D, net.H, net.K, net.T
    J = step_jacobians(P, D, H)
    n_theta = J.params.cols
    M = sp.zeros(2 * H, n_theta).row_join(sp.eye(2 * H))  # d[h(0); s(0)] / d(theta, h0, s0)
    # the output layer, differentiated once with h as a free column
    h_free = matrix_symbols("hfree", H)
    e_free = matrix_symbols("efree", K)
    Lt = cross_entropy(P["c"] + P["V"] * h_free, e_free)
    dLt_dh = sp.Matrix([[sp.diff(Lt, v) for v in h_free]])  # (1 x H)
    dLt_dV = P["V"].applyfunc(lambda v: sp.diff(Lt, v))
    dLt_dc = P["c"].applyfunc(lambda v: sp.diff(Lt, v))
    total = sp.zeros(1, n_theta + 2 * H)
    dV, dc = sp.zeros(K, H), sp.zeros(K, 1)
    for t in range(1, T + 1):
        at_t = {**dict(zip(J.h_prev, net.h[t - 1])), **dict(zip(J.s_prev, net.s[t - 1])),
                **dict(zip(J.x, net.x[t]))}
        J_state = J.state.xreplace(at_t)
        J_params = J.params.xreplace(at_t).row_join(sp.zeros(2 * H, 2 * H))
        M = _lazy_sum(_lazy_product(J_state, M), J_params)  # M(t) = J_state(t) M(t-1) + [J_params(t) | 0]
        out_t = {**dict(zip(h_free, net.h[t])), **dict(zip(e_free, net.e[t]))}
        total = _lazy_sum(total, _lazy_product(dLt_dh.xreplace(out_t), M[:H, :]))
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
    grads["s0"] = total[0, i + H : i + 2 * H].T
    return {k: grads[k] for k in GRAD_KEYS}


def _matmul(A: list[list], B: list[list]) -> list[list]:
    """The product of two matrices given as lists of rows (exact numbers stay exact)."""
    cols = list(zip(*B))
    out = []
    for row in A:
        nonzero = [(k, a) for k, a in enumerate(row) if a]  # the exact zeros of a row skipped once, not per column
        out.append([sum([a * col[k] for k, a in nonzero if col[k]]) for col in cols])
    return out


def exact_forward_mode_agreement(net, claimed: Mapping[str, sp.Matrix], J, prev: Sequence[sp.Symbol],
                                 state: Mapping[int, Sequence[sp.Expr]], gate_keys: Sequence[str],
                                 state_keys: Sequence[str], points: int = 3, seed: int = 0) -> int:
    """Check ``claimed`` (keyed by gradient name) against forward mode (RTRL), exactly, at random points.

    The recursion of :func:`rtrl`, run on numbers instead of expressions: at each point of
    :func:`~gentle_rnn.symbolic.core.random_points` the unrolled states ``state[t]`` (t = 0..T, their first
    H entries h(t)) are evaluated, the one-step Jacobians ``J.state`` (in the symbols ``prev`` and ``J.x``)
    and ``J.params`` (columns: ``gate_keys``' entries) are evaluated at each step's state and input, with the
    same node values (a node is identified by its class and the exact value of its argument, so the generic
    step's sigma(b + W h(t-1) + U x(t)) *is* the unrolled network's node), and
    R(t) = J_state(t) R(t-1) + [J_params(t) | 0] is carried forward in exact arithmetic, with
    dL/dtheta = sum_t dL(t)/dh(t) R_h(t). ``state_keys`` name the initial-state gradients, H entries each.
    Returns the number of entries; raises ``AssertionError`` naming the first that differs.
    """
    P, H, K, T = net.params, net.H, net.K, net.T
    n = len(prev)
    h_free, e_free = matrix_symbols("hfree", H), matrix_symbols("efree", K)
    Lt = cross_entropy(P["c"] + mul(P["V"], h_free), e_free)
    with memoized_diff():  # plain sympy.diff's expressions (tests/test_exact_derivatives.py), each node once
        out_exprs = [sp.diff(Lt, v) for v in [*h_free, *P["V"], *P["c"]]]
    names = list(gate_keys) + ["V", "c"] + list(state_keys)
    flat = [e for k in names for e in claimed[k]]
    n_theta = J.params.cols
    state_flat = [e for t in range(T + 1) for e in state[t]]
    for k, (point, functions) in enumerate(random_points(net.inputs, points, seed)):
        memo: dict = {}
        values = evaluate(flat + state_flat + [e for t in range(1, T + 1) for e in net.e[t]], point, functions,
                          memo=memo)
        got = values[: len(flat)]
        st = [values[len(flat) + t * n : len(flat) + (t + 1) * n] for t in range(T + 1)]
        e_val = values[len(flat) + len(state_flat):]
        R = [[0] * n_theta + [int(i == j) for j in range(n)] for i in range(n)]  # d state(0) / d(theta, state(0))
        total = [0] * (n_theta + n)
        out_V, out_c = [0] * (K * H), [0] * K
        for t in range(1, T + 1):
            at = {**point, **dict(zip(prev, st[t - 1])), **dict(zip(J.x, [point[v] for v in net.x[t]]))}
            jac = evaluate(list(J.state) + list(J.params), at, functions)
            J_state = [jac[i * n : (i + 1) * n] for i in range(n)]
            J_params = [jac[n * n + i * n_theta : n * n + (i + 1) * n_theta] for i in range(n)]
            R = [[a + b for a, b in zip(row, jp + [0] * n)] for row, jp in zip(_matmul(J_state, R), J_params)]
            out = evaluate(out_exprs, {**point, **dict(zip(h_free, st[t][:H])),
                                       **dict(zip(e_free, e_val[(t - 1) * K : t * K]))}, functions)
            total = [a + b for a, b in zip(total, _matmul([out[:H]], R[:H])[0])]
            out_V = [a + b for a, b in zip(out_V, out[H : H + K * H])]
            out_c = [a + b for a, b in zip(out_c, out[H + K * H :])]
        want = total[:n_theta] + out_V + out_c + total[n_theta:]
        labels = [f"d{name}[{i}]" if claimed[name].cols == 1 else f"d{name}[{i},{j}]"
                  for name in names for i in range(claimed[name].rows) for j in range(claimed[name].cols)]
        for label, a, b in zip(labels, got, want):
            if a != b:
                raise AssertionError(f"{label} differs from forward mode at random rational point {k + 1}: "
                                     f"{a} != {b}")
    return len(flat)


def rtrl_agreement(net: UnrolledLSTM, claimed: Mapping[str, sp.Matrix], points: int = 3, seed: int = 0) -> int:
    """``claimed`` (e.g. ``bptt(net).grads``) against forward mode (:func:`rtrl`), run on exact numbers at
    random rational points (:func:`exact_forward_mode_agreement`) instead of on expressions."""
    J = step_jacobians(net.params, net.D, net.H)
    state = {t: list(net.h[t]) + list(net.s[t]) for t in range(net.T + 1)}
    return exact_forward_mode_agreement(net, claimed, J, list(J.h_prev) + list(J.s_prev), state, GATE_PARAM_KEYS,
                                        ("h0", "s0"), points, seed)


# ----------------------------------------------------------------------------------------------------------------
# numbers for a NumPy batch


def numeric(net: UnrolledLSTM, exprs: Mapping[str, sp.Matrix], params: Mapping[str, np.ndarray], x, y, h0, s0,
            *, batch_sum: bool = True) -> dict[str, np.ndarray]:
    """Evaluate per-sample expressions of ``net`` (built with ``y=None``) on a NumPy batch, in float64.

    ``params``, ``x`` (T, B, D), ``y`` (T, B), ``h0``, ``s0`` (B, H) are laid out as in
    :mod:`gentle_rnn.lstm`. Every symbol gets the vector of its B per-sample values, so one pass of
    :func:`evaluate` computes the whole batch. With ``batch_sum=True`` (gradients of parameters and the loss,
    which is a sum over the batch, so its gradient is the sum of the per-sample gradients) a matrix comes
    back shaped like the NumPy parameter, the key ``"loss"`` as a float and the keys ``"h0"``, ``"s0"`` as
    (B, H), one row per sample (each sample has its own initial state). With ``batch_sum=False`` every entry
    comes back per sample: (B, rows) for a column, (B, rows, cols) otherwise. The weight matrices (keys
    starting with U, W, V) count as matrices even when they have one column.
    """
    values, B = bind_batch(net, PARAM_KEYS, params, x, y, [(net.h0, h0), (net.s0, s0)])
    matrix_keys = [k for k in PARAM_KEYS if k[0] in "UWV"]  # U_z is a matrix even when D = 1
    return evaluate_on_batch(exprs, values, B, batch_sum=batch_sum, state_keys=("h0", "s0"), matrix_keys=matrix_keys)
