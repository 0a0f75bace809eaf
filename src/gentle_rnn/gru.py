"""The gated recurrent unit (GRU): forward propagation and back propagation through time.

Model (Cho et al. 2014), in letters that keep one meaning across the site (the LSTM already has z, and
Part 1 has r): the update gate is zeta, the reset gate rho, the candidate state h_tilde. Our equation ids
(Part 6) in brackets::

    zeta(t)    = sigma(b_zeta + W_zeta h(t-1) + U_zeta x(t))     update gate                      (6.1)
    rho(t)     = sigma(b_rho  + W_rho  h(t-1) + U_rho  x(t))     reset gate                       (6.2)
    h_tilde(t) = tanh (b_h + W_h (rho(t) * h(t-1)) + U_h x(t))   candidate, reset="before"        (6.3)
    h_tilde(t) = tanh (b_h + rho(t) * (W_h h(t-1)) + U_h x(t))   candidate, reset="after"         (6.3')
    h(t) = mu(t) * h(t-1) + (1 - mu(t)) * h_tilde(t)             new state (* is elementwise)     (6.4)
    mu(t) = zeta(t)       update="keep"   (Cho et al. 2014, PyTorch: the gate keeps the old state)
    mu(t) = 1 - zeta(t)   update="write"  (Chung et al. 2014, minGRU: the gate writes the candidate)
    o(t) = c + V h(t),  L = sum_t -log softmax(o(t))[y(t)]                                       (6.5)

The two keyword arguments ``update`` and ``reset`` select the published conventions: Cho et al. is
``update="keep", reset="before"`` (the default), PyTorch's ``nn.GRU`` is ``update="keep", reset="after"``
(with its hidden-side bias of the candidate set to zero, see :func:`pytorch_layout`), Chung et al. is
``update="write", reset="before"``. mu(t) is the fraction of the old state kept: the direct path of the
gradient from h(t) to h(t-1) is diag(mu(t)) (6.14).

The pre-activations are a_zeta(t), a_rho(t), a_h(t); the deltas dL/da_*(t) are ``da_zeta``, ``da_rho``,
``da_h`` in the code. Arrays are batched and time-major, one sample per row::

    x : (T, B, D)   inputs     y : (T, B) int   targets in [0, K)     h0: (B, H)   h(0)

Parameters live in a dict keyed by symbol: ``U_* (H, D)``, ``W_* (H, H)``, ``b_* (H,)`` for * = zeta, rho,
h, then ``V (K, H)`` and ``c (K,)``. ``hs`` of shape (T + 1, B, H) holds h(0) ... h(T), so ``hs[t]`` is h(t).

Public functions
----------------
init_params(D, H, K, rng=None, scale=1.0)                  a parameter dict
forward(params, x, h0, *, update, reset) -> h              hidden states (T, B, H), equations (6.1)-(6.4)
loss(params, x, y, h0, *, update, reset) -> float          the summed cross-entropy (6.5)
loss_and_grads(params, x, y, h0, *, update, reset)         loss and every gradient, equations (6.6)-(6.13)
backward(params, x, h0, dh_out, *, update, reset)          BPTT given any dL/dh(t) from outside the recurrence
hidden_state_grads(params, x, y, h0, *, update, reset)     the total dL/dh(t) of equation (6.7), every t
step_jacobians(params, x, h0, *, update, reset)            dh(t)/dh(t-1) and its direct path, (6.14)-(6.15)
pytorch_layout(params)                                     the parameters in torch.nn.GRU's layout
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import readout
from ._checks import Shapes, gate_params, positive_int
from .functional import sigmoid_grad_from_output, tanh_grad_from_output

#: The gates (and the candidate, "h") in the order in which the computation stacks them.
GATES = ("zeta", "rho", "h")
#: The parameter names, in the order used everywhere (dicts, tables, tests).
PARAM_KEYS = tuple(f"{kind}_{gate}" for gate in GATES for kind in ("U", "W", "b")) + ("V", "c")
#: The keys of the gradient dict returned by :func:`loss_and_grads`.
GRAD_KEYS = PARAM_KEYS + ("h0",)
#: The accepted values of the two convention switches.
UPDATES = ("keep", "write")
RESETS = ("before", "after")


# ----------------------------------------------------------------------------------------------------------------
# parameters and input validation


def init_params(D: int, H: int, K: int, rng=None, scale: float = 1.0) -> dict[str, np.ndarray]:
    """A parameter dict for inputs of size D, H units and K classes.

    Weight matrices get independent normal entries with standard deviation ``scale / sqrt(fan_in)`` (``U_*``:
    fan_in D; ``W_*`` and ``V``: fan_in H); biases start at zero. ``rng`` is ``None``, an ``int`` seed or a
    ``numpy.random.Generator``. Returns a dict with the keys :data:`PARAM_KEYS`, all float64.
    """
    D, H, K = positive_int("D", D), positive_int("H", H), positive_int("K", K)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not np.isfinite(scale) or scale < 0:
        raise ValueError(f"scale must be a finite number >= 0, got {scale!r}")
    rng = np.random.default_rng(rng)
    params: dict[str, np.ndarray] = {}
    for gate in GATES:
        params[f"U_{gate}"] = rng.normal(0.0, scale / np.sqrt(D), size=(H, D))
        params[f"W_{gate}"] = rng.normal(0.0, scale / np.sqrt(H), size=(H, H))
        params[f"b_{gate}"] = np.zeros(H)
    params["V"] = rng.normal(0.0, scale / np.sqrt(H), size=(K, H))
    params["c"] = np.zeros(K)
    return params


def check_convention(update, reset) -> tuple[str, str]:
    """Check the two convention switches; return them."""
    if not isinstance(update, str) or update not in UPDATES:
        raise ValueError(f"update must be one of {UPDATES} ('keep': h = zeta h_prev + (1 - zeta) h_tilde, "
                         f"Cho et al. and PyTorch; 'write': h = (1 - zeta) h_prev + zeta h_tilde), got {update!r}")
    if not isinstance(reset, str) or reset not in RESETS:
        raise ValueError(f"reset must be one of {RESETS} ('before' the recurrent matrix, Cho et al.; 'after' it, "
                         f"PyTorch), got {reset!r}")
    return update, reset


def _check_params(params, s: Shapes) -> dict[str, np.ndarray]:
    """Check the parameter dict against the shapes bound in ``s``; return float64 copies.

    ``W_zeta`` is checked first because it is square: it fixes H, so that a transposed ``U_*`` is reported
    as that array's fault.
    """
    return gate_params(params, s, PARAM_KEYS, GATES)


def _validate(params, x, h0, y=None):
    s = Shapes()
    p = _check_params(params, s)
    x = s.array("x", x, "T B D")
    h0 = s.array("h0", h0, "B H")
    if y is not None:
        y = s.targets("y", y, "T B", s.dims["K"])
    return p, x, h0, y


# ----------------------------------------------------------------------------------------------------------------
# forward propagation


class Trace(NamedTuple):
    """What the forward pass keeps: ``hs`` (T + 1, B, H) with ``hs[t] = h(t)``; ``zeta``, ``rho``,
    ``h_tilde``, ``Wh_h`` (T, B, H) at index t - 1 for step t (``Wh_h`` = W_h h(t-1), kept for reset="after")."""

    hs: np.ndarray
    zeta: np.ndarray
    rho: np.ndarray
    h_tilde: np.ndarray
    Wh_h: np.ndarray


def _sigmoid(a: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp(-a) = inf for a < -709 gives 1 / inf = 0, the right value
        return 1.0 / (1.0 + np.exp(-a))


# --8<-- [start:forward]
def _forward(p: dict, x: np.ndarray, h0: np.ndarray, update: str, reset: str) -> Trace:
    """Equations (6.1)-(6.4) for every step."""
    T, B, D = x.shape
    H = h0.shape[1]
    xU_b = {g: (x.reshape(T * B, D) @ p[f"U_{g}"].T + p[f"b_{g}"]).reshape(T, B, H) for g in GATES}  # the parts
    # of the pre-activations that do not depend on the past, for all steps at once: b_* + U_* x(t)
    hs = np.empty((T + 1, B, H))  # hs[t] is h(t)
    zeta, rho, h_tilde, Wh_h = (np.empty((T, B, H)) for _ in range(4))  # index t - 1 holds step t
    hs[0] = h0
    for t in range(1, T + 1):
        i, h_prev = t - 1, hs[t - 1]
        zeta[i] = _sigmoid(xU_b["zeta"][i] + h_prev @ p["W_zeta"].T)  # update gate                   (6.1)
        rho[i] = _sigmoid(xU_b["rho"][i] + h_prev @ p["W_rho"].T)  # reset gate                       (6.2)
        if reset == "before":
            a_h = xU_b["h"][i] + (rho[i] * h_prev) @ p["W_h"].T  # b_h + W_h (rho * h(t-1)) + U_h x   (6.3)
        else:
            Wh_h[i] = h_prev @ p["W_h"].T  # W_h h(t-1)
            a_h = xU_b["h"][i] + rho[i] * Wh_h[i]  # b_h + rho * (W_h h(t-1)) + U_h x(t)              (6.3')
        h_tilde[i] = np.tanh(a_h)  # candidate
        mu = zeta[i] if update == "keep" else 1.0 - zeta[i]  # the fraction of the old state kept
        hs[t] = mu * h_prev + (1.0 - mu) * h_tilde[i]  # h(t) = mu * h(t-1) + (1 - mu) * h_tilde(t)   (6.4)
    return Trace(hs, zeta, rho, h_tilde, Wh_h)
# --8<-- [end:forward]


def forward(params: dict, x, h0, *, update: str = "keep", reset: str = "before") -> np.ndarray:
    """Hidden states of the GRU, equations (6.1)-(6.4): (T, B, H) with ``h[t - 1] = h(t)``."""
    update, reset = check_convention(update, reset)
    p, x, h0, _ = _validate(params, x, h0)
    return _forward(p, x, h0, update, reset).hs[1:]


def loss(params: dict, x, y, h0, *, update: str = "keep", reset: str = "before") -> float:
    """The summed cross-entropy L = sum_t sum_batch L(t), equations (6.1)-(6.5)."""
    update, reset = check_convention(update, reset)
    p, x, h0, y = _validate(params, x, h0, y)
    tr = _forward(p, x, h0, update, reset)
    value, _ = readout.forward(p["V"], p["c"], tr.hs[1:], y)  # (6.5)
    return value


# ----------------------------------------------------------------------------------------------------------------
# back propagation through time


# --8<-- [start:backward]
def _backward(p: dict, x: np.ndarray, tr: Trace, dh_out: np.ndarray, update: str, reset: str):
    """BPTT through the GRU, equations (6.7)-(6.13), given ``dh_out[t - 1] = V^T dL/do(t)``.

    Returns ``(grads, dh, da)``: ``grads`` with the keys U_*, W_*, b_* and h0; ``dh`` (T, B, H) the total
    dL/dh(t); ``da`` a dict of the deltas dL/da_zeta, dL/da_rho, dL/da_h, each (T, B, H).
    """
    T, B, H = dh_out.shape
    da = {g: np.empty((T, B, H)) for g in GATES}
    dh = np.empty((T, B, H))  # total dL/dh(t)
    dW_h = np.zeros((H, H))  # reset="before" sums over (rho * h(t-1)), not h(t-1): collected in the loop
    dh_next = np.zeros((B, H))  # what h(t) receives from step t + 1: zero after the last step
    sign = 1.0 if update == "keep" else -1.0  # d mu / d zeta
    for t in range(T, 0, -1):
        i, h_prev = t - 1, tr.hs[t - 1]
        zeta, rho, h_tilde = tr.zeta[i], tr.rho[i], tr.h_tilde[i]
        mu = zeta if update == "keep" else 1.0 - zeta
        dh[i] = dh_out[i] + dh_next  # dL/dh(t) = V^T dL/do(t) + what step t + 1 sends            (6.7)
        da["zeta"][i] = sign * dh[i] * (h_prev - h_tilde) * sigmoid_grad_from_output(zeta)  #          (6.8)
        da["h"][i] = dh[i] * (1.0 - mu) * tanh_grad_from_output(h_tilde)  # through h_tilde(t)        (6.9)
        if reset == "before":
            d_rh = da["h"][i] @ p["W_h"]  # dL/d(rho * h(t-1)) = W_h^T da_h
            da["rho"][i] = d_rh * h_prev * sigmoid_grad_from_output(rho)  #                           (6.10)
            via_candidate = d_rh * rho  # rho * W_h^T da_h
            dW_h += da["h"][i].T @ (rho * h_prev)  # da_h (rho * h(t-1))^T                         (6.12)
        else:
            da["rho"][i] = da["h"][i] * tr.Wh_h[i] * sigmoid_grad_from_output(rho)  #                 (6.10')
            via_candidate = (da["h"][i] * rho) @ p["W_h"]  # W_h^T (rho * da_h)
            dW_h += (da["h"][i] * rho).T @ h_prev  # (rho * da_h) h(t-1)^T                          (6.12')
        dh_next = (mu * dh[i] + da["zeta"][i] @ p["W_zeta"] + da["rho"][i] @ p["W_rho"]  # sent to h(t-1) (6.11)
                   + via_candidate)
    grads = _parameter_sums(da, x, tr.hs)  # (6.12)
    grads["W_h"] = dW_h
    grads["h0"] = dh_next  # dL/dh(0): what step 1 sends back                                     (6.13)
    return grads, dh, da
# --8<-- [end:backward]


def _parameter_sums(da: dict, x: np.ndarray, hs: np.ndarray) -> dict[str, np.ndarray]:
    """The sums over time and batch of equation (6.12) (all but dL/dW_h, which depends on the convention)."""
    H, D = hs.shape[2], x.shape[2]
    grads = {}
    for g in GATES:
        flat = da[g].reshape(-1, H)  # (T*B, H): the sums over t and over the batch are one sum
        grads[f"U_{g}"] = flat.T @ x.reshape(-1, D)  # dL/dU_* = sum_t dL/da_*(t) x(t)^T
        grads[f"W_{g}"] = flat.T @ hs[:-1].reshape(-1, H)  # dL/dW_* = sum_t dL/da_*(t) h(t-1)^T
        grads[f"b_{g}"] = flat.sum(axis=0)  # dL/db_* = sum_t dL/da_*(t)
    return grads


def backward(params: dict, x, h0, dh_out, *, update: str = "keep", reset: str = "before"):
    """BPTT through the recurrence for any loss that reaches the GRU through its hidden states.

    ``dh_out``: (T, B, H), the part of dL/dh(t) from outside the recurrence at step t. The forward pass is
    recomputed. Returns ``(grads, dh)``: ``grads`` with the keys ``U_* W_* b_*`` and ``h0``; ``dh`` (T, B, H)
    the total dL/dh(t) (6.7).
    """
    update, reset = check_convention(update, reset)
    p, x, h0, _ = _validate(params, x, h0)
    dh_out = Shapes(T=x.shape[0], B=x.shape[1], H=h0.shape[1]).array("dh_out", dh_out, "T B H")
    grads, dh, _ = _backward(p, x, _forward(p, x, h0, update, reset), dh_out, update, reset)
    return {k: grads[k] for k in GRAD_KEYS if k in grads}, dh


def _run(params, x, y, h0, update, reset):
    update, reset = check_convention(update, reset)
    p, x, h0, y = _validate(params, x, h0, y)
    tr = _forward(p, x, h0, update, reset)  # (6.1)-(6.4)
    L, do = readout.forward(p["V"], p["c"], tr.hs[1:], y)  # do = y_hat(t) - onehot(y(t))        (6.6)
    dV, dc, dh_out = readout.backward(p["V"], tr.hs[1:], do)  # dh_out = V^T dL/do(t)             (6.6)
    grads, dh, da = _backward(p, x, tr, dh_out, update, reset)
    grads["V"], grads["c"] = dV, dc
    return L, {k: grads[k] for k in GRAD_KEYS}, dh, da, tr


# --8<-- [start:loss_and_grads]
def loss_and_grads(params: dict, x, y, h0, *, update: str = "keep", reset: str = "before") -> tuple[float, dict]:
    """The summed loss and every gradient: keys :data:`GRAD_KEYS`, each shaped like its parameter.

    Forward (6.1)-(6.5), then backward: the output layer (6.6) in :mod:`gentle_rnn.readout`, the recurrence
    (6.7)-(6.11) and the sums (6.12)-(6.13) in :func:`_backward`.
    """
    L, grads, *_ = _run(params, x, y, h0, update, reset)
    return L, grads
# --8<-- [end:loss_and_grads]


def hidden_state_grads(params: dict, x, y, h0, *, update: str = "keep", reset: str = "before") -> np.ndarray:
    """The total gradient dL/dh(t) for t = 1 ... T, equation (6.7): (T, B, H), ``out[t - 1]`` at h(t)."""
    return _run(params, x, y, h0, update, reset)[2]


# ----------------------------------------------------------------------------------------------------------------
# one-step Jacobians: why the gradient survives


def step_jacobians(params: dict, x, h0, *, update: str = "keep", reset: str = "before") -> dict[str, np.ndarray]:
    """The Jacobian dh(t)/dh(t-1) for every t, and its direct path.

    Returns arrays indexed ``[t - 1, batch]``: ``"direct"`` (T, B, H), mu(t), the diagonal of the path that
    skips every weight matrix (6.15); ``"full"`` (T, B, H, H), ``full[t-1, n, i, j] = dh_i(t) / dh_j(t-1)``
    (6.14)::

        dh(t)/dh(t-1) = diag(mu) + diag(+-(h(t-1) - h_tilde) zeta (1 - zeta)) W_zeta
                        + diag((1 - mu)(1 - h_tilde^2)) d a_h(t) / d h(t-1)
        d a_h / d h(t-1) = W_h diag(rho) + W_h diag(h(t-1) rho (1 - rho)) W_rho        (reset="before")
                         = diag(rho) W_h + diag(W_h h(t-1) rho (1 - rho)) W_rho       (reset="after")

    with + for update="keep" and - for "write".
    """
    update, reset = check_convention(update, reset)
    p, x, h0, _ = _validate(params, x, h0)
    tr = _forward(p, x, h0, update, reset)
    zeta, rho, h_tilde, hp = tr.zeta, tr.rho, tr.h_tilde, tr.hs[:-1]  # (T, B, H) each
    mu = zeta if update == "keep" else 1.0 - zeta
    sign = 1.0 if update == "keep" else -1.0
    H = hp.shape[-1]
    W_h, W_rho, W_zeta = p["W_h"], p["W_rho"], p["W_zeta"]
    d_rho = sigmoid_grad_from_output(rho)
    if reset == "before":  # a_h = ... + W_h (rho * h): d/dh = W_h diag(rho) + W_h diag(h rho') W_rho
        da_h = W_h * rho[..., None, :] + np.einsum("ij,tbj,jk->tbik", W_h, hp * d_rho, W_rho)
    else:  # a_h = ... + rho * (W_h h): d/dh = diag(rho) W_h + diag((W_h h) rho') W_rho
        da_h = rho[..., None] * W_h + (tr.Wh_h * d_rho)[..., None] * W_rho
    full = (mu[..., None] * np.eye(H)
            + (sign * (hp - h_tilde) * sigmoid_grad_from_output(zeta))[..., None] * W_zeta
            + ((1.0 - mu) * tanh_grad_from_output(h_tilde))[..., None] * da_h)
    return {"direct": mu.copy(), "full": full}


# ----------------------------------------------------------------------------------------------------------------
# the same GRU in PyTorch's layout

#: PyTorch's ``nn.GRU`` stacks its gates in the order r, z, n, which in our letters is rho, zeta, h.
PYTORCH_GATE_ORDER = ("rho", "zeta", "h")


def pytorch_layout(params: dict) -> dict[str, np.ndarray]:
    """Our parameters in the layout of ``torch.nn.GRU(D, H)`` followed by ``torch.nn.Linear(H, K)``.

    PyTorch computes ``r = sigma(W_ir x + b_ir + W_hr h + b_hr)``, ``z = sigma(W_iz x + b_iz + W_hz h + b_hz)``,
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``: our ``update="keep",
    reset="after"`` with rho = r, zeta = z, h_tilde = n. ``weight_ih_l0`` (3H, D) stacks U_rho, U_zeta, U_h;
    ``weight_hh_l0`` (3H, H) stacks W_rho, W_zeta, W_h; ``bias_ih_l0`` gets b_rho, b_zeta, b_h and
    ``bias_hh_l0`` zeros (PyTorch's b_hn, which sits inside the reset product, has no counterpart here:
    Part 6, exercise 2); ``weight`` and ``bias`` (the Linear layer) are V and c.
    """
    p = _check_params(params, Shapes())
    stack = lambda kind: np.concatenate([p[f"{kind}_{g}"] for g in PYTORCH_GATE_ORDER])  # noqa: E731
    return {
        "weight_ih_l0": stack("U"),
        "weight_hh_l0": stack("W"),
        "bias_ih_l0": stack("b"),
        "bias_hh_l0": np.zeros_like(stack("b")),
        "weight": p["V"].copy(),
        "bias": p["c"].copy(),
    }


def from_pytorch_layout(layout: dict) -> dict[str, np.ndarray]:
    """The inverse of :func:`pytorch_layout` (also maps PyTorch's gradients back to our names).

    ``layout`` has the keys ``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``weight``, ``bias`` (a
    ``bias_hh_l0`` key, if present, is ignored: its gradient equals bias_ih_l0's for rho and zeta).
    """
    needed = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "weight", "bias")
    missing = [k for k in needed if k not in layout]
    if missing:
        raise ValueError(f"layout must have the keys {list(needed)}; missing {missing}")
    W_hh = np.asarray(layout["weight_hh_l0"], float)
    if W_hh.ndim != 2 or W_hh.shape[0] != 3 * W_hh.shape[1]:
        raise ValueError(f"layout['weight_hh_l0'] must have shape (3H, H), got {W_hh.shape}")
    H = W_hh.shape[1]
    out = {}
    for kind, key in (("U", "weight_ih_l0"), ("W", "weight_hh_l0"), ("b", "bias_ih_l0")):
        arr = np.asarray(layout[key], float)
        for k, g in enumerate(PYTORCH_GATE_ORDER):  # row block k of PyTorch's stack is our gate g
            out[f"{kind}_{g}"] = arr[k * H : (k + 1) * H].copy()
    out["V"], out["c"] = np.asarray(layout["weight"], float).copy(), np.asarray(layout["bias"], float).copy()
    return {k: out[k] for k in PARAM_KEYS}
