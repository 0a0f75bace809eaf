"""The NumPy GRU (src/gentle_rnn/gru.py) against SymPy, against finite differences, and on bad input.

Stages, as in derivations/gru_bptt.py: the symbolic BPTT recursion against brute-force differentiation
(exactly, smallest size) and against forward mode (RTRL, exactly), for all four conventions (update "keep" /
"write" x reset "before" / "after"); then the NumPy forward values and every NumPy gradient against the
symbolic expressions in float64 at the unequal sizes of ``helpers.SIZES``, one assertion per gradient; the
one-step Jacobian; finite differences; bad input; PyTorch's layout (without torch); the page's numbers.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from gentle_rnn import gru, readout
from gentle_rnn.gradcheck import numerical_gradients
from gentle_rnn.symbolic import gru as sg
from tests.helpers import SIZES, assert_close

SYMBOLIC_TOL = 1e-10
FD_TOL = 1e-6
ROOT = Path(__file__).resolve().parents[1]
BRUTE_FORCE_SIZE = (1, 2, 3, 3)  # (D, H, K, T): the smallest with D, H, K all different and T >= 3
CONVENTIONS = list(itertools.product(gru.UPDATES, gru.RESETS))
CONV_IDS = [f"{u}-{r}" for u, r in CONVENTIONS]


def _size_params(sizes):
    return [pytest.param(s, id=f"D{s[0]}H{s[1]}K{s[2]}T{s[3]}B{s[4]}") for s in sizes]


@lru_cache(maxsize=None)
def network(dims, conv) -> sg.UnrolledGRU:
    return sg.unroll(*dims, update=conv[0], reset=conv[1])


@lru_cache(maxsize=None)
def recursion(dims, conv) -> sg.GRUBPTT:
    return sg.bptt(network(dims, conv))


@lru_cache(maxsize=None)
def brute_force(dims, conv) -> dict:
    return sg.brute_force(network(dims, conv), method="memo")


def problem(size, seed=0):
    """Random float64 parameters (every bias non-zero, so that a missing bias term shows), x, y, h0."""
    D, H, K, T, B = size
    rng = np.random.default_rng(seed)
    params = gru.init_params(D, H, K, rng=rng, scale=1.5)
    for name in gru.PARAM_KEYS:
        if name.startswith("b_") or name == "c":
            params[name] = params[name] + rng.normal(0, 0.5, params[name].shape)
    x = rng.normal(size=(T, B, D))
    y = rng.integers(0, K, size=(T, B))
    h0 = rng.normal(0, 0.5, size=(B, H))
    return params, x, y, h0


# ----------------------------------------------------------------------------------------------------------------
# the symbolic recursion is right: brute force and forward mode, exactly


@pytest.mark.parametrize("conv", CONVENTIONS, ids=CONV_IDS)
def test_symbolic_bptt_equals_brute_force_differentiation_exactly(conv):
    net = network(BRUTE_FORCE_SIZE, conv)
    for name in gru.GRAD_KEYS:
        n = sg.exact_agreement(recursion(BRUTE_FORCE_SIZE, conv).grads[name], brute_force(BRUTE_FORCE_SIZE, conv)[name],
                               net.inputs, points=3)
        assert n == len(net.wrt[name]), f"dL/d{name}: compared {n} entries"


@pytest.mark.parametrize("conv", CONVENTIONS, ids=CONV_IDS)
def test_symbolic_bptt_equals_forward_mode_rtrl_exactly(conv):
    dims = SIZES[0][:4]
    net = network(dims, conv)
    fwd = sg.rtrl(net)
    for name in gru.GRAD_KEYS:
        n = sg.exact_agreement(recursion(dims, conv).grads[name], fwd[name], net.inputs, points=2)
        assert n == len(net.wrt[name]), f"dL/d{name}: compared {n} entries"


def test_exact_agreement_catches_the_wrong_convention():
    # the check can fail: the recursion of one convention is not the gradient of another
    a, b = ("keep", "before"), ("keep", "after")
    net = network(BRUTE_FORCE_SIZE, a)
    with pytest.raises(AssertionError, match="differs"):
        sg.exact_agreement(sg.bptt(network(BRUTE_FORCE_SIZE, b)).grads["W_h"], brute_force(BRUTE_FORCE_SIZE, a)["W_h"],
                           net.inputs + network(BRUTE_FORCE_SIZE, b).inputs)


# ----------------------------------------------------------------------------------------------------------------
# NumPy forward and backward against the symbolic expressions


@pytest.mark.parametrize("conv", CONVENTIONS, ids=CONV_IDS)
@pytest.mark.parametrize("size", _size_params(SIZES))
def test_forward_states_and_loss_match_symbolic(size, conv):
    params, x, y, h0 = problem(size)
    T, B, H = size[3], size[4], size[1]
    net = network(size[:4], conv)
    want = sg.numeric(net, {f"h{t}": net.h[t] for t in range(1, T + 1)}, params, x, y, h0, batch_sum=False)
    h = gru.forward(params, x, h0, update=conv[0], reset=conv[1])
    assert h.shape == (T, B, H), f"h: shape {h.shape}"
    for t in range(1, T + 1):
        assert_close(f"h({t}) (6.4)", h[t - 1], want[f"h{t}"], SYMBOLIC_TOL)
    loss_sym = sg.numeric(net, {"loss": sg.sp.Matrix([net.L])}, params, x, y, h0)["loss"]
    assert_close("L (6.5)", gru.loss(params, x, y, h0, update=conv[0], reset=conv[1]), loss_sym, SYMBOLIC_TOL)


@lru_cache(maxsize=None)
def _symbolic_grads(size, conv):
    params, x, y, h0 = problem(size)
    bp = recursion(size[:4], conv)
    exprs = dict(bp.grads) | {f"dh{t}": bp.dh[t] for t in range(1, size[3] + 1)}
    want = sg.numeric(network(size[:4], conv), {k: v for k, v in exprs.items() if k in bp.grads}, params, x, y, h0)
    want |= sg.numeric(network(size[:4], conv), {k: v for k, v in exprs.items() if k.startswith("dh")},
                       params, x, y, h0, batch_sum=False)
    return want


@pytest.mark.parametrize("conv", CONVENTIONS, ids=CONV_IDS)
@pytest.mark.parametrize("size", _size_params(SIZES))
def test_every_gradient_matches_symbolic_bptt(size, conv):
    params, x, y, h0 = problem(size)
    want = _symbolic_grads(size, conv)
    L, grads = gru.loss_and_grads(params, x, y, h0, update=conv[0], reset=conv[1])
    assert list(grads) == list(gru.GRAD_KEYS), f"gradient keys {list(grads)}"
    for name in gru.GRAD_KEYS:
        assert_close(f"dL/d{name} vs SymPy (6.6)-(6.13)", grads[name], want[name], SYMBOLIC_TOL)
    dh = gru.hidden_state_grads(params, x, y, h0, update=conv[0], reset=conv[1])
    for t in range(1, size[3] + 1):
        assert_close(f"dL/dh({t}) (6.7)", dh[t - 1], want[f"dh{t}"], SYMBOLIC_TOL)


@pytest.mark.parametrize("conv", CONVENTIONS, ids=CONV_IDS)
def test_gradients_match_brute_force_differentiation(conv):
    size = BRUTE_FORCE_SIZE + (3,)
    params, x, y, h0 = problem(size)
    want = sg.numeric(network(BRUTE_FORCE_SIZE, conv), brute_force(BRUTE_FORCE_SIZE, conv), params, x, y, h0)
    _, grads = gru.loss_and_grads(params, x, y, h0, update=conv[0], reset=conv[1])
    for name in gru.GRAD_KEYS:
        assert_close(f"dL/d{name} vs brute-force differentiation", grads[name], want[name], SYMBOLIC_TOL)


@pytest.mark.parametrize("conv", CONVENTIONS, ids=CONV_IDS)
@pytest.mark.parametrize("size", _size_params(SIZES))
def test_gradients_match_centred_finite_differences(size, conv):
    params, x, y, h0 = problem(size, seed=1)
    arrays = {**params, "h0": h0}
    numeric = numerical_gradients(lambda: gru.loss(params, x, y, h0, update=conv[0], reset=conv[1]), arrays)
    _, grads = gru.loss_and_grads(params, x, y, h0, update=conv[0], reset=conv[1])
    for name in gru.GRAD_KEYS:
        assert_close(f"dL/d{name} vs finite differences", grads[name], numeric[name], FD_TOL)


def test_backward_accepts_any_gradient_of_the_hidden_states():
    size = SIZES[1]
    params, x, y, h0 = problem(size)
    for u, r in CONVENTIONS:
        h = gru.forward(params, x, h0, update=u, reset=r)
        _, do = readout.forward(params["V"], params["c"], h, y)
        _, _, dh_out = readout.backward(params["V"], h, do)
        grads, dh = gru.backward(params, x, h0, dh_out, update=u, reset=r)
        _, full = gru.loss_and_grads(params, x, y, h0, update=u, reset=r)
        for name in gru.GRAD_KEYS[:9] + ("h0",):
            assert_close(f"backward d{name} ({u}, {r})", grads[name], full[name], 1e-14)
    with pytest.raises(ValueError, match="^dh_out"):
        gru.backward(params, x, h0, dh_out[..., :-1])


# ----------------------------------------------------------------------------------------------------------------
# the one-step Jacobian (6.14) and its direct path (6.15)


@pytest.mark.parametrize("conv", CONVENTIONS, ids=CONV_IDS)
def test_step_jacobians_match_sympy_diff_of_one_step(conv):
    D, H, K, T, B = SIZES[0]
    params, x, _, h0 = problem(SIZES[0])
    P = sg.parameter_symbols(D, H, K)
    J = sg.step_jacobian(P, D, H, *conv, with_params=False)
    h = gru.forward(params, x, h0, update=conv[0], reset=conv[1])
    hs = np.concatenate([h0[None], h])
    got = gru.step_jacobians(params, x, h0, update=conv[0], reset=conv[1])
    for t in range(1, T + 1):
        values = {v: float(a) for k in gru.PARAM_KEYS[:9] for v, a in zip(P[k], np.ravel(params[k]))}
        values |= {v: hs[t - 1][:, i] for i, v in enumerate(J.h_prev)}
        values |= {v: x[t - 1][:, i] for i, v in enumerate(J.x)}
        flat = sg.evaluate(list(J.state), values, sg.NUMPY_FUNCTIONS)
        want = np.stack([np.broadcast_to(v, (B,)) for v in flat], axis=-1).reshape(B, H, H)
        assert_close(f"dh({t})/dh({t - 1}) (6.14)", got["full"][t - 1], want, SYMBOLIC_TOL)
    zeta = 1 / (1 + np.exp(-(x @ params["U_zeta"].T + hs[:-1] @ params["W_zeta"].T + params["b_zeta"])))
    assert_close("direct path mu(t) (6.15)", got["direct"], zeta if conv[0] == "keep" else 1 - zeta, 1e-14)


def test_a_loss_at_the_last_step_reaches_h0_through_the_product_of_mu_when_the_weights_are_cut():
    # with W_zeta = W_rho = W_h = 0 only the direct path links h(t-1) to h(t): dL/dh(0) = mu(1) ... mu(T) g
    D, H, K, T, B = 2, 3, 4, 6, 2
    params, x, _, h0 = problem((D, H, K, T, B))
    for g in gru.GATES:
        params[f"W_{g}"] = np.zeros((H, H))
    dh_out = np.zeros((T, B, H))
    dh_out[-1] = np.random.default_rng(3).normal(size=(B, H))
    for u in gru.UPDATES:
        grads, _ = gru.backward(params, x, h0, dh_out, update=u)
        mu = gru.step_jacobians(params, x, h0, update=u)["direct"]
        assert_close(f"dL/dh(0) = prod mu dL/dh(T) ({u})", grads["h0"], mu.prod(axis=0) * dh_out[-1], 1e-13)


# ----------------------------------------------------------------------------------------------------------------
# bad input


def _bad_cases():
    D, H, K, T, B = SIZES[0]
    p = problem(SIZES[0])[0]
    x, y, h0 = np.zeros((T, B, D)), np.zeros((T, B), dtype=int), np.zeros((B, H))

    def w(**kw):
        return {**p, **kw}

    cases = []
    for g in gru.GATES:
        U, W, b = f"U_{g}", f"W_{g}", f"b_{g}"
        cases += [(f"{U} transposed", U, (w(**{U: p[U].T}), x, y, h0)),
                  (f"{W} not square", W, (w(**{W: np.zeros((H, H + 1))}), x, y, h0)),
                  (f"{b} as a column", b, (w(**{b: np.zeros((H, 1))}), x, y, h0))]
    nan_x = x.copy()
    nan_x[1, 0, 0] = np.nan
    cases += [
        ("V wrong width", "V", (w(V=np.zeros((K, H + 1))), x, y, h0)),
        ("c wrong length", "c", (w(c=np.zeros(K + 1)), x, y, h0)),
        ("missing parameter", "params", ({k: v for k, v in p.items() if k != "b_rho"}, x, y, h0)),
        ("an LSTM key", "params", (w(W_z=np.zeros((H, H))), x, y, h0)),
        ("x rank 2", "x", (p, x[0], y, h0)),
        ("x NaN", "x", (p, nan_x, y, h0)),
        ("y float", "y", (p, x, y.astype(float), h0)),
        ("y too large", "y", (p, x, np.full((T, B), K), h0)),
        ("h0 rank 1 (no silent broadcast)", "h0", (p, x, y, np.zeros(H))),
        ("h0 wrong H", "h0", (p, x, y, np.zeros((B, H + 1)))),
    ]
    return cases


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in _bad_cases()])
def test_bad_input_raises_value_error_naming_the_argument(case):
    _, name, (params, x, y, h0) = case
    with pytest.raises(ValueError, match=rf"^{re.escape(name)}\b"):
        gru.loss_and_grads(params, x, y, h0)
    if name != "y":
        with pytest.raises(ValueError, match=rf"^{re.escape(name)}\b"):
            gru.forward(params, x, h0, reset="after")
        with pytest.raises(ValueError, match=rf"^{re.escape(name)}\b"):
            gru.step_jacobians(params, x, h0)


@pytest.mark.parametrize("kwargs, name", [({"update": "cho"}, "update"), ({"reset": "inside"}, "reset"),
                                          ({"update": None}, "update")])
def test_an_unknown_convention_is_refused_by_name(kwargs, name):
    params, x, y, h0 = problem(SIZES[0])
    with pytest.raises(ValueError, match=f"^{name} must be one of"):
        gru.loss_and_grads(params, x, y, h0, **kwargs)


def test_init_params_shapes_and_seeds():
    p = gru.init_params(2, 3, 4, rng=0)
    assert list(p) == list(gru.PARAM_KEYS)
    assert p["U_zeta"].shape == (3, 2) and p["W_h"].shape == (3, 3) and p["b_rho"].shape == (3,)
    assert p["V"].shape == (4, 3) and not p["c"].any() and not p["b_h"].any()
    q = gru.init_params(2, 3, 4, rng=np.random.default_rng(0))
    for k in p:
        np.testing.assert_array_equal(p[k], q[k], err_msg=f"{k}: an int seed and a Generator differ")
    for bad, match in (({"H": 0}, "^H"), ({"scale": -1.0}, "^scale")):
        with pytest.raises(ValueError, match=match):
            gru.init_params(**({"D": 2, "H": 3, "K": 4} | bad))


# ----------------------------------------------------------------------------------------------------------------
# PyTorch's layout, checked without torch (the torch run itself is tests/test_gru_torch.py)


def test_pytorch_layout_stacks_r_z_n_and_maps_back_by_name():
    params = gru.init_params(2, 3, 4, rng=0)
    layout = gru.pytorch_layout(params)
    assert layout["weight_ih_l0"].shape == (9, 2) and layout["weight_hh_l0"].shape == (9, 3)
    for k, g in enumerate(("rho", "zeta", "h")):  # PyTorch's r, z, n
        np.testing.assert_array_equal(layout["weight_ih_l0"][3 * k : 3 * k + 3], params[f"U_{g}"])
        np.testing.assert_array_equal(layout["weight_hh_l0"][3 * k : 3 * k + 3], params[f"W_{g}"])
        np.testing.assert_array_equal(layout["bias_ih_l0"][3 * k : 3 * k + 3], params[f"b_{g}"])
    assert not layout["bias_hh_l0"].any()
    back = gru.from_pytorch_layout(layout)
    for k in gru.PARAM_KEYS:
        np.testing.assert_array_equal(back[k], params[k], err_msg=f"{k} does not map back")
    with pytest.raises(ValueError, match="^params"):
        gru.pytorch_layout({k: v for k, v in params.items() if k != "c"})
    with pytest.raises(ValueError, match="^layout"):
        gru.from_pytorch_layout({k: v for k, v in layout.items() if k != "weight"})


def test_pytorch_equations_written_in_numpy_equal_keep_after():
    # PyTorch's documented GRU equations, transcribed from its layout (r, z, n blocks), give our
    # update="keep", reset="after" states: the mapping is right without torch installed
    D, H, K, T, B = SIZES[2]
    params, x, _, h0 = problem(SIZES[2])
    L = gru.pytorch_layout(params)
    W_i, W_h, b_i = L["weight_ih_l0"], L["weight_hh_l0"], L["bias_ih_l0"] + 0 * L["bias_hh_l0"]
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    h, out = h0, []
    for t in range(T):
        gi = x[t] @ W_i.T + b_i  # (B, 3H): [r | z | n]
        gh = h @ W_h.T + L["bias_hh_l0"]
        r = sig(gi[:, :H] + gh[:, :H])
        z = sig(gi[:, H : 2 * H] + gh[:, H : 2 * H])
        n = np.tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
        h = (1 - z) * n + z * h
        out.append(h)
    assert_close("PyTorch's equations vs keep-after", gru.forward(params, x, h0, update="keep", reset="after"),
                 np.stack(out), 1e-14)
    other = gru.forward(params, x, h0, update="keep", reset="before")
    assert np.abs(other - np.stack(out)).max() > 1e-3, "reset before/after should differ"


# ----------------------------------------------------------------------------------------------------------------
# the numbers printed on the page come from this code


def test_worked_example_tables_on_part_6_page_match_the_code():
    from gentle_rnn.figures import part6

    page = (ROOT / "docs" / "part-6-gru.md").read_text()
    for name, table in (("parameters", part6.parameter_table()), ("forward", part6.forward_table()),
                        ("backward", part6.backward_table())):
        assert table in page, f"the {name} table on the Part 6 page is not what the code computes:\n{table}"
