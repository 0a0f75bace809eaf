"""A linear recurrence you can run in parallel: minGRU and the scans that compute it.

The recurrence (Part 6, equation (6.16)), elementwise, for t = 1 ... T::

    h(t) = mu(t) * h(t-1) + psi(t)                                                      (6.16)

Its closed form (6.17) is h(t) = (mu(1) ... mu(t)) h(0) + sum_k (mu(k+1) ... mu(t)) psi(k). Each step is
the affine map h -> mu h + psi; doing (mu1, psi1) first and (mu2, psi2) second is the affine map

    (mu1, psi1) o (mu2, psi2) = (mu1 mu2, mu2 psi1 + psi2)                              (6.18)

which is associative, so all T prefixes can be computed by a parallel prefix scan (Blelloch 1990) in
2 log2(T) rounds of elementwise work instead of T sequential steps.

minGRU (Feng et al. 2024) is the GRU with the gates cut off from h(t-1) and the candidate made linear
(Chung et al.'s convention, update="write" in :mod:`gentle_rnn.gru`)::

    zeta(t) = sigma(b_zeta + U_zeta x(t)),  h_tilde(t) = b_h + U_h x(t)
    h(t) = (1 - zeta(t)) * h(t-1) + zeta(t) * h_tilde(t)   so mu = 1 - zeta, psi = zeta * h_tilde     (6.19)

Arrays are time-major: ``mu``, ``psi`` (T, ...) and ``h0`` (...) of one shape after the time axis.

Public functions
----------------
combine(first, second)                the operator (6.18) on pairs of arrays
loop(mu, psi, h0) -> h                 the sequential recurrence (6.16), (T, ...)
scan(mu, psi, h0) -> h                 Blelloch's work-efficient prefix scan of (6.18)
log_scan(mu, psi, h0) -> h             the closed form (6.17) in log space (Heinsen 2023)
closed_form_naive(mu, psi, h0)         the closed form with a plain cumulative product: overflows
reverse_scan(mu, dh_out) -> dh        the backward pass: dL/dh(t) = dh_out(t) + mu(t+1) dL/dh(t+1)  (6.20)
grads(mu, h0, h, dh_out)              (dmu, dpsi, dh0), dh_out(t) the part of dL/dh(t) from outside (6.21)
mingru_init_params, mingru_forward, mingru_loss, mingru_loss_and_grads    minGRU with our output layer
"""

from __future__ import annotations

import numpy as np

from . import readout
from ._checks import Shapes, param_dict, positive_int
from .functional import sigmoid_grad_from_output

METHODS = ("loop", "scan", "log")


# ----------------------------------------------------------------------------------------------------------------
# the recurrence: loop, scan, log-space closed form


def _check(mu, psi, h0=None):
    s = Shapes()
    mu = np.asarray(mu)
    if mu.ndim < 1:
        raise ValueError(f"mu must have a time axis first, shape (T, ...), got shape {mu.shape}")
    spec = "T " + " ".join(f"n{i}" for i in range(mu.ndim - 1))
    mu = s.array("mu", mu, spec)
    psi = s.array("psi", psi, spec)
    if h0 is not None:
        h0 = s.array("h0", h0, spec[2:]) if mu.ndim > 1 else _scalar("h0", h0)
    return mu, psi, h0


def _scalar(name, v):
    arr = np.asarray(v, dtype=float) if np.isscalar(v) or np.ndim(v) == 0 else None
    if arr is None or not np.isfinite(arr):
        raise ValueError(f"{name} must be a finite number when mu has shape (T,), got {v!r}")
    return arr


# --8<-- [start:combine]
def combine(first, second):
    """(mu1, psi1) o (mu2, psi2) = (mu1 mu2, mu2 psi1 + psi2): first h -> mu1 h + psi1, then mu2 h + psi2 (6.18)."""
    mu1, psi1 = first
    mu2, psi2 = second
    return mu1 * mu2, mu2 * psi1 + psi2
# --8<-- [end:combine]


# --8<-- [start:loop]
def _loop(mu, psi, h0):
    h = np.empty_like(psi)
    prev = h0
    for t in range(len(mu)):  # index t holds step t + 1
        prev = h[t] = mu[t] * prev + psi[t]  # h(t) = mu(t) h(t-1) + psi(t)                       (6.16)
    return h
# --8<-- [end:loop]


def loop(mu, psi, h0) -> np.ndarray:
    """The recurrence (6.16), one step after another: ``h[t - 1] = h(t)``, shape of ``psi``."""
    mu, psi, h0 = _check(mu, psi, h0)
    return _loop(mu, psi, h0)


# --8<-- [start:scan]
def _scan(mu, psi, h0):
    """Blelloch's scan of (6.18), vectorised over the nodes of each round; works on object arrays too."""
    T = len(mu)
    n = 1 << (T - 1).bit_length()  # the next power of two >= T
    pad = (n - T,) + mu.shape[1:]
    A = np.concatenate([mu, np.ones(pad, dtype=mu.dtype)])  # padded with the identity map (1, 0)
    E = np.concatenate([psi, np.zeros(pad, dtype=psi.dtype)])
    d = 1
    while d < n:  # up-sweep: each right child becomes (its left sibling's subtree) o (its own subtree)
        right, left = slice(2 * d - 1, n, 2 * d), slice(d - 1, n, 2 * d)  # strided views, no copies
        A[right], E[right] = combine((A[left], E[left]), (A[right], E[right]))
        d *= 2
    A[n - 1], E[n - 1] = 1 + 0 * A[n - 1], 0 * E[n - 1]  # the root gets the identity: nothing comes before
    while d > 1:  # down-sweep: every node ends up holding the combination of all the maps before it
        d //= 2
        right, left = slice(2 * d - 1, n, 2 * d), slice(d - 1, n, 2 * d)
        before = A[right].copy(), E[right].copy()  # everything before this subtree
        left_sub = A[left].copy(), E[left].copy()  # the left subtree's combination (from the up-sweep)
        A[left], E[left] = before
        A[right], E[right] = combine(before, left_sub)
    # position t - 1 now holds x(1) o ... o x(t-1), the map from h(0) to h(t-1); then step t itself:
    return mu * (A[:T] * h0 + E[:T]) + psi  # h(t) = mu(t) h(t-1) + psi(t)
# --8<-- [end:scan]


def scan(mu, psi, h0) -> np.ndarray:
    """The recurrence (6.16) by a parallel prefix scan (Blelloch 1990): the same numbers as :func:`loop`.

    Up-sweep and down-sweep over a balanced binary tree on the T maps (padded with the identity (1, 0) to a
    power of two), each round one vectorised :func:`combine` over all the tree's nodes at that depth: about
    2 log2(T) rounds and 2T combinations in all.
    """
    mu, psi, h0 = _check(mu, psi, h0)
    return _scan(mu, psi, h0)


# --8<-- [start:log_scan]
def _log_scan(log_mu, psi, h0):
    """The closed form (6.17) in log space: h(t) = A(t) (h(0) + sum_k psi(k) / A(k)), A(t) = mu(1) ... mu(t).

    log A is a cumulative sum and the sum over k a cumulative log-sum-exp (both prefix scans of associative
    operators); the quotients psi(k) / A(k), which overflow in plain arithmetic, are differences of logs here.
    Signed psi and h(0) are split into their positive and negative parts, each summed in log space.
    """
    log_A = np.cumsum(log_mu, axis=0)  # log(mu(1) ... mu(t))                                     (T, ...)
    h = np.zeros_like(psi)
    for sign in (1.0, -1.0):
        with np.errstate(divide="ignore"):  # log 0 = -inf: a part that is absent contributes exp(-inf) = 0
            log_h0 = np.log(np.maximum(sign * h0, 0.0))
            log_psi = np.log(np.maximum(sign * psi, 0.0))
        terms = np.concatenate([np.broadcast_to(log_h0, psi.shape[1:])[None], log_psi - log_A])  # (T + 1, ...)
        lse = np.logaddexp.accumulate(terms, axis=0)[1:]  # log(h0 + sum_{k <= t} psi(k) / A(k)), this part
        h += sign * np.exp(log_A + lse)
    return h
# --8<-- [end:log_scan]


def log_scan(mu, psi, h0) -> np.ndarray:
    """The recurrence (6.16) through its closed form (6.17) in log space (Heinsen 2023); needs mu > 0."""
    mu, psi, h0 = _check(mu, psi, h0)
    if not np.all(mu > 0):
        raise ValueError("mu must be > 0 everywhere for log_scan (its logarithm is taken)")
    return _log_scan(np.log(mu), psi, h0)


def closed_form_naive(mu, psi, h0) -> np.ndarray:
    """The closed form (6.17) with a plain cumulative product and quotients psi(k) / A(k).

    Correct in exact arithmetic and cheap, but A(t) = mu(1) ... mu(t) underflows towards 0 over a long
    sequence, so psi(k) / A(k) overflows: inf and NaN where :func:`log_scan` is fine. Shown on the page as the
    reason for the log space.
    """
    mu, psi, h0 = _check(mu, psi, h0)
    A = np.cumprod(mu, axis=0)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        return A * (h0 + np.cumsum(psi / A, axis=0))


# ----------------------------------------------------------------------------------------------------------------
# the backward pass: a reverse scan


# --8<-- [start:reverse]
def _reverse(mu, dh_out, method="scan"):
    """dL/dh(t) = dh_out(t) + mu(t+1) dL/dh(t+1), dL/dh(T) = dh_out(T): (6.16) run backwards in time (6.20)."""
    coeff = np.concatenate([mu[1:], np.ones_like(mu[:1])])  # mu(t+1) at index t - 1 (the last is unused)
    run = _scan if method == "scan" else _loop
    return run(coeff[::-1], dh_out[::-1], np.zeros_like(dh_out[0]))[::-1]


def _grads(mu, h0, h, dh_out, method="scan"):
    """dL/dmu(t) = dL/dh(t) h(t-1), dL/dpsi(t) = dL/dh(t), dL/dh(0) = mu(1) dL/dh(1)   (6.21)."""
    dh = _reverse(mu, dh_out, method)  # the total dL/dh(t)
    h_prev = np.concatenate([np.broadcast_to(h0, h.shape[1:])[None], h[:-1]])  # h(t-1) at index t - 1
    return dh * h_prev, dh, mu[0] * dh[0]
# --8<-- [end:reverse]


def reverse_scan(mu, dh_out, method: str = "scan") -> np.ndarray:
    """The total gradient dL/dh(t) of the recurrence (6.16), given ``dh_out[t - 1]``, the part of dL/dh(t)
    from outside it (6.20). ``method``: "scan" (a prefix scan on the reversed sequence) or "loop"."""
    mu, dh_out, _ = _check(mu, dh_out)
    if method not in ("loop", "scan"):
        raise ValueError(f"method must be 'loop' or 'scan', got {method!r}")
    return _reverse(mu, dh_out, method)


def grads(mu, h0, h, dh_out, method: str = "scan"):
    """``(dmu, dpsi, dh0)`` for a loss whose gradient at h(t) from outside the recurrence is ``dh_out[t - 1]``
    (6.21). ``h`` must be the forward result for ``mu``, ``psi`` (any method) and ``h0``.
    """
    mu, dh_out, h0 = _check(mu, dh_out, h0)
    _, h, _ = _check(mu, h)
    if method not in ("loop", "scan"):
        raise ValueError(f"method must be 'loop' or 'scan', got {method!r}")
    return _grads(mu, h0, h, dh_out, method)


# ----------------------------------------------------------------------------------------------------------------
# minGRU (Feng et al. 2024) with the output layer of the other parts

MINGRU_PARAM_KEYS = ("U_zeta", "b_zeta", "U_h", "b_h", "V", "c")
MINGRU_GRAD_KEYS = MINGRU_PARAM_KEYS + ("h0",)


def mingru_init_params(D: int, H: int, K: int, rng=None, scale: float = 1.0) -> dict[str, np.ndarray]:
    """minGRU parameters: ``U_zeta``, ``U_h`` (H, D) with std ``scale / sqrt(D)``, ``V`` (K, H) with std
    ``scale / sqrt(H)``, zero biases ``b_zeta``, ``b_h`` (H,) and ``c`` (K,)."""
    D, H, K = positive_int("D", D), positive_int("H", H), positive_int("K", K)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not np.isfinite(scale) or scale < 0:
        raise ValueError(f"scale must be a finite number >= 0, got {scale!r}")
    rng = np.random.default_rng(rng)
    return {"U_zeta": rng.normal(0, scale / np.sqrt(D), (H, D)), "b_zeta": np.zeros(H),
            "U_h": rng.normal(0, scale / np.sqrt(D), (H, D)), "b_h": np.zeros(H),
            "V": rng.normal(0, scale / np.sqrt(H), (K, H)), "c": np.zeros(K)}


def _mingru_validate(params, x, h0, y=None, method="scan"):
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    s = Shapes()
    param_dict("params", params, MINGRU_PARAM_KEYS)
    p = {"U_zeta": s.array("U_zeta", params["U_zeta"], "H D")}
    p["b_zeta"] = s.array("b_zeta", params["b_zeta"], "H")
    p["U_h"] = s.array("U_h", params["U_h"], "H D")
    p["b_h"] = s.array("b_h", params["b_h"], "H")
    p["V"] = s.array("V", params["V"], "K H")
    p["c"] = s.array("c", params["c"], "K")
    x = s.array("x", x, "T B D")
    h0 = s.array("h0", h0, "B H")
    if y is not None:
        y = s.targets("y", y, "T B", s.dims["K"])
    return p, x, h0, y


# --8<-- [start:mingru]
def _mingru_forward(p, x, h0, method):
    T, B, D = x.shape
    a_zeta = (x.reshape(T * B, D) @ p["U_zeta"].T + p["b_zeta"]).reshape(T, B, -1)  # no h(t-1) anywhere:
    h_tilde = (x.reshape(T * B, D) @ p["U_h"].T + p["b_h"]).reshape(T, B, -1)  # all T steps in one product
    with np.errstate(over="ignore"):
        zeta = 1.0 / (1.0 + np.exp(-a_zeta))  # (T, B, H)
    mu, psi = 1.0 - zeta, zeta * h_tilde  # (6.19)
    if method == "log":  # log mu = log(1 - sigma(a)) = -softplus(a), exact even where 1 - zeta rounds to 0
        h = _log_scan(-np.logaddexp(0.0, a_zeta), psi, h0)
    else:
        h = (_scan if method == "scan" else _loop)(mu, psi, h0)
    return zeta, h_tilde, mu, h


def _mingru_backward(p, x, h0, zeta, h_tilde, mu, h, dh_out):
    T, B, D = x.shape
    dmu, dpsi, dh0 = _grads(mu, h0, h, dh_out)  # the reverse scan (6.20)-(6.21)
    da_zeta = (dpsi * h_tilde - dmu) * sigmoid_grad_from_output(zeta)  # mu = 1 - zeta, psi = zeta h_tilde
    da_h = dpsi * zeta  # h_tilde is linear: its delta is dL/dh_tilde = dL/dpsi * zeta
    xf = x.reshape(T * B, D)
    return {"U_zeta": da_zeta.reshape(T * B, -1).T @ xf, "b_zeta": da_zeta.sum(axis=(0, 1)),
            "U_h": da_h.reshape(T * B, -1).T @ xf, "b_h": da_h.sum(axis=(0, 1)), "h0": dh0}
# --8<-- [end:mingru]


def mingru_forward(params: dict, x, h0, *, method: str = "scan") -> np.ndarray:
    """minGRU's hidden states (6.19): (T, B, H). ``method``: "loop", "scan" or "log" (the same numbers)."""
    p, x, h0, _ = _mingru_validate(params, x, h0, method=method)
    return _mingru_forward(p, x, h0, method)[3]


def mingru_loss(params: dict, x, y, h0, *, method: str = "scan") -> float:
    """The summed cross-entropy of minGRU followed by o(t) = c + V h(t)."""
    p, x, h0, y = _mingru_validate(params, x, h0, y, method)
    h = _mingru_forward(p, x, h0, method)[3]
    return readout.forward(p["V"], p["c"], h, y)[0]


def mingru_loss_and_grads(params: dict, x, y, h0, *, method: str = "scan") -> tuple[float, dict]:
    """The summed loss and every gradient (keys :data:`MINGRU_GRAD_KEYS`); the backward pass is the reverse
    scan (6.20)-(6.21) followed by the chain rule through mu = 1 - zeta and psi = zeta h_tilde."""
    p, x, h0, y = _mingru_validate(params, x, h0, y, method)
    zeta, h_tilde, mu, h = _mingru_forward(p, x, h0, method)
    L, do = readout.forward(p["V"], p["c"], h, y)
    dV, dc, dh_out = readout.backward(p["V"], h, do)
    g = _mingru_backward(p, x, h0, zeta, h_tilde, mu, h, dh_out)
    g["V"], g["c"] = dV, dc
    return L, {k: g[k] for k in MINGRU_GRAD_KEYS}
