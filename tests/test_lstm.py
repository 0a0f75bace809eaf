"""The NumPy LSTM (src/gentle_rnn/lstm.py) against SymPy, against finite differences, and on bad input.

Stages, as in derivations/lstm_bptt.py: forward values (5.1)-(5.7); the symbolic BPTT recursion against
brute-force differentiation (exactly, smallest size) and against forward mode (RTRL, exactly, every size);
then every NumPy gradient against the symbolic recursion in float64 at the three unequal sizes of
``helpers.SIZES``, one assertion per gradient; the per-step quantities Part 4 uses; finite differences; bad
input; the numbers printed on the page. Tolerances: 1e-10 relative against SymPy (float64 evaluation of
exact expressions), 1e-6 against centred finite differences (truncation error).

The symbolic gradients are per sample; the loss is a sum over the batch, so the batch gradient of a
parameter is the sum of the per-sample gradients (``symbolic.lstm.numeric`` adds them), while h0 and s0
have one row per sample.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from gentle_rnn import lstm, readout
from gentle_rnn.gradcheck import numerical_gradients
from gentle_rnn.symbolic import lambdify_numpy
from gentle_rnn.symbolic import lstm as sl
from tests.helpers import SIZES, assert_close

SYMBOLIC_TOL = 1e-10
FD_TOL = 1e-6
ROOT = Path(__file__).resolve().parents[1]

#: The smallest size with D, H, K all different and T >= 3: where brute-force differentiation is affordable.
BRUTE_FORCE_SIZE = (1, 2, 3, 3)


def _size_params(sizes):
    return [pytest.param(s, id=f"D{s[0]}H{s[1]}K{s[2]}T{s[3]}B{s[4]}") for s in sizes]


# ----------------------------------------------------------------------------------------------------------------
# symbolic references, built once per size


@lru_cache(maxsize=None)
def network(dims) -> sl.UnrolledLSTM:
    """The unrolled LSTM for one sample with symbolic targets, dims = (D, H, K, T)."""
    return sl.unroll(*dims)


@lru_cache(maxsize=None)
def recursion(dims) -> sl.LSTMBPTT:
    """BPTT in matrix form, equations (5.8)-(5.16)."""
    return sl.bptt(network(dims))


@lru_cache(maxsize=None)
def forward_mode(dims) -> dict:
    """Every gradient by real-time recurrent learning from sympy.diff's one-step Jacobians."""
    return sl.rtrl(network(dims))


@lru_cache(maxsize=None)
def brute_force(dims) -> dict:
    """Every gradient by differentiating the unrolled loss (SymPy's rules, memoised)."""
    return sl.brute_force(network(dims), method="memo")


def problem(size, seed=0):
    """Random float64 parameters (every bias non-zero, so that a missing bias term shows), x, y, h0, s0."""
    D, H, K, T, B = size
    rng = np.random.default_rng(seed)
    params = lstm.init_params(D, H, K, rng=rng, scale=1.5)
    for name in lstm.PARAM_KEYS:
        if name.startswith("b_") or name == "c":
            params[name] = params[name] + rng.normal(0, 0.5, params[name].shape)
    x = rng.normal(size=(T, B, D))
    y = rng.integers(0, K, size=(T, B))
    h0 = rng.normal(0, 0.5, size=(B, H))
    s0 = rng.normal(0, 0.5, size=(B, H))
    return params, x, y, h0, s0


# ----------------------------------------------------------------------------------------------------------------
# the symbolic recursion is right: brute force (smallest size) and forward mode (every size), exactly


@pytest.mark.parametrize("name", lstm.GRAD_KEYS)
def test_symbolic_bptt_equals_brute_force_differentiation_exactly(name):
    net = network(BRUTE_FORCE_SIZE)
    n = sl.exact_agreement(recursion(BRUTE_FORCE_SIZE).grads[name], brute_force(BRUTE_FORCE_SIZE)[name],
                           net.inputs, points=3)
    assert n == len(net.wrt[name]), f"dL/d{name}: compared {n} entries"


@pytest.mark.parametrize("size", _size_params(SIZES))
def test_symbolic_bptt_equals_forward_mode_rtrl_exactly(size):
    dims = size[:4]
    net = network(dims)
    for name in lstm.GRAD_KEYS:
        n = sl.exact_agreement(recursion(dims).grads[name], forward_mode(dims)[name], net.inputs, points=2)
        assert n == len(net.wrt[name]), f"dL/d{name}: compared {n} entries"


def test_exact_agreement_catches_a_missing_sigmoid_derivative():
    # the check can fail: dL/da_f(t) without f(t)(1 - f(t)) in (5.14) gives a different dL/dW_f
    net = network(BRUTE_FORCE_SIZE)
    bp = recursion(BRUTE_FORCE_SIZE)
    wrong = sum((sl.hadamard(bp.ds[t], net.s[t - 1]) * net.h[t - 1].T for t in range(1, net.T + 1)),
                sl.sp.zeros(net.H, net.H))
    with pytest.raises(AssertionError, match="differs"):
        sl.exact_agreement(wrong, brute_force(BRUTE_FORCE_SIZE)["W_f"], net.inputs)


def test_evaluate_agrees_with_lambdify_on_lstm_expressions():
    # the memoised evaluator used for every numeric comparison gives what sympy.lambdify gives (T = 1 and the
    # smallest size: lambdify walks the expanded tree and needs ~20 s already at T = 2)
    net = sl.unroll(1, 2, 3, 1)
    exprs = [e for name in lstm.GRAD_KEYS for e in sl.bptt(net).grads[name]] + [net.L]
    point = np.random.default_rng(0).normal(size=len(net.inputs))
    ours = sl.evaluate(exprs, dict(zip(net.inputs, point)), sl.NUMPY_FUNCTIONS)
    theirs = lambdify_numpy(net.inputs, exprs)(*point)
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, err_msg="evaluate and lambdify differ")


# ----------------------------------------------------------------------------------------------------------------
# forward: equations (5.1)-(5.7)


@pytest.mark.parametrize("size", _size_params(SIZES))
def test_forward_states_and_loss_match_symbolic(size):
    params, x, y, h0, s0 = problem(size)
    D, H, K, T, B = size
    net = network(size[:4])
    exprs = {f"h{t}": net.h[t] for t in range(1, T + 1)} | {f"s{t}": net.s[t] for t in range(1, T + 1)}
    want = sl.numeric(net, exprs, params, x, y, h0, s0, batch_sum=False)
    h, s = lstm.forward(params, x, h0, s0)
    assert h.shape == s.shape == (T, B, H), f"h, s: shapes {h.shape}, {s.shape}"
    for t in range(1, T + 1):
        assert_close(f"h({t}) (5.6)", h[t - 1], want[f"h{t}"], SYMBOLIC_TOL)
        assert_close(f"s({t}) (5.5)", s[t - 1], want[f"s{t}"], SYMBOLIC_TOL)
    loss_sym = sl.numeric(net, {"loss": sl.sp.Matrix([net.L])}, params, x, y, h0, s0)["loss"]
    assert_close("L (5.7)", lstm.loss(params, x, y, h0, s0), loss_sym, SYMBOLIC_TOL)


# ----------------------------------------------------------------------------------------------------------------
# backward: every gradient, equations (5.8)-(5.16)


@pytest.mark.parametrize("name", lstm.GRAD_KEYS)
@pytest.mark.parametrize("size", _size_params(SIZES))
def test_gradient_matches_symbolic_bptt(size, name):
    params, x, y, h0, s0 = problem(size)
    want = _symbolic_grads(size)
    _, grads = lstm.loss_and_grads(params, x, y, h0, s0)
    assert_close(f"dL/d{name} vs SymPy (5.8)-(5.16)", grads[name], want[name], SYMBOLIC_TOL)


@lru_cache(maxsize=None)
def _symbolic_grads(size):
    params, x, y, h0, s0 = problem(size)
    return sl.numeric(network(size[:4]), recursion(size[:4]).grads, params, x, y, h0, s0)


@pytest.mark.parametrize("name", lstm.GRAD_KEYS)
def test_gradient_matches_brute_force_differentiation(name):
    size = BRUTE_FORCE_SIZE + (3,)  # B = 3
    params, x, y, h0, s0 = problem(size)
    want = sl.numeric(network(BRUTE_FORCE_SIZE), brute_force(BRUTE_FORCE_SIZE), params, x, y, h0, s0)
    _, grads = lstm.loss_and_grads(params, x, y, h0, s0)
    assert_close(f"dL/d{name} vs brute-force differentiation", grads[name], want[name], SYMBOLIC_TOL)


@pytest.mark.parametrize("size", _size_params(SIZES))
def test_loss_and_grads_returns_the_loss_and_grads_shaped_like_params(size):
    params, x, y, h0, s0 = problem(size)
    L, grads = lstm.loss_and_grads(params, x, y, h0, s0)
    assert L == pytest.approx(lstm.loss(params, x, y, h0, s0), rel=1e-14), "loss_and_grads and loss disagree"
    assert list(grads) == list(lstm.GRAD_KEYS), f"gradient keys {list(grads)}"
    for name in lstm.PARAM_KEYS:
        assert grads[name].shape == params[name].shape, f"d{name}: shape {grads[name].shape}"
    assert grads["h0"].shape == h0.shape and grads["s0"].shape == s0.shape, "dh0, ds0 shapes"


@pytest.mark.parametrize("size", _size_params(SIZES))
def test_state_gradients_match_symbolic_dh_eq_5_9_and_ds_eq_5_10(size):
    params, x, y, h0, s0 = problem(size)
    T = size[3]
    bp = recursion(size[:4])
    exprs = {f"dh{t}": bp.dh[t] for t in range(1, T + 1)} | {f"ds{t}": bp.ds[t] for t in range(1, T + 1)}
    want = sl.numeric(network(size[:4]), exprs, params, x, y, h0, s0, batch_sum=False)
    dh = lstm.hidden_state_grads(params, x, y, h0, s0)
    ds = lstm.cell_state_grads(params, x, y, h0, s0)
    for t in range(1, T + 1):
        assert_close(f"dL/dh({t}) (5.9)", dh[t - 1], want[f"dh{t}"], SYMBOLIC_TOL)
        assert_close(f"dL/ds({t}) (5.10)", ds[t - 1], want[f"ds{t}"], SYMBOLIC_TOL)


def test_backward_accepts_any_gradient_of_the_hidden_states():
    """backward() is the recurrence alone: fed dh_out = G, any array, it returns the gradients of
    f = sum_t sum_b G(t) . h(t), checked by centred finite differences of f (independent of BPTT)."""
    size = SIZES[1]
    params, x, y, h0, s0 = problem(size)
    D, H, K, T, B = size
    G = np.random.default_rng(12).normal(size=(T, B, H))
    grads, dh, ds = lstm.backward(params, x, h0, s0, G)
    h0, s0 = h0.copy(), s0.copy()
    f = lambda: float(np.sum(G * lstm.forward(params, x, h0, s0)[0]))  # noqa: E731
    arrays = {k: params[k] for k in lstm.PARAM_KEYS if k not in ("V", "c")} | {"h0": h0, "s0": s0}
    numeric = numerical_gradients(f, arrays)
    for name, want in numeric.items():
        assert_close(f"backward d{name} vs finite differences of sum(G * h)", grads[name], want, 1e-6)
    # fed the output layer's share, dh and ds are the totals of (5.9)-(5.10) (checked against SymPy above)
    _, do = readout.forward(params["V"], params["c"], lstm.forward(params, x, h0, s0)[0], y)
    _, _, dh_out = readout.backward(params["V"], lstm.forward(params, x, h0, s0)[0], do)
    _, dh, ds = lstm.backward(params, x, h0, s0, dh_out)
    assert_close("backward dh", dh, lstm.hidden_state_grads(params, x, y, h0, s0), 1e-14)
    assert_close("backward ds", ds, lstm.cell_state_grads(params, x, y, h0, s0), 1e-14)
    with pytest.raises(ValueError, match="^dh_out"):
        lstm.backward(params, x, h0, s0, dh_out[..., :-1])


def test_a_loss_at_the_last_step_reaches_s0_through_the_product_of_forget_gates():
    # the constant error carousel (5.17): with the paths through h cut (W_* = 0, so no gate sees h(t-1)),
    # dL/ds(0) is f(1) ... f(T) times what s(T) receives, exactly the product of the cell-path Jacobians
    D, H, K, T, B = 2, 3, 4, 6, 2
    params, x, _, h0, s0 = problem((D, H, K, T, B))
    for gate in lstm.GATES:
        params[f"W_{gate}"] = np.zeros((H, H))
    dh_out = np.zeros((T, B, H))
    dh_out[-1] = np.random.default_rng(3).normal(size=(B, H))
    grads, _, ds = lstm.backward(params, x, h0, s0, dh_out)
    f = lstm.step_jacobians(params, x, h0, s0)["cell_path"]  # (T, B, H)
    assert_close("dL/ds(0) = f(1) ... f(T) dL/ds(T)", grads["s0"], f.prod(axis=0) * ds[-1], 1e-13)


# ----------------------------------------------------------------------------------------------------------------
# the one-step Jacobians Part 4 uses: equations (5.17)-(5.18)


@pytest.mark.parametrize("size", _size_params(SIZES))
def test_step_jacobians_match_sympy_diff_of_one_step(size):
    D, H, K, T, B = size
    params, x, _, h0, s0 = problem(size)
    P = sl.parameter_symbols(D, H, K)
    J = sl.step_jacobians(P, D, H)  # d[h; s] / d[h(t-1); s(t-1)] by sympy.diff of one generic step
    h, s = lstm.forward(params, x, h0, s0)
    hs, ss = np.concatenate([h0[None], h]), np.concatenate([s0[None], s])
    got = lstm.step_jacobians(params, x, h0, s0)
    for t in range(1, T + 1):
        values = {v: float(a) for k in lstm.PARAM_KEYS[:12] for v, a in zip(P[k], np.ravel(params[k]))}
        values |= {v: hs[t - 1][:, i] for i, v in enumerate(J.h_prev)}
        values |= {v: ss[t - 1][:, i] for i, v in enumerate(J.s_prev)}
        values |= {v: x[t - 1][:, i] for i, v in enumerate(J.x)}
        flat = sl.evaluate(list(J.state), values, sl.NUMPY_FUNCTIONS)
        full = np.stack([np.broadcast_to(v, (B,)) for v in flat], axis=-1).reshape(B, 2 * H, 2 * H)
        blocks = {"dh_dh": full[:, :H, :H], "dh_ds": full[:, :H, H:], "ds_dh": full[:, H:, :H],
                  "ds_ds": full[:, H:, H:]}
        for name, want in blocks.items():
            assert_close(f"{name} at t={t} (5.18)", got[name][t - 1], want, SYMBOLIC_TOL)
        assert_close(f"cell path at t={t} (5.17)", got["ds_ds"][t - 1],
                     np.stack([np.diag(v) for v in got["cell_path"][t - 1]]), 0.0)


# ----------------------------------------------------------------------------------------------------------------
# centred finite differences


@pytest.mark.parametrize("size", _size_params(SIZES))
def test_gradients_match_centred_finite_differences(size):
    params, x, y, h0, s0 = problem(size, seed=1)
    arrays = {**params, "h0": h0, "s0": s0}  # the same arrays: perturbing one changes what loss() reads
    numeric = numerical_gradients(lambda: lstm.loss(params, x, y, h0, s0), arrays, eps=1e-6)
    _, grads = lstm.loss_and_grads(params, x, y, h0, s0)
    for name in lstm.GRAD_KEYS:
        assert_close(f"dL/d{name} vs finite differences", grads[name], numeric[name], FD_TOL)


# ----------------------------------------------------------------------------------------------------------------
# bad input: ValueError naming the argument


def _bad_cases():
    D, H, K, T, B = SIZES[0]
    p = problem(SIZES[0])[0]
    x = np.zeros((T, B, D))
    y = np.zeros((T, B), dtype=int)
    h0 = np.zeros((B, H))
    s0 = np.zeros((B, H))

    def with_param(**kw):
        return {**p, **kw}

    cases = []
    for gate in lstm.GATES:  # every parameter: wrong shape, wrong rank
        U, W, b = f"U_{gate}", f"W_{gate}", f"b_{gate}"
        cases += [
            (f"{U} transposed", U, (with_param(**{U: p[U].T}), x, y, h0, s0)),
            (f"{U} rank 1", U, (with_param(**{U: np.zeros(H)}), x, y, h0, s0)),
            (f"{W} not square", W, (with_param(**{W: np.zeros((H, H + 1))}), x, y, h0, s0)),
            (f"{W} rank 3", W, (with_param(**{W: np.zeros((1, H, H))}), x, y, h0, s0)),
            (f"{b} wrong length", b, (with_param(**{b: np.zeros(H + 1)}), x, y, h0, s0)),
            (f"{b} as a column", b, (with_param(**{b: np.zeros((H, 1))}), x, y, h0, s0)),
        ]
    nan_x = x.copy()
    nan_x[1, 0, 0] = np.nan
    inf_W = p["W_f"].copy()
    inf_W[0, 0] = np.inf
    nan_s0 = s0.copy()
    nan_s0[0, 0] = np.nan
    cases += [
        ("V wrong width", "V", (with_param(V=np.zeros((K, H + 1))), x, y, h0, s0)),
        ("V rank 1", "V", (with_param(V=np.zeros(K)), x, y, h0, s0)),
        ("c wrong length", "c", (with_param(c=np.zeros(K + 1)), x, y, h0, s0)),
        ("c rank 2", "c", (with_param(c=np.zeros((K, 1))), x, y, h0, s0)),
        ("missing parameter", "params", ({k: v for k, v in p.items() if k != "b_q"}, x, y, h0, s0)),
        ("extra parameter", "params", (with_param(c0=np.zeros(H)), x, y, h0, s0)),
        ("params not a dict", "params", ([p["V"]], x, y, h0, s0)),
        ("x rank 2", "x", (p, x[0], y, h0, s0)),
        ("x wrong D", "x", (p, np.zeros((T, B, D + 1)), y, h0, s0)),
        ("x NaN", "x", (p, nan_x, y, h0, s0)),
        ("W_f inf", "W_f", (with_param(W_f=inf_W), x, y, h0, s0)),
        ("x not numeric", "x", (p, np.full((T, B, D), "a"), y, h0, s0)),
        ("y float", "y", (p, x, y.astype(float), h0, s0)),
        ("y fractional", "y", (p, x, y + 0.5, h0, s0)),
        ("y too large", "y", (p, x, np.full((T, B), K), h0, s0)),
        ("y negative", "y", (p, x, np.full((T, B), -1), h0, s0)),
        ("y T mismatch", "y", (p, x, np.zeros((T + 1, B), dtype=int), h0, s0)),
        ("y B mismatch", "y", (p, x, np.zeros((T, B + 1), dtype=int), h0, s0)),
        ("y rank 1", "y", (p, x, np.zeros(T, dtype=int), h0, s0)),
        ("h0 wrong B", "h0", (p, x, y, np.zeros((B + 1, H)), s0)),
        ("h0 wrong H", "h0", (p, x, y, np.zeros((B, H + 1)), s0)),
        ("h0 rank 1 (no silent broadcast)", "h0", (p, x, y, np.zeros(H), s0)),
        ("s0 wrong B", "s0", (p, x, y, h0, np.zeros((B + 1, H)))),
        ("s0 wrong H", "s0", (p, x, y, h0, np.zeros((B, H + 1)))),
        ("s0 rank 3", "s0", (p, x, y, h0, np.zeros((1, B, H)))),
        ("s0 NaN", "s0", (p, x, y, h0, nan_s0)),
    ]
    return cases


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in _bad_cases()])
def test_bad_input_raises_value_error_naming_the_argument(case):
    _, name, (params, x, y, h0, s0) = case
    with pytest.raises(ValueError, match=rf"^{re.escape(name)}\b"):
        lstm.loss_and_grads(params, x, y, h0, s0)
    with pytest.raises(ValueError, match=rf"^{re.escape(name)}\b"):
        lstm.loss(params, x, y, h0, s0)
    if name != "y":
        with pytest.raises(ValueError, match=rf"^{re.escape(name)}\b"):
            lstm.forward(params, x, h0, s0)
        with pytest.raises(ValueError, match=rf"^{re.escape(name)}\b"):
            lstm.step_jacobians(params, x, h0, s0)


# ----------------------------------------------------------------------------------------------------------------
# init_params


def test_init_params_shapes_forget_bias_and_seeds():
    p = lstm.init_params(2, 3, 4, rng=0)
    want = {"V": (4, 3), "c": (4,)} | {f"{k}_{g}": s for g in lstm.GATES
                                      for k, s in (("U", (3, 2)), ("W", (3, 3)), ("b", (3,)))}
    assert list(p) == list(lstm.PARAM_KEYS), f"keys {list(p)}"
    assert {k: v.shape for k, v in p.items()} == want
    np.testing.assert_array_equal(p["b_f"], np.ones(3), err_msg="forget-gate bias starts at +1")
    for k in ("b_z", "b_g", "b_q", "c"):
        assert not p[k].any(), f"{k} starts at zero"
    assert not lstm.init_params(2, 3, 4, rng=0, forget_bias=0.0)["b_f"].any(), "forget_bias=0"
    q = lstm.init_params(2, 3, 4, rng=np.random.default_rng(0))
    for k in p:
        np.testing.assert_array_equal(p[k], q[k], err_msg=f"{k}: an int seed and a Generator differ")
    big = lstm.init_params(50, 400, 3, rng=1, scale=2.0)
    assert big["W_q"].std() == pytest.approx(2.0 / np.sqrt(400), rel=0.02), "W_* std is scale / sqrt(H)"
    assert big["U_z"].std() == pytest.approx(2.0 / np.sqrt(50), rel=0.05), "U_* std is scale / sqrt(D)"
    for bad, match in (({"H": 0}, "^H"), ({"scale": -1.0}, "^scale"), ({"forget_bias": np.nan}, "^forget_bias")):
        kwargs = {"D": 2, "H": 3, "K": 4} | bad
        with pytest.raises(ValueError, match=match):
            lstm.init_params(**kwargs)


# ----------------------------------------------------------------------------------------------------------------
# the numbers printed on the page come from this code


def test_worked_example_tables_on_part_5_page_match_the_code():
    from gentle_rnn.figures import part5

    page = (ROOT / "docs" / "part-5-lstm.md").read_text()
    for name, table in (("forward", part5.forward_table()), ("backward", part5.backward_table()),
                        ("gradient", part5.gradient_table())):
        assert table in page, f"the {name} table on the Part 5 page is not what the code computes:\n{table}"


# ----------------------------------------------------------------------------------------------------------------
# PyTorch's layout (no torch needed: the torch cross-check is in test_lstm_torch.py)


def test_pytorch_layout_stacks_gates_in_pytorch_order():
    """PyTorch's nn.LSTM stacks its gates i, f, g, o (input, forget, cell, output): in our letters g, f, z, q.
    Every parameter gets distinct entries, so that any other order or a swapped kind (U for W) shows."""
    rng = np.random.default_rng(0)
    params = {k: rng.normal(size=v.shape) for k, v in lstm.init_params(2, 3, 4, rng=0).items()}
    layout = lstm.pytorch_layout(params)
    assert layout["weight_ih_l0"].shape == (12, 2) and layout["weight_hh_l0"].shape == (12, 3)
    for k, gate in enumerate(("g", "f", "z", "q")):  # PyTorch's i, f, g, o, written out
        rows = slice(3 * k, 3 * k + 3)
        np.testing.assert_array_equal(layout["weight_ih_l0"][rows], params[f"U_{gate}"], err_msg=f"U_{gate}")
        np.testing.assert_array_equal(layout["weight_hh_l0"][rows], params[f"W_{gate}"], err_msg=f"W_{gate}")
        np.testing.assert_array_equal(layout["bias_ih_l0"][rows], params[f"b_{gate}"], err_msg=f"b_{gate}")
    assert not layout["bias_hh_l0"].any()
    np.testing.assert_array_equal(layout["weight"], params["V"])
    np.testing.assert_array_equal(layout["bias"], params["c"])
    with pytest.raises(ValueError, match="^params"):
        lstm.pytorch_layout({k: v for k, v in params.items() if k != "c"})


def test_init_params_scale_multiplies_every_weight_matrix():
    """The same seed draws the same standard normals: scale 2 doubles every U_*, W_* and V exactly."""
    one, two = lstm.init_params(3, 4, 5, rng=2, scale=1.0), lstm.init_params(3, 4, 5, rng=2, scale=2.0)
    for k in [f"{kind}_{g}" for g in lstm.GATES for kind in ("U", "W")] + ["V"]:
        np.testing.assert_allclose(two[k], 2 * one[k], rtol=1e-15, err_msg=f"{k} ignores scale")
    big = lstm.init_params(50, 400, 60, rng=1, scale=2.0)
    assert big["V"].std() == pytest.approx(2.0 / np.sqrt(400), rel=0.03), "V std is scale / sqrt(H)"


# the page's reading of (5.18): BPTT applies the transposed one-step Jacobian to (dL/dh(t), ds_next), not to the
# two totals


@pytest.mark.parametrize("size", SIZES, ids=str)
def test_the_transposed_step_jacobian_maps_dh_and_ds_next_to_what_the_step_sends_back(size):
    params, x, y, h0, s0 = problem(size)
    dh = lstm.hidden_state_grads(params, x, y, h0, s0)  # (T, B, H) total dL/dh(t)        (5.9)
    ds = lstm.cell_state_grads(params, x, y, h0, s0)  # (T, B, H) total dL/ds(t)          (5.10)
    _, grads = lstm.loss_and_grads(params, x, y, h0, s0)
    J = lstm.step_jacobians(params, x, h0, s0)  # blocks (T, B, H, H), index t - 1     (5.18)
    f = J["cell_path"]  # (T, B, H): f(t)
    h, _ = lstm.forward(params, x, h0, s0)
    _, do = readout.forward(params["V"], params["c"], h, y)
    _, _, dh_out = readout.backward(params["V"], h, do)  # (T, B, H): V^T dL/do(t)
    T = x.shape[0]
    for t in range(T, 0, -1):
        ds_next = f[t] * ds[t] if t < T else np.zeros_like(ds[0])  # f(t+1) dL/ds(t+1), h(t) held fixed

        def transposed(second):  # J(t)^T (dL/dh(t), second), block by block
            to_h = np.einsum("bij,bi->bj", J["dh_dh"][t - 1], dh[t - 1]) + np.einsum("bij,bi->bj", J["ds_dh"][t - 1], second)
            to_s = np.einsum("bij,bi->bj", J["dh_ds"][t - 1], dh[t - 1]) + np.einsum("bij,bi->bj", J["ds_ds"][t - 1], second)
            return to_h, to_s

        to_h, to_s = transposed(ds_next)
        sent_h = grads["h0"] if t == 1 else dh[t - 2] - dh_out[t - 2]  # sum_* W_*^T delta_*(t), i.e. dh_next
        assert_close(f"J(t)^T (dh, ds_next), h-part = dh_next at t = {t}", to_h, sent_h, 1e-10)
        assert_close(f"J(t)^T (dh, ds_next), s-part = f(t) dL/ds(t) at t = {t}", to_s, f[t - 1] * ds[t - 1], 1e-10)
        if t == 1:
            assert_close("the s-part at t = 1 is dL/ds(0), (5.16)", to_s, grads["s0"], 1e-10)
        _, wrong = transposed(ds[t - 1])  # the total dL/ds(t) in the second slot counts a path twice
        assert not np.allclose(wrong, f[t - 1] * ds[t - 1]), f"the totals would give the same at t = {t}"


def test_the_symbolic_model_names_the_same_gates_and_parameters_as_the_numpy_model():
    assert (sl.GATES, sl.PARAM_KEYS, sl.GRAD_KEYS) == (lstm.GATES, lstm.PARAM_KEYS, lstm.GRAD_KEYS)
