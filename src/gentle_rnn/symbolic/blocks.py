"""The building blocks every later part uses, stated with SymPy's own functions (small expressions).

Each function returns ``(derived, claimed)``: ``derived`` is what ``sympy.diff`` gives, ``claimed`` the
formula the pages and the NumPy code use. ``derivations/building_blocks.py`` proves ``derived == claimed``;
``tests/test_functional.py`` evaluates ``claimed`` against the NumPy functions.
"""

from __future__ import annotations

import sympy as sp

a = sp.Symbol("a", real=True)


def sigma(x):
    """The logistic sigmoid written with SymPy's exp."""
    return 1 / (1 + sp.exp(-x))


def tanh_derivative():
    """(tanh') d/da tanh(a) = 1 - tanh(a)^2."""
    return sp.diff(sp.tanh(a), a), 1 - sp.tanh(a) ** 2


def sigmoid_derivative():
    """(sigma') d/da sigma(a) = sigma(a) (1 - sigma(a))."""
    return sp.diff(sigma(a), a), sigma(a) * (1 - sigma(a))


def logits(K: int) -> sp.Matrix:
    """A column of K real logit symbols o_1 ... o_K."""
    return sp.Matrix(sp.symbols(f"o_1:{K + 1}", real=True))


def softmax(o: sp.Matrix) -> sp.Matrix:
    """softmax(o)_k = exp(o_k) / sum_j exp(o_j)."""
    total = sum(sp.exp(v) for v in o)
    return o.applyfunc(lambda v: sp.exp(v) / total)


def cross_entropy(o: sp.Matrix, y: int) -> sp.Expr:
    """L = -log softmax(o)_y."""
    return -sp.log(softmax(o)[y])


def softmax_cross_entropy_gradient(K: int, y: int):
    """(softmax-ce) dL/do = softmax(o) - onehot(y), for K logits and the label y."""
    o = logits(K)
    L = cross_entropy(o, y)
    derived = o.applyfunc(lambda v: sp.diff(L, v))
    onehot = sp.Matrix([1 if k == y else 0 for k in range(K)])
    return o, derived, softmax(o) - onehot


def softmax_jacobian(K: int):
    """d softmax_i / d o_j = softmax_i (delta_ij - softmax_j): the Jacobian diag(p) - p p^T."""
    o = logits(K)
    p = softmax(o)
    derived = p.jacobian(o)
    return o, derived, sp.diag(*p) - p * p.T
