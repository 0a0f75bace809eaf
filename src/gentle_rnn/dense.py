"""A densely connected layer (DCL) and a one-hidden-layer network, forward and backward side by side.

This is the recap of Part 1 (``docs/part-1-why-rnn.md``), written in the letters the simple RNN uses later,
so that Part 2 only has to *add* the recurrent term ``W h(t-1)``. For one example (a column vector ``x``)::

    a = b + U x                  (1.1)   hidden pre-activation          U: (H, D), b: (H,)
    h = tanh(a)                  (1.2)   hidden activation
    o = c + V h                  (1.3)   logits                         V: (K, H), c: (K,)
    L = -log softmax(o)[y]       (1.4)   summed over the batch

and backward, with ``delta = dL/da`` the error signal at the pre-activation::

    dL/do = softmax(o) - onehot(y)               (1.5)  (proven in derivations/building_blocks.py)
    dL/dV = dL/do h^T,    dL/dc = dL/do          (1.6)
    dL/dh = V^T dL/do                            (1.7)
    delta = dL/da = (1 - h * h) * dL/dh          (1.8)  (elementwise)
    dL/dU = delta x^T,    dL/db = delta          (1.9)
    dL/dx = U^T delta                            (1.10)

Every identity is proven against brute-force ``sympy.diff`` in ``derivations/dense_layer.py``.

Code convention (the same as the RNN's): a batch is a stack of *rows*, ``x: (B, D)``, so ``U x`` becomes
``x @ U.T`` and the outer product ``delta x^T`` summed over the batch becomes ``delta.T @ x``. The loss is a
*sum* over the batch, like the sum over time and batch of the later parts.
"""

from __future__ import annotations

import numpy as np

from ._checks import Shapes, param_dict, positive_int
from .functional import softmax_cross_entropy, tanh_grad_from_output

#: The parameter names of the one-hidden-layer network, in the order the page introduces them.
PARAM_KEYS = ("U", "b", "V", "c")


# ----------------------------------------------------------------------------------------------------------------
# the hidden layer: a = b + U x, h = tanh(a)


# --8<-- [start:hidden]
def hidden_forward(U: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Equations (1.1)-(1.2): ``h = tanh(b + U x)`` for a batch of rows ``x: (B, D)``; returns ``h: (B, H)``."""
    s = Shapes()
    U, b, x = s.array("U", U, "H D"), s.array("b", b, "H"), s.array("x", x, "B D")
    a = x @ U.T + b  # (B, H)   (1.1)
    return np.tanh(a)  # (B, H)   (1.2)


def hidden_backward(
    U: np.ndarray, x: np.ndarray, h: np.ndarray, dh: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Equations (1.8)-(1.10): from ``dh = dL/dh`` to ``(dU (H, D), db (H,), dx (B, D))``.

    ``h`` is the layer's own output (the backward pass stores outputs, not pre-activations).
    """
    s = Shapes()
    U, x = s.array("U", U, "H D"), s.array("x", x, "B D")
    h, dh = s.array("h", h, "B H"), s.array("dh", dh, "B H")
    da = dh * tanh_grad_from_output(h)  # (B, H)   delta, (1.8)
    dU = da.T @ x  # (H, D)   sum over the batch of delta x^T, (1.9)
    db = da.sum(axis=0)  # (H,)     (1.9)
    dx = da @ U  # (B, D)   U^T delta for every row, (1.10)
    return dU, db, dx
# --8<-- [end:hidden]


# ----------------------------------------------------------------------------------------------------------------
# the output layer: o = c + V h, softmax, summed cross-entropy


# --8<-- [start:output]
def output_forward(V: np.ndarray, c: np.ndarray, h: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Equations (1.3)-(1.5): logits ``o = c + V h``, the summed cross-entropy, and ``do = dL/do``.

    ``h: (B, H)``, ``y: (B,)`` int. Returns ``(loss, do (B, K))``.
    """
    s = Shapes()
    V, c, h = s.array("V", V, "K H"), s.array("c", c, "K"), s.array("h", h, "B H")
    o = h @ V.T + c  # (B, K)   (1.3)
    return softmax_cross_entropy(o, y)  # (1.4), and do = softmax(o) - onehot(y), (1.5)


def output_backward(V: np.ndarray, h: np.ndarray, do: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Equations (1.6)-(1.7): ``(dV (K, H), dc (K,), dh (B, H))`` from ``do = dL/do``."""
    s = Shapes()
    V, h, do = s.array("V", V, "K H"), s.array("h", h, "B H"), s.array("do", do, "B K")
    dV = do.T @ h  # (K, H)   sum over the batch of do h^T, (1.6)
    dc = do.sum(axis=0)  # (K,)     (1.6)
    dh = do @ V  # (B, H)   V^T do for every row, (1.7)
    return dV, dc, dh
# --8<-- [end:output]


# ----------------------------------------------------------------------------------------------------------------
# the network: hidden layer, then output layer


def init_params(D: int, H: int, K: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random parameters ``{"U", "b", "V", "c"}`` for ``D`` inputs, ``H`` hidden units and ``K`` classes.

    Weights are drawn from N(0, 1/fan_in) so that the pre-activations start with unit scale; biases are 0.
    """
    D = positive_int("D", D)
    H = positive_int("H", H)
    K = positive_int("K", K)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return {
        "U": rng.normal(0.0, 1.0 / np.sqrt(D), size=(H, D)),
        "b": np.zeros(H),
        "V": rng.normal(0.0, 1.0 / np.sqrt(H), size=(K, H)),
        "c": np.zeros(K),
    }


def _checked(params, x) -> tuple[Shapes, dict[str, np.ndarray], np.ndarray]:
    param_dict("params", params, PARAM_KEYS)
    s = Shapes()
    # the biases first, since each fixes one size without ambiguity (H, K), then the weights (D), then x: so a
    # transposed U is U's fault and a wrong-width x is x's
    b, c = s.array("b", params["b"], "H"), s.array("c", params["c"], "K")
    p = {"U": s.array("U", params["U"], "H D"), "b": b, "V": s.array("V", params["V"], "K H"), "c": c}
    x = s.array("x", x, "B D")
    return s, p, x


def forward(params: dict, x) -> tuple[np.ndarray, np.ndarray]:
    """The forward pass (1.1)-(1.3) for ``x: (B, D)``; returns ``(h (B, H), o (B, K))``."""
    _, p, x = _checked(params, x)
    h = hidden_forward(p["U"], p["b"], x)  # (B, H)
    o = h @ p["V"].T + p["c"]  # (B, K)
    return h, o


def predict(params: dict, x) -> np.ndarray:
    """The most probable class for every row of ``x: (B, D)``: ``argmax_k o_k``, shape ``(B,)``."""
    return forward(params, x)[1].argmax(axis=-1)


# --8<-- [start:loss_and_grads]
def loss_and_grads(params: dict, x, y) -> tuple[float, dict[str, np.ndarray]]:
    """The summed loss (1.4) of a batch and every gradient, (1.5)-(1.10).

    ``params``: ``{"U": (H, D), "b": (H,), "V": (K, H), "c": (K,)}``; ``x: (B, D)``; ``y: (B,)`` int in
    ``[0, K)``. Returns ``(loss, grads)`` with the keys of ``params`` plus ``"x"`` (``dL/dx``, what would flow
    into a layer below). Bad shapes or labels raise ``ValueError`` naming the argument.
    """
    s, p, x = _checked(params, x)
    y = s.targets("y", y, "B", s.dims["K"])
    h = hidden_forward(p["U"], p["b"], x)  # (B, H)    forward
    loss, do = output_forward(p["V"], p["c"], h, y)  # (B, K)
    dV, dc, dh = output_backward(p["V"], h, do)  # backward, in reverse order
    dU, db, dx = hidden_backward(p["U"], x, h, dh)
    return loss, {"U": dU, "b": db, "V": dV, "c": dc, "x": dx}
# --8<-- [end:loss_and_grads]
