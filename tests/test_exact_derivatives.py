"""The chain rule at exact random points (``core.derivatives_at``) against plain ``sympy.diff``.

derivations/rnn_bptt.py and derivations/vanishing_gradient.py check their formulas with
``exact_gradient_agreement`` and ``exact_derivative_agreement``: the derivative of the unrolled network is
never built as an expression, it is computed at random rational points by ``reverse_mode``, the chain rule
over the graph. That is a proof (up to Schwartz-Zippel) only if, at a point, the chain rule gives exactly
the value of the expression plain ``sympy.diff`` builds. tests/test_exact_gradient.py shows it for parameter
gradients; here it must hold, entry by entry and in exact ``Fraction`` arithmetic, for the rest of what the
pages use it for: the total gradient at a hidden state (a node, not a symbol), truncated BPTT (states held
constant through ``bind``), copies of W, and Jacobians of states over several steps. Then the check must
reject the classic mistakes: a transpose, a dropped factor, a truncation off by one, a reversed product.
"""

from __future__ import annotations

import sys

import pytest
import sympy as sp

from tests import rnn_reference as ref
from gentle_rnn.symbolic import core, matrix_symbols
from gentle_rnn.symbolic import rnn as srnn
from gentle_rnn.symbolic.core import Exp, Tanh, derivatives_at, evaluate, exact_derivative_agreement

SIZE = ref.BRUTE_FORCE_SIZES[0]  # (D, H, K, T) = (2, 3, 4, 3), the page's size; plain sympy.diff is cached per session


def _same_point(inputs, seed):
    return next(core.random_points(inputs, 1, seed))


# ----------------------------------------------------------------------------------------------------------------
# the chain rule at a point == plain sympy.diff's expression at that point


@pytest.mark.parametrize("t", [1, 2, 3])
def test_adjoint_of_a_hidden_node_is_the_total_gradient_of_plain_sympy_diff(t):
    # hidden_gradient_brute_force: h(t) replaced by symbols, everything downstream rebuilt, sympy.diff, put back
    net = srnn.unroll(*ref.dims(SIZE))
    brute = srnn.hidden_gradient_brute_force(net, t)
    point, functions = _same_point(net.inputs, t)
    chain = derivatives_at([net.L], net.h[t], point, functions)[0]
    assert chain == evaluate(list(brute), point, functions), f"dL/dh({t})"


@pytest.mark.parametrize("tau", [1, 2])
def test_bound_held_states_give_plain_sympy_diff_of_the_detached_terms(tau):
    net = ref.network(SIZE)
    brute = ref.truncated_brute_force(SIZE, tau)  # plain sympy.diff, h(t - tau) put back afterwards
    terms, back = srnn.detached_loss_terms(net, tau)
    point, functions = _same_point(net.inputs, tau)
    memo: dict = {}
    point.update(zip(back, evaluate(list(back.values()), point, functions, memo=memo)))
    wrt = [s for name in ref.RECURRENT for s in net.wrt[name]]
    chain = derivatives_at([sp.Add(*terms.values())], wrt, point, functions, memo=memo)[0]
    want = evaluate([e for name in ref.RECURRENT for e in brute[name]], point, functions, memo=memo)
    assert chain == want, f"truncated gradients, tau = {tau}"


def test_copies_of_W_bound_to_W_give_plain_sympy_diff():
    small = srnn.unroll(1, 2, 3, 3)
    copies = {t: matrix_symbols(f"Wc{t}", 2, 2) for t in (1, 2, 3)}
    U, W, b, V, c = (small.params[k] for k in srnn.PARAM_KEYS)
    h, loss = small.h0, 0
    for t in (1, 2, 3):
        h = (b + copies[t] * h + U * small.x[t]).applyfunc(Tanh)
        loss += srnn.cross_entropy(c + V * h, small.e[t])
    back = {copies[t][i, j]: W[i, j] for t in copies for i in range(2) for j in range(2)}
    point, functions = _same_point(small.inputs, 5)
    memo: dict = {}
    point.update(zip(back, evaluate(list(back.values()), point, functions, memo=memo)))
    for t in (1, 2, 3):
        brute = [sp.diff(loss, w).xreplace(back) for w in copies[t]]  # the page's former method
        chain = derivatives_at([loss], copies[t], point, functions, memo=memo)[0]
        assert chain == evaluate(brute, point, functions, memo=memo), f"dL/dW({t})"


@pytest.mark.parametrize("lag", [1, 2, 3, 4])
def test_state_jacobians_over_several_steps_equal_plain_matrix_jacobian(lag):
    D, H, K = 2, 3, 4
    net = srnn.unroll(D, H, K, lag, y=None, start=1, h0=matrix_symbols("h(1)", H))
    inputs = [s for k in srnn.PARAM_KEYS for s in net.params[k]] + list(net.h0)
    inputs += [s for t in net.x for s in net.x[t]]
    brute = net.h[1 + lag].jacobian(net.h[1])  # sympy.diff entry by entry
    point, functions = _same_point(inputs, lag)
    chain = derivatives_at(net.h[1 + lag], net.h[1], point, functions)
    want = evaluate(list(brute), point, functions)
    assert [v for row in chain for v in row] == want, f"dh({1 + lag})/dh(1)"


# ----------------------------------------------------------------------------------------------------------------
# the check rejects the classic mistakes


@pytest.fixture(scope="module")
def net():
    return srnn.unroll(*ref.dims(SIZE))


def test_rejects_a_transposed_recurrent_gradient(net):
    bp = srnn.bptt(net)
    with pytest.raises(AssertionError, match="differs"):
        exact_derivative_agreement(bp.grads["W"].T, [net.L], net.params["W"], net.inputs)
    exact_derivative_agreement(bp.grads["W"], [net.L], net.params["W"], net.inputs)  # and accepts the right one


def test_rejects_a_dropped_tanh_factor(net):
    V, W = net.params["V"], net.params["W"]
    dh = {net.T: V.T * (net.y_hat[net.T] - net.e[net.T])}
    for t in range(net.T - 1, 0, -1):
        dh[t] = V.T * (net.y_hat[t] - net.e[t]) + W.T * dh[t + 1]  # diag(1 - h(t+1)^2) dropped
    with pytest.raises(AssertionError, match="differs"):
        exact_derivative_agreement(dh[1], [net.L], net.h[1], net.inputs)


@pytest.mark.parametrize("tau", [1, 2])
def test_rejects_a_truncation_off_by_one(net, tau):
    terms, back = srnn.detached_loss_terms(net, tau)
    with pytest.raises(AssertionError, match="differs"):
        exact_derivative_agreement(srnn.truncated_bptt(net, tau + 1)["W"], [sp.Add(*terms.values())],
                                   net.params["W"], net.inputs, bind=back)
    exact_derivative_agreement(srnn.truncated_bptt(net, tau)["W"], [sp.Add(*terms.values())],
                               net.params["W"], net.inputs, bind=back)


def test_rejects_the_reversed_jacobian_product():
    H = 3
    net = srnn.unroll(2, H, 4, 2, y=None, start=1, h0=matrix_symbols("h(1)", H))
    inputs = [s for k in srnn.PARAM_KEYS for s in net.params[k]] + list(net.h0) + [s for t in net.x for s in net.x[t]]
    W = net.params["W"]
    J2, J3 = srnn.tanh_jacobian(net.h[2]) * W, srnn.tanh_jacobian(net.h[3]) * W
    exact_derivative_agreement(J3 * J2, net.h[3], net.h[1], inputs)
    with pytest.raises(AssertionError, match="differs"):
        exact_derivative_agreement(J2 * J3, net.h[3], net.h[1], inputs)
    with pytest.raises(AssertionError, match="differs"):  # the transpose is the other classic
        exact_derivative_agreement((J3 * J2).T, net.h[3], net.h[1], inputs)


def test_rejects_a_claim_of_the_wrong_length(net):
    with pytest.raises(ValueError, match="expected len"):
        exact_derivative_agreement(list(net.params["W"])[:-1], [net.L], net.params["W"], net.inputs)


# ----------------------------------------------------------------------------------------------------------------
# the small helpers the pages print with


def test_expression_sizes_count_the_graph_and_the_tree():
    x, y = sp.symbols("x y")
    s = Tanh(x + y)
    expr = s * Exp(s) + 2  # s is shared: once in the graph, twice in the tree
    graph, tree = core.expression_sizes(expr)
    assert graph == len({expr, *sp.preorder_traversal(expr)})
    assert tree == sum(1 for _ in sp.preorder_traversal(expr))
    assert tree > graph


def test_pretty_printing_without_the_units_package_is_sympy_pretty():
    x = sp.Symbol("x")
    expr = 3 * x**2 / (1 + Tanh(x)) * Exp(x)
    had_units = "sympy.physics.units" in sys.modules
    ours = core._pretty(expr)
    assert ("sympy.physics.units" in sys.modules) == had_units, "the stand-in module must not stay behind"
    import sympy.physics.units  # noqa: F401  (the real package: sympy.pretty's own path)

    assert ours == sp.pretty(expr, use_unicode=True)


def test_mul_builds_the_same_expressions_as_matrix_products():
    net = srnn.unroll(2, 3, 4, 2)
    W, V = net.params["W"], net.params["V"]
    J = srnn.tanh_jacobian(net.h[2])  # diagonal: exact zeros are skipped
    assert core.mul(W.T, J, V.T) == W.T * J * V.T
    assert core.mul(net.h[1], net.x[2].T) == net.h[1] * net.x[2].T  # an outer product
    assert core.mul(sp.Matrix([[1, 0], [2, 3]]), sp.Matrix([[0, 5], [7, 0]])) == sp.Matrix([[0, 5], [21, 10]])
    with pytest.raises(ValueError, match="do not fit"):
        core.mul(W, V)


# ----------------------------------------------------------------------------------------------------------------
# the function classes' own chain rule (core._OneArgument) == SymPy's Function._eval_derivative


def _nested_expressions():
    x, y, z = sp.symbols("x y z", real=True)
    inner = Tanh(2 * x * y + Exp(y) - 3)
    s = core.Sigmoid(x - Tanh(z * inner))
    return [x, y, z], [
        Tanh(x), Exp(x * y), core.Log(1 + Exp(x) + Exp(y)), s,
        Tanh(inner * s + x**2) * (1 - s), Exp(Tanh(x) ** 2 - y) + core.Log(s * Exp(z)),
        Tanh(z) * Tanh(y + 0 * x),  # an argument free of x: the derivative is the number 0
    ]


@pytest.mark.parametrize("cls", [Tanh, core.Sigmoid, Exp, core.Log])
def test_the_function_classes_chain_rule_equals_sympys_function_chain_rule(cls):
    (x, y, z), exprs = _nested_expressions()
    for e in exprs:
        for a in (e, x * e + y):
            node = cls(a)
            for v in (x, y, z):
                ours = node.diff(v)
                sympys = sp.Function._eval_derivative(node, v)  # SymPy's generic rule, with its is_zero question
                assert ours == sympys, f"d {node} / d {v}: {ours} != {sympys}"
                assert node._eval_derivative(v) == sympys


def test_the_chain_rule_skips_an_argument_without_the_symbol():
    x, y = sp.symbols("x y", real=True)
    assert Tanh(y**2 + 1).diff(x) is sp.S.Zero
    assert Exp(Tanh(y)).diff(x) is sp.S.Zero


@pytest.mark.parametrize("model", ["lstm", "gru"])
def test_memoised_one_step_jacobians_equal_plain_matrix_jacobian(model):
    """The one-step Jacobians derivations/{lstm,gru}_bptt.py take under memoized_diff are plain sympy.diff's."""
    from gentle_rnn.symbolic import gru as sg
    from gentle_rnn.symbolic import lstm as sl

    D, H = 2, 3
    x, h_prev = matrix_symbols("x", D), matrix_symbols("hp", H)
    if model == "lstm":
        s_prev = matrix_symbols("sp", H)
        c = sl.cell(sl.parameter_symbols(D, H, 2), x, h_prev, s_prev)
        s_free = matrix_symbols("s", H)
        h_of_s = sl.hadamard(c.q, s_free.applyfunc(Tanh))
        pairs = [(c.s, h_prev), (h_of_s, s_free), (c.h, s_prev), (c.h, h_prev), (c.s, s_prev)]
    else:
        pairs = [(sg.cell(sg.parameter_symbols(D, H, 2), x, h_prev, *conv).h, h_prev)
                 for conv in (("keep", "before"), ("write", "after"))]
    for out, wrt in pairs:
        plain = out.jacobian(wrt)
        with core.memoized_diff():
            memoised = out.jacobian(wrt)
        assert memoised == plain


def test_memoised_derivatives_of_the_reverse_scan_loss_equal_plain_sympy_diff():
    """derivations/gru_bptt.py section 6a: the derivatives of ell = sum_t d(t) h(t) of the closed form (6.17)."""
    from gentle_rnn.symbolic import scan as ss

    T = 6
    mu, psi, h0 = ss.symbols(T)
    d = [sp.Symbol(f"d{t}") for t in range(1, T + 1)]
    ell = sp.Add(*[di * hi for di, hi in zip(d, ss.closed_form(mu, psi, h0))])
    plain = [sp.diff(ell, v) for v in [*psi, *mu, h0]]
    with core.memoized_diff():
        memoised = [sp.diff(ell, v) for v in [*psi, *mu, h0]]
    assert memoised == plain


def test_memoised_one_step_loss_derivatives_of_the_forward_mode_check_equal_plain_sympy_diff():
    """lstm.exact_forward_mode_agreement differentiates one step's loss under memoized_diff."""
    from gentle_rnn.symbolic import lstm as sl

    H, K = 3, 4
    P = sl.parameter_symbols(2, H, K)
    h, e = matrix_symbols("hfree", H), matrix_symbols("efree", K)
    Lt = srnn.cross_entropy(P["c"] + core.mul(P["V"], h), e)
    wrt = [*h, *P["V"], *P["c"]]
    plain = [sp.diff(Lt, v) for v in wrt]
    with core.memoized_diff():
        memoised = [sp.diff(Lt, v) for v in wrt]
    assert memoised == plain


@pytest.mark.parametrize(("H", "lag"), [(2, 1), (3, 1), (4, 1), (2, 2)])
def test_memoised_state_jacobians_of_the_vanishing_gradient_page_equal_plain_matrix_jacobian(H, lag):
    """derivations/vanishing_gradient.py sections 1 and 2: dh(u + lag)/dh(u) under memoized_diff."""
    net = srnn.unroll(2, H, 4, lag, y=None, start=1, h0=matrix_symbols("h(1)", H))
    plain = net.h[1 + lag].jacobian(net.h[1])
    with core.memoized_diff():
        memoised = net.h[1 + lag].jacobian(net.h[1])
    assert memoised == plain
