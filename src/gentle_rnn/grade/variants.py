"""Our backward passes once more, written plainly, with a switch for each classic mistake.

The grader's catalogue (`gentle_rnn.grade.catalogue`) names a mistake by the ``bug`` string that makes
these functions commit it. With ``bug=None`` each function computes exactly what `gentle_rnn.dense`,
`gentle_rnn.rnn` and `gentle_rnn.lstm` compute (``tests/test_grade.py`` checks it); with a bug it
computes what a learner who made that mistake gets. Written for clarity at tiny sizes (one loss term at a time
in the RNN, one gate at a time in the LSTM), not for speed.

Each function returns ``(loss, grads, states)``: the loss, the gradient dict of the model, and the per-step
quantities the grader can localise with: ``states["dh"]`` (T, B, H), the dL/dh(t) that this (possibly buggy)
backward pass computes, and for the LSTM ``states["ds"]``, the dL/ds(t).
"""

from __future__ import annotations

import numpy as np

from ..functional import onehot, sigmoid, softmax_cross_entropy

#: The bugs each function knows, in the order of the catalogue.
DENSE_BUGS = ("tanh-prime-missing", "tanh-prime-of-pre-activation", "sigmoid-prime-for-tanh",
              "softmax-gradient-without-onehot", "loss-mean-gradients-sum", "gradients-mean-loss-sum")
RNN_BUGS = ("tanh-prime-missing", "tanh-prime-wrong-step", "tanh-prime-of-pre-activation",
            "sigmoid-prime-for-tanh", "W-instead-of-W-transpose", "dh-next-not-accumulated",
            "off-by-one-in-dW", "softmax-gradient-without-onehot", "loss-mean-gradients-sum",
            "gradients-mean-loss-sum")
TRUNCATION_BUGS = ("truncation-ignored", "truncation-one-step-too-long", "truncation-in-blocks")
LSTM_BUGS = ("forget-gate-path-dropped", "cell-path-without-f", "tanh-prime-of-s-missing",
             "sigmoid-prime-and-tanh-prime-swapped", "gate-gradients-swapped", "W-instead-of-W-transpose",
             "dh-next-not-accumulated", "forget-gate-with-s-of-t", "loss-mean-gradients-sum",
             "gradients-mean-loss-sum")


def _check_bug(bug, known):
    if bug is not None and bug not in known:
        raise ValueError(f"bug must be None or one of {list(known)}, got {bug!r}")


def _tanh_prime(bug, h, a, h_before):
    """The factor dh/da of h = tanh(a), or what a learner who made ``bug`` multiplies by instead."""
    if bug == "tanh-prime-missing":
        return np.ones_like(h)
    if bug == "tanh-prime-of-pre-activation":
        return 1.0 - a**2  # tanh'(a) = 1 - tanh(a)^2, written with a where h belongs
    if bug == "sigmoid-prime-for-tanh":
        return h * (1.0 - h)
    if bug == "tanh-prime-wrong-step":
        return 1.0 - h_before**2  # 1 - h(t-1)^2 where 1 - h(t)^2 belongs
    return 1.0 - h**2


def _output_layer(bug, V, c, h, y):
    """Logits, summed cross-entropy and dL/do, for h of shape (..., H) and y of shape (...)."""
    o = h @ V.T + c  # (..., K)
    L, do = softmax_cross_entropy(o, y)
    if bug == "softmax-gradient-without-onehot":
        do = do + onehot(y, V.shape[0])  # softmax(o) alone, the "- onehot(y)" forgotten
    return L, do


def _scale(bug, L, grads, n):
    """The mean-versus-sum mistakes: the loss or every gradient divided by the number of terms ``n``."""
    if bug == "loss-mean-gradients-sum":
        L = L / n
    if bug == "gradients-mean-loss-sum":
        grads = {k: v / n for k, v in grads.items()}
    return L, grads


# ----------------------------------------------------------------------------------------------------------------
# the dense layer of Part 1


def dense(params, x, y, bug=None):
    """``gentle_rnn.dense.loss_and_grads`` (keys U b V c x), or with one of `DENSE_BUGS`."""
    _check_bug(bug, DENSE_BUGS)
    U, b, V, c = (np.asarray(params[k], float) for k in ("U", "b", "V", "c"))
    a = x @ U.T + b  # (B, H)   (1.1)
    h = np.tanh(a)  # (B, H)   (1.2)
    L, do = _output_layer(bug, V, c, h, y)  # (1.3)-(1.5)
    dV, dc = do.T @ h, do.sum(axis=0)  # (1.6)
    dh = do @ V  # (B, H)   (1.7)
    da = dh * _tanh_prime(bug, h, a, h)  # (1.8)
    grads = {"U": da.T @ x, "b": da.sum(axis=0), "V": dV, "c": dc, "x": da @ U}  # (1.9)-(1.10)
    L, grads = _scale(bug, L, grads, x.shape[0])
    return L, grads, {}


# ----------------------------------------------------------------------------------------------------------------
# the simple RNN of Parts 2-3, full and truncated BPTT


def rnn(params, x, y, h0, truncate=None, bug=None):
    """``gentle_rnn.rnn.loss_and_grads`` (keys U W b V c h0), or with one of `RNN_BUGS` or
    `TRUNCATION_BUGS`.

    The backward pass follows each loss term L(t) back on its own (equation (3.11)): its share enters at h(t),
    goes through tanh' into a(t), and through W^T to h(t-1), for as many steps as the truncation keeps (all of
    them without truncation). Summed over t, the shares give the dL/da(t) of (3.4), or of (3.12) truncated.
    """
    _check_bug(bug, RNN_BUGS + TRUNCATION_BUGS)
    U, W, b, V, c = (np.asarray(params[k], float) for k in ("U", "W", "b", "V", "c"))
    T, B, _ = x.shape
    H = W.shape[0]
    hs = np.empty((T + 1, B, H))  # hs[t] = h(t)
    a = np.empty((T + 1, B, H))  # a[t] = a(t); a[0] unused
    hs[0] = h0
    for t in range(1, T + 1):
        a[t] = b + hs[t - 1] @ W.T + x[t - 1] @ U.T  # (2.1)
        hs[t] = np.tanh(a[t])  # (2.2)
    L, do = _output_layer(bug, V, c, hs[1:], y)  # (2.3)-(2.4), (3.1)
    dh_out = do @ V  # (T, B, H)  V^T dL/do(t)
    R = W.T if bug == "W-instead-of-W-transpose" else W  # rows: delta @ W is W^T delta

    def first_step(t: int) -> int:
        """The earliest step u whose a(u) still receives L(t)'s share."""
        if bug == "dh-next-not-accumulated":
            return t  # nothing is passed on to h(t-1)
        if truncate is None or bug == "truncation-ignored":
            return 1
        if bug == "truncation-one-step-too-long":
            return max(1, t - truncate)
        if bug == "truncation-in-blocks":
            return (t - 1) // truncate * truncate + 1  # the first step of t's block of length tau
        return max(1, t - truncate + 1)  # (3.11): a(t), ..., a(t - tau + 1)

    dh = np.zeros((T + 1, B, H))  # dh[t]: what reaches h(t) along the kept paths (dh[0] = dL/dh(0))
    da = np.zeros((T + 1, B, H))  # da[t]: dL/da(t)
    for t in range(1, T + 1):  # one loss term at a time
        share = dh_out[t - 1]  # L(t)'s share at h(t)
        u = t
        while True:
            dh[u] += share
            d = share * _tanh_prime(bug, hs[u], a[u], hs[u - 1])  # (3.4)
            da[u] += d
            share = d @ R  # W^T delta, to h(u-1)   (3.3)
            if u == first_step(t):
                break
            u -= 1
        if u == 1:
            dh[0] += share  # (3.10): dL/dh(0) = W^T delta(1)
    h_in = hs[1:] if bug == "off-by-one-in-dW" else hs[:-1]  # h(t-1) belongs in (3.8)
    grads = {
        "U": np.einsum("tbi,tbj->ij", da[1:], x),  # (3.9)
        "W": np.einsum("tbi,tbj->ij", da[1:], h_in),  # (3.8)
        "b": da[1:].sum(axis=(0, 1)),  # (3.7)
        "V": np.einsum("tbk,tbi->ki", do, hs[1:]),  # (3.6)
        "c": do.sum(axis=(0, 1)),  # (3.5)
        "h0": dh[0],  # (3.10)
    }
    L, grads = _scale(bug, L, grads, T * B)
    return L, grads, {"dh": dh[1:]}


# ----------------------------------------------------------------------------------------------------------------
# the LSTM of Part 5


def lstm(params, x, y, h0, s0, bug=None):
    """``gentle_rnn.lstm.loss_and_grads`` (keys U_* W_* b_* V c h0 s0), or with one of `LSTM_BUGS`."""
    _check_bug(bug, LSTM_BUGS)
    P = {k: np.asarray(v, float) for k, v in params.items()}
    T, B, _ = x.shape
    H = P["W_z"].shape[0]
    hs, ss = np.empty((T + 1, B, H)), np.empty((T + 1, B, H))
    hs[0], ss[0] = h0, s0
    z, g, f, q = (np.empty((T + 1, B, H)) for _ in range(4))  # index t = step t; index 0 unused

    def pre(gate, t):
        return P[f"b_{gate}"] + hs[t - 1] @ P[f"W_{gate}"].T + x[t - 1] @ P[f"U_{gate}"].T

    for t in range(1, T + 1):
        z[t] = np.tanh(pre("z", t))  # (5.1)
        g[t], f[t], q[t] = sigmoid(pre("g", t)), sigmoid(pre("f", t)), sigmoid(pre("q", t))  # (5.2)-(5.4)
        ss[t] = f[t] * ss[t - 1] + g[t] * z[t]  # (5.5)
        hs[t] = q[t] * np.tanh(ss[t])  # (5.6)
    L, do = _output_layer(bug, P["V"], P["c"], hs[1:], y)  # (5.7)-(5.8)
    dh_out = do @ P["V"]  # (T, B, H)

    swapped = bug == "sigmoid-prime-and-tanh-prime-swapped"
    tanh_prime = (lambda v: v * (1 - v)) if swapped else (lambda v: 1 - v**2)
    sigmoid_prime = (lambda v: 1 - v**2) if swapped else (lambda v: v * (1 - v))
    dh, ds = np.empty((T, B, H)), np.empty((T, B, H))
    da = {gate: np.empty((T + 1, B, H)) for gate in "zgfq"}
    dh_next, ds_next = np.zeros((B, H)), np.zeros((B, H))
    for t in range(T, 0, -1):
        dh[t - 1] = dh_out[t - 1] + (0.0 if bug == "dh-next-not-accumulated" else dh_next)  # (5.9)
        tanh_s = np.tanh(ss[t])
        through_h = dh[t - 1] * q[t] * (1.0 if bug == "tanh-prime-of-s-missing" else 1 - tanh_s**2)
        ds[t - 1] = through_h + (0.0 if bug == "forget-gate-path-dropped" else ds_next)  # (5.10)
        s_in = ss[t] if bug == "forget-gate-with-s-of-t" else ss[t - 1]  # s(t-1) belongs in (5.14)
        da["q"][t] = dh[t - 1] * tanh_s * sigmoid_prime(q[t])  # (5.11)
        da["z"][t] = ds[t - 1] * g[t] * tanh_prime(z[t])  # (5.12)
        da["g"][t] = ds[t - 1] * z[t] * sigmoid_prime(g[t])  # (5.13)
        da["f"][t] = ds[t - 1] * s_in * sigmoid_prime(f[t])  # (5.14)
        if bug == "gate-gradients-swapped":
            da["g"][t], da["f"][t] = da["f"][t].copy(), da["g"][t].copy()
        ds_next = ds[t - 1] * (1.0 if bug == "cell-path-without-f" else f[t])  # f(t) dL/ds(t) to s(t-1)
        Wt = (lambda M: M.T) if bug == "W-instead-of-W-transpose" else (lambda M: M)
        dh_next = sum(da[gate][t] @ Wt(P[f"W_{gate}"]) for gate in "zgfq")  # (5.9)
    grads = {}
    for gate in "zgfq":  # (5.15)
        grads[f"U_{gate}"] = np.einsum("tbi,tbj->ij", da[gate][1:], x)
        grads[f"W_{gate}"] = np.einsum("tbi,tbj->ij", da[gate][1:], hs[:-1])
        grads[f"b_{gate}"] = da[gate][1:].sum(axis=(0, 1))
    grads["V"] = np.einsum("tbk,tbi->ki", do, hs[1:])
    grads["c"] = do.sum(axis=(0, 1))
    grads["h0"], grads["s0"] = dh_next, ds_next  # (5.16)
    L, grads = _scale(bug, L, grads, T * B)
    return L, grads, {"dh": dh, "ds": ds}
