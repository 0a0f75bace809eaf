"""The symbolic references for the simple-RNN tests, built once per test session (cached by size).

Shared by ``test_rnn.py`` (NumPy against SymPy) and ``test_rnn_symbolic.py`` (SymPy against SymPy), so the
costly brute-force ``sympy.diff`` runs once per size however many tests use it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from gentle_rnn import rnn
from gentle_rnn.symbolic import rnn as srnn

from tests.helpers import SIZES

#: Where brute-force ``sympy.diff`` of the whole unrolled loss is affordable (a few seconds each): the first
#: two SIZES. At (D, H, K, T) = (4, 5, 3, 3) it takes ~40 s on the 2-core CI machine, so the third size is
#: checked against the BPTT recursion in matrix form, which test_rnn_symbolic.py proves equal to brute
#: force (exactly) at the first two sizes and derivations/rnn_bptt.py at (2, 3, 4, 3).
BRUTE_FORCE_SIZES = SIZES[:2]


def dims(size):
    D, H, K, T, _ = size
    return D, H, K, T


@lru_cache(maxsize=None)
def network(size) -> srnn.UnrolledRNN:
    """The unrolled network for one sample, with symbolic targets (so one expression serves every batch)."""
    return srnn.unroll(*dims(size))


@lru_cache(maxsize=None)
def recursion(size) -> srnn.BPTT:
    """BPTT in matrix form, equations (3.1)-(3.10)."""
    return srnn.bptt(network(size))


@lru_cache(maxsize=None)
def brute_force(size) -> dict:
    """dL/dtheta by plain sympy.diff of the unrolled loss, every parameter and h(0)."""
    return srnn.brute_force(network(size), method="sympy")


@lru_cache(maxsize=None)
def truncated(size, tau) -> dict:
    """Truncated BPTT (truncation length tau) from the path sums, equation (3.12)."""
    return srnn.truncated_bptt(network(size), tau)


@lru_cache(maxsize=None)
def truncated_brute_force(size, tau) -> dict:
    """Truncated BPTT by its definition: sympy.diff of each L(t) with h(t-tau) held constant.

    Only for the recurrent gradients (U, W, b, h0): V and c do not enter the recurrence, so holding a state
    fixed cannot change their derivatives (test_rnn.py checks that truncation leaves them as they are).
    """
    return srnn.truncated_brute_force(network(size), tau, names=RECURRENT, method="sympy")


RECURRENT = ("U", "W", "b", "h0")


def problem(size, seed=0):
    """Random float64 parameters (biases non-zero, so that a missing bias term shows), inputs, targets, h0."""
    D, H, K, T, B = size
    rng = np.random.default_rng(seed)
    params = rnn.init_params(D, H, K, rng=rng, scale=1.5)
    params["b"] = rng.normal(0, 0.5, H)
    params["c"] = rng.normal(0, 0.5, K)
    x = rng.normal(size=(T, B, D))
    y = rng.integers(0, K, size=(T, B))
    h0 = rng.normal(0, 0.5, size=(B, H))
    return params, x, y, h0
