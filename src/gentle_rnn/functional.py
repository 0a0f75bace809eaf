"""Elementwise nonlinearities, softmax and cross-entropy, with the derivatives every later part uses.

Each derivative is proven in ``derivations/building_blocks.py`` and referred to by its equation id:

* ``(tanh')``      tanh'(a) = 1 - tanh(a)^2
* ``(sigma')``     sigma'(a) = sigma(a) (1 - sigma(a))
* ``(softmax-ce)`` d/do [-log softmax(o)_y] = softmax(o) - onehot(y)

The derivative helpers take the *output* of the nonlinearity (``h = tanh(a)``), since the backward pass
stores outputs, not pre-activations.
"""

from __future__ import annotations

import numpy as np

from ._checks import Shapes, numeric_array, positive_int


# ----------------------------------------------------------------------------------------------------------------
# nonlinearities


def tanh(a: np.ndarray) -> np.ndarray:
    """tanh(a), elementwise."""
    return np.tanh(numeric_array("a", a))


def tanh_grad_from_output(h: np.ndarray) -> np.ndarray:
    """tanh'(a) written with the output h = tanh(a): ``1 - h**2``. Equation (tanh')."""
    return 1.0 - h * h


def sigmoid(a: np.ndarray) -> np.ndarray:
    """The logistic sigmoid 1 / (1 + exp(-a)), computed without overflow for large |a|."""
    a = numeric_array("a", a)
    e = np.exp(-np.abs(a))  # in (0, 1]: never overflows
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad_from_output(s: np.ndarray) -> np.ndarray:
    """sigma'(a) written with the output s = sigma(a): ``s * (1 - s)``. Equation (sigma')."""
    return s * (1.0 - s)


# ----------------------------------------------------------------------------------------------------------------
# softmax and cross-entropy


def log_softmax(o: np.ndarray) -> np.ndarray:
    """log softmax over the last axis, shifted by the maximum so that exp never overflows."""
    o = numeric_array("o", o)
    if o.ndim < 1 or o.shape[-1] == 0:
        raise ValueError(f"o must have shape (..., K) with K >= 1, got shape {o.shape}")
    shifted = o - o.max(axis=-1, keepdims=True)  # (..., K), max entry 0
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(o: np.ndarray) -> np.ndarray:
    """softmax over the last axis: exp(o_k) / sum_j exp(o_j), computed stably."""
    return np.exp(log_softmax(o))


def onehot(y: np.ndarray, num_classes: int) -> np.ndarray:
    """One-hot float64 encoding of integer labels in ``[0, num_classes)``: shape ``y.shape + (num_classes,)``.

    A label that is not an integer, or out of range, raises ``ValueError`` (it would give an all-zero row).
    """
    num_classes = positive_int("num_classes", num_classes)
    y = np.asarray(y)
    y = Shapes().targets("y", y, " ".join(f"N{i}" for i in range(y.ndim)), num_classes)
    return (y[..., None] == np.arange(num_classes)).astype(np.float64)


def softmax_cross_entropy(o: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Summed cross-entropy of softmax(o) against integer labels y, and its gradient w.r.t. the logits.

    ``L = sum over all positions of -log softmax(o)[y]`` (a *sum*, not a mean: the reduction used by every
    model, derivation and page of the series). The gradient is equation (softmax-ce)::

        dL/do = softmax(o) - onehot(y)

    Parameters
    ----------
    o : array (..., K)
        Logits.
    y : int array (...)
        Labels in ``[0, K)``; same leading shape as ``o``.

    Returns
    -------
    loss : float
    do : array (..., K)
    """
    s = Shapes()
    o_arr = np.asarray(o)
    if o_arr.ndim < 1:
        raise ValueError(f"o must have shape (..., K) with at least one axis, got shape {o_arr.shape}")
    lead = " ".join(f"N{i}" for i in range(o_arr.ndim - 1))
    o = s.array("o", o, f"{lead} K")
    y = s.targets("y", y, lead, s.dims["K"])
    logp = log_softmax(o)  # (..., K)
    loss = -np.take_along_axis(logp, y[..., None], axis=-1).sum()
    do = np.exp(logp) - onehot(y, o.shape[-1])  # (softmax-ce)
    return float(loss), do
