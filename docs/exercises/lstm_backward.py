"""Exercise (Part 5): write back propagation through time for the LSTM.

The forward pass is given; write ``backward`` (equations (5.8)-(5.16) of Part 5), then grade it::

    python -m gentle_rnn.grade lstm lstm_backward.py

Model (no peepholes; * is elementwise; one sample per row, so ``W_z h(t-1)`` is ``h_prev @ W_z.T``)::

    z(t) = tanh (b_z + W_z h(t-1) + U_z x(t))    block input     (5.1)
    g(t) = sigma(b_g + W_g h(t-1) + U_g x(t))    input gate      (5.2)
    f(t) = sigma(b_f + W_f h(t-1) + U_f x(t))    forget gate     (5.3)
    q(t) = sigma(b_q + W_q h(t-1) + U_q x(t))    output gate     (5.4)
    s(t) = f(t) * s(t-1) + g(t) * z(t)           cell state      (5.5)
    h(t) = q(t) * tanh(s(t))                     hidden state    (5.6)
    o(t) = c + V h(t),  L = sum_t sum_batch -log softmax(o(t))[y(t)]   (5.7)

    params: U_* (H, D), W_* (H, H), b_* (H,) for * = z, g, f, q; V (K, H), c (K,)
    x: (T, B, D)   y: (T, B) int   h0, s0: (B, H)

``cache[name][t]`` is the quantity at step t (index 0 holds h(0) and s(0); the gates have nothing there).
Arrays without a slot for t = 0 (x, y, p, dh, ds) hold step t at index t - 1.
"""

import numpy as np

GATES = ("z", "g", "f", "q")


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def forward(params, x, h0, s0):
    """Equations (5.1)-(5.6): a dict of arrays (T + 1, B, H): ``h``, ``s`` and the gates ``z g f q``."""
    T, B, _ = x.shape
    cache = {name: np.zeros((T + 1, B, h0.shape[1])) for name in ("h", "s") + GATES}
    cache["h"][0], cache["s"][0] = h0, s0
    for t in range(1, T + 1):
        pre = {k: params[f"b_{k}"] + cache["h"][t - 1] @ params[f"W_{k}"].T + x[t - 1] @ params[f"U_{k}"].T
               for k in GATES}
        cache["z"][t] = np.tanh(pre["z"])
        for k in "gfq":
            cache[k][t] = sigmoid(pre[k])
        cache["s"][t] = cache["f"][t] * cache["s"][t - 1] + cache["g"][t] * cache["z"][t]
        cache["h"][t] = cache["q"][t] * np.tanh(cache["s"][t])
    return cache


def output_layer(params, h, y):
    """The summed loss (5.7) and the softmax probabilities ``p`` (T, B, K) for h = h(1) ... h(T)."""
    o = h @ params["V"].T + params["c"]  # (T, B, K)
    z = o - o.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    loss = -np.take_along_axis(log_p, y[..., None], axis=-1).sum()
    return float(loss), np.exp(log_p)


def backward(params, x, y, cache, p):
    """BPTT through the LSTM. Returns ``(grads, dh, ds)``: ``grads`` with the keys ``U_* W_* b_*``
    (* = z, g, f, q), ``V c h0 s0``; ``dh``, ``ds`` (T, B, H) with ``dh[t - 1]``, ``ds[t - 1]`` the total
    dL/dh(t) of (5.9) and dL/ds(t) of (5.10).

    Walk t = T ... 1: (5.9) dL/dh(t), (5.10) dL/ds(t) along both paths, (5.11)-(5.14) the four gate deltas;
    then the sums (5.15), the output layer (5.8) and the initial states (5.16).
    """
    # ---- your code: from here ----
    raise NotImplementedError("write BPTT for the LSTM, equations (5.8)-(5.16)")
    # ---- your code: to here ----


def loss_and_grads(params, x, y, h0, s0):
    """The function the grader calls: ``(loss, grads)``."""
    cache = forward(params, x, h0, s0)
    loss, p = output_layer(params, cache["h"][1:], y)
    return loss, backward(params, x, y, cache, p)[0]


def hidden_state_grads(params, x, y, h0, s0):
    """dL/dh(t), (T, B, H): the grader uses it (and the next) to find the first step that goes wrong."""
    cache = forward(params, x, h0, s0)
    return backward(params, x, y, cache, output_layer(params, cache["h"][1:], y)[1])[1]


def cell_state_grads(params, x, y, h0, s0):
    """dL/ds(t), (T, B, H)."""
    cache = forward(params, x, h0, s0)
    return backward(params, x, y, cache, output_layer(params, cache["h"][1:], y)[1])[2]
