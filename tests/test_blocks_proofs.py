"""The exact method of derivations/building_blocks.py (and Part 4's gamma) against what it replaced.

The page proves its identities with ``blocks.exponential_identity`` (exponentials as symbols, then
``sympy.cancel``) and finds critical points with ``blocks.critical_points`` (roots of a polynomial in
``E = e^a``), instead of ``sympy.simplify`` and ``sympy.solve``. Here both methods meet every identity of the
page and a broken variant of each: the fast method must reach the verdict of the slow one, both ways.
"""

from __future__ import annotations

import pytest
import sympy as sp

from gentle_rnn.symbolic import Exp, Log, Sigmoid, Tanh, to_sympy_functions
from gentle_rnn.symbolic import blocks
from gentle_rnn.symbolic.blocks import a, critical_points, exponential_identity, in_exponentials


def _softmax_ce(K, y, shift_label=0):
    o, derived, claimed = blocks.softmax_cross_entropy_gradient(K, y)
    onehot = sp.Matrix([int(k == (y + shift_label) % K) for k in range(K)])
    return o, derived, blocks.softmax(o) - onehot


def _shift(o, chi, weights):
    return blocks.softmax(o - chi * sp.Matrix(weights)), blocks.softmax(o)


def _cases():
    """(name, lhs, rhs, variables, holds): every identity of the page, and one broken variant of each."""
    cases = []
    for broken in (False, True):
        d, c = blocks.tanh_derivative()
        cases.append(("tanh'", d, 1 - sp.tanh(a) if broken else c, [a], not broken))
        w = (sp.exp(a) - sp.exp(-a)) / (sp.exp(a) + sp.exp(-a))
        cases.append(("tanh' written out", sp.diff(w, a), 1 - w ** (3 if broken else 2), [a], not broken))
        d, c = blocks.sigmoid_derivative()
        s = blocks.sigma(a)
        cases.append(("sigma'", d, s * (1 + s) if broken else c, [a], not broken))
        for K in (3, 4):
            for y in range(K):
                o, derived, claimed = _softmax_ce(K, y, shift_label=int(broken))
                # the label shifted by one changes the entries y and y + 1 only: compare entry y
                cases.append((f"softmax-ce K={K} y={y}", derived[y], claimed[y], list(o), not broken))
        o, derived, claimed = blocks.softmax_jacobian(3)
        if broken:  # the outer product counted twice
            claimed = sp.diag(*blocks.softmax(o)) - 2 * blocks.softmax(o) * blocks.softmax(o).T
        cases.append(("softmax Jacobian (1,1)", derived[0, 0], claimed[0, 0], list(o), not broken))
        cases.append(("softmax Jacobian (1,2)", derived[0, 1], claimed[0, 1], list(o), not broken))
        chi = sp.Symbol("chi", real=True)
        o4 = blocks.logits(4)
        shifted, plain = _shift(o4, chi, [1, 1, 1, 2] if broken else [1, 1, 1, 1])
        cases.append(("softmax shift", shifted[0], plain[0], list(o4) + [chi], not broken))
        for cls, truth in [(Tanh, sp.tanh(a)), (Sigmoid, blocks.sigma(a)), (Exp, sp.exp(a))]:
            rule = to_sympy_functions(sp.diff(cls(a), a))
            wrong = rule * (1 + sp.exp(a)) / 2 if broken else rule
            cases.append((f"{cls.__name__} rule", wrong, sp.diff(truth, a), [a], not broken))
    return cases


CASES = _cases()


@pytest.mark.parametrize("name, lhs, rhs, variables, holds", CASES,
                         ids=[f"{c[0]}-{'true' if c[4] else 'broken'}" for c in CASES])
def test_exponential_identity_reaches_the_verdict_of_simplify(name, lhs, rhs, variables, holds):
    by_simplify = sp.simplify(lhs - rhs) == 0
    assert by_simplify == holds, f"{name}: the test case itself is wrong (simplify says {by_simplify})"
    assert exponential_identity(lhs, rhs, variables) == holds, f"{name}: exponential_identity disagrees with simplify"


def test_the_log_rule_is_the_derivative_of_log():
    rule = to_sympy_functions(sp.diff(Log(a), a))
    assert exponential_identity(rule, sp.diff(sp.log(a), a), [a])
    assert not exponential_identity(rule, 1 / a**2, [a])


@pytest.mark.parametrize("f", [
    sp.diff(sp.tanh(a), a),  # tanh': 0
    blocks.sigma(a) * (1 - blocks.sigma(a)),  # sigma': 0
    blocks.sigma(a - sp.log(3)) * (1 - blocks.sigma(a - sp.log(3))),  # shifted: log(3)
    (sp.exp(a) - 2) ** 2 / sp.exp(a),  # E - 4 + 4/E: log(2)
    sp.exp(a) + sp.exp(-2 * a),  # E + 1/E^2: log(2)/3
    sp.exp(a),  # no critical point
], ids=["tanh'", "sigma'", "sigma' shifted", "log(2)", "log(2)/3", "none"])
def test_critical_points_equal_sympy_solve(f):
    by_solve = sorted(sp.solve(sp.diff(f, a), a), key=sp.default_sort_key)
    ours = critical_points(f, a)
    assert len(ours) == len(by_solve) and all(sp.simplify(p - q) == 0 for p, q in zip(ours, by_solve)), (
        f"critical points {ours}, sympy.solve gives {by_solve}")


def test_critical_points_reject_a_constant():
    with pytest.raises(ValueError, match="constant"):
        critical_points(sp.exp(a) / sp.exp(a) + 1, a)


def test_in_exponentials_refuses_what_it_cannot_write_as_a_monomial():
    with pytest.raises(ValueError, match="integer combination"):
        in_exponentials(sp.exp(a**2), [a])
    with pytest.raises(ValueError, match="integer combination"):
        in_exponentials(sp.exp(a / 2), [a])
    with pytest.raises(ValueError, match="cannot write"):
        in_exponentials(sp.log(1 + sp.exp(a)), [a])
    r, E = in_exponentials(sp.exp(2 * a - 3 * sp.Symbol("b")) + sp.tanh(a), [a, sp.Symbol("b")])
    Ea, Eb = E[a], E[sp.Symbol("b")]
    assert sp.cancel(r - (Ea**2 / Eb**3 + (Ea - 1 / Ea) / (Ea + 1 / Ea))) == 0
