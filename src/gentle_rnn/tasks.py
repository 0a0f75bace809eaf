"""Toy sequence tasks, drawn from a seeded ``numpy.random.Generator``.

Every task is a function ``task(rng, T, B, ...) -> (x, y)`` that returns a batch in the layout of the whole
series: inputs ``x`` of shape ``(T, B, D)`` (float64, time-major) and integer targets ``y`` of shape
``(T, B)`` (int64, one label per step, for the many-to-many loss ``loss_and_grads(params, x, y, h0)``).
The same generator state gives the same batch, so an experiment seeded once is reproducible.

Tasks
-----
running_count(rng, T, B, num_symbols=2, modulus=2, symbol=1)
    Input: a uniform random symbol per step (one-hot). Target at step t: how many times ``symbol`` has
    occurred in x(1) ... x(t), modulo ``modulus``. The target depends on *every* earlier input: a model that
    sees only the last w inputs cannot know the count before its window, so well beyond the window it is
    right with probability close to 1 / modulus at best (exactly 1/2 for parity; Part 1, exercise 5).
running_parity(rng, T, B)
    ``running_count`` with two symbols (bits) and modulus 2: the XOR of all bits so far.
"""

from __future__ import annotations

import numpy as np

from ._checks import positive_int
from .functional import onehot


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    return rng


# ----------------------------------------------------------------------------------------------------------------
# counting over the whole sequence (Part 1)


def _check_count(rng, T, B, num_symbols, modulus, symbol) -> tuple:
    rng = _check_rng(rng)
    T, B = positive_int("T", T), positive_int("B", B)
    num_symbols, modulus = positive_int("num_symbols", num_symbols), positive_int("modulus", modulus)
    if num_symbols < 2 or modulus < 2:
        raise ValueError(f"num_symbols and modulus must be >= 2, got {num_symbols} and {modulus}")
    if isinstance(symbol, bool) or not isinstance(symbol, (int, np.integer)) or not 0 <= symbol < num_symbols:
        raise ValueError(f"symbol must be an integer in [0, {num_symbols}), got {symbol!r}")
    return rng, T, B, num_symbols, modulus, int(symbol)


# --8<-- [start:running_count]
def running_count(
    rng: np.random.Generator, T: int, B: int, *, num_symbols: int = 2, modulus: int = 2, symbol: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Random symbols in, the running count of one symbol modulo ``modulus`` out, at every step.

    Returns ``x: (T, B, num_symbols)`` one-hot (D = num_symbols) and ``y: (T, B)`` with
    ``y[t - 1] = #{s <= t : x(s) is symbol} mod modulus`` (K = modulus classes).
    """
    rng, T, B, num_symbols, modulus, symbol = _check_count(rng, T, B, num_symbols, modulus, symbol)
    s = rng.integers(0, num_symbols, size=(T, B))  # (T, B) a uniform random symbol at every step
    y = np.cumsum(s == symbol, axis=0) % modulus  # (T, B) running count of `symbol`, mod `modulus`
    return onehot(s, num_symbols), y.astype(np.int64)  # x: (T, B, num_symbols), y: (T, B)
# --8<-- [end:running_count]


def running_parity(rng: np.random.Generator, T: int, B: int) -> tuple[np.ndarray, np.ndarray]:
    """Random bits in (one-hot, D = 2), the parity of all bits so far out (K = 2): ``y(t) = x(1) xor ... xor x(t)``.

    Beyond a window of the last w bits, the parity of the bits before the window is a fair coin that the
    window says nothing about: a model that sees only the window is right with probability exactly 1/2.
    """
    return running_count(rng, T, B, num_symbols=2, modulus=2, symbol=1)


# ----------------------------------------------------------------------------------------------------------------
# a long time lag (Part 4): the adding problem of Hochreiter & Schmidhuber (1997), as a classification task


# --8<-- [start:adding_problem]
def adding_problem(rng: np.random.Generator, T: int, B: int) -> tuple[np.ndarray, np.ndarray]:
    """Random bits with two of them marked; the answer, at the *last* step only, is the sum of the marked bits.

    A classification variant of the adding problem (Hochreiter & Schmidhuber 1997, experiment 4, where the
    values are reals and the answer is a real number). Every step carries two inputs: a random bit v(t) and a
    marker m(t), which is 1 at exactly two positions, drawn uniformly without replacement from the first
    ``T // 2`` steps, and 0 elsewhere. Returns ``x: (T, B, 2)`` with ``x[..., 0] = v`` and ``x[..., 1] = m``,
    and ``y: (B,)`` int64 in {0, 1, 2} (K = 3 classes), the sum of the two marked bits: one label per
    *sequence*, to be predicted from h(T). So the information sits at least ``T - T // 2`` steps before the
    step that must use it. Unlike the per-step tasks above, ``y`` has no time axis; a model is scored on the
    last step (see :func:`gentle_rnn.vanishing.last_step_loss_and_grads`). Needs T >= 4.
    """
    rng = _check_rng(rng)
    T, B = positive_int("T", T), positive_int("B", B)
    if T < 4:
        raise ValueError(f"T must be >= 4 so that two markers fit in the first half, got {T}")
    v = rng.integers(0, 2, size=(T, B))  # (T, B) the bits
    first_half = rng.random((T // 2, B))  # (T // 2, B) random keys; the two smallest mark the positions
    marked = np.argsort(first_half, axis=0)[:2]  # (2, B) two distinct positions per sequence
    m = np.zeros((T, B))
    m[marked, np.arange(B)] = 1.0
    x = np.stack([v.astype(np.float64), m], axis=-1)  # (T, B, 2)
    y = (v * m).sum(axis=0).astype(np.int64)  # (B,) the sum of the two marked bits
    return x, y
# --8<-- [end:adding_problem]
