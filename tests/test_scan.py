"""minGRU's linear recurrence (src/gentle_rnn/scan.py): loop == scan == log-space == closed form, exactly and
in float64; the backward pass (a reverse scan) against sympy.diff and finite differences; bad input.

The symbolic checks run the NumPy loop and scan themselves on object arrays of SymPy symbols
(:func:`gentle_rnn.symbolic.scan.run`), so a wrong index in the very code the site uses fails here.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp

from gentle_rnn import scan
from gentle_rnn.gradcheck import numerical_gradients
from gentle_rnn.symbolic import scan as ss
from tests.helpers import SIZES, assert_close

LENGTHS = [1, 2, 3, 5, 8, 11]  # powers of two and not: the scan pads to a power of two


def _expands_equal(a, b):
    return sp.expand(a - b) == 0


# ----------------------------------------------------------------------------------------------------------------
# symbolic: the closed form (6.17), associativity (6.18), the code on symbols


@pytest.mark.parametrize("T", LENGTHS)
@pytest.mark.parametrize("method", ["loop", "scan"])
def test_numpy_code_on_symbols_equals_the_closed_form(method, T):
    mu, psi, h0 = ss.symbols(T)
    got, want = ss.run(method, mu, psi, h0), ss.closed_form(mu, psi, h0)
    for t in range(T):
        assert _expands_equal(got[t], want[t]), f"{method}: h({t + 1}) differs from (6.17)"


def test_combine_is_associative_and_has_identity():
    m1, e1, m2, e2, m3, e3 = sp.symbols("m1 e1 m2 e2 m3 e3")
    left = scan.combine(scan.combine((m1, e1), (m2, e2)), (m3, e3))
    right = scan.combine((m1, e1), scan.combine((m2, e2), (m3, e3)))
    assert all(_expands_equal(a, b) for a, b in zip(left, right)), "(6.18) is not associative"
    assert scan.combine((1, 0), (m1, e1)) == (m1, e1) and scan.combine((m1, e1), (1, 0)) == (m1, e1)
    assert not all(_expands_equal(a, b) for a, b in zip(scan.combine((m1, e1), (m2, e2)),
                                                        scan.combine((m2, e2), (m1, e1)))), "order matters"


@pytest.mark.parametrize("T", [3, 5])
def test_dh_T_dh_t_is_the_product_of_mu(T):
    # ties back to Part 4: the Jacobian over a lag is a product of one-step Jacobians, here of scalars mu
    mu, psi, h0 = ss.symbols(T)
    h = ss.closed_form(mu, psi, h0)
    for t in range(1, T):  # h(t) as a function of h(t') for t' < t: differentiate through the closed form
        for k in range(0, t):
            start = h0 if k == 0 else h[k - 1]
            # h(t) = (mu(k+1) ... mu(t)) h(k) + terms without h(k)
            sub = ss.closed_form(mu[k:t], psi[k:t], sp.Symbol("hk"))[-1]
            assert _expands_equal(sub.subs(sp.Symbol("hk"), start), h[t - 1]), "closed form from step k"
            assert _expands_equal(sp.diff(sub, sp.Symbol("hk")), sp.Mul(*mu[k:t])), f"dh({t})/dh({k})"


@pytest.mark.parametrize("T", LENGTHS)
@pytest.mark.parametrize("method", ["loop", "scan"])
def test_reverse_scan_equals_sympy_diff(method, T):
    # the total dl/dh(t) = dl/dpsi(t) for l = sum_t d(t) h(t); and dl/dmu(t) = dl/dh(t) h(t-1)
    mu, psi, h0 = ss.symbols(T)
    d = [sp.Symbol(f"d{t}") for t in range(1, T + 1)]
    h = ss.closed_form(mu, psi, h0)
    ell = sp.Add(*[di * hi for di, hi in zip(d, h)])
    lam = ss.reverse_run(method, mu, d)
    for t in range(T):
        assert _expands_equal(sp.diff(ell, psi[t]), lam[t]), f"(6.20) lam({t + 1})"
        h_prev = h0 if t == 0 else h[t - 1]
        assert _expands_equal(sp.diff(ell, mu[t]), lam[t] * h_prev), f"(6.21) dl/dmu({t + 1})"
    assert _expands_equal(sp.diff(ell, h0), mu[0] * lam[0]), "(6.21) dl/dh(0)"


# ----------------------------------------------------------------------------------------------------------------
# float64: the three forward methods agree, the log space is needed, gradients


def _random(T, shape=(2, 3), seed=0, low=0.05):
    rng = np.random.default_rng(seed)
    return rng.uniform(low, 1.0, (T, *shape)), rng.normal(size=(T, *shape)), rng.normal(size=shape)


@pytest.mark.parametrize("T", LENGTHS + [100, 1000])
def test_loop_scan_and_log_scan_agree(T):
    mu, psi, h0 = _random(T)
    h = scan.loop(mu, psi, h0)
    assert_close(f"scan vs loop, T={T}", scan.scan(mu, psi, h0), h, 1e-13)
    assert_close(f"log_scan vs loop, T={T}", scan.log_scan(mu, psi, h0), h, 1e-10)


def test_scalar_state_shape_T():
    mu, psi, _ = _random(7, shape=())
    assert_close("scan on (T,)", scan.scan(mu, psi, 0.3), scan.loop(mu, psi, 0.3), 1e-14)


def test_the_naive_closed_form_overflows_where_the_log_space_does_not():
    mu, psi, h0 = _random(2000, low=0.3)
    mu = np.clip(mu, 0.3, 0.7)  # A(t) = mu(1) ... mu(t) underflows within a few hundred steps
    h = scan.loop(mu, psi, h0)
    assert not np.all(np.isfinite(scan.closed_form_naive(mu, psi, h0))), "expected the naive form to overflow"
    assert_close("log_scan at T = 2000", scan.log_scan(mu, psi, h0), h, 1e-9)
    short = slice(0, 20)  # where nothing under- or overflows, the naive form is right
    assert_close("naive closed form, short", scan.closed_form_naive(mu[short], psi[short], h0), h[short], 1e-9)


@pytest.mark.parametrize("method", ["loop", "scan"])
def test_grads_match_finite_differences(method):
    mu, psi, h0 = _random(6)
    g = np.random.default_rng(1).normal(size=mu.shape)
    arrays = {"mu": mu, "psi": psi, "h0": h0}
    numeric = numerical_gradients(lambda: float((g * scan.loop(mu, psi, h0)).sum()), arrays)
    dmu, dpsi, dh0 = scan.grads(mu, h0, scan.loop(mu, psi, h0), g, method=method)
    for name, got in (("mu", dmu), ("psi", dpsi), ("h0", dh0)):
        assert_close(f"dl/d{name} ({method})", got, numeric[name], 1e-7)
    assert_close("reverse_scan scan vs loop", scan.reverse_scan(mu, g), scan.reverse_scan(mu, g, method="loop"), 1e-13)


# ----------------------------------------------------------------------------------------------------------------
# minGRU


def _mingru_problem(size, seed=0):
    D, H, K, T, B = size
    rng = np.random.default_rng(seed)
    p = scan.mingru_init_params(D, H, K, rng=rng, scale=1.5)
    for k in ("b_zeta", "b_h", "c"):
        p[k] = p[k] + rng.normal(0, 0.5, p[k].shape)
    return p, rng.normal(size=(T, B, D)), rng.integers(0, K, (T, B)), rng.normal(0, 0.5, (B, H))


@pytest.mark.parametrize("size", SIZES)
def test_mingru_is_the_gru_recurrence_with_gates_cut_from_h(size):
    # minGRU = our GRU with update="write", W_* = 0 and a linear candidate; compare the gate-free parts
    p, x, y, h0 = _mingru_problem(size)
    zeta = 1 / (1 + np.exp(-(x @ p["U_zeta"].T + p["b_zeta"])))
    h_tilde = x @ p["U_h"].T + p["b_h"]
    h, prev = [], h0
    for t in range(size[3]):
        prev = (1 - zeta[t]) * prev + zeta[t] * h_tilde[t]  # (6.19)
        h.append(prev)
    for method in scan.METHODS:
        assert_close(f"minGRU forward ({method})", scan.mingru_forward(p, x, h0, method=method), np.stack(h), 1e-10)


@pytest.mark.parametrize("method", scan.METHODS)
@pytest.mark.parametrize("size", SIZES)
def test_mingru_gradients_match_finite_differences(size, method):
    p, x, y, h0 = _mingru_problem(size, seed=2)
    arrays = {**p, "h0": h0}
    numeric = numerical_gradients(lambda: scan.mingru_loss(p, x, y, h0, method="loop"), arrays)
    L, grads = scan.mingru_loss_and_grads(p, x, y, h0, method=method)
    assert L == pytest.approx(scan.mingru_loss(p, x, y, h0, method="loop"), rel=1e-12)
    assert list(grads) == list(scan.MINGRU_GRAD_KEYS)
    for name in scan.MINGRU_GRAD_KEYS:
        assert_close(f"minGRU dL/d{name} ({method}) vs finite differences", grads[name], numeric[name], 1e-6)


def test_mingru_log_method_survives_saturated_gates():
    # a_zeta = 50: 1 - sigma(50) rounds to 0 in float64; the log method uses -softplus(a) and stays finite
    p, x, y, h0 = _mingru_problem(SIZES[0])
    p["b_zeta"] = np.full_like(p["b_zeta"], 50.0)
    h_log = scan.mingru_forward(p, x, h0, method="log")
    assert np.all(np.isfinite(h_log))
    assert_close("saturated minGRU, log vs loop", h_log, scan.mingru_forward(p, x, h0, method="loop"), 1e-10)


# ----------------------------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("fn", [scan.loop, scan.scan, scan.log_scan])
def test_bad_recurrence_input_names_the_argument(fn):
    mu, psi, h0 = _random(4)
    for args, name in (((mu, psi[:, :1], h0), "psi"), ((mu, psi, h0[:1]), "h0"), ((mu[0, 0, 0], psi, h0), "mu"),
                       ((mu, np.where(psi > 0, np.nan, psi), h0), "psi"), ((mu, psi, h0[None]), "h0")):
        with pytest.raises(ValueError, match=rf"^{name}\b"):
            fn(*args)
    with pytest.raises(ValueError, match="^h0"):
        fn(mu[:, 0, 0], psi[:, 0, 0], np.ones(2))


def test_log_scan_refuses_non_positive_mu_and_methods_are_checked():
    mu, psi, h0 = _random(4)
    with pytest.raises(ValueError, match="^mu must be > 0"):
        scan.log_scan(-mu, psi, h0)
    with pytest.raises(ValueError, match="^method"):
        scan.reverse_scan(mu, psi, method="tree")
    p, x, y, h0 = _mingru_problem(SIZES[0])
    with pytest.raises(ValueError, match="^method"):
        scan.mingru_loss_and_grads(p, x, y, h0, method="fast")
    for bad, name in (({**p, "U_h": p["U_h"].T}, "U_h"), ({k: v for k, v in p.items() if k != "c"}, "params"),
                      ({**p, "b_zeta": np.zeros((p["b_zeta"].size, 1))}, "b_zeta")):
        with pytest.raises(ValueError, match=rf"^{re.escape(name)}\b"):
            scan.mingru_loss_and_grads(bad, x, y, h0)
    with pytest.raises(ValueError, match="^h0"):
        scan.mingru_forward(p, x, h0[0])
