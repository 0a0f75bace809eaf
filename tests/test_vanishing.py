"""Part 4 (gentle_rnn.vanishing): Jacobian products (4.1)-(4.2), the sum over time (4.3), the bound (4.4)-(4.6),
the LSTM's cell-state path (4.7), and norm clipping.

Stages, as in the other symbolic tests: the SymPy product (4.2) equals the brute-force Jacobian exactly; the
NumPy code equals the SymPy expressions in float64 (at the unequal sizes of ``helpers.SIZES``) and centred
finite differences; the bound holds on many seeded random instances (a property test) and is attained where
the proof says it is, so the inequality test is not vacuous.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from gentle_rnn import gradcheck, lstm, rnn, train, vanishing
from gentle_rnn.symbolic import matrix_symbols
from gentle_rnn.symbolic import rnn as srnn
from tests.helpers import SIZES, assert_close

SIZE_IDS = [pytest.param(s, id=f"D{s[0]}H{s[1]}K{s[2]}T{s[3]}B{s[4]}") for s in SIZES]


def _instance(D, H, K, T, B, seed, input_scale=1.0):
    rng = np.random.default_rng(seed)
    params = rnn.init_params(D, H, K, rng)
    params["b"] = rng.normal(size=H) * 0.3  # a non-zero bias, so that b's place in a(t) is exercised
    x = input_scale * rng.normal(size=(T, B, D))
    h0 = 0.5 * rng.normal(size=(B, H))
    y = rng.integers(0, K, size=(T, B))
    return params, x, h0, y


def _symbolic_product(net, t, k):
    """(4.2) built on the nodes of a symbolic network: [diag(1 - h(t)^2) W] ... [diag(1 - h(k+1)^2) W]."""
    P = sp.eye(net.H)
    for j in range(t, k, -1):
        P = P * srnn.tanh_jacobian(net.h[j]) * net.params["W"]
    return P


def _values(net, params, x, h0):
    """Numbers for every symbol of ``net`` (one array entry per batch sample), as srnn.evaluate wants them."""
    values = {s: float(v) for name in srnn.PARAM_KEYS for s, v in zip(net.params[name], params[name].ravel())}
    values.update({s: h0[:, i] for i, s in enumerate(net.h0)})
    for t in net.x:
        values.update({s: x[t - 1, :, i] for i, s in enumerate(net.x[t])})
    return values


def _per_sample(evaluated, B):
    """srnn.evaluate's results (numbers or (B,) arrays) as one (entries, B) array."""
    return np.stack([np.broadcast_to(np.asarray(v, dtype=float), (B,)) for v in evaluated])


# ----------------------------------------------------------------------------------------------------------------
# (4.1)-(4.2): SymPy product == brute force; NumPy == SymPy == finite differences


@pytest.mark.parametrize("size", SIZE_IDS)
def test_symbolic_jacobian_product_equals_brute_force_jacobian(size):
    D, H, K, T, _ = size
    for k in range(T):
        # the network from a *free* state h(k) (symbols), so that d/dh(k) is sympy.diff with respect to symbols
        net = srnn.unroll(D, H, K, T - k, y=None, start=k, h0=matrix_symbols(f"h({k})", H))
        inputs = [s for name in srnn.PARAM_KEYS for s in net.params[name]] + list(net.h0)
        inputs += [s for t in net.x for s in net.x[t]]
        for t in range(k + 1, T + 1):
            brute = net.h[t].jacobian(net.h0)
            n = srnn.exact_agreement(brute, _symbolic_product(net, t, k), inputs, points=2)
            assert n == H * H, f"dh({t})/dh({k}): compared {n} entries"


def test_symbolic_jacobian_product_in_the_reversed_order_is_rejected():
    # the exact check can fail: the same factors with the oldest on the left are a different matrix
    net = srnn.unroll(2, 3, 4, 3)
    W = net.params["W"]
    reversed_product = srnn.tanh_jacobian(net.h[1]) * W * srnn.tanh_jacobian(net.h[2]) * W
    with pytest.raises(AssertionError, match="differs"):
        srnn.exact_agreement(net.h[2].jacobian(net.h0), reversed_product, net.inputs, points=1)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_numpy_jacobian_product_matches_symbolic(size):
    D, H, K, T, B = size
    params, x, h0, _ = _instance(D, H, K, T, B, seed=sum(size))
    net = srnn.unroll(D, H, K, T)
    values = _values(net, params, x, h0)
    J = vanishing.rnn_state_jacobians(params, x, h0)  # (T, B, H, H)
    for t in range(1, T + 1):
        for k in range(0, t):
            sym = _per_sample(srnn.evaluate(list(_symbolic_product(net, t, k)), values, srnn.NUMPY_FUNCTIONS), B)
            expected = sym.T.reshape(B, H, H)  # Matrix entries are listed row by row
            assert_close(f"dh({t})/dh({k})", vanishing.jacobian_product(J, t, k), expected, 1e-10)


@pytest.mark.parametrize("size", SIZE_IDS)
def test_numpy_jacobian_product_matches_finite_differences(size):
    D, H, K, T, B = size
    params, x, h0, _ = _instance(D, H, K, T, B, seed=7 * sum(size))
    h = rnn.forward(params, x, h0)
    hs = np.concatenate([h0[None], h])  # (T + 1, B, H)
    J = vanishing.rnn_state_jacobians(params, x, h0)
    k, t = 1, T
    eps = 1e-6
    numeric = np.empty((B, H, H))
    for l in range(H):  # perturb h_l(k), run steps k+1 ... t from there
        e = np.zeros(H)
        e[l] = eps
        plus = rnn.forward(params, x[k:t], hs[k] + e)[-1]
        minus = rnn.forward(params, x[k:t], hs[k] - e)[-1]
        numeric[:, :, l] = (plus - minus) / (2 * eps)
    assert_close(f"dh({t})/dh({k}) vs finite differences", vanishing.jacobian_product(J, t, k), numeric, 1e-6)


def test_jacobian_product_of_no_step_is_the_identity_and_of_one_step_is_the_step():
    params, x, h0, _ = _instance(2, 3, 4, 3, 2, seed=0)
    J = vanishing.rnn_state_jacobians(params, x, h0)
    np.testing.assert_array_equal(vanishing.jacobian_product(J, 2, 2), np.broadcast_to(np.eye(3), (2, 3, 3)))
    np.testing.assert_allclose(vanishing.jacobian_product(J, 2, 1), J[1], rtol=0, atol=0)
    h = rnn.forward(params, x, h0)
    np.testing.assert_allclose(J[1], (1 - h[1] ** 2)[:, :, None] * params["W"], rtol=1e-15)  # (4.1) row scaling


def test_jacobian_norms_by_lag_are_the_norms_of_the_products():
    params, x, h0, _ = _instance(3, 4, 2, 6, 2, seed=3)
    J = vanishing.rnn_state_jacobians(params, x, h0)
    norms = vanishing.jacobian_norms_by_lag(J, 5)
    for lag in range(6):
        P = vanishing.jacobian_product(J, 5, 5 - lag)
        np.testing.assert_allclose(norms[lag], np.linalg.norm(P, 2, axis=(1, 2)), rtol=1e-13)


# ----------------------------------------------------------------------------------------------------------------
# (4.3): the gradient reaching h(k) is a sum over time of Jacobian products


@pytest.mark.parametrize("size", SIZE_IDS)
def test_sum_of_products_equals_bptt(size):
    D, H, K, T, B = size
    params, x, h0, y = _instance(D, H, K, T, B, seed=11 * sum(size))
    total = vanishing.hidden_grads_as_sum_of_products(params, x, y, h0)  # (T + 1, B, H)
    assert_close("dL/dh(t), t >= 1, vs rnn.hidden_state_grads", total[1:], rnn.hidden_state_grads(params, x, y, h0), 1e-12)
    assert_close("dL/dh(0) vs rnn.loss_and_grads", total[0], rnn.loss_and_grads(params, x, y, h0)[1]["h0"], 1e-12)


def test_sum_of_products_matches_symbolic_brute_force():
    D, H, K, T, B = SIZES[0]
    params, x, h0, y = _instance(D, H, K, T, B, seed=5)
    net = srnn.unroll(D, H, K, T, y=None)
    brute = [sum(sp.diff(Lt, s) for Lt in net.L_t.values()) for s in net.h0]  # dL/dh(0) by sympy.diff
    values = _values(net, params, x, h0)
    for t in net.e:
        values.update({s: (y[t - 1] == i).astype(float) for i, s in enumerate(net.e[t])})
    expected = _per_sample(srnn.evaluate(brute, values, srnn.NUMPY_FUNCTIONS), B).T  # (B, H)
    assert_close("dL/dh(0), (4.3) vs brute force", vanishing.hidden_grads_as_sum_of_products(params, x, y, h0)[0],
                 expected, 1e-10)


# ----------------------------------------------------------------------------------------------------------------
# (4.4)-(4.6): the bound, a property test on seeded random instances


@pytest.mark.parametrize("seed", range(40))
def test_jacobian_norms_never_exceed_the_bound(seed):
    rng = np.random.default_rng(seed)
    H, T = int(rng.integers(1, 10)), int(rng.integers(1, 30))
    lambda_1 = float(rng.uniform(0.05, 3.0))
    W = vanishing.recurrent_matrix(H, lambda_1, rng, kind=("orthogonal", "gaussian")[seed % 2])
    for gamma in (vanishing.GAMMA_TANH, vanishing.GAMMA_SIGMOID):  # any slopes with |d| <= gamma
        d = rng.uniform(-gamma, gamma, size=(T, 3, H))
        norms = vanishing.jacobian_norms_by_lag(vanishing.state_jacobians(W, d))
        bound = vanishing.pascanu_bound(lambda_1, np.arange(T + 1), gamma)[:, None]
        assert np.all(norms <= bound * (1 + 1e-12)), f"(4.5) violated, gamma = {gamma}"
    # a real tanh RNN (slopes 1 - h^2 from the forward pass), and the gradient ratio (4.6)
    params = rnn.init_params(2, H, 3, rng)
    params["W"] = W
    x = rng.normal(size=(T, 3, 2)) * rng.uniform(0.01, 3.0)
    h0 = rng.uniform(-0.9, 0.9, size=(3, H))
    norms = vanishing.jacobian_norms_by_lag(vanishing.rnn_state_jacobians(params, x, h0))
    bound = vanishing.pascanu_bound(lambda_1, np.arange(T + 1))[:, None]
    assert np.all(norms <= bound * (1 + 1e-12)), "(4.5) violated by a tanh RNN"
    ratio = vanishing.gradient_ratio_by_lag(params, x, rng.integers(0, 3, size=3), h0)
    assert np.all(ratio <= bound * (1 + 1e-12)), "(4.6) violated by a tanh RNN"


@pytest.mark.parametrize("H, lambda_1", [(1, 0.7), (4, 0.9), (5, 1.3)])
def test_bound_is_attained_by_an_orthogonal_w_with_slopes_at_gamma(H, lambda_1):
    # with W = lambda_1 Q and d = gamma, every product is (gamma lambda_1)^lag times an orthogonal matrix:
    # the bound is tight, so the property test above could fail if the code's norms were too large
    rng = np.random.default_rng(H)
    W = vanishing.recurrent_matrix(H, lambda_1, rng)
    for gamma in (vanishing.GAMMA_TANH, vanishing.GAMMA_SIGMOID):
        d = np.full((12, 2, H), gamma) * rng.choice([-1.0, 1.0], size=(12, 2, H))  # |d_i| = gamma, any signs
        norms = vanishing.jacobian_norms_by_lag(vanishing.state_jacobians(W, d))
        np.testing.assert_allclose(norms, vanishing.pascanu_bound(lambda_1, np.arange(13), gamma)[:, None] * np.ones(2),
                                   rtol=1e-12)


def test_one_step_norm_is_at_most_the_largest_slope_times_lambda_1():
    # (4.4) with the actual slopes, not just gamma: ||diag(d) W|| <= max|d_i| lambda_1
    rng = np.random.default_rng(44)
    for _ in range(200):
        H = int(rng.integers(1, 8))
        W = rng.normal(size=(H, H))
        d = rng.normal(size=(1, 1, H))
        J = vanishing.state_jacobians(W, d)[0, 0]
        assert np.linalg.norm(J, 2) <= np.abs(d).max() * vanishing.largest_singular_value(W) * (1 + 1e-12)


def test_recurrent_matrix_has_the_prescribed_largest_singular_value():
    rng = np.random.default_rng(1)
    for kind in ("orthogonal", "gaussian"):
        for lam in (0.0, 0.5, 1.0, 2.5):
            W = vanishing.recurrent_matrix(7, lam, rng, kind=kind)
            assert vanishing.largest_singular_value(W) == pytest.approx(lam, abs=1e-12), kind
    singular_values = np.linalg.svd(vanishing.recurrent_matrix(6, 1.7, rng))[1]
    np.testing.assert_allclose(singular_values, 1.7, rtol=1e-12, err_msg="orthogonal kind: every singular value")
    gaussian_values = np.linalg.svd(vanishing.recurrent_matrix(6, 1.7, rng, kind="gaussian"))[1]
    assert gaussian_values[-1] < 1.7 * 0.9, "gaussian kind: the other singular values are smaller"


def test_gradient_ratio_is_the_norm_of_the_last_steps_gradient_carried_back():
    params, x, h0, y = _instance(3, 4, 5, 6, 2, seed=9)
    g = vanishing.last_step_hidden_grads(params, x, y[-1], h0)  # (T + 1, B, H)
    J = vanishing.rnn_state_jacobians(params, x, h0)
    for k in range(7):
        carried = np.einsum("bij,bi->bj", vanishing.jacobian_product(J, 6, k), g[6])  # (dh(T)/dh(k))^T dL/dh(T)
        assert_close(f"dL(T)/dh({k})", g[k], carried, 1e-12)
    ratio = vanishing.gradient_ratio_by_lag(params, x, y[-1], h0)
    np.testing.assert_allclose(ratio, np.linalg.norm(g, axis=-1)[::-1] / np.linalg.norm(g[-1], axis=-1), rtol=1e-14)


def test_last_step_loss_and_grads_match_finite_differences():
    params, x, h0, y = _instance(2, 3, 4, 5, 3, seed=21)
    L, grads = vanishing.last_step_loss_and_grads(params, x, y[-1], h0)
    assert set(grads) == set(rnn.GRAD_KEYS)
    numeric = gradcheck.numerical_gradients(lambda: vanishing.last_step_loss_and_grads(params, x, y[-1], h0)[0],
                                            {**params, "h0": h0})
    for name in rnn.GRAD_KEYS:
        assert_close(f"d L(T) / d{name}", grads[name], numeric[name], 1e-6)


# ----------------------------------------------------------------------------------------------------------------
# (4.7): the LSTM's cell-state path


def test_cell_state_path_is_the_product_of_forget_gates_and_matches_lstm_step_jacobians():
    rng = np.random.default_rng(2)
    D, H, K, T, B = 3, 4, 2, 5, 2
    params = lstm.init_params(D, H, K, rng)
    x, h0, s0 = rng.normal(size=(T, B, D)), rng.normal(size=(B, H)) * 0.5, rng.normal(size=(B, H))
    f = lstm.step_jacobians(params, x, h0, s0)["cell_path"]  # (T, B, H): f(t)
    ds_ds = lstm.step_jacobians(params, x, h0, s0)["ds_ds"]  # (T, B, H, H): diag(f(t))
    for k in range(T + 1):
        for t in range(k, T + 1):
            path = vanishing.cell_state_path_jacobian(f, t, k)  # (B, H), the diagonal
            product = np.broadcast_to(np.eye(H), (B, H, H)).copy()
            for j in range(t, k, -1):
                product = product @ ds_ds[j - 1]
            np.testing.assert_allclose(np.einsum("bii->bi", product), path, rtol=1e-14, err_msg=f"({t}, {k})")
            off_diagonal = product * (1 - np.eye(H))
            assert np.count_nonzero(off_diagonal) == 0, f"the cell path ({t}, {k}) is not diagonal"


def test_cell_state_path_is_the_whole_jacobian_when_the_gates_ignore_h():
    # with every W_* = 0 the gates do not depend on h(t-1), so the cell path is the only path from s(k) to
    # s(t): then finite differences of lstm.forward must give prod_j diag(f(j)) exactly as (4.7) says
    rng = np.random.default_rng(3)
    D, H, K, T, B = 2, 3, 4, 5, 2
    params = lstm.init_params(D, H, K, rng)
    for gate in lstm.GATES:
        params[f"W_{gate}"] = np.zeros((H, H))
    x, h0, s0 = rng.normal(size=(T, B, D)), np.zeros((B, H)), rng.normal(size=(B, H))
    _, s = lstm.forward(params, x, h0, s0)
    ss = np.concatenate([s0[None], s])
    f = lstm.step_jacobians(params, x, h0, s0)["cell_path"]
    k, t, eps = 1, 5, 1e-6
    for i in range(H):
        e = np.zeros(H)
        e[i] = eps
        plus = lstm.forward(params, x[k:t], h0, ss[k] + e)[1][-1]
        minus = lstm.forward(params, x[k:t], h0, ss[k] - e)[1][-1]
        column = (plus - minus) / (2 * eps)  # (B, H): ds(t)/ds_i(k)
        expected = np.zeros((B, H))
        expected[:, i] = vanishing.cell_state_path_jacobian(f, t, k)[:, i]
        np.testing.assert_allclose(column, expected, atol=1e-9, err_msg=f"column {i} of ds({t})/ds({k})")


# ----------------------------------------------------------------------------------------------------------------
# clipping (Pascanu et al. 2013, Algorithm 1) on the gradients of an exploding RNN


@pytest.mark.parametrize("seed", range(12))
def test_clipping_exploding_gradients_never_increases_the_norm_and_keeps_the_direction(seed):
    rng = np.random.default_rng(seed)
    params = rnn.init_params(2, 8, 3, rng)
    params["W"] = vanishing.recurrent_matrix(8, rng.uniform(1.5, 3.0), rng)  # gradients that grow with the lag
    x = rng.normal(size=(30, 4, 2)) * 0.1
    _, grads = vanishing.last_step_loss_and_grads(params, x, rng.integers(0, 3, size=4), np.zeros((4, 8)))
    grads = {k: grads[k] for k in params}
    max_norm = float(rng.uniform(0.1, 5.0))
    clipped, norm = train.clip_grad_norm(grads, max_norm)
    new_norm = train.global_norm(clipped)
    assert new_norm <= norm * (1 + 1e-12), "clipping increased the norm"
    assert new_norm == pytest.approx(min(norm, max_norm), rel=1e-12)
    flat = np.concatenate([grads[k].ravel() for k in params])
    flat_clipped = np.concatenate([clipped[k].ravel() for k in params])
    scale = flat_clipped @ flat / (flat @ flat)  # the best multiple of the original direction ...
    np.testing.assert_allclose(flat_clipped, scale * flat, rtol=1e-12, atol=0)  # ... reproduces it exactly
    assert scale > 0, "clipping reversed the direction"


# ----------------------------------------------------------------------------------------------------------------
# validation


def test_bad_inputs_name_the_argument():
    W = np.eye(3)
    with pytest.raises(ValueError, match="d must have shape"):
        vanishing.state_jacobians(W, np.zeros((4, 2, 5)))
    with pytest.raises(ValueError, match="W must have shape"):
        vanishing.state_jacobians(np.zeros((3, 4)), np.zeros((4, 2, 3)))
    J = vanishing.state_jacobians(W, np.ones((4, 2, 3)))
    with pytest.raises(ValueError, match="0 <= u <= t <= T"):
        vanishing.jacobian_product(J, 2, 3)
    with pytest.raises(ValueError, match="0 <= u <= t <= T"):
        vanishing.jacobian_product(J, 5, 0)
    with pytest.raises(ValueError, match="lambda_1"):
        vanishing.with_largest_singular_value(W, -1.0)
    with pytest.raises(ValueError, match="zero matrix"):
        vanishing.with_largest_singular_value(np.zeros((2, 2)), 1.0)
    with pytest.raises(ValueError, match="kind"):
        vanishing.recurrent_matrix(3, 1.0, 0, kind="unitary")
    params, x, h0, y = _instance(2, 3, 4, 3, 2, seed=0)
    with pytest.raises(ValueError, match="y must"):
        vanishing.last_step_loss_and_grads(params, x, y, h0)  # (T, B) given where (B,) is expected
    with pytest.raises(ValueError, match="f must have shape"):
        vanishing.cell_state_path_jacobian(np.ones((3, 2)), 1, 0)


def test_symbolic_pieces_of_the_one_step_bound():
    # the identity behind (4.4): m ||u||^2 - ||diag(d) u||^2 = sum_i (m - d_i^2) u_i^2, u = W x, any 2 x 2 W
    d, W, x = matrix_symbols("d", 2), matrix_symbols("W", 2, 2), matrix_symbols("x", 2)
    m = sp.Symbol("m")
    u = W * x
    lhs = m * (u.T * u)[0, 0] - ((sp.diag(*d) * u).T * (sp.diag(*d) * u))[0, 0]
    assert sp.expand(lhs - sum((m - d[i] ** 2) * u[i] ** 2 for i in range(2))) == 0
