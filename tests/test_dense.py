"""The dense layer of Part 1 (gentle_rnn.dense) against the lambdified SymPy brute force, equations (1.4)-(1.10).

The same network is written twice: once in NumPy (``gentle_rnn.dense``), once as a SymPy expression
(``gentle_rnn.symbolic.dense``) that ``sympy.diff`` differentiates entry by entry. The forward loss is compared
first, then each gradient on its own, at the unequal sizes of ``tests/helpers.py``.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from gentle_rnn import dense
from gentle_rnn.gradcheck import numerical_gradients
from gentle_rnn.symbolic import brute_force_gradient, lambdify_numpy
from gentle_rnn.symbolic.dense import dense_network

from tests.helpers import SIZES, assert_close

SYMBOLIC_TOL = 1e-10
FINITE_DIFF_TOL = 1e-6
GRAD_KEYS = ("U", "b", "V", "c", "x")


def _labels(K: int, B: int, seed: int) -> tuple[int, ...]:
    return tuple(int(v) for v in np.random.default_rng(seed).integers(0, K, size=B))


@functools.lru_cache(maxsize=None)
def _symbolic(D: int, H: int, K: int, labels: tuple[int, ...]):
    """Lambdified loss and brute-force gradients of the symbolic network; arguments: U, b, V, c, x rows."""
    net = dense_network(D, H, K, labels)
    grads = [brute_force_gradient(net.loss, M) for M in (net.U, net.b, net.V, net.c)]
    grads.append(brute_force_gradient(net.loss, _stack_columns(net.x)))
    args = [*net.U, *net.b, *net.V, *net.c, *_stack_columns(net.x)]
    return lambdify_numpy(args, [net.loss, *grads])


def _stack_columns(columns):
    import sympy as sp

    return sp.Matrix.hstack(*columns).T  # (B x D): one example per row, like the NumPy batch


def _case(D, H, K, B, seed):
    rng = np.random.default_rng(seed)
    params = dense.init_params(D, H, K, rng)
    params["b"] = rng.normal(size=H)  # non-zero biases, so that a missing bias gradient shows
    params["c"] = rng.normal(size=K)
    x = rng.normal(size=(B, D))
    y = np.array(_labels(K, B, seed), dtype=np.int64)
    return params, x, y


def _symbolic_values(D, H, K, B, seed, params, x):
    f = _symbolic(D, H, K, _labels(K, B, seed))
    flat = [*params["U"].ravel(), *params["b"], *params["V"].ravel(), *params["c"], *x.ravel()]
    loss, *grads = f(*flat)
    shapes = [(H, D), (H,), (K, H), (K,), (B, D)]
    return float(loss), {k: np.asarray(g, dtype=np.float64).reshape(s) for k, g, s in zip(GRAD_KEYS, grads, shapes)}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "D{}H{}K{}B{}".format(s[0], s[1], s[2], s[4]))
def test_dense_loss_matches_symbolic(size):
    """The summed cross-entropy (1.1)-(1.4) agrees with the SymPy forward pass."""
    D, H, K, _, B = size
    params, x, y = _case(D, H, K, B, seed=D * 100 + H)
    loss, _ = dense.loss_and_grads(params, x, y)
    expected, _ = _symbolic_values(D, H, K, B, D * 100 + H, params, x)
    assert_close("L (1.4)", loss, expected, SYMBOLIC_TOL)


EQUATION = {"U": "(1.9)", "b": "(1.9)", "V": "(1.6)", "c": "(1.6)", "x": "(1.10)"}


@pytest.mark.parametrize("key", GRAD_KEYS)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: "D{}H{}K{}B{}".format(s[0], s[1], s[2], s[4]))
def test_dense_gradient_matches_symbolic(size, key):
    """dL/dU, dL/db (1.9), dL/dV, dL/dc (1.6) and dL/dx (1.10) equal the lambdified brute-force sympy.diff."""
    D, H, K, _, B = size
    params, x, y = _case(D, H, K, B, seed=D * 100 + H)
    _, grads = dense.loss_and_grads(params, x, y)
    _, expected = _symbolic_values(D, H, K, B, D * 100 + H, params, x)
    assert_close(f"dL/d{key} {EQUATION[key]}", grads[key], expected[key], SYMBOLIC_TOL)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: "D{}H{}K{}B{}".format(s[0], s[1], s[2], s[4]))
def test_dense_gradients_match_finite_differences(size):
    D, H, K, _, B = size
    params, x, y = _case(D, H, K, B, seed=7 + D)
    arrays = {**params, "x": x}
    numeric = numerical_gradients(lambda: dense.loss_and_grads(params, x, y)[0], arrays)
    _, grads = dense.loss_and_grads(params, x, y)
    for key in GRAD_KEYS:
        assert_close(f"dL/d{key} vs finite differences", grads[key], numeric[key], FINITE_DIFF_TOL)


def test_layers_compose_to_the_network():
    """forward() is hidden_forward followed by the output affine map; predict() is the argmax of o."""
    params, x, _ = _case(3, 4, 5, 6, seed=1)
    h, o = dense.forward(params, x)
    np.testing.assert_array_equal(h, dense.hidden_forward(params["U"], params["b"], x))
    np.testing.assert_allclose(o, h @ params["V"].T + params["c"], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(dense.predict(params, x), o.argmax(axis=1))


def test_loss_is_a_sum_over_the_batch():
    params, x, y = _case(2, 3, 4, 5, seed=3)
    total, grads = dense.loss_and_grads(params, x, y)
    parts = [dense.loss_and_grads(params, x[i : i + 1], y[i : i + 1]) for i in range(len(y))]
    assert abs(total - sum(p[0] for p in parts)) <= 1e-12 * abs(total)
    assert_close("dU summed over examples", grads["U"], sum(p[1]["U"] for p in parts), 1e-12)


def test_init_params_shapes_and_reproducible():
    p1 = dense.init_params(2, 3, 4, np.random.default_rng(0))
    p2 = dense.init_params(2, 3, 4, np.random.default_rng(0))
    assert {k: v.shape for k, v in p1.items()} == {"U": (3, 2), "b": (3,), "V": (4, 3), "c": (4,)}
    for k in p1:
        np.testing.assert_array_equal(p1[k], p2[k])


def test_init_params_draw_weights_with_standard_deviation_one_over_sqrt_fan_in():
    # 120 000 and 30 000 draws: the sample standard deviation is within 0.4 and 0.8 percent of the true one
    # (two standard errors), so 3 percent is far from chance and far below any other rule (1, 1/fan_in, ...)
    p = dense.init_params(400, 300, 100, np.random.default_rng(1))
    assert p["U"].std() == pytest.approx(1 / np.sqrt(400), rel=0.03), "U: 1/sqrt(D)"
    assert p["V"].std() == pytest.approx(1 / np.sqrt(300), rel=0.03), "V: 1/sqrt(H)"
    assert abs(p["U"].mean()) < 0.002 and not p["b"].any() and not p["c"].any()  # mean 0: SE 1.4e-4


# ----------------------------------------------------------------------------------------------------------------
# bad input: ValueError naming the argument


def _bad(mutate):
    params, x, y = _case(2, 3, 4, 5, seed=0)
    params, x, y = mutate(params, x, y)
    with pytest.raises(ValueError) as info:
        dense.loss_and_grads(params, x, y)
    return str(info.value)


def test_wrong_weight_shape_names_the_weight():
    msg = _bad(lambda p, x, y: ({**p, "U": p["U"].T}, x, y))
    assert "U" in msg and "(H, D)" in msg


def test_wrong_input_rank_names_x():
    assert "x must have shape (B, D)" in _bad(lambda p, x, y: (p, x[None], y))


def test_batch_mismatch_names_y():
    assert _bad(lambda p, x, y: (p, x, y[:-1])).startswith("y")


def test_label_out_of_range_names_y():
    msg = _bad(lambda p, x, y: (p, x, np.full_like(y, 4)))
    assert msg.startswith("y") and "[0, 4)" in msg


def test_float_labels_are_refused():
    assert _bad(lambda p, x, y: (p, x, y.astype(float))).startswith("y")


def test_non_finite_input_is_refused():
    def nan_x(p, x, y):
        x = x.copy()
        x[0, 0] = np.nan
        return p, x, y

    assert _bad(nan_x).startswith("x must be finite")


def test_missing_parameter_is_refused():
    msg = _bad(lambda p, x, y: ({k: v for k, v in p.items() if k != "c"}, x, y))
    assert msg.startswith("params") and "'c'" in msg


def test_init_params_checks_its_arguments():
    with pytest.raises(ValueError, match="H must be a positive integer"):
        dense.init_params(2, 0, 4, np.random.default_rng(0))
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        dense.init_params(2, 3, 4, 0)


# ----------------------------------------------------------------------------------------------------------------
# the numbers printed on the page come from this code


def test_worked_example_on_part_1_page_matches_the_code():
    from pathlib import Path

    from gentle_rnn.figures import part1

    page = (Path(__file__).parents[1] / "docs" / "part-1-why-rnn.md").read_text()
    text = part1.dense_example_text()
    assert text in page, "the dense-layer worked example on the Part 1 page is not what the code computes:\n" + text
    r = part1.dense_example()  # the hand computation in the text, and the page's reading of it
    assert np.allclose(r["a"], [1.5, 0.25])
    assert np.allclose(r["grads"]["U"][:, 1], -r["delta"]) and np.allclose(r["grads"]["U"][:, 0], r["delta"])
    assert 0.17 < 1 - r["h"][0] ** 2 < 0.2 and 0.17 < r["delta"][0] / r["dh"][0] < 0.2  # "only a fifth"
