"""The LSTM with a forget gate: forward propagation and backpropagation through time.

Model (Hochreiter & Schmidhuber 1997 with the forget gate of Gers, Schmidhuber & Cummins 2000; no peepholes),
in the letters of Goodfellow et al. §10.10 so that nothing clashes with the logits o(t) or the output bias c.
Our equation ids (Part 5) in brackets::

    z(t) = tanh (b_z + W_z h(t-1) + U_z x(t))     block input                   (5.1)
    g(t) = sigma(b_g + W_g h(t-1) + U_g x(t))     input gate                    (5.2)
    f(t) = sigma(b_f + W_f h(t-1) + U_f x(t))     forget gate                   (5.3)
    q(t) = sigma(b_q + W_q h(t-1) + U_q x(t))     output gate                   (5.4)
    s(t) = f(t) * s(t-1) + g(t) * z(t)            cell state (* is elementwise) (5.5)
    h(t) = q(t) * tanh(s(t))                      hidden state                  (5.6)
    o(t) = c + V h(t),  L = sum_t -log softmax(o(t))[y(t)]                      (5.7)

The pre-activations are a_z(t), a_g(t), a_f(t), a_q(t) (the arguments of tanh and sigma above); the deltas
of the backward pass are dL/da_z(t) ... dL/da_q(t), called ``da_z`` ... ``da_q`` in the code.

Arrays are batched and time-major, one sample per row (so ``W_z h(t-1)`` is ``h_prev @ W_z.T``)::

    x : (T, B, D)   inputs             y : (T, B) int   targets in [0, K)
    h0: (B, H)      h(0)               s0: (B, H)       s(0)  (the cell state; PyTorch calls it c0)

Parameters live in a dict keyed by symbol: ``U_* (H, D)``, ``W_* (H, H)``, ``b_* (H,)`` for the four
gates * = z, g, f, q, then ``V (K, H)`` and ``c (K,)``. The computation stacks the four gates (in the order
z, g, f, q) into one ``(4H, D)``, one ``(4H, H)`` matrix and one ``4H`` vector, so that each step costs one
matrix product for the recurrent part and the input part of all T steps is one product; the dict stays keyed
per gate. As in :mod:`gentle_rnn.rnn`, arrays ``hs`` and ``ss`` of shape (T + 1, B, H) hold h(0) ... h(T)
and s(0) ... s(T), so that ``hs[t]`` *is* h(t).

Public functions
----------------
init_params(D, H, K, rng=None, scale=1.0, forget_bias=1.0)   a parameter dict
forward(params, x, h0, s0) -> (h, s)               hidden and cell states (T, B, H), equations (5.1)-(5.6)
loss(params, x, y, h0, s0) -> float                the summed cross-entropy (5.7)
loss_and_grads(params, x, y, h0, s0)               loss and every gradient (PARAM_KEYS + h0, s0), (5.8)-(5.16)
backward(params, x, h0, s0, dh_out)                BPTT given any dL/dh(t) from outside the recurrence
cell_state_grads(params, x, y, h0, s0)             the total dL/ds(t) of equation (5.10), every t
hidden_state_grads(params, x, y, h0, s0)           the total dL/dh(t) of equation (5.9), every t
step_jacobians(params, x, h0, s0)                  d(h(t), s(t)) / d(h(t-1), s(t-1)) for every t: (5.17)-(5.18)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import readout
from ._checks import Shapes, gate_params, positive_int, real_number
from .functional import sigmoid_grad_from_output, tanh_grad_from_output

#: The gates in the order in which the computation stacks them.
GATES = ("z", "g", "f", "q")
#: The parameter names, in the order used everywhere (dicts, tables, tests).
PARAM_KEYS = tuple(f"{kind}_{gate}" for gate in GATES for kind in ("U", "W", "b")) + ("V", "c")
#: The keys of the gradient dict returned by :func:`loss_and_grads`.
GRAD_KEYS = PARAM_KEYS + ("h0", "s0")


# ----------------------------------------------------------------------------------------------------------------
# parameters and input validation


def init_params(
    D: int, H: int, K: int, rng=None, scale: float = 1.0, forget_bias: float = 1.0
) -> dict[str, np.ndarray]:
    """A parameter dict for inputs of size D, H cells and K classes.

    Weight matrices get independent normal entries with standard deviation ``scale / sqrt(fan_in)`` (``U_*``:
    fan_in D; ``W_*`` and ``V``: fan_in H). Biases start at zero except the forget gate's, ``b_f``, which
    starts at ``forget_bias`` (default +1): then f(t) = sigma(1 + ...) is near 0.73 at the start, the cell
    keeps most of its content and its gradient (equation 5.17) from the first update on. Starting with the
    forget gates open goes back to Gers, Schmidhuber & Cummins (2000); Jozefowicz, Zaremba & Sutskever (2015)
    found that a forget-gate bias of 1 closes the gap between the LSTM and the GRU on most of their tasks.
    ``forget_bias=0`` gives the plain zero init. ``rng`` is ``None`` (fresh entropy), an ``int`` seed or a
    ``numpy.random.Generator``.

    Returns a dict with the keys :data:`PARAM_KEYS`: ``U_* (H, D)``, ``W_* (H, H)``, ``b_* (H,)``,
    ``V (K, H)``, ``c (K,)``, all float64.
    """
    D, H, K = positive_int("D", D), positive_int("H", H), positive_int("K", K)
    scale = real_number("scale", scale, minimum=0.0)
    if isinstance(forget_bias, bool) or not isinstance(forget_bias, (int, float)) or not np.isfinite(forget_bias):
        raise ValueError(f"forget_bias must be a finite number, got {forget_bias!r}")
    rng = np.random.default_rng(rng)
    params: dict[str, np.ndarray] = {}
    for gate in GATES:
        params[f"U_{gate}"] = rng.normal(0.0, scale / np.sqrt(D), size=(H, D))
        params[f"W_{gate}"] = rng.normal(0.0, scale / np.sqrt(H), size=(H, H))
        params[f"b_{gate}"] = np.full(H, float(forget_bias) if gate == "f" else 0.0)
    params["V"] = rng.normal(0.0, scale / np.sqrt(H), size=(K, H))
    params["c"] = np.zeros(K)
    return params


def _validate(params, x, h0, s0, y=None):
    """Check every argument; return float64 parameters, x, h0, s0 and int64 y (or None).

    ``W_z`` is checked first because it is square: it fixes H without ambiguity, so that a transposed ``U_*``
    is reported as that array's fault.
    """
    s = Shapes()
    p = _check_params(params, s)
    x = s.array("x", x, "T B D")
    h0 = s.array("h0", h0, "B H")
    s0 = s.array("s0", s0, "B H")
    if y is not None:
        y = s.targets("y", y, "T B", s.dims["K"])
    return p, x, h0, s0, y


def _check_params(params, s: Shapes) -> dict[str, np.ndarray]:
    """Check the parameter dict against the shapes bound in ``s`` (binding D, H, K); return float64 copies."""
    return gate_params(params, s, PARAM_KEYS, GATES)


def _stacked(p: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The four gates' parameters stacked in the order z, g, f, q: ``U (4H, D)``, ``W (4H, H)``, ``b (4H,)``."""
    U = np.concatenate([p[f"U_{gate}"] for gate in GATES])  # (4H, D)
    W = np.concatenate([p[f"W_{gate}"] for gate in GATES])  # (4H, H)
    b = np.concatenate([p[f"b_{gate}"] for gate in GATES])  # (4H,)
    return U, W, b


def _sigmoid_into(a: np.ndarray, out: np.ndarray) -> None:
    """Write sigma(a) = 1 / (1 + exp(-a)) into ``out``: one exp and no temporary array.

    Equal to :func:`gentle_rnn.functional.sigmoid` up to rounding, and about a third faster, which counts in
    the loop over time. Where a < -709, exp(-a) overflows to inf and 1 / inf gives 0, the correctly rounded
    value; the overflow is expected and not reported.
    """
    np.negative(a, out=out)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1.0
    np.reciprocal(out, out=out)


def _split(stacked: np.ndarray, H: int) -> tuple[np.ndarray, ...]:
    """Views of the four gate blocks (z, g, f, q) of the last axis of a ``(..., 4H)`` array."""
    return tuple(stacked[..., k * H : (k + 1) * H] for k in range(4))


# ----------------------------------------------------------------------------------------------------------------
# forward propagation


class Trace(NamedTuple):
    """What the forward pass keeps for the backward pass (1-based time in ``hs`` and ``ss``).

    ``hs``, ``ss``: (T + 1, B, H) with ``hs[t] = h(t)``, ``ss[t] = s(t)``; ``gates``: (T, B, 4H) with
    ``gates[t - 1] = [z(t) | g(t) | f(t) | q(t)]``; ``tanh_s``: (T, B, H) with ``tanh_s[t - 1] = tanh(s(t))``.
    """

    hs: np.ndarray
    ss: np.ndarray
    gates: np.ndarray
    tanh_s: np.ndarray


# --8<-- [start:forward]
def _forward(p: dict, x: np.ndarray, h0: np.ndarray, s0: np.ndarray) -> Trace:
    """Equations (5.1)-(5.6) for every step, the four gates computed together."""
    T, B, _ = x.shape
    H = h0.shape[1]
    U, W, b = _stacked(p)  # (4H, D), (4H, H), (4H,)  gate blocks in the order z, g, f, q
    xU_b = (x.reshape(T * B, -1) @ U.T + b).reshape(T, B, 4 * H)  # the part of every pre-activation that
    # does not depend on the past, for all steps in one matrix product
    hs = np.empty((T + 1, B, H))  # hs[t] is h(t)
    ss = np.empty((T + 1, B, H))  # ss[t] is s(t)
    gates = np.empty((T, B, 4 * H))  # gates[t - 1] is [z(t) | g(t) | f(t) | q(t)]
    tanh_s = np.empty((T, B, H))  # tanh_s[t - 1] is tanh(s(t))
    hs[0], ss[0] = h0, s0
    for t in range(1, T + 1):
        a = xU_b[t - 1] + hs[t - 1] @ W.T  # (B, 4H)  [a_z | a_g | a_f | a_q] = b + W h(t-1) + U x(t)
        z, g, f, q = _split(gates[t - 1], H)  # (B, H) views into gates, filled here:
        np.tanh(a[:, :H], out=z)  # z(t) = tanh(a_z(t))                                                  (5.1)
        _sigmoid_into(a[:, H:], out=gates[t - 1, :, H:])  # [g | f | q](t) = sigma([a_g | a_f | a_q](t))  (5.2)-(5.4)
        ss[t] = f * ss[t - 1] + g * z  # s(t) = f(t) * s(t-1) + g(t) * z(t)                             (5.5)
        np.tanh(ss[t], out=tanh_s[t - 1])
        np.multiply(q, tanh_s[t - 1], out=hs[t])  # h(t) = q(t) * tanh(s(t))                           (5.6)
    return Trace(hs, ss, gates, tanh_s)
# --8<-- [end:forward]


def forward(params: dict, x, h0, s0) -> tuple[np.ndarray, np.ndarray]:
    """Hidden and cell states of the LSTM, equations (5.1)-(5.6).

    ``x``: (T, B, D), ``h0``, ``s0``: (B, H). Returns ``(h, s)``, each (T, B, H), with ``h[t - 1] = h(t)`` and
    ``s[t - 1] = s(t)`` for t = 1 ... T. The output layer (5.7) is :func:`gentle_rnn.readout.forward`.
    """
    p, x, h0, s0, _ = _validate(params, x, h0, s0)
    tr = _forward(p, x, h0, s0)
    return tr.hs[1:], tr.ss[1:]


def loss(params: dict, x, y, h0, s0) -> float:
    """The summed cross-entropy L = sum_t sum_batch L(t), equations (5.1)-(5.7)."""
    p, x, h0, s0, y = _validate(params, x, h0, s0, y)
    tr = _forward(p, x, h0, s0)
    value, _ = readout.forward(p["V"], p["c"], tr.hs[1:], y)  # (5.7)
    return value


# ----------------------------------------------------------------------------------------------------------------
# backpropagation through time


# --8<-- [start:backward]
def _backward(p: dict, x: np.ndarray, tr: Trace, dh_out: np.ndarray):
    """BPTT through the LSTM, equations (5.9)-(5.16), given ``dh_out[t - 1] = V^T dL/do(t)``.

    Returns ``(grads, dh, ds, da)``: ``grads`` with the gate keys and ``h0``, ``s0``; ``dh[t - 1]``,
    ``ds[t - 1]`` (T, B, H) the total dL/dh(t) of (5.9) and dL/ds(t) of (5.10); ``da`` (T, B, 4H) the deltas.
    """
    T, B, H = dh_out.shape
    _, W, _ = _stacked(p)  # (4H, H)
    da = np.empty((T, B, 4 * H))  # da[t - 1] = [dL/da_z(t) | dL/da_g(t) | dL/da_f(t) | dL/da_q(t)]
    dh = np.empty((T, B, H))  # total dL/dh(t)
    ds = np.empty((T, B, H))  # total dL/ds(t)
    dh_next = np.zeros((B, H))  # what h(t) receives from step t + 1: zero after the last step
    ds_next = np.zeros((B, H))  # what s(t) receives from s(t + 1): zero after the last step
    for t in range(T, 0, -1):
        i = t - 1  # arrays without a slot for t = 0 hold step t at index t - 1
        z, g, f, q = _split(tr.gates[i], H)  # (B, H) each
        da_z, da_g, da_f, da_q = _split(da[i], H)  # (B, H) views into da, filled below
        tanh_s = tr.tanh_s[i]
        dh[i] = dh_out[i] + dh_next  # dL/dh(t) = V^T dL/do(t) + dh_next                                (5.9)
        ds[i] = dh[i] * q * tanh_grad_from_output(tanh_s) + ds_next  # through h(t) + through s(t+1)    (5.10)
        da_q[:] = dh[i] * tanh_s * sigmoid_grad_from_output(q)  # dL/da_q(t)                          (5.11)
        da_z[:] = ds[i] * g * tanh_grad_from_output(z)  # dL/da_z(t)                                    (5.12)
        da_g[:] = ds[i] * z * sigmoid_grad_from_output(g)  # dL/da_g(t)                                 (5.13)
        da_f[:] = ds[i] * tr.ss[i] * sigmoid_grad_from_output(f)  # dL/da_f(t), with s(t-1) = ss[t-1]  (5.14)
        ds_next = ds[i] * f  # sent to s(t-1) along the cell path: f(t) * dL/ds(t)                       (5.10)
        dh_next = da[i] @ W  # (B, H) sent to h(t-1): W_z^T da_z + W_g^T da_g + W_f^T da_f + W_q^T da_q (5.9)
    grads = _parameter_sums(da, x, tr.hs)  # (5.15)
    grads["h0"] = dh_next  # dL/dh(0) = sum_* W_*^T dL/da_*(1)                                        (5.16)
    grads["s0"] = ds_next  # dL/ds(0) = f(1) * dL/ds(1)                                               (5.16)
    return grads, dh, ds, da
# --8<-- [end:backward]


# --8<-- [start:sums]
def _parameter_sums(da: np.ndarray, x: np.ndarray, hs: np.ndarray) -> dict[str, np.ndarray]:
    """The sums over time and batch of equation (5.15), all four gates in one matrix product each."""
    H, D = hs.shape[2], x.shape[2]
    da_flat = da.reshape(-1, 4 * H)  # (T*B, 4H): the sums over t and over the batch are one sum
    dU = da_flat.T @ x.reshape(-1, D)  # (4H, D)   dL/dU_* = sum_t dL/da_*(t) x(t)^T
    dW = da_flat.T @ hs[:-1].reshape(-1, H)  # (4H, H)   dL/dW_* = sum_t dL/da_*(t) h(t-1)^T
    db = da_flat.sum(axis=0)  # (4H,)     dL/db_* = sum_t dL/da_*(t)
    grads = {}
    for k, gate in enumerate(GATES):  # rows k H ... (k + 1) H - 1 of the stacked gradients belong to gate k
        rows = slice(k * H, (k + 1) * H)
        grads[f"U_{gate}"], grads[f"W_{gate}"], grads[f"b_{gate}"] = dU[rows], dW[rows], db[rows]
    return grads
# --8<-- [end:sums]


def backward(params: dict, x, h0, s0, dh_out) -> tuple[dict, np.ndarray, np.ndarray]:
    """BPTT through the recurrence for any loss that reaches the LSTM through its hidden states.

    ``dh_out``: (T, B, H), the part of dL/dh(t) that comes from outside the recurrence at step t (for our
    output layer, V^T dL/do(t), ``readout.backward``'s third result; for a loss at the last step only, zero
    except at t = T). The forward pass is recomputed from ``params, x, h0, s0``.

    Returns ``(grads, dh, ds)``: ``grads`` with the keys ``U_* W_* b_*`` (five-fold ``*``) and ``h0``,
    ``s0`` (equations (5.15)-(5.16)); ``dh``, ``ds`` (T, B, H), the total dL/dh(t) (5.9) and dL/ds(t) (5.10).
    """
    p, x, h0, s0, _ = _validate(params, x, h0, s0)
    dh_out = Shapes(T=x.shape[0], B=x.shape[1], H=h0.shape[1]).array("dh_out", dh_out, "T B H")
    grads, dh, ds, _ = _backward(p, x, _forward(p, x, h0, s0), dh_out)
    return grads, dh, ds


# --8<-- [start:loss_and_grads]
def loss_and_grads(params: dict, x, y, h0, s0) -> tuple[float, dict]:
    """The summed loss and every gradient: keys :data:`GRAD_KEYS`, each shaped like its parameter.

    Forward (5.1)-(5.7), then backward: output layer (5.8) in :mod:`gentle_rnn.readout`, the recurrence
    (5.9)-(5.14) and the sums (5.15)-(5.16) in :func:`_backward`.
    """
    p, x, h0, s0, y = _validate(params, x, h0, s0, y)
    tr = _forward(p, x, h0, s0)  # (5.1)-(5.6)
    L, do = readout.forward(p["V"], p["c"], tr.hs[1:], y)  # do: (T, B, K) = y_hat(t) - onehot(y(t))  (5.8)
    dV, dc, dh_out = readout.backward(p["V"], tr.hs[1:], do)  # dh_out: (T, B, H) = V^T dL/do(t)       (5.8)
    grads, _, _, _ = _backward(p, x, tr, dh_out)
    grads["V"], grads["c"] = dV, dc
    return L, {k: grads[k] for k in GRAD_KEYS}
# --8<-- [end:loss_and_grads]


def _state_grads(params, x, y, h0, s0):
    p, x, h0, s0, y = _validate(params, x, h0, s0, y)
    tr = _forward(p, x, h0, s0)
    _, do = readout.forward(p["V"], p["c"], tr.hs[1:], y)
    _, _, dh_out = readout.backward(p["V"], tr.hs[1:], do)
    _, dh, ds, _ = _backward(p, x, tr, dh_out)
    return dh, ds


def cell_state_grads(params: dict, x, y, h0, s0) -> np.ndarray:
    """The total gradient dL/ds(t) for t = 1 ... T, equation (5.10): (T, B, H), ``out[t - 1]`` at s(t).

    It collects the path through h(t) (the loss at step t and everything that h(t) feeds) and the path
    through s(t + 1), which multiplies by f(t + 1) and nothing else (5.17). dL/ds(0) is
    ``loss_and_grads(...)[1]["s0"]``.
    """
    return _state_grads(params, x, y, h0, s0)[1]


def hidden_state_grads(params: dict, x, y, h0, s0) -> np.ndarray:
    """The total gradient dL/dh(t) for t = 1 ... T, equation (5.9): (T, B, H), ``out[t - 1]`` at h(t)."""
    return _state_grads(params, x, y, h0, s0)[0]


# ----------------------------------------------------------------------------------------------------------------
# one-step Jacobians (for Part 4's comparison with the simple RNN)


def step_jacobians(params: dict, x, h0, s0) -> dict[str, np.ndarray]:
    """The Jacobians of the state (h(t), s(t)) with respect to the previous state (h(t-1), s(t-1)), every t.

    Returns a dict of arrays indexed ``[t - 1, batch]``:

    * ``"cell_path"``: (T, B, H), the diagonal f(t) of ds(t)/ds(t-1) with h(t-1) held fixed, the cell path
      alone: equation (5.17), the constant error carousel when f(t) = 1.
    * ``"ds_ds"``, ``"ds_dh"``, ``"dh_ds"``, ``"dh_dh"``: (T, B, H, H), the four blocks of the full one-step
      Jacobian, equation (5.18): ``ds_dh[t-1, n, i, j] = ds_i(t) / dh_j(t-1)`` for sample n, and so on.
      ``ds_ds`` is ``diag(f(t))``: s(t-1) enters s(t) only through the cell path.

    The total derivative ds(t)/ds(t-1) of the recurrence, with h(t-1) = q(t-1) tanh(s(t-1)) moving as well,
    is ``ds_ds + ds_dh @ diag(q(t-1) (1 - tanh^2 s(t-1)))``; Part 4 compares these with the simple RNN's
    diag(1 - h(t)^2) W.
    """
    p, x, h0, s0, _ = _validate(params, x, h0, s0)
    tr = _forward(p, x, h0, s0)
    T, B, H = tr.tanh_s.shape
    z, g, f, q = _split(tr.gates, H)  # (T, B, H) each
    s_prev = tr.ss[:-1]  # (T, B, H)  s(t-1)
    # d a_*(t) / d h(t-1) = W_*; the gates multiply it row by row (a diag(v) W is v[:, None] * W)
    ds_dh = (
        (g * tanh_grad_from_output(z))[..., None] * p["W_z"]
        + (z * sigmoid_grad_from_output(g))[..., None] * p["W_g"]
        + (s_prev * sigmoid_grad_from_output(f))[..., None] * p["W_f"]
    )  # (T, B, H, H)
    dh_ds_own = q * tanh_grad_from_output(tr.tanh_s)  # (T, B, H): dh(t)/ds(t) = diag(q(t) (1 - tanh^2 s(t)))
    dh_dh = (tr.tanh_s * sigmoid_grad_from_output(q))[..., None] * p["W_q"] + dh_ds_own[..., None] * ds_dh
    eye = np.eye(H)
    return {
        "cell_path": f.copy(),
        "ds_ds": f[..., None] * eye,  # diag(f(t))
        "ds_dh": ds_dh,
        "dh_ds": (dh_ds_own * f)[..., None] * eye,  # diag(q(t) (1 - tanh^2 s(t)) f(t))
        "dh_dh": dh_dh,
    }


# ----------------------------------------------------------------------------------------------------------------
# the same LSTM in PyTorch's layout (the notation table, made executable)

#: PyTorch's ``nn.LSTM`` stacks its gates in the order i, f, g, o, which in our letters is g, f, z, q.
PYTORCH_GATE_ORDER = ("g", "f", "z", "q")


def pytorch_layout(params: dict) -> dict[str, np.ndarray]:
    """Our parameters in the layout of ``torch.nn.LSTM(D, H)`` followed by ``torch.nn.Linear(H, K)``.

    ``weight_ih_l0`` (4H, D) stacks U_g, U_f, U_z, U_q (PyTorch's W_ii, W_if, W_ig, W_io); ``weight_hh_l0``
    (4H, H) stacks W_g, W_f, W_z, W_q; PyTorch adds two biases, so ``bias_ih_l0`` gets b_g, b_f, b_z, b_q and
    ``bias_hh_l0`` zeros; ``weight`` and ``bias`` (the Linear layer) are V and c. PyTorch's initial cell state
    ``c0`` is our s0.
    """
    p = _check_params(params, Shapes())
    stack = lambda kind: np.concatenate([p[f"{kind}_{gate}"] for gate in PYTORCH_GATE_ORDER])  # noqa: E731
    return {
        "weight_ih_l0": stack("U"),
        "weight_hh_l0": stack("W"),
        "bias_ih_l0": stack("b"),
        "bias_hh_l0": np.zeros_like(stack("b")),
        "weight": p["V"].copy(),
        "bias": p["c"].copy(),
    }
