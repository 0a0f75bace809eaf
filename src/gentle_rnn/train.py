"""A tiny training toolkit shared by every part: two optimisers, gradient-norm clipping and a training loop.

Every model of the series exposes ``loss, grads = model.loss_and_grads(params, ...)`` with ``params`` and
``grads`` dicts keyed by symbol name (``grads`` may hold extra keys such as ``"h0"``; only the keys of
``params`` are updated). The pieces:

* :class:`SGD` (with optional momentum) and :class:`Adam` update a params dict in place.
* :func:`clip_grad_norm` is Algorithm 1 of Pascanu, Mikolov & Bengio (2013): if the norm of the whole
  gradient exceeds a threshold, rescale it to that norm. It never increases the norm and keeps the direction.
* :func:`train` runs a fixed number of steps on batches drawn from a seeded ``numpy.random.Generator``, shows a
  ``tqdm`` progress bar (``progress=False`` turns it off), and returns a :class:`History`.

Same seed, same data, same initial parameters: the same history, number for number.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from ._checks import positive_int


def _positive_float(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def _unit_interval(name: str, value) -> float:
    """A number in [0, 1) (momentum, Adam's betas)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    return float(value)


def _param_grads(params: Mapping, grads: Mapping) -> dict[str, np.ndarray]:
    """The gradients of the keys of ``params`` (extra keys such as ``h0`` are ignored), checked for shape."""
    missing = [k for k in params if k not in grads]
    if missing:
        raise ValueError(f"grads must hold a gradient for every parameter; missing {missing}")
    out = {}
    for k in params:
        g = np.asarray(grads[k], dtype=np.float64)
        if g.shape != np.shape(params[k]):
            raise ValueError(f"grads[{k!r}] must have the shape of params[{k!r}], {np.shape(params[k])}, got {g.shape}")
        if not np.all(np.isfinite(g)):
            raise ValueError(f"grads[{k!r}] must be finite, got NaN or inf: the step would corrupt params[{k!r}]")
        out[k] = g
    return out


# ----------------------------------------------------------------------------------------------------------------
# optimisers: update a params dict in place


class SGD:
    """Stochastic gradient descent with (heavy-ball) momentum ``mu``::

        v <- mu v - lr g,     theta <- theta + v

    With ``momentum=0`` (the default) this is plain ``theta <- theta - lr g``.
    """

    def __init__(self, lr: float, momentum: float = 0.0) -> None:
        self.lr = _positive_float("lr", lr)
        self.momentum = _unit_interval("momentum", momentum)
        self.velocity: dict[str, np.ndarray] = {}

    def step(self, params: dict, grads: Mapping) -> None:
        """Update every array of ``params`` in place from the matching entry of ``grads``."""
        for k, g in _param_grads(params, grads).items():
            v = self.velocity.get(k)
            v = -self.lr * g if v is None else self.momentum * v - self.lr * g
            self.velocity[k] = v
            params[k] += v


class Adam:
    """Adam (Kingma & Ba 2015) with the bias-corrected moment estimates of their Algorithm 1::

        m <- beta1 m + (1 - beta1) g,        v <- beta2 v + (1 - beta2) g*g
        theta <- theta - lr * m_hat / (sqrt(v_hat) + eps),   m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)

    Adam divides by the gradient's own scale, so a loss summed over time and batch (our convention) and a
    mean loss take the same steps, up to ``eps``.
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.lr = _positive_float("lr", lr)
        self.beta1 = _unit_interval("beta1", beta1)
        self.beta2 = _unit_interval("beta2", beta2)
        self.eps = _positive_float("eps", eps)
        self.t = 0
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}

    def step(self, params: dict, grads: Mapping) -> None:
        """Update every array of ``params`` in place from the matching entry of ``grads``."""
        grads = _param_grads(params, grads)
        self.t += 1
        for k, g in grads.items():
            m = self.beta1 * self.m.get(k, 0.0) + (1 - self.beta1) * g
            v = self.beta2 * self.v.get(k, 0.0) + (1 - self.beta2) * g * g
            self.m[k], self.v[k] = m, v
            m_hat = m / (1 - self.beta1**self.t)
            v_hat = v / (1 - self.beta2**self.t)
            params[k] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


# ----------------------------------------------------------------------------------------------------------------
# gradient clipping (Pascanu, Mikolov & Bengio 2013, Algorithm 1)


def global_norm(grads: Mapping) -> float:
    """The Euclidean norm of all gradient entries together: ``sqrt(sum_k sum_i grads[k]_i^2)``."""
    return math.sqrt(sum(float(np.sum(np.square(g))) for g in grads.values()))


# --8<-- [start:clip]
def clip_grad_norm(grads: Mapping, max_norm: float) -> tuple[dict[str, np.ndarray], float]:
    """Rescale the whole gradient to norm ``max_norm`` when its norm exceeds it (Pascanu et al. 2013, Alg. 1).

    ``g_hat <- (max_norm / ||g_hat||) g_hat  if ||g_hat|| >= max_norm``, where ``||.||`` is the norm over
    *all* entries of all arrays together (:func:`global_norm`), so every array is scaled by the same factor
    and the direction of the whole gradient is kept. Returns ``(clipped, norm)``: a new dict (the input is
    not modified) and the norm *before* clipping. Below the threshold the arrays are returned unchanged.
    """
    max_norm = _positive_float("max_norm", max_norm)
    norm = global_norm(grads)
    if not math.isfinite(norm):
        raise ValueError(f"grads must be finite to be clipped; their norm is {norm}")
    if norm <= max_norm:
        return dict(grads), norm
    scale = max_norm / norm  # < 1: clipping only ever shrinks
    return {k: g * scale for k, g in grads.items()}, norm
# --8<-- [end:clip]


# ----------------------------------------------------------------------------------------------------------------
# the training loop


@dataclass
class History:
    """What :func:`train` records: one entry per step, plus the evaluations.

    ``loss[i]`` is the loss returned by ``loss_and_grads`` at step ``i`` (before that step's update),
    ``grad_norm[i]`` the global norm of the parameter gradients before clipping, ``clipped[i]`` whether
    clipping rescaled them. ``evals`` is a list of ``(step, metrics)``: the metrics dict returned by
    ``evaluate(params)`` after ``step`` updates.
    """

    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    clipped: list[bool] = field(default_factory=list)
    evals: list[tuple[int, dict]] = field(default_factory=list)

    def as_dict(self) -> dict:
        """A JSON-ready copy."""
        return {
            "loss": list(self.loss),
            "grad_norm": list(self.grad_norm),
            "clipped": list(self.clipped),
            "evals": [[step, dict(metrics)] for step, metrics in self.evals],
        }


# --8<-- [start:train]
def train(
    params: dict,
    loss_and_grads: Callable,
    sample_batch: Callable[[np.random.Generator], tuple],
    optimizer,
    *,
    steps: int,
    seed: int,
    max_norm: float | None = None,
    evaluate: Callable[[dict], dict] | None = None,
    eval_every: int | None = None,
    progress: bool = True,
    desc: str = "training",
) -> History:
    """Train ``params`` in place for ``steps`` steps and return the :class:`History`.

    Each step draws ``batch = sample_batch(rng)`` from ``rng = numpy.random.default_rng(seed)``, computes
    ``loss, grads = loss_and_grads(params, *batch)``, clips the parameter gradients to ``max_norm`` when
    given (:func:`clip_grad_norm`), and calls ``optimizer.step(params, grads)``. ``evaluate(params)``, if
    given, returns a dict of numbers; it runs before the first step, every ``eval_every`` steps and after the
    last. The progress bar (tqdm) shows the loss; ``progress=False`` hides it. A loss or a parameter gradient
    that is NaN or infinite stops the run with a ``ValueError`` naming the step or the gradient.
    """
    steps = positive_int("steps", steps)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    eval_every = positive_int("eval_every", eval_every, allow_none=True)
    rng = np.random.default_rng(seed)
    history = History()
    if evaluate is not None:
        history.evals.append((0, dict(evaluate(params))))
    bar = tqdm(range(1, steps + 1), desc=desc, disable=not progress, leave=False)
    for step in bar:
        batch = sample_batch(rng)
        loss, grads = loss_and_grads(params, *batch)
        if not math.isfinite(loss):
            raise ValueError(f"the loss at step {step} is {loss}: training diverged (try a smaller lr or max_norm)")
        grads = _param_grads(params, grads)  # only the parameters are trained (not h0)
        if max_norm is None:
            norm, clipped = global_norm(grads), False
        else:
            grads, norm = clip_grad_norm(grads, max_norm)
            clipped = norm > max_norm
        optimizer.step(params, grads)
        history.loss.append(float(loss))
        history.grad_norm.append(norm)
        history.clipped.append(bool(clipped))
        if evaluate is not None and ((eval_every and step % eval_every == 0) or step == steps):
            history.evals.append((step, dict(evaluate(params))))
        if progress and step % 10 == 0:
            bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
    bar.close()
    return history
# --8<-- [end:train]
