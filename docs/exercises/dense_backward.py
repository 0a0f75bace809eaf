"""Exercise (Part 1): write the backward pass of a one-hidden-layer dense network.

The forward pass is given; write ``backward`` (equations (1.5)-(1.10) of Part 1), then grade it::

    python -m gentle_rnn.grade dense dense_backward.py

Model, one example per row of ``x`` (B, D), integer targets ``y`` (B,) in [0, K)::

    a = b + U x        (1.1)        U: (H, D), b: (H,)
    h = tanh(a)        (1.2)
    o = c + V h        (1.3)        V: (K, H), c: (K,)
    L = sum over the batch of -log softmax(o)[y]   (1.4)

In the batch-of-rows layout ``U x`` is ``x @ U.T``. The loss is a *sum* over the batch.
"""

import numpy as np


def forward(params, x):
    """Equations (1.1)-(1.3) for a batch of rows: returns ``(h (B, H), o (B, K))``."""
    h = np.tanh(x @ params["U"].T + params["b"])  # (B, H)
    o = h @ params["V"].T + params["c"]  # (B, K)
    return h, o


def softmax_cross_entropy(o, y):
    """The summed loss (1.4) and the softmax probabilities ``p`` (B, K), one row per example."""
    z = o - o.max(axis=-1, keepdims=True)  # subtracting the row maximum changes nothing but avoids overflow
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    loss = -np.take_along_axis(log_p, y[..., None], axis=-1).sum()
    return float(loss), np.exp(log_p)


def backward(params, x, y, h, p):
    """Every gradient of the summed loss: a dict with the keys ``U b V c x``, each shaped like its array.

    ``h`` (B, H) and ``p = softmax(o)`` (B, K) come from the forward pass. You need (1.5) dL/do, (1.6) dL/dV
    and dL/dc, (1.7) dL/dh, (1.8) the delta, (1.9) dL/dU and dL/db, and (1.10) dL/dx (what would flow into
    a layer below; one row per example, like x).
    """
    # ---- your code: from here ----
    raise NotImplementedError("write the backward pass, equations (1.5)-(1.10)")
    # ---- your code: to here ----


def loss_and_grads(params, x, y):
    """The function the grader calls: ``(loss, grads)``."""
    h, o = forward(params, x)
    loss, p = softmax_cross_entropy(o, y)
    return loss, backward(params, x, y, h, p)
