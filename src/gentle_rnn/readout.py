"""The output layer shared by the simple RNN and the LSTM: logits, softmax, summed cross-entropy.

Forward (Goodfellow et al. eq. 10.10-10.11, our ids (2.3)-(2.4))::

    o(t) = c + V h(t)                       # (T, B, K)
    y_hat(t) = softmax(o(t)),  L = sum_t sum_b -log y_hat(t)[y(t)]

Backward::

    dL/do(t) = y_hat(t) - onehot(y(t))      # (softmax-ce)
    dL/dV    = sum_t dL/do(t)^T h(t)        # (K, H)
    dL/dc    = sum_t dL/do(t)               # (K,)
    the part of dL/dh(t) that comes from the output: dL/do(t) V   # (T, B, H)

Both models call :func:`forward` and :func:`backward`, so the output layer is written once.
"""

from __future__ import annotations

import numpy as np

from ._checks import Shapes
from .functional import softmax_cross_entropy


# --8<-- [start:forward]
def forward(V: np.ndarray, c: np.ndarray, h: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Logits ``o = c + V h`` for every step and the summed cross-entropy against ``y``.

    ``h``: (T, B, H), ``V``: (K, H), ``c``: (K,), ``y``: (T, B) int. Returns ``(loss, do)`` where
    ``do = dL/do``: (T, B, K); the loss is a sum over time and batch.
    """
    s = Shapes()
    V, c, h = s.array("V", V, "K H"), s.array("c", c, "K"), s.array("h", h, "T B H")
    o = h @ V.T + c  # (T, B, K)
    return softmax_cross_entropy(o, y)
# --8<-- [end:forward]


# --8<-- [start:backward]
def backward(V: np.ndarray, h: np.ndarray, do: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the output layer: ``dV = sum_t do(t)^T h(t)``, ``dc = sum_t do(t)``, and ``do V``.

    Returns ``(dV (K, H), dc (K,), dh_out (T, B, H))``, where ``dh_out`` is the part of dL/dh(t) that
    flows in from the output at the same step (the recurrent part is added by the model).
    """
    s = Shapes()
    V, h, do = s.array("V", V, "K H"), s.array("h", h, "T B H"), s.array("do", do, "T B K")
    K, H = do.shape[-1], h.shape[-1]
    dV = do.reshape(-1, K).T @ h.reshape(-1, H)  # (K, H): one matrix product over all (t, batch) pairs
    dc = do.sum(axis=(0, 1))  # (K,)
    dh_out = do @ V  # (T, B, H)
    return dV, dc, dh_out
# --8<-- [end:backward]
