"""Helpers shared by the tests: size combinations and one-line gradient assertions."""

from __future__ import annotations

import numpy as np

from gentle_rnn.gradcheck import relative_error

#: Tiny sizes, all different within a combination (D input, H hidden, K classes), T >= 3, B >= 2, so that a
#: transposed matrix or an off-by-one time step changes a shape or a number and cannot hide.
SIZES = [
    # (D, H, K, T, B)
    (2, 3, 4, 3, 2),
    (3, 2, 5, 4, 3),
    (4, 5, 3, 3, 2),
]


def assert_close(name: str, actual, expected, tol: float) -> None:
    """Assert that two arrays agree to ``tol`` relative error, with a message naming the gradient."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{name}: shape {actual.shape} != expected {expected.shape}"
    err = relative_error(actual, expected)
    assert err <= tol, f"{name}: relative error {err:.3e} > {tol:.0e}"
