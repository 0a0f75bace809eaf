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


# ----------------------------------------------------------------------------------------------------------------
# exact proofs for identities between exponentials: rational functions once each exp(v) is a symbol


def in_exponentials(expr: sp.Expr, variables) -> tuple[sp.Expr, dict[sp.Symbol, sp.Symbol]]:
    """``expr`` as a rational function of ``E_v = exp(v)``, one positive symbol for each variable v.

    tanh, sinh and cosh are first written with exp; then every
    ``exp(c_0 + c_1 v_1 + ... + c_n v_n)`` with integer ``c_i`` (i >= 1) and ``c_0`` free of the variables
    becomes ``exp(c_0) E_1^c_1 ... E_n^c_n``, which is the rule
    ``exp(x + y) = exp(x) exp(y)``. Returns the rewritten expression and ``{v: E_v}``. Raises ``ValueError``
    if an exponential of anything else remains (its argument is not such a combination), or a function
    other than exp.
    """
    variables = list(variables)
    E = {v: sp.Symbol(f"E_{v}") for v in variables}  # no assumptions: cancel needs none, and they cost time

    def monomial(arg):
        coefficients = sp.expand(arg).as_coefficients_dict()
        constant = sp.Add(*[c * k for k, c in coefficients.items() if not k.has(*variables)])
        varying = {k: c for k, c in coefficients.items() if k.has(*variables)}
        if not all(k in E and c.is_Integer for k, c in varying.items()):
            raise ValueError(f"exp({arg}) is not exp of an integer combination of {variables}")
        return sp.exp(constant) * sp.Mul(*[E[k] ** c for k, c in varying.items()])

    hyperbolic = (sp.tanh, sp.sinh, sp.cosh)
    out = sp.sympify(expr).rewrite(hyperbolic, sp.exp).replace(lambda e: isinstance(e, sp.exp), lambda e: monomial(e.args[0]))
    leftover = [f for f in out.atoms(sp.Function)]
    if leftover:
        raise ValueError(f"in_exponentials cannot write {leftover[0]} with exp of {variables}")
    return out, E


def exponential_identity(lhs, rhs, variables) -> bool:
    """True when ``lhs == rhs`` is an identity, proven exactly: :func:`in_exponentials` makes both sides
    rational functions of the ``E_v``, and ``sympy.cancel`` brings their difference to lowest terms
    ``p / q``; ``p == 0`` as a polynomial means the difference vanishes for every ``E_v > 0``, i.e. for every
    real ``v``. (The denominators met here are sums of exponentials, never zero.)
    """
    difference, _ = in_exponentials(sp.sympify(lhs) - sp.sympify(rhs), variables)
    return sp.cancel(difference) == 0


def critical_points(expr: sp.Expr, v: sp.Symbol) -> list[sp.Expr]:
    """The real solutions of ``d expr / dv = 0`` for an ``expr`` that is a rational function of ``exp(v)``.

    With ``E = exp(v)``, ``d/dv = E d/dE``; the derivative's numerator is a polynomial in E, its positive real
    roots r give the critical points ``v = log(r)`` (``exp`` is a bijection from the reals onto E > 0).
    The denominator (a power of a sum of exponentials) has no positive root. Exact: ``sympy.roots``.
    """
    r, E = in_exponentials(expr, [v])
    e = E[v]
    p, q = (sp.Poly(part, e) for part in sp.fraction(sp.cancel(r)))
    numerator = sp.Poly(e, e) * (p.diff(e) * q - p * q.diff(e))  # E d/dE (p / q), times q^2 > 0
    if numerator.is_zero:
        raise ValueError(f"{expr} is constant in {v}: every point is critical")
    roots = numerator.real_roots()
    return sorted({sp.log(z) for z in roots if z.is_positive}, key=sp.default_sort_key)
