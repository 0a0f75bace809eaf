"""The NumPy simple RNN (src/gentle_rnn/rnn.py) against SymPy and against finite differences.

Stages, as in the derivation: forward values (2.1)-(2.4); every gradient of full BPTT (3.1)-(3.10) against
brute-force ``sympy.diff`` where it is affordable and against the BPTT recursion in matrix form everywhere;
truncated BPTT (3.11)-(3.12); centred finite differences; bad input. Tolerances: 1e-10 relative against
SymPy (float64 evaluation of exact expressions), 1e-6 against finite differences (truncation error).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from tests import rnn_reference as ref
from gentle_rnn import readout, rnn
from gentle_rnn.gradcheck import numerical_gradients
from gentle_rnn.symbolic import rnn as srnn
from tests.helpers import SIZES, assert_close

SYMBOLIC_TOL = 1e-10
FD_TOL = 1e-6

def _size_params(sizes):
    return [pytest.param(s, id=f"D{s[0]}H{s[1]}K{s[2]}T{s[3]}B{s[4]}") for s in sizes]


# ----------------------------------------------------------------------------------------------------------------
# forward: equations (2.1)-(2.4)


@pytest.mark.parametrize("size", _size_params(SIZES))
def test_forward_states_and_loss_match_symbolic(size):
    params, x, y, h0 = ref.problem(size)
    net = ref.network(size)
    T = size[3]
    want = srnn.numeric(net, {f"h{t}": net.h[t] for t in range(1, T + 1)}, params, x, y, h0, batch_sum=False)
    h = rnn.forward(params, x, h0)
    assert h.shape == (T, size[4], size[1]), f"h: shape {h.shape}"
    for t in range(1, T + 1):
        assert_close(f"h({t}) (2.1)-(2.2)", h[t - 1], want[f"h{t}"], SYMBOLIC_TOL)
    loss_sym = srnn.numeric(net, {"loss": sp.Matrix([net.L])}, params, x, y, h0)["loss"]
    assert_close("L (2.4)", rnn.loss(params, x, y, h0), loss_sym, SYMBOLIC_TOL)


# ----------------------------------------------------------------------------------------------------------------
# full BPTT: equations (3.1)-(3.10)


@pytest.mark.parametrize("name", rnn.GRAD_KEYS)
@pytest.mark.parametrize("size", _size_params(ref.BRUTE_FORCE_SIZES))
def test_bptt_gradient_matches_brute_force_sympy_diff(size, name):
    params, x, y, h0 = ref.problem(size)
    want = srnn.numeric(ref.network(size), ref.brute_force(size), params, x, y, h0)
    _, grads = rnn.loss_and_grads(params, x, y, h0)
    assert_close(f"dL/d{name} vs brute-force sympy.diff", grads[name], want[name], SYMBOLIC_TOL)


@pytest.mark.parametrize("name", rnn.GRAD_KEYS)
@pytest.mark.parametrize("size", _size_params(SIZES))
def test_bptt_gradient_matches_symbolic_recursion(size, name):
    params, x, y, h0 = ref.problem(size)
    want = srnn.numeric(ref.network(size), ref.recursion(size).grads, params, x, y, h0)
    _, grads = rnn.loss_and_grads(params, x, y, h0)
    assert_close(f"dL/d{name} vs symbolic BPTT (3.5)-(3.10)", grads[name], want[name], SYMBOLIC_TOL)


@pytest.mark.parametrize("size", _size_params(SIZES))
def test_loss_and_grads_returns_the_loss_and_grads_shaped_like_params(size):
    params, x, y, h0 = ref.problem(size)
    L, grads = rnn.loss_and_grads(params, x, y, h0)
    assert L == pytest.approx(rnn.loss(params, x, y, h0), rel=1e-14), "loss_and_grads and loss disagree"
    assert set(grads) == set(rnn.GRAD_KEYS), f"gradient keys {sorted(grads)}"
    for name in rnn.PARAM_KEYS:
        assert grads[name].shape == params[name].shape, f"d{name}: shape {grads[name].shape}"
    assert grads["h0"].shape == h0.shape, f"dh0: shape {grads['h0'].shape}"


@pytest.mark.parametrize("size", _size_params(SIZES))
def test_hidden_state_grads_match_symbolic_dh_eq_3_3(size):
    params, x, y, h0 = ref.problem(size)
    T = size[3]
    bp = ref.recursion(size)
    want = srnn.numeric(ref.network(size), {f"dh{t}": bp.dh[t] for t in range(1, T + 1)}, params, x, y, h0,
                        batch_sum=False)
    dh = rnn.hidden_state_grads(params, x, y, h0)
    for t in range(1, T + 1):
        assert_close(f"dL/dh({t}) (3.3)", dh[t - 1], want[f"dh{t}"], SYMBOLIC_TOL)


def test_backward_accepts_any_gradient_of_the_hidden_states():
    """backward() is the recurrence alone: fed dh_out = G, any array, it returns the gradients of
    f = sum_t sum_b G(t) . h(t), checked here by centred finite differences of f (independent of BPTT), and
    dh against the definition of the total gradient written as a double loop (the helper below, tau = T)."""
    size = SIZES[1]
    params, x, y, h0 = ref.problem(size)
    G = np.random.default_rng(11).normal(size=(size[3], size[4], size[1]))  # (T, B, H)
    h = rnn.forward(params, x, h0)
    grads, dh = rnn.backward(params, x, h0, h, G)
    h0 = h0.copy()
    f = lambda: float(np.sum(G * rnn.forward(params, x, h0)))  # noqa: E731
    numeric = numerical_gradients(f, {"U": params["U"], "W": params["W"], "b": params["b"], "h0": h0})
    for name in ("U", "W", "b", "h0"):
        assert_close(f"backward d{name} vs finite differences of sum(G * h)", grads[name], numeric[name], FD_TOL)
    _, want_dh = _truncated_by_definition(params, x, h0, h, G, size[3])
    assert_close("backward dh vs its definition", dh, want_dh, 1e-13)


# ----------------------------------------------------------------------------------------------------------------
# truncated BPTT: equations (3.11)-(3.12)


@pytest.mark.parametrize("size", _size_params(SIZES))
def test_truncated_bptt_equals_full_bptt_when_k_at_least_T(size):
    params, x, y, h0 = ref.problem(size)
    T = size[3]
    _, full = rnn.loss_and_grads(params, x, y, h0)
    for k in (T, T + 1, 10 * T):
        _, trunc = rnn.loss_and_grads(params, x, y, h0, truncate=k)
        for name in rnn.GRAD_KEYS:
            assert_close(f"truncate={k} >= T={T}: d{name}", trunc[name], full[name], 1e-13)


@pytest.mark.parametrize("size", _size_params(SIZES))
def test_truncated_bptt_matches_symbolic_truncated_gradient(size):
    params, x, y, h0 = ref.problem(size)
    T = size[3]
    for k in range(1, T):
        want = srnn.numeric(ref.network(size), ref.truncated(size, k), params, x, y, h0)
        _, grads = rnn.loss_and_grads(params, x, y, h0, truncate=k)
        for name in rnn.GRAD_KEYS:
            assert_close(f"truncate={k}: d{name} vs symbolic (3.12)", grads[name], want[name], SYMBOLIC_TOL)


@pytest.mark.parametrize("size", _size_params(SIZES[:1]))
def test_truncated_bptt_matches_brute_force_with_h_t_minus_k_held_constant(size):
    params, x, y, h0 = ref.problem(size)
    T = size[3]
    for k in range(1, T):
        want = srnn.numeric(ref.network(size), ref.truncated_brute_force(size, k), params, x, y, h0)
        _, grads = rnn.loss_and_grads(params, x, y, h0, truncate=k)
        for name in ref.RECURRENT:
            assert_close(f"truncate={k}: d{name} vs sympy.diff with h(t-tau) held", grads[name], want[name],
                         SYMBOLIC_TOL)


def test_truncated_bptt_differs_from_full_when_k_below_T():
    # guards against a truncation that silently does nothing
    params, x, y, h0 = ref.problem(SIZES[1])
    _, full = rnn.loss_and_grads(params, x, y, h0)
    _, trunc = rnn.loss_and_grads(params, x, y, h0, truncate=1)
    for name in ("U", "W", "b", "h0"):
        assert np.abs(trunc[name] - full[name]).max() > 1e-6, f"truncate=1 left d{name} unchanged"
    for name in ("V", "c"):  # no path through the recurrence
        assert_close(f"truncate=1: d{name} (no recurrent path)", trunc[name], full[name], 1e-14)


# ----------------------------------------------------------------------------------------------------------------
# centred finite differences


# --8<-- [start:finite_differences]
@pytest.mark.parametrize("size", _size_params(SIZES))
def test_bptt_gradients_match_centred_finite_differences(size):
    params, x, y, h0 = ref.problem(size, seed=1)
    arrays = {**params, "h0": h0}  # the same arrays: perturbing one changes what loss() reads
    numeric = numerical_gradients(lambda: rnn.loss(params, x, y, h0), arrays, eps=1e-6)
    _, grads = rnn.loss_and_grads(params, x, y, h0)
    for name in rnn.GRAD_KEYS:
        assert_close(f"dL/d{name} vs finite differences", grads[name], numeric[name], FD_TOL)
# --8<-- [end:finite_differences]


# ----------------------------------------------------------------------------------------------------------------
# bad input: ValueError naming the argument


def _bad_cases():
    D, H, K, T, B = SIZES[0]
    p = ref.problem(SIZES[0])[0]
    x = np.zeros((T, B, D))
    y = np.zeros((T, B), dtype=int)
    h0 = np.zeros((B, H))

    def with_param(**kw):
        return {**p, **kw}

    nan_x = x.copy()
    nan_x[1, 0, 0] = np.nan
    inf_W = p["W"].copy()
    inf_W[0, 0] = np.inf
    return [
        ("U transposed", "U", (with_param(U=p["U"].T), x, y, h0)),
        ("W not square", "W", (with_param(W=np.zeros((H, H + 1))), x, y, h0)),
        ("W rank 1", "W", (with_param(W=np.zeros(H)), x, y, h0)),
        ("b wrong length", "b", (with_param(b=np.zeros(H + 1)), x, y, h0)),
        ("b as a column", "b", (with_param(b=np.zeros((H, 1))), x, y, h0)),
        ("V wrong width", "V", (with_param(V=np.zeros((K, H + 1))), x, y, h0)),
        ("c wrong length", "c", (with_param(c=np.zeros(K + 1)), x, y, h0)),
        ("missing parameter", "params", ({k: v for k, v in p.items() if k != "c"}, x, y, h0)),
        ("extra parameter", "params", (with_param(Z=np.zeros(1)), x, y, h0)),
        ("params not a dict", "params", ([p["U"]], x, y, h0)),
        ("x rank 2", "x", (p, x[0], y, h0)),
        ("x wrong D", "x", (p, np.zeros((T, B, D + 1)), y, h0)),
        ("x NaN", "x", (p, nan_x, y, h0)),
        ("W inf", "W", (with_param(W=inf_W), x, y, h0)),
        ("x not numeric", "x", (p, np.full((T, B, D), "a"), y, h0)),
        ("y float", "y", (p, x, y.astype(float), h0)),
        ("y too large", "y", (p, x, np.full((T, B), K), h0)),
        ("y negative", "y", (p, x, np.full((T, B), -1), h0)),
        ("y T mismatch", "y", (p, x, np.zeros((T + 1, B), dtype=int), h0)),
        ("y B mismatch", "y", (p, x, np.zeros((T, B + 1), dtype=int), h0)),
        ("y rank 1", "y", (p, x, np.zeros(T, dtype=int), h0)),
        ("h0 wrong B", "h0", (p, x, y, np.zeros((B + 1, H)))),
        ("h0 wrong H", "h0", (p, x, y, np.zeros((B, H + 1)))),
        ("h0 rank 1 (no silent broadcast)", "h0", (p, x, y, np.zeros(H))),
    ]


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in _bad_cases()])
def test_bad_input_raises_value_error_naming_the_argument(case):
    _, name, (params, x, y, h0) = case
    with pytest.raises(ValueError, match=rf"^{re.escape(name)}\b"):
        rnn.loss_and_grads(params, x, y, h0)
    with pytest.raises(ValueError, match=rf"^{re.escape(name)}\b"):
        rnn.loss(params, x, y, h0)
    if name != "y":
        with pytest.raises(ValueError, match=rf"^{re.escape(name)}\b"):
            rnn.forward(params, x, h0)


@pytest.mark.parametrize("bad", [0, -1, 2.0, "3", True])
def test_bad_truncate_raises_value_error(bad):
    params, x, y, h0 = ref.problem(SIZES[0])
    with pytest.raises(ValueError, match="^truncate"):
        rnn.loss_and_grads(params, x, y, h0, truncate=bad)


def test_backward_checks_h_and_dh_out():
    params, x, y, h0 = ref.problem(SIZES[0])
    h = rnn.forward(params, x, h0)
    with pytest.raises(ValueError, match="^h "):
        rnn.backward(params, x, h0, h[:-1], h)
    with pytest.raises(ValueError, match="^dh_out"):
        rnn.backward(params, x, h0, h, h[..., :-1])


# ----------------------------------------------------------------------------------------------------------------
# init_params


def test_init_params_shapes_seeds_and_scale():
    p = rnn.init_params(2, 3, 4, rng=0)
    assert {k: v.shape for k, v in p.items()} == {"U": (3, 2), "W": (3, 3), "b": (3,), "V": (4, 3), "c": (4,)}
    assert not p["b"].any() and not p["c"].any(), "biases start at zero"
    q = rnn.init_params(2, 3, 4, rng=np.random.default_rng(0))
    for k in p:
        np.testing.assert_array_equal(p[k], q[k], err_msg=f"{k}: an int seed and a Generator differ")
    big = rnn.init_params(50, 400, 3, rng=1, scale=2.0)
    assert big["W"].std() == pytest.approx(2.0 / np.sqrt(400), rel=0.02), "W std is scale / sqrt(H)"
    assert big["U"].std() == pytest.approx(2.0 / np.sqrt(50), rel=0.05), "U std is scale / sqrt(D)"
    with pytest.raises(ValueError, match="^H"):
        rnn.init_params(2, 0, 4)
    with pytest.raises(ValueError, match="^scale"):
        rnn.init_params(2, 3, 4, scale=-1.0)


# ----------------------------------------------------------------------------------------------------------------
# the numbers printed on the pages come from this code


def test_worked_example_table_on_part_2_page_matches_the_code():
    from gentle_rnn.figures import part2

    page = (Path(__file__).parents[1] / "docs" / "part-2-forward-propagation.md").read_text()
    table = part2.worked_example_table()
    assert table in page, "the worked-example table on the Part 2 page is not what the code computes:\n" + table


def test_gradient_table_on_part_3_page_matches_the_code():
    from gentle_rnn.figures import part3

    page = (Path(__file__).parents[1] / "docs" / "part-3-bptt.md").read_text()
    table = part3.worked_example_table()
    assert table in page, "the worked-example table on the Part 3 page is not what the code computes:\n" + table
    table = part3.truncation_table()
    assert table in page, "the truncation table on the Part 3 page is not what the code computes:\n" + table


# ----------------------------------------------------------------------------------------------------------------
# truncated BPTT through rnn.backward, against truncation written from its definition


def _truncated_by_definition(params, x, h0, h, dh_out, tau):
    """Truncated BPTT from its definition, one loss term at a time: the gradient that L(t) sends into h(t)
    (``dh_out[t - 1]``) goes back through a(t), a(t - 1), ..., a(t - tau + 1) and no further. No shares by age,
    no running sum: a double loop over the loss term t and the steps u it reaches."""
    T, B, H = h.shape
    hs = np.concatenate([h0[None], h])  # hs[u] = h(u)
    da, dh, dh0 = np.zeros_like(h), np.zeros_like(h), np.zeros_like(h0)
    for t in range(1, T + 1):
        g = dh_out[t - 1]  # the share of L(t) at h(t)
        for u in range(t, max(t - tau, 0), -1):  # u = t, ..., t - tau + 1, never below 1
            dh[u - 1] += g
            g_a = (1 - hs[u] ** 2) * g  # through tanh at step u
            da[u - 1] += g_a
            g = g_a @ params["W"]  # to h(u - 1)
            if u == 1:
                dh0 += g
    grads = {
        "U": np.einsum("tbh,tbd->hd", da, x),
        "W": np.einsum("tbh,tbk->hk", da, hs[:-1]),
        "b": da.sum(axis=(0, 1)),
        "h0": dh0,
    }
    return grads, dh


@pytest.mark.parametrize("size", _size_params(SIZES))
def test_backward_with_truncate_matches_the_definition_of_truncation(size):
    params, x, y, h0 = ref.problem(size)
    T = size[3]
    h = rnn.forward(params, x, h0)
    dh_out = np.random.default_rng(7).normal(size=h.shape)  # any gradient of the hidden states
    for tau in range(1, T + 2):
        want, want_dh = _truncated_by_definition(params, x, h0, h, dh_out, tau)
        grads, dh = rnn.backward(params, x, h0, h, dh_out, truncate=tau)
        for name in ("U", "W", "b", "h0"):
            assert_close(f"backward(truncate={tau}): d{name}", grads[name], want[name], 1e-13)
        assert_close(f"backward(truncate={tau}): dh, what reaches h(t) along the kept paths", dh, want_dh, 1e-13)


@pytest.mark.parametrize("size", _size_params(SIZES))
def test_loss_and_grads_with_truncate_matches_the_definition_of_truncation(size):
    params, x, y, h0 = ref.problem(size)
    h = rnn.forward(params, x, h0)
    _, do = readout.forward(params["V"], params["c"], h, y)
    _, _, dh_out = readout.backward(params["V"], h, do)
    for tau in range(1, size[3]):
        want, _ = _truncated_by_definition(params, x, h0, h, dh_out, tau)
        _, grads = rnn.loss_and_grads(params, x, y, h0, truncate=tau)
        for name in ("U", "W", "b", "h0"):
            assert_close(f"loss_and_grads(truncate={tau}): d{name}", grads[name], want[name], 1e-13)


def test_init_params_scale_multiplies_every_weight_matrix():
    """The same seed draws the same standard normals: scale 2 doubles U, W and V exactly; the biases stay 0."""
    one, two = rnn.init_params(3, 4, 5, rng=2, scale=1.0), rnn.init_params(3, 4, 5, rng=2, scale=2.0)
    for k in ("U", "W", "V"):
        np.testing.assert_allclose(two[k], 2 * one[k], rtol=1e-15, err_msg=f"{k} ignores scale")
    big = rnn.init_params(50, 400, 60, rng=1, scale=2.0)
    assert big["V"].std() == pytest.approx(2.0 / np.sqrt(400), rel=0.03), "V std is scale / sqrt(H)"
