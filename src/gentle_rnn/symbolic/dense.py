"""The one-hidden-layer dense network of Part 1, built with SymPy symbols (shared by the derivation and tests).

``derivations/dense_layer.py`` differentiates the loss built here by brute force and compares it with the
matrix formulas (1.5)-(1.10); ``tests/test_dense.py`` compares the NumPy code of :mod:`gentle_rnn.dense`
with the lambdified brute-force gradients.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

import sympy as sp

from .core import Tanh, matrix_symbols, softmax_cross_entropy


def dense_network(D: int, H: int, K: int, labels: Sequence[int]) -> SimpleNamespace:
    """Symbols and forward pass of ``a = b + U x``, ``h = tanh(a)``, ``o = c + V h`` for a batch of examples.

    One example per entry of ``labels`` (its class in ``[0, K)``). Returns a namespace with the parameter
    matrices ``U (H x D)``, ``b (H x 1)``, ``V (K x H)``, ``c (K x 1)``, the list ``x`` of input columns
    (``D x 1``, one per example), the lists ``a``, ``h``, ``o`` of the forward quantities (columns), and the
    summed loss ``L = sum_n -log softmax(o_n)[y_n]``, equations (1.1)-(1.4).
    """
    U = matrix_symbols("U", H, D)
    b = matrix_symbols("b", H)
    V = matrix_symbols("V", K, H)
    c = matrix_symbols("c", K)
    x = [matrix_symbols(f"x{n}", D, latex=rf"x^{{[{n + 1}]}}") for n in range(len(labels))]
    a = [b + U * xn for xn in x]  # (1.1)
    h = [an.applyfunc(Tanh) for an in a]  # (1.2)
    o = [c + V * hn for hn in h]  # (1.3)
    loss = sp.Add(*[softmax_cross_entropy(on, int(yn)) for on, yn in zip(o, labels)])  # (1.4)
    return SimpleNamespace(U=U, b=b, V=V, c=c, x=x, a=a, h=h, o=o, loss=loss, labels=list(labels))
