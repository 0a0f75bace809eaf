"""The linear recurrence h(t) = mu(t) h(t-1) + psi(t) in SymPy: symbols, the closed form, exact scans.

Used by ``derivations/gru_bptt.py`` (section 6) and ``tests/test_scan.py``. One unit (scalars); the
recurrence is elementwise, so every unit of a vector state obeys the same identities. The NumPy functions
:func:`gentle_rnn.scan._loop` and :func:`gentle_rnn.scan._scan` run unchanged on object arrays of SymPy
expressions (:func:`run`), so the very code the site uses is checked symbolically.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .. import scan as _scan_module


def symbols(T: int):
    """Scalar symbols mu(1..T), psi(1..T) (lists, index t - 1 is step t) and h(0)."""
    mu = [sp.Symbol(f"mu{t}", real=True) for t in range(1, T + 1)]
    psi = [sp.Symbol(f"psi{t}", real=True) for t in range(1, T + 1)]
    return mu, psi, sp.Symbol("h0", real=True)


def closed_form(mu, psi, h0) -> list[sp.Expr]:
    """h(t) = (mu(1) ... mu(t)) h(0) + sum_{k=1}^{t} (mu(k+1) ... mu(t)) psi(k), t = 1 ... T  (6.17)."""
    T = len(mu)
    out = []
    for t in range(1, T + 1):
        term = sp.Mul(*mu[:t]) * h0
        term += sp.Add(*[sp.Mul(*mu[k:t]) * psi[k - 1] for k in range(1, t + 1)])
        out.append(term)
    return out


def run(method: str, mu, psi, h0) -> list[sp.Expr]:
    """The NumPy loop or scan of :mod:`gentle_rnn.scan` on object arrays of SymPy symbols."""
    fn = {"loop": _scan_module._loop, "scan": _scan_module._scan}[method]
    h = fn(np.array(mu, dtype=object), np.array(psi, dtype=object), h0)
    return [sp.sympify(v) for v in h]


def reverse_run(method: str, mu, dh_out) -> list[sp.Expr]:
    """The NumPy reverse scan (6.20) on object arrays: dL/dh(t) = dh_out(t) + mu(t+1) dL/dh(t+1)."""
    dh = _scan_module._reverse(np.array(mu, dtype=object), np.array(dh_out, dtype=object), method)
    return [sp.sympify(v) for v in dh]
