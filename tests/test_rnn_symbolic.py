"""The symbolic BPTT of src/gentle_rnn/symbolic/rnn.py against brute-force ``sympy.diff``, exactly.

This is what lets test_rnn.py use the BPTT recursion (cheap at any size) as its reference where brute
force is too slow: here the recursion is proven equal to brute force (``prove_equal``: equal polynomials
once every function node is named by a symbol) at two sizes of ``helpers.SIZES``;
``derivations/rnn_bptt.py`` checks the same identities on the page, exactly at random rational points.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from tests import rnn_reference as ref
from gentle_rnn.symbolic import lambdify_numpy
from gentle_rnn.symbolic import rnn as srnn

SIZE_IDS = [pytest.param(s, id=f"D{s[0]}H{s[1]}K{s[2]}T{s[3]}") for s in ref.BRUTE_FORCE_SIZES]


@pytest.mark.parametrize("name", srnn.GRAD_KEYS)
@pytest.mark.parametrize("size", SIZE_IDS)
def test_bptt_recursion_equals_brute_force_symbolically(size, name):
    net = ref.network(size)
    n = srnn.prove_equal(ref.recursion(size).grads[name], ref.brute_force(size)[name], net)
    assert n == len(net.wrt[name]), f"dL/d{name}: compared {n} entries"


@pytest.mark.parametrize("name", ref.RECURRENT)
def test_truncated_recursion_equals_brute_force_with_h_t_minus_k_held_constant(name):
    size = ref.BRUTE_FORCE_SIZES[0]
    net = ref.network(size)
    for k in range(1, net.T):
        srnn.prove_equal(ref.truncated(size, k)[name], ref.truncated_brute_force(size, k)[name], net)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_full_equals_truncated_plus_dropped_and_tau_T_is_full_bptt(size):
    net = ref.network(size)
    full = ref.recursion(size).grads
    for k in range(1, net.T + 1):
        dropped = srnn.dropped_terms(net, k)
        for name in srnn.GRAD_KEYS:
            srnn.prove_equal(ref.truncated(size, k)[name] + dropped[name], full[name], net)
    for name in srnn.GRAD_KEYS:  # tau = T keeps every path: the truncated recursion is then full BPTT
        srnn.prove_equal(ref.truncated(size, net.T)[name], full[name], net)


def test_both_checks_reject_the_factors_in_the_wrong_order():
    # the checks can fail: diag(1 - h(t+1)^2) W^T instead of W^T diag(1 - h(t+1)^2) in (3.3) is caught
    size = ref.BRUTE_FORCE_SIZES[0]
    net = ref.network(size)
    V, W = net.params["V"], net.params["W"]
    dh, da = {}, {}
    for t in range(net.T, 0, -1):
        dh[t] = V.T * (net.y_hat[t] - net.e[t])
        if t < net.T:
            dh[t] += srnn.tanh_jacobian(net.h[t + 1]) * W.T * dh[t + 1]  # wrong order
        da[t] = srnn.tanh_jacobian(net.h[t]) * dh[t]
    wrong_dW = sum((da[t] * net.h[t - 1].T for t in range(1, net.T + 1)), sp.zeros(net.H, net.H))
    with pytest.raises(AssertionError, match="differs"):
        srnn.prove_equal(wrong_dW, ref.brute_force(size)["W"], net)
    with pytest.raises(AssertionError, match="differs"):
        srnn.exact_agreement(wrong_dW, ref.brute_force(size)["W"], net.inputs)


@pytest.mark.parametrize("name", srnn.GRAD_KEYS)
def test_exact_agreement_at_random_rational_points_agrees_too(name):
    # the second, independent check (for sizes where the polynomials would grow too large)
    size = ref.BRUTE_FORCE_SIZES[0]
    net = ref.network(size)
    srnn.exact_agreement(ref.recursion(size).grads[name], ref.brute_force(size)[name], net.inputs, points=2)


def test_evaluate_agrees_with_lambdify():
    # the memoised evaluator used for every numeric comparison gives what sympy.lambdify gives
    net = srnn.unroll(1, 2, 3, 3)
    exprs = list(srnn.bptt(net).grads["W"]) + [net.L]
    rng = np.random.default_rng(0)
    point = rng.normal(size=len(net.inputs))
    ours = srnn.evaluate(exprs, dict(zip(net.inputs, point)), srnn.NUMPY_FUNCTIONS)
    theirs = lambdify_numpy(net.inputs, exprs)(*point)
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, err_msg="evaluate and lambdify differ")


def test_integer_targets_give_the_cross_entropy():
    # with y given as integers, L(t) is -o_y(t) + log sum_k exp(o_k(t)): the one-hot symbols only generalise it
    net = srnn.unroll(1, 2, 3, 3, y=[2, 0, 1])
    for t, y in zip((1, 2, 3), (2, 0, 1)):
        o = net.o[t]
        assert sp.simplify(net.L_t[t] - (-o[y] + srnn.Log(sum(srnn.Exp(v) for v in o)))) == 0, f"L({t})"


# srnn.brute_force differentiates with memoized_diff by default (SymPy's own rules, each shared
# subexpression once); the tests above use plain sympy.diff. At the page's sizes both must give the very same
# expressions. (The page itself builds no derivative expressions: it runs the chain rule at exact random
# points, tied to plain sympy.diff by tests/test_exact_derivatives.py.)
PAGE_SIZE = (2, 3, 4, 3)  # derivations/rnn_bptt.py: D, H, K, T


@pytest.fixture(scope="module")
def page_brute_force():
    plain = srnn.brute_force(srnn.unroll(*PAGE_SIZE), method="sympy")
    memo = srnn.brute_force(srnn.unroll(*PAGE_SIZE), method="memo")  # a fresh network: nothing shared
    return plain, memo


@pytest.mark.parametrize("name", srnn.GRAD_KEYS)
def test_memoised_brute_force_equals_plain_sympy_diff_exactly(page_brute_force, name):
    plain, memo = page_brute_force
    assert plain[name] == memo[name], f"dL/d{name}: memoized_diff and plain sympy.diff give different expressions"


def test_brute_force_rejects_an_unknown_method():
    with pytest.raises(ValueError, match="method"):
        srnn.brute_force(srnn.unroll(1, 2, 2, 1), method="fast")
