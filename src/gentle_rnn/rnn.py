"""The simple (Elman) recurrent network: forward propagation and backpropagation through time (BPTT).

Model (Goodfellow, Bengio & Courville, *Deep Learning*, ch. 10; our equation ids in brackets)::

    a(t) = b + W h(t-1) + U x(t)               (2.1)
    h(t) = tanh(a(t))                           (2.2)
    o(t) = c + V h(t)                           (2.3)
    L    = sum_t L(t),  L(t) = -log softmax(o(t))[y(t)]      (2.4)

Arrays are batched and time-major, and code uses the row-vector convention of NumPy (one sample per row)::

    x : (T, B, D)   inputs x(1) ... x(T)        y : (T, B) int   targets in [0, K)
    h0: (B, H)      the initial state h(0)      h : (T, B, H)    the states h(1) ... h(T)

Python counts from 0 and the pages count time from 1: ``x[t - 1]`` is x(t) and ``h[t - 1]`` is h(t). Inside
the loops below we keep an array ``hs`` of shape (T + 1, B, H) with ``hs[0] = h(0)``, so that ``hs[t]`` *is*
h(t) and the code reads like the equations.

Parameters live in a dict keyed by symbol: ``U (H, D)``, ``W (H, H)``, ``b (H,)``, ``V (K, H)``, ``c (K,)``.
The loss is a *sum* over time and batch.

Public functions
----------------
init_params(D, H, K, rng=None, scale=1.0)        a parameter dict
forward(params, x, h0) -> h                      hidden states (T, B, H), equations (2.1)-(2.2)
loss(params, x, y, h0) -> float                  the summed cross-entropy (2.4)
loss_and_grads(params, x, y, h0, truncate=None)  loss and every gradient (keys U W b V c h0), part 3
hidden_state_grads(params, x, y, h0)             dL/dh(t) for every t: the total gradient of eq. (3.3)
backward(params, x, h0, h, dh_out, truncate)     BPTT given dL/dh(t) from the outputs (used by the above)

Truncated BPTT with truncation length tau (``truncate=tau``, equations (3.11)-(3.12)): the gradient of each
loss term L(t) flows back through at most tau steps of the recurrence, that is, into a(t), a(t-1), ...,
a(t-tau+1) and no further. Every term of the full gradient in which L(t) reaches step u through
t - u >= tau factors of the recurrent Jacobian is dropped. With ``tau = 1`` each loss term's gradient stays
inside its own step (only h(0) still receives W^T delta(1)); ``tau >= T`` is full BPTT.
"""

from __future__ import annotations

import numpy as np

from . import readout
from ._checks import Shapes, param_dict, positive_int, real_number
from .functional import tanh, tanh_grad_from_output

#: The parameter names, in the order used everywhere (dicts, tables, tests).
PARAM_KEYS = ("U", "W", "b", "V", "c")
#: The keys of the gradient dict returned by :func:`loss_and_grads`.
GRAD_KEYS = PARAM_KEYS + ("h0",)


# ----------------------------------------------------------------------------------------------------------------
# parameters and input validation


def init_params(D: int, H: int, K: int, rng=None, scale: float = 1.0) -> dict[str, np.ndarray]:
    """A parameter dict for inputs of size D, H hidden units and K classes.

    The weight matrices get independent normal entries with standard deviation ``scale / sqrt(fan_in)``
    (``U``: fan_in D, ``W`` and ``V``: fan_in H); the biases ``b`` and ``c`` start at zero. ``rng`` is
    ``None`` (fresh entropy), an ``int`` seed or a ``numpy.random.Generator``.

    Returns ``{"U": (H, D), "W": (H, H), "b": (H,), "V": (K, H), "c": (K,)}``, all float64.
    """
    D, H, K = positive_int("D", D), positive_int("H", H), positive_int("K", K)
    scale = real_number("scale", scale, minimum=0.0)
    rng = np.random.default_rng(rng)
    return {
        "U": rng.normal(0.0, scale / np.sqrt(D), size=(H, D)),
        "W": rng.normal(0.0, scale / np.sqrt(H), size=(H, H)),
        "b": np.zeros(H),
        "V": rng.normal(0.0, scale / np.sqrt(H), size=(K, H)),
        "c": np.zeros(K),
    }


def _validate(params, x, h0, y=None):
    """Check every argument against the shapes of the module docstring; return float64 / int64 copies.

    ``W`` is checked first because it is square: it fixes H without ambiguity, so that a transposed ``U``
    is reported as ``U``'s fault and not as another array's.
    """
    param_dict("params", params, PARAM_KEYS)
    s = Shapes()
    p = {
        "W": s.array("W", params["W"], "H H"),
        "U": s.array("U", params["U"], "H D"),
        "b": s.array("b", params["b"], "H"),
        "V": s.array("V", params["V"], "K H"),
        "c": s.array("c", params["c"], "K"),
    }
    x = s.array("x", x, "T B D")
    h0 = s.array("h0", h0, "B H")
    if y is not None:
        y = s.targets("y", y, "T B", s.dims["K"])
    return p, x, h0, y


# ----------------------------------------------------------------------------------------------------------------
# forward propagation (part 2)


# --8<-- [start:forward]
def _forward(p: dict, x: np.ndarray, h0: np.ndarray) -> np.ndarray:
    """Equations (2.1)-(2.2) for every step.

    Returns ``hs``: (T + 1, B, H) with ``hs[t] = h(t)`` and ``hs[0] = h0``.
    """
    T, B, _ = x.shape
    H = h0.shape[1]
    U, W, b = p["U"], p["W"], p["b"]
    # the part of a(t) that does not depend on the past, for all t at once
    xU_b = x @ U.T + b  # (T, B, H)
    hs = np.empty((T + 1, B, H))  # hs[t] is h(t)
    hs[0] = h0
    for t in range(1, T + 1):
        # a(t) = b + W h(t-1) + U x(t)                            (2.1)
        a = xU_b[t - 1] + hs[t - 1] @ W.T  # (B, H)
        # h(t) = tanh(a(t))                                       (2.2)
        hs[t] = tanh(a)  # (B, H)
    return hs
# --8<-- [end:forward]


def forward(params: dict, x, h0) -> np.ndarray:
    """Hidden states of the simple RNN, equations (2.1)-(2.2).

    ``x``: (T, B, D), ``h0``: (B, H). Returns ``h``: (T, B, H) with ``h[t - 1] = h(t)``, t = 1 ... T.
    The output layer (2.3)-(2.4) is :func:`gentle_rnn.readout.forward`.
    """
    p, x, h0, _ = _validate(params, x, h0)
    return _forward(p, x, h0)[1:]


def loss(params: dict, x, y, h0) -> float:
    """The summed cross-entropy L = sum_t sum_batch L(t), equations (2.1)-(2.4)."""
    p, x, h0, y = _validate(params, x, h0, y)
    hs = _forward(p, x, h0)
    value, _ = readout.forward(p["V"], p["c"], hs[1:], y)  # (2.3)-(2.4)
    return value


# ----------------------------------------------------------------------------------------------------------------
# backpropagation through time (part 3)


# --8<-- [start:backward]
def _backward(p: dict, x: np.ndarray, hs: np.ndarray, dh_out: np.ndarray):
    """Full BPTT, equations (3.3)-(3.10).

    ``dh_out[t - 1] = V^T dL/do(t)`` is the output's share of dL/dh(t). Returns
    ``(dU, dW, db, dh0, dh)``; ``dh[t - 1]`` is the total dL/dh(t) of (3.3).
    """
    T = x.shape[0]
    W = p["W"]
    dh = np.empty_like(dh_out)  # (T, B, H)  total dL/dh(t)
    da = np.empty_like(dh_out)  # (T, B, H)  delta(t) = dL/da(t)
    # what h(t) receives from step t + 1: nothing after the last step
    dh_next = np.zeros_like(dh_out[0])  # (B, H)
    for t in range(T, 0, -1):
        # dL/dh(t) = V^T dL/do(t) + W^T delta(t+1)                    (3.3)
        dh[t - 1] = dh_out[t - 1] + dh_next
        # delta(t) = diag(1 - h(t)^2) dL/dh(t), an elementwise product (3.4)
        da[t - 1] = tanh_grad_from_output(hs[t]) * dh[t - 1]
        # W^T delta(t) in the row layout, sent back to h(t - 1)
        dh_next = da[t - 1] @ W  # (B, H)
    dh0 = dh_next  # dL/dh(0) = W^T delta(1)                           (3.10)
    dU, dW, db = _parameter_sums(da, x, hs)
    return dU, dW, db, dh0, dh
# --8<-- [end:backward]


# --8<-- [start:sums]
def _parameter_sums(da: np.ndarray, x: np.ndarray, hs: np.ndarray):
    """The sums over time of (3.7)-(3.9): all steps at once, one product each."""
    H, D = da.shape[2], x.shape[2]
    db = da.sum(axis=(0, 1))  # (H,)       dL/db = sum_t delta(t)             (3.7)
    # stack time and batch: the sum over t and the sum over the batch become one sum
    da_flat = da.reshape(-1, H)  # (T*B, H)
    dW = da_flat.T @ hs[:-1].reshape(-1, H)  # (H, H) sum_t delta(t) h(t-1)^T (3.8)
    dU = da_flat.T @ x.reshape(-1, D)  # (H, D)       sum_t delta(t) x(t)^T   (3.9)
    return dU, dW, db
# --8<-- [end:sums]


# --8<-- [start:truncated]
def _backward_truncated(p: dict, x: np.ndarray, hs: np.ndarray, dh_out: np.ndarray,
                        tau: int):
    """Truncated BPTT with truncation length tau (``truncate``), equations (3.11)-(3.12).

    The gradient of each loss term L(t) reaches a(t), a(t-1), ..., a(t-tau+1) and
    stops. Instead of one running sum ``dh_next`` we keep the shares of the last tau
    loss terms apart, by age: ``share[j]`` is the share at the current h(u) that came
    from L(u + j), j = 0 ... tau-1. One step back ages every share by one; the share
    that would reach age tau is dropped: that is the cut. Returns
    ``(dU, dW, db, dh0, dh)`` like :func:`_backward`, summed over the kept shares.
    """
    T, B, H = dh_out.shape
    tau = min(tau, T)  # a share can travel at most T - 1 steps: tau >= T cuts nothing
    W = p["W"]
    dh = np.empty_like(dh_out)  # (T, B, H)  what reaches h(t) along the kept paths
    da = np.empty_like(dh_out)  # (T, B, H)  delta(t)_tau: what reaches a(t)
    share = np.zeros((tau, B, H))  # share[j]: share at the current h(u) of L(u + j)
    for t in range(T, 0, -1):
        share[0] = dh_out[t - 1]  # L(t) enters at h(t) through its output: age 0
        # every share through diag(1 - h(t)^2)                    (3.11)
        share_a = tanh_grad_from_output(hs[t]) * share  # (tau, B, H)
        dh[t - 1] = share.sum(axis=0)
        da[t - 1] = share_a.sum(axis=0)  # step t's parameters collect every kept share
        # age j -> j + 1 through W^T; age tau - 1 is not passed on: the cut  (3.11)
        share[1:] = share_a[:-1] @ W
    # dL/dh(0) = W^T delta(1)_tau, as (3.10): only L(t) with t <= tau reach h(0)  (3.12)
    dh0 = da[0] @ W
    dU, dW, db = _parameter_sums(da, x, hs)  # the same sums, kept shares (3.12)
    return dU, dW, db, dh0, dh
# --8<-- [end:truncated]


def backward(params: dict, x, h0, h, dh_out, truncate: int | None = None) -> tuple[dict, np.ndarray]:
    """BPTT through the recurrence, given the hidden states and the gradient the outputs send to them.

    ``h``: (T, B, H) from :func:`forward`; ``dh_out``: (T, B, H), the part of dL/dh(t) that comes from the
    output at the same step (``readout.backward``'s third result, V^T dL/do(t)). Any other loss of the hidden
    states works too: pass its gradient as ``dh_out``.

    Returns ``(grads, dh)``: ``grads`` with keys ``U W b h0`` (equations (3.7)-(3.10), or (3.11)-(3.12) when
    ``truncate=tau``), and ``dh`` (T, B, H) with ``dh[t - 1]`` = the total dL/dh(t) of equation (3.3) (with
    truncation: the part that arrives along the kept paths).
    """
    p, x, h0, _ = _validate(params, x, h0)
    s = Shapes(T=x.shape[0], B=x.shape[1], H=h0.shape[1])
    h = s.array("h", h, "T B H")
    dh_out = s.array("dh_out", dh_out, "T B H")
    truncate = positive_int("truncate", truncate, allow_none=True)
    hs = np.concatenate([h0[None], h])  # (T + 1, B, H)  hs[t] = h(t)
    if truncate is None:
        dU, dW, db, dh0, dh = _backward(p, x, hs, dh_out)
    else:
        dU, dW, db, dh0, dh = _backward_truncated(p, x, hs, dh_out, truncate)
    return {"U": dU, "W": dW, "b": db, "h0": dh0}, dh


# --8<-- [start:loss_and_grads]
def loss_and_grads(params: dict, x, y, h0, truncate: int | None = None):
    """The summed loss and every gradient (keys ``U W b V c h0``).

    Forward (2.1)-(2.4); backward: the output layer (3.1), (3.5)-(3.6) in
    :mod:`gentle_rnn.readout`, the recurrence (3.3)-(3.4), (3.7)-(3.10) in
    :func:`_backward`. With ``truncate=tau`` (a positive int) the recurrence is
    truncated BPTT, (3.11)-(3.12), in :func:`_backward_truncated`; ``dV`` and ``dc``
    cross no step and are the same either way. Returns ``(loss, grads)``, each
    gradient shaped like its parameter (``h0``'s like ``h0``).
    """
    p, x, h0, y = _validate(params, x, h0, y)
    truncate = positive_int("truncate", truncate, allow_none=True)
    hs = _forward(p, x, h0)  # (T + 1, B, H)                         (2.1)-(2.2)
    # do = dL/do(t) = y_hat(t) - onehot(y(t)): (T, B, K)     (2.3)-(2.4), (3.1)
    L, do = readout.forward(p["V"], p["c"], hs[1:], y)
    # dh_out = V^T dL/do(t): (T, B, H), the output's share of dL/dh(t)   (3.5)-(3.6)
    dV, dc, dh_out = readout.backward(p["V"], hs[1:], do)
    if truncate is None:
        dU, dW, db, dh0, _ = _backward(p, x, hs, dh_out)
    else:
        dU, dW, db, dh0, _ = _backward_truncated(p, x, hs, dh_out, truncate)
    return L, {"U": dU, "W": dW, "b": db, "V": dV, "c": dc, "h0": dh0}
# --8<-- [end:loss_and_grads]


def hidden_state_grads(params: dict, x, y, h0) -> np.ndarray:
    """The total gradient dL/dh(t) for every t = 1 ... T, equation (3.3): (T, B, H), ``out[t - 1]`` at h(t).

    It is the sum of what h(t) sends to the loss directly, V^T dL/do(t), and through every later step; Part 4
    studies how it changes with t. dL/dh(0) is ``loss_and_grads(...)[1]["h0"]``.
    """
    p, x, h0, y = _validate(params, x, h0, y)
    hs = _forward(p, x, h0)
    _, do = readout.forward(p["V"], p["c"], hs[1:], y)
    _, _, dh_out = readout.backward(p["V"], hs[1:], do)
    return _backward(p, x, hs, dh_out)[4]
