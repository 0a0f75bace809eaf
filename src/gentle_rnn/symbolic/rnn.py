"""The simple RNN in SymPy: the unrolled network, brute-force gradients and BPTT in matrix form.

Used by ``derivations/rnn_bptt.py`` (which proves the BPTT equations of Part 3), by the tests (which check
the NumPy code of :mod:`gentle_rnn.rnn` against these expressions) and by later derivations (Part 4).

Everything is a column vector here, as on the pages (the NumPy code stores one sample per *row*)::

    a(t) = b + W h(t-1) + U x(t),  h(t) = tanh(a(t)),  o(t) = c + V h(t),
    L(t) = -e(t)^T o(t) + log sum_k exp(o_k(t)),  L = sum_t L(t)

``e(t)`` is the one-hot target: either fixed unit vectors (``y`` given as integers) or a vector of free
symbols (``y=None``), which makes every expression general in the targets; for a one-hot ``e(t)`` the loss
is the cross-entropy ``-log softmax(o(t))[y(t)]``, and its gradient ``softmax(o(t)) - e(t)`` holds for any
``e(t)``.

Graph, not tree
---------------
``h(t)`` is built from the *objects* ``h(t-1)``, so SymPy shares every subexpression in memory: the network
is a graph of about ``T (H D + H^2 + K H)`` nodes although the printed tree of ``L`` grows like ``H^T``.
The BPTT recursion below is built on the same objects, so it is cheap at any size. What is *not* cheap is
anything that walks the expanded tree: ``sympy.diff`` (the brute force), ``sympy.simplify`` and ``lambdify``
(which walks every expression several times without memory). So:

* :func:`prove_equal` proves two expressions equal symbolically: every function node becomes a symbol and
  both sides become polynomials (``sympy.polys``), converted by one memoised walk of the shared graph;
* :func:`evaluate` computes numbers (NumPy arrays, one entry per batch sample; used by :func:`numeric`),
  visiting each shared node once;
* :func:`~gentle_rnn.symbolic.core.exact_agreement` (exact rational arithmetic at random points, evaluated
  the same way; defined in ``core`` and re-exported here) is a second, independent check.

Time indices are 1-based, as on the pages: ``net.h[0]`` is h(0), ``net.x[1]`` is x(1).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import sympy as sp

from .core import (  # noqa: F401 (re-exported)
    Exp, Log, Sigmoid, Tanh, _flat, evaluate, exact_agreement, matrix_sum, matrix_symbols,
    memoized_diff, mul, np,
)

#: Parameter names, and the names of the gradients (the parameters and the initial state).
PARAM_KEYS = ("U", "W", "b", "V", "c")
GRAD_KEYS = PARAM_KEYS + ("h0",)


# ----------------------------------------------------------------------------------------------------------------
# the unrolled network


@dataclass
class UnrolledRNN:
    """The simple RNN unrolled over T steps for one sample; see :func:`unroll`.

    Attributes hold SymPy matrices (column vectors for states) keyed by time, 1-based: ``x[t]``, ``e[t]``
    (targets), ``a[t]``, ``h[t]`` (``h[0]`` is the initial state), ``o[t]``, ``y_hat[t]``, ``L_t[t]``.
    """

    D: int
    H: int
    K: int
    T: int
    params: dict[str, sp.Matrix]
    h0: sp.Matrix
    x: dict[int, sp.Matrix]
    e: dict[int, sp.Matrix]
    a: dict[int, sp.Matrix] = field(default_factory=dict)
    h: dict[int, sp.Matrix] = field(default_factory=dict)
    o: dict[int, sp.Matrix] = field(default_factory=dict)
    y_hat: dict[int, sp.Matrix] = field(default_factory=dict)
    L_t: dict[int, sp.Expr] = field(default_factory=dict)
    symbolic_targets: bool = True
    term_grads: dict[int, dict] = field(default_factory=dict, repr=False)  # cache of brute_force_terms
    poly_cache: tuple | None = field(default=None, repr=False)  # ring and memo of prove_equal
    delta_cache: dict | None = field(default=None, repr=False)  # path_deltas, built once

    @property
    def L(self) -> sp.Expr:
        """The total loss, sum_t L(t) (equation 2.4)."""
        return sp.Add(*self.L_t.values())

    @property
    def wrt(self) -> dict[str, sp.Matrix]:
        """The matrices we differentiate with respect to: the parameters and h(0), keyed by gradient name."""
        return {**self.params, "h0": self.h0}

    @property
    def inputs(self) -> list[sp.Symbol]:
        """Every free symbol, in a fixed order: parameters, h(0), x(1..T), and e(1..T) if symbolic."""
        out = [s for k in PARAM_KEYS for s in self.params[k]] + list(self.h0)
        out += [s for t in range(1, self.T + 1) for s in self.x[t]]
        if self.symbolic_targets:
            out += [s for t in range(1, self.T + 1) for s in self.e[t]]
        return out


def parameter_symbols(D: int, H: int, K: int) -> dict[str, sp.Matrix]:
    """Symbols for U (H x D), W (H x H), b (H), V (K x H), c (K); entries print as ``W_{12}``."""
    return {
        "U": matrix_symbols("U", H, D),
        "W": matrix_symbols("W", H, H),
        "b": matrix_symbols("b", H),
        "V": matrix_symbols("V", K, H),
        "c": matrix_symbols("c", K),
    }


def cross_entropy(o: sp.Matrix, e: sp.Matrix) -> sp.Expr:
    """``-e^T o + log sum_k exp(o_k)``: the cross-entropy of softmax(o) against a one-hot e (equation 2.4)."""
    return -mul(e.T, o)[0, 0] + Log(sp.Add(*[Exp(ok) for ok in o]))


def softmax(o: sp.Matrix) -> sp.Matrix:
    """``y_hat = exp(o) / sum_k exp(o_k)`` as a column, written with the same Exp nodes as the loss."""
    z = sp.Add(*[Exp(ok) for ok in o])
    return o.applyfunc(lambda ok: Exp(ok) / z)


def unroll(
    D: int,
    H: int,
    K: int,
    T: int,
    y: Sequence[int] | None = None,
    *,
    params: Mapping[str, sp.Matrix] | None = None,
    h0: sp.Matrix | None = None,
    start: int = 0,
) -> UnrolledRNN:
    """Build the unrolled simple RNN, equations (2.1)-(2.4), for one sample.

    ``y``: T integer targets in [0, K), or ``None`` for symbolic one-hot targets ``e(t)``.
    ``params`` / ``h0``: reuse existing symbols or expressions (default: fresh symbols from
    :func:`parameter_symbols` and ``h0`` = symbols ``h^{(0)}``). ``start`` shifts the time labels: the network
    then runs from state ``h[start] = h0`` through steps ``start + 1 ... start + T`` (used to hold an
    intermediate state fixed in truncated BPTT).
    """
    if y is not None:
        y = [int(v) for v in y]
        if len(y) != T or min(y) < 0 or max(y) >= K:
            raise ValueError(f"y must hold T = {T} integers in [0, {K}), got {y}")
    P = dict(params) if params is not None else parameter_symbols(D, H, K)
    if h0 is None:
        h0 = matrix_symbols("h0", H, latex="h^{(0)}")
    x, e = {}, {}
    for t in range(start + 1, start + T + 1):
        x[t] = matrix_symbols(f"x({t})", D, latex=f"x^{{({t})}}")
        if y is None:
            e[t] = matrix_symbols(f"e({t})", K, latex=f"e^{{({t})}}")
        else:
            e[t] = sp.Matrix([int(k == y[t - start - 1]) for k in range(K)])
    net = UnrolledRNN(D, H, K, T, P, h0, x, e, symbolic_targets=y is None)
    U, W, b, V, c = (P[k] for k in PARAM_KEYS)
    net.h[start] = h0
    for t in range(start + 1, start + T + 1):
        net.a[t] = b + mul(W, net.h[t - 1]) + mul(U, x[t])  # (2.1)
        net.h[t] = net.a[t].applyfunc(Tanh)  # (2.2)
        net.o[t] = c + mul(V, net.h[t])  # (2.3)
        net.y_hat[t] = softmax(net.o[t])
        net.L_t[t] = cross_entropy(net.o[t], e[t])  # (2.4)
    return net


# ----------------------------------------------------------------------------------------------------------------
# brute force: sympy.diff of the unrolled loss


def brute_force_terms(
    net: UnrolledRNN, loss_terms: Mapping[int, sp.Expr] | None = None, names: Sequence[str] = GRAD_KEYS,
    method: str = "memo",
) -> dict[int, dict]:
    """dL(t)/dtheta for each loss term separately, by ``sympy.diff``: ``{t: {name: Matrix}}``.

    The derivatives of the network's own terms ``net.L_t`` are kept on ``net`` and reused (they are the
    costly part: L(T) is the deepest tree). ``loss_terms`` replaces some or all terms (for truncated BPTT,
    :func:`detached_loss_terms`); a term that *is* the network's own is not differentiated twice.
    ``names`` restricts the gradients computed for the replaced terms. ``method="sympy"``: plain
    ``sympy.diff`` per entry; ``method="memo"``: the same SymPy rules inside :func:`memoized_diff`
    (identical expressions, several times faster; tests/test_rnn_symbolic.py asserts ``==``).
    """
    if method not in ("sympy", "memo"):
        raise ValueError(f"method must be 'sympy' or 'memo', got {method!r}")
    terms = net.L_t if loss_terms is None else loss_terms
    with memoized_diff() if method == "memo" else contextlib.nullcontext():
        return _brute_force_terms(net, terms, names)


def _brute_force_terms(net: UnrolledRNN, terms: Mapping[int, sp.Expr], names: Sequence[str]) -> dict[int, dict]:
    out = {}
    for t, Lt in terms.items():
        own = Lt is net.L_t.get(t)
        if own:
            if t not in net.term_grads:
                net.term_grads[t] = {n: M.applyfunc(lambda s: sp.diff(Lt, s)) for n, M in net.wrt.items()}
            out[t] = {n: net.term_grads[t][n] for n in names}
        else:
            out[t] = {n: net.wrt[n].applyfunc(lambda s: sp.diff(Lt, s)) for n in names}
    return out


def brute_force(
    net: UnrolledRNN, loss_terms: Mapping[int, sp.Expr] | None = None, names: Sequence[str] = GRAD_KEYS,
    method: str = "memo",
) -> dict[str, sp.Matrix]:
    """dL/dtheta for every entry of U, W, b, V, c and h(0) by ``sympy.diff`` of the unrolled loss.

    The reference every formula must meet. Each term L(t) is differentiated separately and the results are
    added (the derivative of a sum is the sum of the derivatives; L(t) is a smaller tree than L).
    ``loss_terms`` replaces ``net.L_t`` (used for truncated BPTT, :func:`detached_loss_terms`); ``names``
    selects the gradients (default: all of :data:`GRAD_KEYS`); ``method`` as in :func:`brute_force_terms`.
    """
    per_term = brute_force_terms(net, loss_terms, names, method)
    return {name: matrix_sum(g[name] for g in per_term.values()) for name in names}


# ----------------------------------------------------------------------------------------------------------------
# BPTT in matrix form (Part 3)


def diag(v: sp.Matrix) -> sp.Matrix:
    """The diagonal matrix with the entries of the column ``v``."""
    return sp.diag(*list(v))


def tanh_jacobian(h: sp.Matrix) -> sp.Matrix:
    """``diag(1 - h^2)``: the Jacobian dh/da of h = tanh(a), written with the output h."""
    return diag(h.applyfunc(lambda v: 1 - v**2))


@dataclass
class BPTT:
    """The quantities of the backward pass, keyed by time (1-based), and the gradients (keyed by name)."""

    do: dict[int, sp.Matrix]
    dh: dict[int, sp.Matrix]
    da: dict[int, sp.Matrix]
    grads: dict[str, sp.Matrix]


def bptt(net: UnrolledRNN, parameters: bool = True) -> BPTT:
    """Full BPTT in matrix form, equations (3.1)-(3.10), built on the nodes of ``net``.

    ``parameters=False`` stops after (3.1)-(3.4): ``grads`` is then empty (building the sums over time of
    outer products is the larger part of the work, and some checks need only the states' gradients).

    (3.1)  dL/do(t) = y_hat(t) - e(t)
    (3.2)  dL/dh(T) = V^T dL/do(T)
    (3.3)  dL/dh(t) = V^T dL/do(t) + W^T diag(1 - h(t+1)^2) dL/dh(t+1)
    (3.4)  dL/da(t) = diag(1 - h(t)^2) dL/dh(t)
    (3.5)-(3.9)  sums over t for c, V, b, W, U;   (3.10) dL/dh(0) = W^T dL/da(1)
    """
    U, W, b, V, c = (net.params[k] for k in PARAM_KEYS)
    T0, T1 = min(net.x), max(net.x)  # first and last step
    do = {t: net.y_hat[t] - net.e[t] for t in net.x}  # (3.1)
    dh, da = {}, {}
    for t in range(T1, T0 - 1, -1):
        dh[t] = mul(V.T, do[t])  # (3.2)
        if t < T1:
            dh[t] += mul(W.T, tanh_jacobian(net.h[t + 1]), dh[t + 1])  # (3.3)
        da[t] = mul(tanh_jacobian(net.h[t]), dh[t])  # (3.4)
    if not parameters:
        return BPTT(do, dh, da, {})
    steps = range(T0, T1 + 1)
    grads = {
        "c": matrix_sum(do[t] for t in steps),  # (3.5)
        "V": matrix_sum(mul(do[t], net.h[t].T) for t in steps),  # (3.6)
        "b": matrix_sum(da[t] for t in steps),  # (3.7)
        "W": matrix_sum(mul(da[t], net.h[t - 1].T) for t in steps),  # (3.8)
        "U": matrix_sum(mul(da[t], net.x[t].T) for t in steps),  # (3.9)
        "h0": mul(W.T, da[T0]),  # (3.10)
    }
    return BPTT(do, dh, da, {k: grads[k] for k in GRAD_KEYS})


def path_deltas(net: UnrolledRNN) -> dict[tuple[int, int], sp.Matrix]:
    """``delta[t, u]`` = the part of dL(t)/da(u) that flows from the loss term L(t) to step u <= t.

    Equation (3.11): ``delta[t, t] = diag(1 - h(t)^2) V^T dL(t)/do(t)`` and
    ``delta[t, u - 1] = diag(1 - h(u-1)^2) W^T delta[t, u]``. It passes through t - u recurrent factors;
    summed over every t >= u it is the total dL/da(u) of equation (3.4). Built once per network (the
    expressions never change) and shared by every truncation length.
    """
    if net.delta_cache is not None:
        return net.delta_cache
    V, W = net.params["V"], net.params["W"]
    T0, T1 = min(net.x), max(net.x)
    delta = {}
    for t in range(T0, T1 + 1):
        delta[t, t] = mul(tanh_jacobian(net.h[t]), V.T, net.y_hat[t] - net.e[t])
        for u in range(t, T0, -1):
            delta[t, u - 1] = mul(tanh_jacobian(net.h[u - 1]), W.T, delta[t, u])
    net.delta_cache = delta
    return delta


def gradients_from_paths(net: UnrolledRNN, keep: Callable[[int, int], bool]) -> dict[str, sp.Matrix]:
    """Gradients summed over the (t, u) pairs with ``keep(t, u)`` true, equation (3.12).

    ``keep = lambda t, u: True`` gives full BPTT; ``keep = lambda t, u: t - u < tau`` truncated BPTT with
    truncation length tau; ``keep = lambda t, u: t - u >= tau`` the terms that truncation drops. The terms of
    ``c`` and ``V`` pass through no recurrent step: they count as the pairs (t, t), kept by any truncation
    with tau >= 1.
    """
    W = net.params["W"]
    delta = path_deltas(net)
    T0, T1 = min(net.x), max(net.x)
    H = net.H
    zero = sp.zeros(H, 1)
    kept = {(t, u): d for (t, u), d in delta.items() if keep(t, u)}
    da = {u: matrix_sum([zero] + [d for (t, u2), d in kept.items() if u2 == u]) for u in range(T0, T1 + 1)}
    steps = range(T0, T1 + 1)
    # the output layer's terms pass through no step of the recurrence: they belong to the pairs (t, t)
    do = {t: net.y_hat[t] - net.e[t] if keep(t, t) else sp.zeros(net.K, 1) for t in steps}
    grads = {
        "U": matrix_sum(mul(da[u], net.x[u].T) for u in steps),
        "W": matrix_sum(mul(da[u], net.h[u - 1].T) for u in steps),
        "b": matrix_sum(da[u] for u in steps),
        "V": matrix_sum(mul(do[t], net.h[t].T) for t in steps),
        "c": matrix_sum(do[t] for t in steps),
        "h0": mul(W.T, da[T0]),
    }
    return grads


def truncated_bptt(net: UnrolledRNN, tau: int) -> dict[str, sp.Matrix]:
    """Truncated BPTT with truncation length tau: keep the paths from L(t) to a(u) with t - u < tau (eq. 3.12)."""
    return gradients_from_paths(net, lambda t, u: t - u < tau)


def dropped_terms(net: UnrolledRNN, tau: int) -> dict[str, sp.Matrix]:
    """What truncation with length tau drops: the paths with t - u >= tau (full = truncated + dropped)."""
    return gradients_from_paths(net, lambda t, u: t - u >= tau)


def detached_loss_terms(net: UnrolledRNN, tau: int) -> tuple[dict[int, sp.Expr], dict[sp.Symbol, sp.Expr]]:
    """The definition of truncated BPTT by brute force: L(t) with h(t-tau) held constant, for every t.

    For t > tau the term L(t) is rebuilt from fresh symbols ``hbar`` standing for h(t-tau) (so ``sympy.diff``
    sees no path through them), running steps t-tau+1 ... t with the same parameters and inputs; for t <= tau
    the term is unchanged (its paths end at the leaf h(0)). Returns the terms and the substitution
    ``{hbar symbol: expression of h(t-tau)}`` that puts the held values back after differentiating.
    """
    terms, back = {}, {}
    for t in range(1, net.T + 1):
        if t <= tau:
            terms[t] = net.L_t[t]
            continue
        hbar = sp.Matrix([sp.Symbol(f"hbar{t}({t - tau})[{i}]", real=True) for i in range(net.H)])
        back.update(dict(zip(hbar, net.h[t - tau])))
        part = _unroll_from(net, hbar, t - tau, t)
        terms[t] = part
    return terms, back


def _unroll_from(net: UnrolledRNN, h_start: sp.Matrix, u: int, t: int) -> sp.Expr:
    """L(t) computed from the state ``h_start`` at time u through steps u+1 ... t of ``net``."""
    U, W, b, V, c = (net.params[k] for k in PARAM_KEYS)
    h = h_start
    for r in range(u + 1, t + 1):
        h = (b + mul(W, h) + mul(U, net.x[r])).applyfunc(Tanh)
    return cross_entropy(c + mul(V, h), net.e[t])


def hidden_gradient_brute_force(net: UnrolledRNN, t: int) -> sp.Matrix:
    """The *total* gradient of L at h(t), by brute force: the column of dL/dh_i(t), i = 1 ... H.

    ``h(t)`` is replaced by fresh symbols ``g``, everything that depends on it (L(t), ..., L(T), through
    h(t+1), ..., h(T)) is rebuilt from ``g``, ``sympy.diff`` differentiates that with respect to ``g``,
    and ``g`` is put back to h(t). The result is what equation (3.3) claims to compute recursively.
    """
    g = sp.Matrix([sp.Symbol(f"g({t})[{i}]", real=True) for i in range(net.H)])
    T1 = max(net.x)
    downstream = [_unroll_from(net, g, t, s) for s in range(max(t, 1), T1 + 1)]
    grad = g.applyfunc(lambda gi: sp.Add(*[sp.diff(Ls, gi) for Ls in downstream]))
    return grad.xreplace(dict(zip(g, net.h[t])))


def truncated_brute_force(
    net: UnrolledRNN, tau: int, names: Sequence[str] = GRAD_KEYS, method: str = "memo"
) -> dict[str, sp.Matrix]:
    """Truncated BPTT by its definition: ``sympy.diff`` of the detached terms, then h(t-tau) put back.

    ``names`` selects the gradients; ``V`` and ``c`` do not enter the recurrence, so holding a state
    constant cannot change their derivatives, and leaving them out saves time. ``method`` as in
    :func:`brute_force_terms`.
    """
    terms, back = detached_loss_terms(net, tau)
    grads = brute_force(net, terms, names, method)
    return {name: G.applyfunc(lambda g: g.xreplace(back)) for name, G in grads.items()}


# ----------------------------------------------------------------------------------------------------------------
# evaluating the shared graph: numbers (NumPy) and exact rationals


def node_atoms(net: UnrolledRNN) -> dict[sp.Expr, sp.Symbol]:
    """A fresh symbol for every function node of ``net``: each ``h_i(t) = Tanh(a_i(t))``, each
    ``Exp(o_k(t))`` and each ``1 / sum_k Exp(o_k(t))`` (the form in which the softmax denominator appears).

    Replacing the nodes by symbols turns every gradient expression into a polynomial in the inputs and the
    atoms (the derivative rules of Tanh, Exp and Log only ever produce such polynomials); see
    :func:`prove_equal`.
    """
    atoms: dict[sp.Expr, sp.Symbol] = {}
    for t in sorted(net.x):
        for i, node in enumerate(net.h[t]):
            atoms[node] = sp.Symbol(f"h({t})[{i}]")
        z = sp.Add(*[Exp(ok) for ok in net.o[t]])
        atoms[1 / z] = sp.Symbol(f"r({t})")
        for k, ok in enumerate(net.o[t]):
            atoms[Exp(ok)] = sp.Symbol(f"E({t})[{k}]")
    return atoms


def prove_equal(lhs, rhs, net: UnrolledRNN) -> int:
    """Prove ``lhs == rhs`` entry by entry, symbolically; return the number of entries proven.

    Every function node is replaced by its atom (:func:`node_atoms`), and both sides are converted into
    polynomials over the rationals in the inputs and the atoms (``sympy.polys.rings``: sparse, exact,
    expanded; the conversion walks the shared graph once, see :func:`evaluate`). Two polynomials are equal
    exactly when their coefficients are, so equality here is a proof that the two expressions are the same
    function of the node values, hence of the inputs, whatever the nodes are. A function node that is not an
    atom, or a negative power of anything but an atom, makes the conversion fail rather than pass.

    Raises ``AssertionError`` naming the first entry that differs.
    """
    R, memo, number = _polynomial_ring(net)
    lhs_flat, rhs_flat = _flat(lhs), _flat(rhs)
    if len(lhs_flat) != len(rhs_flat):
        raise ValueError(f"lhs has {len(lhs_flat)} entries but rhs has {len(rhs_flat)}")
    left = evaluate(lhs_flat, {}, {}, number=number, memo=memo)
    right = evaluate(rhs_flat, {}, {}, number=number, memo=memo)
    for i, (a, b) in enumerate(zip(left, right)):
        if R(a) != R(b):
            raise AssertionError(f"entry {i} differs: the polynomials in the node atoms are not equal")
    return len(lhs_flat)


def _polynomial_ring(net: UnrolledRNN):
    """The ring Q[inputs, atoms] of :func:`prove_equal` and its conversion memo, made once per network."""
    if net.poly_cache is None:
        from sympy.polys.rings import ring

        atoms = node_atoms(net)
        gens = list(net.inputs) + list(atoms.values())
        R, *gen_elems = ring(gens, sp.QQ)
        memo = dict(zip(gens, gen_elems))
        memo.update({node: memo[atom] for node, atom in atoms.items()})
        net.poly_cache = (R, memo, lambda e: R(sp.QQ.from_sympy(e)))
    return net.poly_cache


NUMPY_FUNCTIONS = {Tanh: lambda a: np.tanh(a), Exp: lambda a: np.exp(a), Log: lambda a: np.log(a),
                   Sigmoid: lambda a: 1.0 / (1.0 + np.exp(-a))}


def numeric(
    net: UnrolledRNN,
    exprs: Mapping[str, sp.Matrix],
    params: Mapping[str, np.ndarray],
    x,
    y,
    h0,
    *,
    batch_sum: bool = True,
) -> dict[str, np.ndarray]:
    """Evaluate per-sample expressions of ``net`` (built with ``y=None``) on a NumPy batch.

    ``params``, ``x`` (T, B, D), ``y`` (T, B), ``h0`` (B, H) are laid out as in :mod:`gentle_rnn.rnn`. Every
    symbol gets the vector of its B per-sample values, so one pass evaluates the whole batch.

    With ``batch_sum=True`` (for gradients of parameters and for the loss: the loss is a sum over the batch,
    so its gradient is the sum of the per-sample gradients) a matrix comes back shaped like the NumPy
    parameter (``(rows,)`` for a column, ``(rows, cols)`` otherwise), the key ``"loss"`` as a float, and the
    key ``"h0"`` as (B, H), one row per sample (each sample has its own initial state). With
    ``batch_sum=False`` every entry comes back per sample: (B, rows) for a column, (B, rows, cols) otherwise.
    """
    values, B = bind_batch(net, PARAM_KEYS, params, x, y, [(net.h0, h0)])
    return evaluate_on_batch(exprs, values, B, batch_sum=batch_sum, state_keys=("h0",))


def bind_batch(net, param_keys: Sequence[str], params: Mapping[str, np.ndarray], x, y, states) -> tuple[dict, int]:
    """Symbol -> value for a NumPy batch: parameters as floats, inputs, one-hot targets and initial states
    (``states``: pairs of a symbol column and its (B, H) array) as vectors of the B per-sample values.

    Shared by the RNN's and the LSTM's ``numeric``; ``net`` must be built with symbolic targets.
    """
    if not net.symbolic_targets:
        raise ValueError("numeric needs a network built with symbolic targets (unroll(..., y=None))")
    x, y = np.asarray(x, float), np.asarray(y)
    T, B, _ = x.shape
    if T != net.T:
        raise ValueError(f"x has T = {T} steps but the network has {net.T}")
    values: dict[sp.Symbol, object] = {}
    for k in param_keys:
        arr = np.asarray(params[k], float).reshape(net.params[k].shape)
        values.update({s: float(v) for s, v in zip(net.params[k], arr.ravel())})
    for symbols, state in states:
        state = np.asarray(state, float)
        for i, s in enumerate(symbols):
            values[s] = state[:, i]
    for t in range(1, T + 1):
        for i, s in enumerate(net.x[t]):
            values[s] = x[t - 1, :, i]
        for k, s in enumerate(net.e[t]):
            values[s] = (y[t - 1] == k).astype(float)
    return values, B


def evaluate_on_batch(exprs: Mapping[str, sp.Matrix], values: Mapping, B: int, *, batch_sum: bool,
                      state_keys: Sequence[str], matrix_keys: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """Evaluate named matrices of expressions on a bound batch (see :func:`numeric` for the output shapes).

    ``state_keys`` come back per sample even with ``batch_sum``; ``matrix_keys`` keep their matrix shape
    when they have a single column.
    """
    names = list(exprs)
    flat = [e for n in names for e in exprs[n]]
    out = evaluate(flat, values, NUMPY_FUNCTIONS)
    per_sample = np.stack([np.broadcast_to(np.asarray(v, float), (B,)) for v in out])  # (entries, B)
    result, i = {}, 0
    for n in names:
        M = exprs[n]
        block = per_sample[i : i + M.rows * M.cols]  # (rows * cols, B)
        i += M.rows * M.cols
        column = M.cols == 1 and n not in matrix_keys
        if not batch_sum:
            result[n] = block.T.reshape((B, M.rows) if column else (B, M.rows, M.cols)).copy()
        elif n == "loss":
            result[n] = float(block.sum())
        elif n in state_keys:
            result[n] = block.T.copy()  # (B, H)
        elif column:
            result[n] = block.sum(axis=1)  # (rows,)
        else:
            result[n] = block.sum(axis=1).reshape(M.rows, M.cols)
    return result
