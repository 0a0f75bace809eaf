"""Input validation shared by every model: shapes are checked, nothing broadcasts silently.

A :class:`Shapes` object binds dimension names (``T``, ``B``, ``D`` ...) the first time it sees them and
checks every later array against the bound sizes, so that a mismatch names the argument and the expected
shape::

    >>> s = Shapes()
    >>> x = s.array("x", np.zeros((3, 2, 4)), "T B D")
    >>> s.array("h0", np.zeros((2, 5)), "B H")      # binds H = 5
    >>> s.array("W", np.zeros((4, 5)), "H H")
    Traceback (most recent call last):
    ValueError: W must have shape (H, H) = (5, 5), got (4, 5)
"""

from __future__ import annotations

import numbers

import numpy as np


class Shapes:
    """Binds named dimensions and checks arrays against them (see the module docstring)."""

    def __init__(self, **known: int) -> None:
        self.dims: dict[str, int] = dict(known)

    def _expected(self, spec: tuple[str, ...]) -> str:
        names = ", ".join(spec)
        values = ", ".join(str(self.dims.get(d, "?")) for d in spec)
        return f"({names}) = ({values})" if len(spec) != 1 else f"({names},) = ({values},)"

    def array(self, name: str, value, spec: str, *, finite: bool = True) -> np.ndarray:
        """Return ``value`` as a float64 array after checking its rank, shape and finiteness.

        ``spec`` is a space-separated list of dimension names, e.g. ``"T B D"``.
        """
        dims = tuple(spec.split())
        try:
            arr = np.asarray(value)
        except Exception as exc:  # ragged lists and the like
            raise ValueError(f"{name} must be an array of shape {self._expected(dims)}: {exc}") from None
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise ValueError(f"{name} must be a numeric array of shape {self._expected(dims)}, got dtype {arr.dtype}")
        if np.iscomplexobj(arr):
            raise ValueError(f"{name} must be real, got dtype {arr.dtype}")
        if arr.ndim != len(dims):
            raise ValueError(
                f"{name} must have shape {self._expected(dims)} ({len(dims)} axes), got shape {arr.shape}"
            )
        for d, n in zip(dims, arr.shape):
            if d in self.dims and self.dims[d] != n:
                raise ValueError(f"{name} must have shape {self._expected(dims)}, got {arr.shape}")
            self.dims.setdefault(d, n)
        if 0 in arr.shape:
            raise ValueError(f"{name} must have shape {self._expected(dims)} with no empty axis, got {arr.shape}")
        arr = arr.astype(np.float64, copy=False)
        if finite and not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite (no NaN or inf), shape {self._expected(dims)}")
        return arr

    def targets(self, name: str, value, spec: str, num_classes: int) -> np.ndarray:
        """Return integer class labels in ``[0, num_classes)`` with shape ``spec`` as an int64 array."""
        dims = tuple(spec.split())
        arr = np.asarray(value)
        if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
            if np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                raise ValueError(
                    f"{name} must hold integer class labels (dtype int), got dtype {arr.dtype}; "
                    f"convert with {name}.astype(int)"
                )
            raise ValueError(f"{name} must hold integer class labels of shape {self._expected(dims)}, got dtype {arr.dtype}")
        if arr.ndim != len(dims):
            raise ValueError(f"{name} must have shape {self._expected(dims)} ({len(dims)} axes), got shape {arr.shape}")
        for d, n in zip(dims, arr.shape):
            if d in self.dims and self.dims[d] != n:
                raise ValueError(f"{name} must have shape {self._expected(dims)}, got {arr.shape}")
            self.dims.setdefault(d, n)
        if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
            raise ValueError(
                f"{name} must hold class labels in [0, {num_classes}) (K = {num_classes}), "
                f"got values in [{arr.min()}, {arr.max()}]"
            )
        return arr.astype(np.int64, copy=False)


def positive_int(name: str, value, *, allow_none: bool = False) -> int | None:
    """Check that ``value`` is a positive integer (or ``None`` when allowed) and return it."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def param_dict(name: str, params, keys: tuple[str, ...]) -> None:
    """Check that ``params`` is a mapping with exactly the keys ``keys``."""
    if not hasattr(params, "keys"):
        raise ValueError(f"{name} must be a dict with keys {list(keys)}, got {type(params).__name__}")
    missing = [k for k in keys if k not in params]
    extra = [k for k in params if k not in keys]
    if missing or extra:
        raise ValueError(f"{name} must have exactly the keys {list(keys)}; missing {missing}, unexpected {extra}")


def real_number(name: str, value, *, minimum: float | None = None, positive: bool = False) -> float:
    """Check that ``value`` is a finite real number (not a bool or a string), ``> 0`` when ``positive``,
    ``>= minimum`` when given, and return it as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return value


def numeric_array(name: str, value) -> np.ndarray:
    """``value`` as a float64 array, refusing strings, objects and complex numbers (no silent conversion)."""
    arr = np.asarray(value)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def gate_params(params, s: Shapes, keys: tuple[str, ...], gates: tuple[str, ...]) -> dict:
    """Check a gated cell's parameter dict (U_*, W_*, b_* per gate, then V, c) against the shapes bound in
    ``s`` and return float64 copies in the order of ``keys``. The first gate's square W_* is checked first:
    it fixes H, so that a transposed U_* is reported as that array's fault."""
    param_dict("params", params, keys)
    first = f"W_{gates[0]}"
    p = {first: s.array(first, params[first], "H H")}
    for gate in gates:
        p[f"U_{gate}"] = s.array(f"U_{gate}", params[f"U_{gate}"], "H D")
        p[f"W_{gate}"] = s.array(f"W_{gate}", params[f"W_{gate}"], "H H")
        p[f"b_{gate}"] = s.array(f"b_{gate}", params[f"b_{gate}"], "H")
    p["V"] = s.array("V", params["V"], "K H")
    p["c"] = s.array("c", params["c"], "K")
    return {k: p[k] for k in keys}
