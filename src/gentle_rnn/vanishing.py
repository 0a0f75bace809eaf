"""Why gradients vanish or explode in a simple RNN: Jacobian products, gradient norms by lag, the bound.

Part 4 in code. Column-vector notation as on the page (``h(t)`` a column of H numbers); the arrays are
batched and time-major as everywhere in the package (``x: (T, B, D)``, ``h0: (B, H)``). Equation ids refer
to ``docs/part-4-vanishing-gradient.md``; ``derivations/vanishing_gradient.py`` proves them.

One step of the recurrence, ``h(j) = tanh(b + W h(j-1) + U x(j))``, has the Jacobian (4.1)::

    dh(j)/dh(j-1) = diag(1 - h(j)^2) W                       (H, H),  entry [i, l] = dh_i(j)/dh_l(j-1)

and over several steps the chain rule multiplies them, the *latest* step on the left (4.2)::

    dh(t)/dh(u) = [diag(1-h(t)^2) W] [diag(1-h(t-1)^2) W] ... [diag(1-h(u+1)^2) W]

With |phi'| <= gamma for the activation phi (gamma = 1 for tanh, 1/4 for the sigmoid) and lambda_1 the largest
singular value of W, the spectral norm of that product is at most ``(gamma lambda_1)^(t-u)`` (4.5), the bound
of Pascanu, Mikolov & Bengio (2013).

Public functions
----------------
largest_singular_value(W)                      lambda_1, the spectral norm of W
with_largest_singular_value(W, lambda_1)       W rescaled so that its largest singular value is lambda_1
recurrent_matrix(H, lambda_1, rng, kind)       a random W with a prescribed lambda_1 (orthogonal or Gaussian)
recurrent_matrix_from_gaussian(G, lambda_1, kind)  the same from a given Gaussian matrix G
state_jacobians(W, d)                          diag(d(j)) W for every step j: equation (4.1), any activation
jacobian_product(J, t, u)                      dh(t)/dh(u) from the step Jacobians: equation (4.2)
rnn_state_jacobians(params, x, h0)             the step Jacobians of the simple RNN (from rnn.forward)
jacobian_norms_by_lag(J, t)                    ||dh(t)/dh(t - lag)||_2 for lag = 0 ... t
pascanu_bound(lambda_1, lag, gamma)            (gamma lambda_1)^lag: equation (4.5)
last_step_loss_and_grads(params, x, y, h0)     loss and gradients when only the last step is scored
last_step_hidden_grads(params, x, y, h0)       dL(T)/dh(u) for u = 0 ... T
gradient_ratio_by_lag(params, x, y, h0)        ||dL(T)/dh(T - lag)|| / ||dL(T)/dh(T)||: what figure 1 plots
hidden_grads_as_sum_of_products(...)           dL/dh(u) as a sum over t of Jacobian products: equation (4.3)
cell_state_path_jacobian(f, t, u)              the LSTM's cell-state path prod_j diag(f(j)): equation (4.7)
"""

from __future__ import annotations

import numpy as np

from . import readout, rnn
from ._checks import Shapes, positive_int
from .functional import tanh_grad_from_output

#: The largest value of tanh' (at 0): 1. Proven in ``derivations/building_blocks.py``.
GAMMA_TANH = 1.0
#: The largest value of the sigmoid's derivative (at 0): 1/4. Proven in ``derivations/building_blocks.py``.
GAMMA_SIGMOID = 0.25


# ----------------------------------------------------------------------------------------------------------------
# recurrent matrices with a prescribed largest singular value


def largest_singular_value(W) -> float:
    """lambda_1, the largest singular value of ``W``: its spectral norm ``max ||W v|| / ||v||``."""
    W = Shapes().array("W", W, "H H")
    return float(np.linalg.norm(W, 2))


def with_largest_singular_value(W, lambda_1: float) -> np.ndarray:
    """``W`` multiplied by one number so that its largest singular value is ``lambda_1`` (>= 0).

    Scaling keeps the *ratios* of the singular values: only lambda_1 is prescribed.
    """
    W = Shapes().array("W", W, "H H")
    if not np.isfinite(lambda_1) or lambda_1 < 0:
        raise ValueError(f"lambda_1 must be a finite number >= 0, got {lambda_1!r}")
    current = np.linalg.norm(W, 2)
    if current == 0:
        raise ValueError("W must not be the zero matrix: it has no direction to rescale")
    return W * (lambda_1 / current)


def recurrent_matrix(H: int, lambda_1: float, rng, kind: str = "orthogonal") -> np.ndarray:
    """A random H x H matrix whose largest singular value is ``lambda_1``.

    ``kind="orthogonal"``: ``lambda_1 Q`` with Q a random orthogonal matrix (Haar measure, via the QR
    decomposition of a Gaussian matrix with the signs fixed), so *every* singular value equals lambda_1 and
    ``||W v|| = lambda_1 ||v||`` for every v. ``kind="gaussian"``: independent normal entries rescaled with
    :func:`with_largest_singular_value`; the other singular values are then smaller than lambda_1.
    ``rng``: an int seed or a ``numpy.random.Generator``.
    """
    H = positive_int("H", H)
    rng = np.random.default_rng(rng)
    return recurrent_matrix_from_gaussian(rng.normal(size=(H, H)), lambda_1, kind)


def recurrent_matrix_from_gaussian(G, lambda_1: float, kind: str = "orthogonal") -> np.ndarray:
    """:func:`recurrent_matrix` from a given standard normal (H, H) matrix ``G`` instead of a generator.

    The interactive figure of Part 4 draws ``G`` with the generator it shares with the browser
    (:class:`gentle_rnn.interactive.Mulberry32`) and builds W here, as the browser does in ``core.js``.
    """
    G = Shapes().array("G", G, "H H")
    if kind == "gaussian":
        return with_largest_singular_value(G, lambda_1)
    if kind != "orthogonal":
        raise ValueError(f"kind must be 'orthogonal' or 'gaussian', got {kind!r}")
    Q, R = np.linalg.qr(G)
    Q = Q * np.where(np.diag(R) < 0, -1.0, 1.0)  # fix the signs so that Q is Haar-distributed
    return with_largest_singular_value(Q, lambda_1)


# ----------------------------------------------------------------------------------------------------------------
# Jacobians of the hidden state: one step (4.1) and products over many steps (4.2)


# --8<-- [start:jacobians]
def state_jacobians(W, d) -> np.ndarray:
    """The one-step Jacobians ``dh(j)/dh(j-1) = diag(d(j)) W``, equation (4.1), for every step at once.

    ``W``: (H, H); ``d``: (T, B, H), the activation's derivative at every step, ``d[j - 1] = phi'(a(j))``
    (for tanh, ``1 - h(j)^2``). Returns ``J``: (T, B, H, H) with ``J[j - 1, n] = diag(d[j - 1, n]) W``,
    entry ``[i, l] = dh_i(j)/dh_l(j-1)`` (column-vector convention, as on the page). ``diag(d) W`` scales
    row i of W by d_i, which is what the broadcasting below does without building diag(d).
    """
    s = Shapes()
    W = s.array("W", W, "H H")
    d = s.array("d", d, "T B H")
    return d[..., :, None] * W  # (T, B, H, H)   row i of W times d_i


def jacobian_product(J, t: int, u: int) -> np.ndarray:
    """``dh(t)/dh(u) = J(t) J(t-1) ... J(u+1)``, equation (4.2): the latest step's factor on the left.

    ``J``: (T, B, H, H) from :func:`state_jacobians` (``J[j - 1]`` is dh(j)/dh(j-1)); ``0 <= u <= t <= T``.
    Returns (B, H, H); for ``t == u`` the identity (no step between the two states).
    """
    J = Shapes().array("J", J, "T B H H")
    T, B, H, _ = J.shape
    if not (isinstance(t, (int, np.integer)) and isinstance(u, (int, np.integer)) and 0 <= u <= t <= T):
        raise ValueError(f"t and u must be integers with 0 <= u <= t <= T = {T}, got t={t!r}, u={u!r}")
    P = np.broadcast_to(np.eye(H), (B, H, H)).copy()  # (B, H, H)  dh(t)/dh(t) = I
    for j in range(t, u, -1):  # j = t, t-1, ..., u+1: each older factor multiplies on the right
        P = P @ J[j - 1]
    return P
# --8<-- [end:jacobians]


def rnn_state_jacobians(params: dict, x, h0) -> np.ndarray:
    """The simple RNN's one-step Jacobians ``diag(1 - h(j)^2) W``, j = 1 ... T, equation (4.1): (T, B, H, H).

    The hidden states come from :func:`gentle_rnn.rnn.forward`; ``1 - h^2`` is tanh' written with the output.
    """
    h = rnn.forward(params, x, h0)  # (T, B, H)
    return state_jacobians(params["W"], tanh_grad_from_output(h))


def jacobian_norms_by_lag(J, t: int | None = None) -> np.ndarray:
    """Spectral norms ``||dh(t)/dh(t - lag)||_2`` for lag = 0 ... t: (t + 1, B); default t = T.

    Built like :func:`jacobian_product`, one older factor at a time, so every lag costs one product; the
    singular values of all the products are then computed in one batched call.
    """
    J = Shapes().array("J", J, "T B H H")
    T, B, H, _ = J.shape
    t = T if t is None else t
    if not (isinstance(t, (int, np.integer)) and 0 <= t <= T):
        raise ValueError(f"t must be an integer in [0, {T}], got {t!r}")
    products = np.empty((t + 1, B, H, H))
    products[0] = np.eye(H)
    for lag in range(1, t + 1):
        products[lag] = products[lag - 1] @ J[t - lag]  # J(t - lag + 1): the factor of step t - lag + 1
    norms = np.linalg.norm(products, ord=2, axis=(2, 3))  # (t + 1, B)
    norms[0] = 1.0  # the identity, exactly
    return norms


# --8<-- [start:bound]
def pascanu_bound(lambda_1, lag, gamma: float = GAMMA_TANH):
    """``(gamma lambda_1)^lag``, equation (4.5): the bound on ``||dh(t)/dh(t - lag)||_2``.

    Pascanu, Mikolov & Bengio (2013): with ``|phi'| <= gamma`` and lambda_1 the largest singular value of W,
    each step's Jacobian ``diag(phi'(a(j))) W`` has spectral norm at most gamma lambda_1 (4.4), and the norm of a
    product is at most the product of the norms. Works elementwise on arrays of lambda_1 or lag.
    """
    return (gamma * np.asarray(lambda_1, dtype=np.float64)) ** np.asarray(lag, dtype=np.float64)
# --8<-- [end:bound]


# ----------------------------------------------------------------------------------------------------------------
# the gradient that reaches h(u): from the last step only, and from every step (4.3)


def _last_step(params, x, y, h0):
    """Forward pass and the output's gradient when only the last step is scored; shared by the two below."""
    h = rnn.forward(params, x, h0)  # (T, B, H), validates everything
    y = Shapes(B=h.shape[1]).targets("y", y, "B", params["V"].shape[0])
    L, do = readout.forward(params["V"], params["c"], h[-1:], y[None])  # only o(T) is scored
    dV, dc, dh_last = readout.backward(params["V"], h[-1:], do)  # dh_last: (1, B, H) = V^T dL/do(T)
    dh_out = np.zeros_like(h)  # (T, B, H): no other step sends a gradient to its h(t)
    dh_out[-1] = dh_last[0]
    return h, L, dV, dc, dh_out


# --8<-- [start:last_step]
def last_step_loss_and_grads(params: dict, x, y, h0) -> tuple[float, dict]:
    """The loss of the *last* step only, ``L = L(T)`` summed over the batch, and every gradient.

    For tasks with one answer per sequence (the adding problem): ``y`` is (B,) int, the target of step T.
    The recurrence is the simple RNN's own BPTT (:func:`gentle_rnn.rnn.backward`) with the output's gradient
    ``V^T dL/do(t)`` set to zero for t < T. Returns ``(loss, grads)`` with keys ``U W b V c h0``.
    """
    h, L, dV, dc, dh_out = _last_step(params, x, y, h0)
    grads, _ = rnn.backward(params, x, h0, h, dh_out)  # keys U W b h0
    return L, {**grads, "V": dV, "c": dc}
# --8<-- [end:last_step]


def last_step_hidden_grads(params: dict, x, y, h0) -> np.ndarray:
    """``dL(T)/dh(u)`` for u = 0 ... T: (T + 1, B, H), ``out[u]`` at h(u) (``out[0]`` at the initial state).

    By (4.2)-(4.3) with one loss term, ``dL(T)/dh(u) = (dh(T)/dh(u))^T dL(T)/dh(T)``.
    """
    h, _, _, _, dh_out = _last_step(params, x, y, h0)
    grads, dh = rnn.backward(params, x, h0, h, dh_out)
    return np.concatenate([grads["h0"][None], dh])  # (T + 1, B, H)


def gradient_ratio_by_lag(params: dict, x, y, h0) -> np.ndarray:
    """``||dL(T)/dh(T - lag)|| / ||dL(T)/dh(T)||`` for lag = 0 ... T: (T + 1, B). Figure 1 plots it.

    By (4.6) it is at most ``(gamma lambda_1)^lag`` (gamma = 1 for tanh): the factor by which the gradient
    of the last step's loss can grow or shrink on its way back ``lag`` steps.
    """
    g = last_step_hidden_grads(params, x, y, h0)  # (T + 1, B, H), index u
    norms = np.linalg.norm(g, axis=-1)[::-1]  # (T + 1, B), index lag = T - u
    return norms / norms[0]


# --8<-- [start:sum_of_products]
def hidden_grads_as_sum_of_products(params: dict, x, y, h0) -> np.ndarray:
    """``dL/dh(u) = sum_{t >= u} (dh(t)/dh(u))^T V^T dL/do(t)``, equation (4.3), for u = 0 ... T: (T + 1, B, H).

    The total loss ``L = sum_t L(t)`` (``y``: (T, B)). Written literally, one Jacobian product per pair
    (t, u): O(T^2) products, where BPTT's recursion (3.3) needs T. It is here to be compared with it, not used.
    """
    h = rnn.forward(params, x, h0)  # (T, B, H)
    T, B, H = h.shape
    y = Shapes(T=T, B=B).targets("y", y, "T B", params["V"].shape[0])
    _, do = readout.forward(params["V"], params["c"], h, y)  # (T, B, K)  dL/do(t)
    _, _, from_output = readout.backward(params["V"], h, do)  # (T, B, H)  V^T dL/do(t), row form
    J = state_jacobians(params["W"], tanh_grad_from_output(h))  # (T, B, H, H)
    out = np.zeros((T + 1, B, H))
    for u in range(T + 1):
        for t in range(max(u, 1), T + 1):
            P = jacobian_product(J, t, u)  # (B, H, H)  dh(t)/dh(u)
            out[u] += np.einsum("bij,bi->bj", P, from_output[t - 1])  # (dh(t)/dh(u))^T V^T dL/do(t)
    return out
# --8<-- [end:sum_of_products]


# ----------------------------------------------------------------------------------------------------------------
# the LSTM's cell-state path (4.7)


# --8<-- [start:cell_path]
def cell_state_path_jacobian(f, t: int, u: int) -> np.ndarray:
    """The LSTM's cell-state path ``prod_{j=u+1}^{t} diag(f(j))``, equation (4.7), as its diagonal: (B, H).

    ``f``: (T, B, H), the forget gates, ``f[j - 1] = f(j)``. Along the path s(u) -> s(u+1) -> ... -> s(t)
    (holding the gates fixed) each step multiplies by ``diag(f(j))``: no W, no tanh'. Diagonal matrices
    commute, so the order does not matter here, unlike (4.2). For ``t == u`` all ones (the identity).
    """
    f = Shapes().array("f", f, "T B H")
    T = f.shape[0]
    if not (isinstance(t, (int, np.integer)) and isinstance(u, (int, np.integer)) and 0 <= u <= t <= T):
        raise ValueError(f"t and u must be integers with 0 <= u <= t <= T = {T}, got t={t!r}, u={u!r}")
    return np.prod(f[u:t], axis=0) if t > u else np.ones(f.shape[1:])  # f[u:t] holds f(u+1) ... f(t)
# --8<-- [end:cell_path]
