"""What the interactive figures of Parts 3, 4 and 5 show, computed in Python by the package's own code.

The figures compute their numbers in the browser (``docs/javascripts/interactive/core.js``) from the
parameters of their page. This module computes the same numbers with :mod:`gentle_rnn.rnn`,
:mod:`gentle_rnn.lstm` and :mod:`gentle_rnn.vanishing`: ``tests/test_site_interactive.py`` drives every
control of every figure and compares what the page exposes with these functions (1e-9 relative), and the
static figures shown without JavaScript (``gentle_rnn.figures.interactive``) are drawn from them.

Where a figure needs a random network, both sides draw it from the same generator, :class:`Mulberry32`
(a 32-bit generator small enough to write identically in JavaScript and Python) with normals by Box-Muller.

Public functions
----------------
Mulberry32(seed)                                  uniform numbers in [0, 1), bit for bit as core.js
bptt_steps(truncate=None)                         Part 3: every quantity of the BPTT stepper, step by step
lag_network(seed, H, T, lambda_1, kind, activation)  Part 4: the random network (W, inputs, loss direction)
lag_data(seed, H, T, lambda_1, kind, activation, threshold)  Part 4: Jacobian norms by lag, bound, clipping
carousel_data(forget_bias, T, step)               Part 5: the LSTM cell path against the gates and the RNN
"""

from __future__ import annotations

import math

import numpy as np

from . import lstm, readout, rnn, vanishing
from ._checks import positive_int
from .functional import sigmoid, sigmoid_grad_from_output, tanh_grad_from_output

_MASK = 0xFFFFFFFF


# ----------------------------------------------------------------------------------------------------------------
# the generator shared with the browser


class Mulberry32:
    """Tommy Ettinger's mulberry32: a 32-bit state, one uniform number in [0, 1) per call.

    Written with the same integer operations as ``mulberry32`` in ``core.js`` (JavaScript's ``Math.imul`` is
    a product modulo 2^32), so a seed gives the same numbers, bit for bit, in both languages.
    """

    def __init__(self, seed: int) -> None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= _MASK:
            raise ValueError(f"seed must be an integer in [0, 2**32), got {seed!r}")
        self.state = int(seed)

    def uniform(self) -> float:
        self.state = (self.state + 0x6D2B79F5) & _MASK
        t = self.state
        t = ((t ^ (t >> 15)) * (t | 1)) & _MASK
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & _MASK)) & _MASK
        return ((t ^ (t >> 14)) & _MASK) / 4294967296.0

    def normal(self) -> float:
        """One standard normal number by Box-Muller (two uniforms; the sine half is not used)."""
        u1 = 1.0 - self.uniform()  # in (0, 1]: the logarithm is finite
        u2 = self.uniform()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def normals(self, *shape: int) -> np.ndarray:
        """An array of standard normals, filled in C (row-major) order."""
        n = int(np.prod(shape))
        return np.array([self.normal() for _ in range(n)]).reshape(shape)


# ----------------------------------------------------------------------------------------------------------------
# Part 3: the BPTT stepper on the worked example of Part 2


def bptt_steps(truncate: int | None = None) -> list[dict]:
    """The backward pass of Part 2's worked example as the stepper shows it, one dict per position.

    Position 0: nothing computed yet. Position p = 1 ... T: step t = T - p + 1 is done, with keys ``t``,
    ``do`` (3.1), ``from_output`` (V^T dL/do(t)), ``from_future`` (W^T delta(t+1), only the kept shares),
    ``dh`` (3.3), ``delta`` (3.4), and the running sums over the steps done so far ``dW`` (3.8), ``dU``
    (3.9), ``db`` (3.7), ``dV`` (3.6), ``dc`` (3.5). Position T + 1 adds ``dh0`` (3.10). With ``truncate=tau``
    every quantity is the truncated one of (3.11)-(3.12) (from :func:`gentle_rnn.rnn.backward`).
    """
    from .figures.part2 import worked_example_inputs

    params, x, y, h0 = worked_example_inputs()
    truncate = positive_int("truncate", truncate, allow_none=True)
    h = rnn.forward(params, x, h0)  # (T, 1, H)
    T = h.shape[0]
    _, do = readout.forward(params["V"], params["c"], h, y)  # (T, 1, K)  (3.1)
    _, _, from_output = readout.backward(params["V"], h, do)  # (T, 1, H)  V^T dL/do(t)
    grads, dh = rnn.backward(params, x, h0, h, from_output, truncate=truncate)  # (T, 1, H)  (3.3)
    delta = tanh_grad_from_output(h) * dh  # (3.4)
    h_prev = np.concatenate([h0[None], h[:-1]])  # (T, 1, H)  h(t-1)
    steps = [{"position": 0}]
    sums = {"dW": 0.0, "dU": 0.0, "db": 0.0, "dV": 0.0, "dc": 0.0}
    for t in range(T, 0, -1):
        i = t - 1
        sums = {
            "dW": sums["dW"] + delta[i].T @ h_prev[i],  # (H, H)
            "dU": sums["dU"] + delta[i].T @ x[i],  # (H, D)
            "db": sums["db"] + delta[i][0],  # (H,)
            "dV": sums["dV"] + do[i].T @ h[i],  # (K, H)
            "dc": sums["dc"] + do[i][0],  # (K,)
        }
        steps.append({"position": T - t + 1, "t": t, "do": do[i, 0], "from_output": from_output[i, 0],
                      "from_future": dh[i, 0] - from_output[i, 0], "dh": dh[i, 0], "delta": delta[i, 0],
                      **sums})
    steps.append({**steps[-1], "position": T + 1, "dh0": grads["h0"][0]})
    return steps


# ----------------------------------------------------------------------------------------------------------------
# Part 4: the gradient against the lag


def lag_network(seed: int, H: int, T: int, lambda_1: float, kind: str, activation: str) -> dict:
    """The random network of the Part 4 figure, drawn from :class:`Mulberry32`.

    In this order: G (H, H) standard normal, row by row; the inputs e(t) = U x(t) for t = 1 ... T, each H
    numbers N(0, 0.1^2) (the input term is drawn directly, U = I); the direction v (H,) of dL/dh(T), normalised.
    W is ``lambda_1 Q`` (Q the orthogonal factor of G with a positive diagonal in R) or G rescaled to
    lambda_1, as :func:`gentle_rnn.vanishing.recurrent_matrix`. ``activation``: ``"tanh"`` or ``"sigmoid"``.
    """
    H, T = positive_int("H", H), positive_int("T", T)
    if activation not in ("tanh", "sigmoid"):
        raise ValueError(f"activation must be 'tanh' or 'sigmoid', got {activation!r}")
    rng = Mulberry32(seed)
    G = rng.normals(H, H)
    e = 0.1 * rng.normals(T, 1, H)  # (T, B=1, H)
    v = rng.normals(H)
    W = vanishing.recurrent_matrix_from_gaussian(G, lambda_1, kind)
    return {"W": W, "e": e, "v": v / np.linalg.norm(v), "activation": activation}


def _states(W, e, activation):
    """h(1) ... h(T) from h(0) = 0, and the activation's slopes d(t) = phi'(a(t)): each (T, 1, H)."""
    T, B, H = e.shape
    h0 = np.zeros((B, H))
    if activation == "tanh":  # the simple RNN of the package, with U = I and x(t) = e(t)
        params = {"U": np.eye(H), "W": W, "b": np.zeros(H), "V": np.zeros((1, H)), "c": np.zeros(1)}
        h = rnn.forward(params, e, h0)
        return h, tanh_grad_from_output(h)
    h = np.empty((T, B, H))
    prev = h0
    for t in range(T):
        prev = h[t] = sigmoid(prev @ W.T + e[t])  # h(t) = sigma(W h(t-1) + e(t))
    return h, sigmoid_grad_from_output(h)


def lag_data(seed: int, H: int, T: int, lambda_1: float, kind: str, activation: str,
             threshold: float | None) -> dict:
    """Everything the Part 4 figure shows for one setting of its controls.

    ``norms[lag]`` = ||dh(T)/dh(T - lag)||_2 (4.2), lag = 0 ... T (:func:`vanishing.jacobian_norms_by_lag`);
    ``bound[lag]`` = (gamma lambda_1)^lag (4.5)-(4.6), gamma = 1 for tanh and 1/4 for the sigmoid;
    ``grad_norm`` = ||dL/dW||_F for a loss at the last step with dL/dh(T) = v; ``clipped_norm`` and ``scale``:
    the same gradient after norm clipping at ``threshold`` (None: no clipping), Pascanu et al.'s Algorithm 1.
    """
    net = lag_network(seed, H, T, lambda_1, kind, activation)
    W, e, v = net["W"], net["e"], net["v"]
    h, d = _states(W, e, activation)
    J = vanishing.state_jacobians(W, d)  # (T, 1, H, H)
    norms = vanishing.jacobian_norms_by_lag(J)[:, 0]  # (T + 1,)
    gamma = vanishing.GAMMA_TANH if activation == "tanh" else vanishing.GAMMA_SIGMOID
    bound = vanishing.pascanu_bound(vanishing.largest_singular_value(W), np.arange(T + 1), gamma)
    h_prev = np.concatenate([np.zeros((1, 1, H)), h[:-1]])  # (T, 1, H)
    dW = np.zeros((H, H))
    for k in range(1, T + 1):  # dL/dW = sum_k delta(k) h(k-1)^T, delta(k) = d(k) * (dh(T)/dh(k))^T v
        dh_k = vanishing.jacobian_product(J, T, k)[0].T @ v
        dW += np.outer(d[k - 1, 0] * dh_k, h_prev[k - 1, 0])
    grad_norm = float(np.linalg.norm(dW))
    scale = 1.0 if threshold is None or grad_norm <= threshold else threshold / grad_norm
    return {"norms": norms, "bound": bound, "lambda_1": vanishing.largest_singular_value(W),
            "gamma": gamma, "grad_norm": grad_norm, "scale": scale, "clipped_norm": grad_norm * scale}


# ----------------------------------------------------------------------------------------------------------------
# Part 5: the constant error carousel

#: The Part 5 figure's inputs: the worked example's three, then their negatives, repeated. With a zero-mean input
#: the cell state does not drift into tanh's flat tails, where 1 - tanh^2 s(t) would lose its digits to
#: cancellation (and the browser's tanh and NumPy's, which may differ in the last bit, would disagree).
CAROUSEL_CYCLE = (1.0, -0.5, 0.8, -1.0, 0.5, -0.8)
#: The simple RNN beside it: one unit, h(t) = tanh(W h(t-1) + U x(t)), with the weights of the block input z.
CAROUSEL_RNN = {"U": 0.8, "W": 0.4}


def carousel_data(forget_bias: float, T: int, step: int) -> dict:
    """What the Part 5 figure shows: Part 5's one-unit worked-example LSTM with ``b_f = forget_bias``.

    A unit gradient arrives at h(T) (a loss at the last step). ``ds[t - 1]`` = dL/ds(t) (5.10) from
    :func:`gentle_rnn.lstm.backward`; of dL/ds(1), the part that travelled the cell path alone is
    ``cell = prod_{j=2}^{T} f(j) dL/ds(T)`` (5.17, :func:`vanishing.cell_state_path_jacobian`), the rest,
    ``gates = dL/ds(1) - cell``, came through h and the gates. Shares are relative to dL/ds(T).
    ``rnn_share`` = |dL/dh(1)| / |dL/dh(T)| for the simple RNN :data:`CAROUSEL_RNN` on the same inputs.
    ``cell`` at ``step``: the forward values x, z, g, f, q, s(t-1), s(t), h(t) and dL/ds(t), dL/dh(t).
    """
    from .figures.part5 import example

    T, step = positive_int("T", T), positive_int("step", step)
    if T < 2 or step > T:
        raise ValueError(f"T must be >= 2 and step in [1, T], got T={T!r}, step={step!r}")
    params, *_ = example()
    params = {**params, "b_f": np.array([float(forget_bias)])}
    x = np.array([CAROUSEL_CYCLE[i % len(CAROUSEL_CYCLE)] for i in range(T)]).reshape(T, 1, 1)
    zeros = np.zeros((1, 1))
    dh_out = np.zeros((T, 1, 1))
    dh_out[-1] = 1.0
    _, dh, ds = lstm.backward(params, x, zeros, zeros, dh_out)
    p, *_ = lstm._validate(params, x, zeros, zeros)
    tr = lstm._forward(p, x, zeros, zeros)
    z, g, f, q = lstm._split(tr.gates, 1)  # (T, 1, 1) each
    cell = float(vanishing.cell_state_path_jacobian(f, T, 1)[0, 0] * ds[-1, 0, 0])
    total = float(ds[0, 0, 0])
    rp = {"U": np.array([[CAROUSEL_RNN["U"]]]), "W": np.array([[CAROUSEL_RNN["W"]]]), "b": np.zeros(1),
          "V": np.zeros((1, 1)), "c": np.zeros(1)}
    h_rnn = rnn.forward(rp, x, zeros)
    _, dh_rnn = rnn.backward(rp, x, zeros, h_rnn, dh_out)
    i = step - 1
    return {
        "ds": ds[:, 0, 0], "dh": dh[:, 0, 0], "f": f[:, 0, 0],
        "total_share": total / ds[-1, 0, 0], "cell_share": cell / ds[-1, 0, 0],
        "gates_share": (total - cell) / ds[-1, 0, 0],
        "rnn_share": abs(dh_rnn[0, 0, 0]) / abs(dh_rnn[-1, 0, 0]),
        "cell": {"x": x[i, 0, 0], "z": z[i, 0, 0], "g": g[i, 0, 0], "f": f[i, 0, 0], "q": q[i, 0, 0],
                 "s_prev": tr.ss[i, 0, 0], "s": tr.ss[step, 0, 0], "h": tr.hs[step, 0, 0],
                 "ds": ds[i, 0, 0], "dh": dh[i, 0, 0]},
    }
