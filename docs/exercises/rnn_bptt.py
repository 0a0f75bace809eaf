"""Exercise (Part 3): write back propagation through time for the simple RNN, full and truncated.

The forward pass is given; write ``backward`` (full BPTT, equations (3.1)-(3.10) of Part 3) and then
``backward_truncated`` (truncated BPTT, (3.11)-(3.12)), and grade each::

    python -m gentle_rnn.grade rnn rnn_bptt.py
    python -m gentle_rnn.grade rnn-truncated rnn_bptt.py

Model (batched and time-major; one sample per row, so ``W h(t-1)`` is ``h_prev @ W.T``)::

    a(t) = b + W h(t-1) + U x(t),  h(t) = tanh(a(t))       (2.1)-(2.2)   U (H, D), W (H, H), b (H,)
    o(t) = c + V h(t),  L = sum_t sum_batch -log softmax(o(t))[y(t)]      V (K, H), c (K,)

    x: (T, B, D)   y: (T, B) int   h0: (B, H)

Time counts from 1 as on the pages: ``hs[t]`` is h(t) (``hs[0]`` is h(0)), while arrays without a slot for
t = 0 (x, y, p, dh) hold step t at index t - 1.
"""

import numpy as np


def forward(params, x, h0):
    """Equations (2.1)-(2.2): ``hs`` of shape (T + 1, B, H) with ``hs[t] = h(t)``."""
    T, B, _ = x.shape
    hs = np.empty((T + 1, B, h0.shape[1]))
    hs[0] = h0
    for t in range(1, T + 1):
        hs[t] = np.tanh(params["b"] + hs[t - 1] @ params["W"].T + x[t - 1] @ params["U"].T)
    return hs


def output_layer(params, hs, y):
    """The summed loss (2.3)-(2.4) and the softmax probabilities ``p`` (T, B, K), ``p[t - 1]`` at step t."""
    o = hs[1:] @ params["V"].T + params["c"]  # (T, B, K)
    z = o - o.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    loss = -np.take_along_axis(log_p, y[..., None], axis=-1).sum()
    return float(loss), np.exp(log_p)


def backward(params, x, y, hs, p):
    """Full BPTT. Returns ``(grads, dh)``: ``grads`` with the keys ``U W b V c h0`` (each shaped like its
    parameter, ``h0``'s like h0), and ``dh`` (T, B, H) with ``dh[t - 1]`` the total dL/dh(t) of (3.3).

    Start from (3.1) dL/do(t) = p(t) - onehot(y(t)); walk t = T ... 1 with (3.3)-(3.4); sum (3.5)-(3.9);
    finish with (3.10).
    """
    # ---- your code: from here ----
    raise NotImplementedError("write full BPTT, equations (3.1)-(3.10)")
    # ---- your code: to here ----


def backward_truncated(params, x, y, hs, p, truncate):
    """Truncated BPTT with truncation length tau = ``truncate``: the gradient of each loss term L(t) reaches
    a(t), a(t-1), ..., a(t - tau + 1) and no further (3.11). Returns ``grads`` (keys ``U W b V c h0``), (3.12).
    """
    # ---- your code: from here ----
    raise NotImplementedError("write truncated BPTT, equations (3.11)-(3.12)")
    # ---- your code: to here ----


def loss_and_grads(params, x, y, h0, truncate=None):
    """The function the grader calls: ``(loss, grads)``, full BPTT or truncated with ``truncate = tau``."""
    hs = forward(params, x, h0)
    loss, p = output_layer(params, hs, y)
    if truncate is None:
        return loss, backward(params, x, y, hs, p)[0]
    return loss, backward_truncated(params, x, y, hs, p, truncate)


def hidden_state_grads(params, x, y, h0):
    """dL/dh(t) for t = 1 ... T, (T, B, H): the grader uses it to find the first step that goes wrong."""
    hs = forward(params, x, h0)
    _, p = output_layer(params, hs, y)
    return backward(params, x, y, hs, p)[1]
