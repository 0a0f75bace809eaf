"""Centred finite differences and the relative error used by every gradient check of the series.

For a scalar function f and a step eps, the centred difference

    (f(theta + eps e_i) - f(theta - eps e_i)) / (2 eps)

has truncation error O(eps^2); with eps = 1e-6 in float64 it agrees with an exact gradient to about 1e-8
relative, far tighter than the 1e-6 our tests ask for, and far looser than the 1e-10 asked of the
comparison with the symbolic gradients (which involve no truncation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import math

import numpy as np

from ._checks import real_number


def relative_error(a, b) -> float:
    """``max|a - b| / max(max|a|, max|b|)``, and 0 when both are exactly zero.

    One number for a whole array, scaled by its largest entry, so that tiny entries are not judged on
    their own relative error (which round-off makes meaningless).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error needs arrays of one shape, got {a.shape} and {b.shape}")
    scale = max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0))
    if scale == 0.0:
        return 0.0
    return float(np.abs(a - b).max() / scale)


def numerical_gradient(f: Callable[[], float], array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Centred finite-difference gradient of ``f()`` with respect to ``array``, which is perturbed in place.

    ``f`` takes no argument and reads ``array`` (typically through a params dict that holds it). Every
    entry is restored exactly after it is perturbed. ``array`` must be a float64 NumPy array (an integer array
    cannot hold ``theta + eps``); ``eps`` a positive number; ``f`` must return a finite number.
    """
    if not isinstance(array, np.ndarray) or array.dtype != np.float64:
        raise TypeError(f"array must be a float64 numpy array (perturbed in place), got "
                        f"{type(array).__name__} of dtype {getattr(array, 'dtype', None)}")
    eps = real_number("eps", eps, positive=True)
    grad = np.zeros_like(array, dtype=np.float64)
    flat = array.reshape(-1)  # a view: writes reach `array`
    if not np.shares_memory(flat, array):
        raise ValueError("array must be contiguous so that it can be perturbed in place")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = f()
        flat[i] = old - eps
        f_minus = f()
        flat[i] = old
        if not (math.isfinite(f_plus) and math.isfinite(f_minus)):
            raise ValueError(f"f() must return a finite number; it returned {f_plus!r} and {f_minus!r} "
                             f"with entry {i} of array moved by +-{eps}")
        grad.reshape(-1)[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def numerical_gradients(f: Callable[[], float], arrays: Mapping[str, np.ndarray], eps: float = 1e-6) -> dict:
    """:func:`numerical_gradient` for every array of a dict; returns a dict with the same keys."""
    return {name: numerical_gradient(f, arr, eps) for name, arr in arrays.items()}
