"""functional.py against the SymPy building blocks of derivations/building_blocks.py.

Each claimed formula (``gentle_rnn.symbolic.blocks``) is lambdified and compared with the NumPy function
that implements it, in float64, on points that include large |a| where a naive formula would overflow.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from gentle_rnn import functional as F
from gentle_rnn.symbolic import blocks
from tests.helpers import assert_close

A = np.concatenate([np.linspace(-6, 6, 49), [-30.0, -700.0, 30.0, 700.0]])  # includes overflow territory


def _lambdify(expr):
    return sp.lambdify(blocks.a, expr, modules="mpmath")


def _evaluate(expr, points):
    f = _lambdify(expr)
    return np.array([float(f(p)) for p in points])


def test_tanh_matches_sympy():
    assert_close("tanh", F.tanh(A), _evaluate(sp.tanh(blocks.a), A), 1e-15)


def test_tanh_grad_from_output_matches_derived_tanh_prime():
    derived, _ = blocks.tanh_derivative()
    assert_close("tanh'", F.tanh_grad_from_output(F.tanh(A)), _evaluate(derived, A), 1e-14)


def test_sigmoid_matches_sympy_without_overflow():
    with np.errstate(over="raise"):
        s = F.sigmoid(A)
    assert_close("sigmoid", s, _evaluate(blocks.sigma(blocks.a), A), 1e-15)


def test_sigmoid_grad_from_output_matches_derived_sigma_prime():
    derived, _ = blocks.sigmoid_derivative()
    assert_close("sigma'", F.sigmoid_grad_from_output(F.sigmoid(A)), _evaluate(derived, A), 1e-14)


@pytest.mark.parametrize("K", [3, 4, 5])
def test_softmax_cross_entropy_gradient_matches_sympy(K):
    rng = np.random.default_rng(K)
    o_num = rng.normal(scale=3.0, size=(6, K))
    y_num = rng.integers(0, K, size=6)
    loss, do = F.softmax_cross_entropy(o_num, y_num)
    expected_loss = 0.0
    expected_do = np.zeros_like(o_num)
    for n in range(o_num.shape[0]):
        o, derived, claimed = blocks.softmax_cross_entropy_gradient(K, int(y_num[n]))
        subs = dict(zip(o, o_num[n]))
        expected_loss += float(blocks.cross_entropy(o, int(y_num[n])).evalf(30, subs=subs))
        expected_do[n] = [float(d.evalf(30, subs=subs)) for d in derived]
    assert abs(loss - expected_loss) <= 1e-12 * abs(expected_loss), "summed cross-entropy"
    assert_close("dL/do", do, expected_do, 1e-12)


def test_log_softmax_is_stable_for_huge_logits():
    o = np.array([[1000.0, 0.0, -1000.0], [-1e4, -1e4 + 1.0, -1e4 + 2.0]])
    with np.errstate(over="raise", invalid="raise"):
        logp = F.log_softmax(o)
    assert np.all(np.isfinite(logp))
    # shift invariance (proven in building_blocks.py): the second row equals log_softmax([0, 1, 2])
    assert_close("log_softmax shift", logp[1], F.log_softmax(np.array([0.0, 1.0, 2.0])), 1e-15)
    assert_close("softmax sums to one", F.softmax(o).sum(axis=-1), np.ones(2), 1e-15)


def test_softmax_cross_entropy_rejects_bad_labels():
    o = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"y must hold class labels in \[0, 3\)"):
        F.softmax_cross_entropy(o, np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match="y must hold integer class labels"):
        F.softmax_cross_entropy(o, np.array([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match=r"y must have shape \(N0,\) = \(4,\)"):
        F.softmax_cross_entropy(o, np.array([0, 1]))
    with pytest.raises(ValueError, match="o must be finite"):
        F.softmax_cross_entropy(np.full((4, 3), np.nan), np.array([0, 1, 2, 1]))


def test_relative_error_and_numerical_gradient():
    from gentle_rnn.gradcheck import numerical_gradient, relative_error

    w = np.array([[0.3, -1.2], [2.0, 0.5]])
    f = lambda: float(np.sum(np.sin(w) * w))  # noqa: E731
    g = numerical_gradient(f, w)
    assert relative_error(g, np.cos(w) * w + np.sin(w)) < 1e-9
    assert np.array_equal(w, np.array([[0.3, -1.2], [2.0, 0.5]])), "the array is restored exactly"
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error([1.0, 2.0], [1.0, 2.2]) == pytest.approx(0.2 / 2.2)
