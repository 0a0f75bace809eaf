"""Worked solutions of the exercise skeletons (docs/exercises/*.py), shown on the pages as collapsible solutions.

Each section is one function of a skeleton, written out; ``tests/test_exercises.py`` puts its body into the
skeleton's blank and grades the completed file, so what the page shows is what the grader accepts.
The same computations, vectorised, are ``gentle_rnn.dense``, ``gentle_rnn.rnn`` and ``gentle_rnn.lstm``.
"""

# ruff: noqa: F821 (the names come from the skeleton: np, GATES)


# --8<-- [start:dense]
def backward(params, x, y, h, p):
    do = p.copy()
    do[np.arange(len(y)), y] -= 1.0  # (1.5) dL/do = softmax(o) - onehot(y)
    dV, dc = do.T @ h, do.sum(axis=0)  # (1.6) summed over the batch
    dh = do @ params["V"]  # (1.7) V^T dL/do, one row per example
    da = (1.0 - h * h) * dh  # (1.8) the delta: tanh' = 1 - h^2
    dU, db = da.T @ x, da.sum(axis=0)  # (1.9)
    dx = da @ params["U"]  # (1.10) U^T delta
    return {"U": dU, "b": db, "V": dV, "c": dc, "x": dx}
# --8<-- [end:dense]


# --8<-- [start:rnn]
def backward(params, x, y, hs, p):
    T, B, H = x.shape[0], x.shape[1], hs.shape[2]
    do = p.copy()
    do[np.arange(T)[:, None], np.arange(B), y] -= 1.0  # (3.1) p(t) - onehot(y(t))
    dh = np.zeros((T, B, H))  # dh[t - 1] = dL/dh(t)
    da = np.zeros((T, B, H))  # da[t - 1] = delta(t)
    dh_next = np.zeros((B, H))  # W^T delta(t + 1): nothing after the last step
    for t in range(T, 0, -1):
        dh[t - 1] = do[t - 1] @ params["V"] + dh_next  # (3.2)-(3.3)
        da[t - 1] = (1.0 - hs[t] ** 2) * dh[t - 1]  # (3.4)
        dh_next = da[t - 1] @ params["W"]  # W^T delta(t), sent to h(t - 1)
    grads = {
        "U": np.einsum("tbi,tbj->ij", da, x),  # (3.9)  sum_t delta(t) x(t)^T
        "W": np.einsum("tbi,tbj->ij", da, hs[:-1]),  # (3.8)  sum_t delta(t) h(t-1)^T
        "b": da.sum(axis=(0, 1)),  # (3.7)
        "V": np.einsum("tbk,tbi->ki", do, hs[1:]),  # (3.6)
        "c": do.sum(axis=(0, 1)),  # (3.5)
        "h0": dh_next,  # (3.10) W^T delta(1)
    }
    return grads, dh
# --8<-- [end:rnn]


# --8<-- [start:rnn_truncated]
def backward_truncated(params, x, y, hs, p, truncate):
    T, B, H = x.shape[0], x.shape[1], hs.shape[2]
    do = p.copy()
    do[np.arange(T)[:, None], np.arange(B), y] -= 1.0  # (3.1)
    da = np.zeros((T + 1, B, H))  # da[u]: what reaches a(u) along the kept paths; da[0] unused
    dh0 = np.zeros((B, H))
    for t in range(1, T + 1):  # follow each loss term L(t) back on its own   (3.11)
        share = do[t - 1] @ params["V"]  # L(t)'s share at h(t)
        for u in range(t, max(1, t - truncate + 1) - 1, -1):  # u = t, t - 1, ..., t - tau + 1
            d = (1.0 - hs[u] ** 2) * share  # into a(u)
            da[u] += d
            share = d @ params["W"]  # on to h(u - 1)
            if u == 1:
                dh0 += share  # reached h(0)
    return {
        "U": np.einsum("tbi,tbj->ij", da[1:], x),  # (3.12): the sums of (3.7)-(3.10) over the kept paths
        "W": np.einsum("tbi,tbj->ij", da[1:], hs[:-1]),
        "b": da[1:].sum(axis=(0, 1)),
        "V": np.einsum("tbk,tbi->ki", do, hs[1:]),  # V and c cross no step: as in full BPTT
        "c": do.sum(axis=(0, 1)),
        "h0": dh0,
    }
# --8<-- [end:rnn_truncated]


# --8<-- [start:lstm]
def backward(params, x, y, cache, p):
    h, s = cache["h"], cache["s"]
    T, B, H = x.shape[0], x.shape[1], h.shape[2]
    do = p.copy()
    do[np.arange(T)[:, None], np.arange(B), y] -= 1.0  # (5.8)
    dh, ds = np.zeros((T, B, H)), np.zeros((T, B, H))
    da = {k: np.zeros((T, B, H)) for k in GATES}  # da["z"][t - 1] = dL/da_z(t), ...
    dh_next, ds_next = np.zeros((B, H)), np.zeros((B, H))  # nothing after the last step
    for t in range(T, 0, -1):
        z, g, f, q = (cache[k][t] for k in GATES)
        tanh_s = np.tanh(s[t])
        dh[t - 1] = do[t - 1] @ params["V"] + dh_next  # (5.9)
        ds[t - 1] = dh[t - 1] * q * (1.0 - tanh_s**2) + ds_next  # (5.10): through h(t) and from s(t + 1)
        da["q"][t - 1] = dh[t - 1] * tanh_s * q * (1.0 - q)  # (5.11)
        da["z"][t - 1] = ds[t - 1] * g * (1.0 - z**2)  # (5.12)
        da["g"][t - 1] = ds[t - 1] * z * g * (1.0 - g)  # (5.13)
        da["f"][t - 1] = ds[t - 1] * s[t - 1] * f * (1.0 - f)  # (5.14)
        ds_next = ds[t - 1] * f  # f(t) dL/ds(t), sent to s(t - 1) along the cell path
        dh_next = sum(da[k][t - 1] @ params[f"W_{k}"] for k in GATES)  # sum_* W_*^T dL/da_*(t)
    grads = {}
    for k in GATES:  # (5.15)
        grads[f"U_{k}"] = np.einsum("tbi,tbj->ij", da[k], x)
        grads[f"W_{k}"] = np.einsum("tbi,tbj->ij", da[k], h[:-1])
        grads[f"b_{k}"] = da[k].sum(axis=(0, 1))
    grads["V"] = np.einsum("tbk,tbi->ki", do, h[1:])  # (5.8)
    grads["c"] = do.sum(axis=(0, 1))
    grads["h0"], grads["s0"] = dh_next, ds_next  # (5.16)
    return grads, dh, ds
# --8<-- [end:lstm]
