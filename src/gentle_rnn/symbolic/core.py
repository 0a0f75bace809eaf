"""Function classes, symbol factories, brute-force differentiation and exact checks.

Why our own ``Tanh`` instead of ``sympy.tanh``? SymPy's elementary functions query assumptions about
their arguments (is it real? zero? can it be pulled out?) every time one is created, and those queries
recurse through the whole argument. In an unrolled network the argument of ``tanh`` at step t contains
every earlier step, so building even a three-step LSTM with ``sympy.tanh`` does not finish in minutes.
The classes below carry only their derivative (``fdiff``): they never evaluate, so building is instant
and ``sympy.diff`` applies the chain rule through them. ``derivations/building_blocks.py`` proves each
derivative rule against SymPy's own functions, and :func:`to_sympy_functions` maps back.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction

import numpy as np
import sympy as sp


# ----------------------------------------------------------------------------------------------------------------
# function classes: a derivative rule each, no evaluation


class Tanh(sp.Function):
    r"""tanh, with ``Tanh(a)' = 1 - Tanh(a)**2`` (equation (tanh'), proven in building_blocks.py)."""

    nargs = 1

    def fdiff(self, argindex=1):
        return 1 - Tanh(self.args[0]) ** 2

    def _latex(self, printer, exp=None):
        s = rf"\tanh\left({printer._print(self.args[0])}\right)"
        return s if exp is None else rf"\tanh^{{{exp}}}\left({printer._print(self.args[0])}\right)"


class Sigmoid(sp.Function):
    r"""The logistic sigmoid, with ``Sigmoid(a)' = Sigmoid(a) (1 - Sigmoid(a))`` (equation (sigma'))."""

    nargs = 1

    def fdiff(self, argindex=1):
        s = Sigmoid(self.args[0])
        return s * (1 - s)

    def _latex(self, printer, exp=None):
        s = rf"\sigma\left({printer._print(self.args[0])}\right)"
        return s if exp is None else rf"\sigma^{{{exp}}}\left({printer._print(self.args[0])}\right)"


class Exp(sp.Function):
    """exp, with ``Exp(a)' = Exp(a)``."""

    nargs = 1

    def fdiff(self, argindex=1):
        return Exp(self.args[0])

    def _latex(self, printer, exp=None):
        s = rf"e^{{{printer._print(self.args[0])}}}"
        return s if exp is None else rf"\left({s}\right)^{{{exp}}}"


class Log(sp.Function):
    """Natural logarithm, with ``Log(a)' = 1 / a``."""

    nargs = 1

    def fdiff(self, argindex=1):
        return 1 / self.args[0]

    def _latex(self, printer, exp=None):
        s = rf"\log\left({printer._print(self.args[0])}\right)"
        return s if exp is None else rf"\log^{{{exp}}}\left({printer._print(self.args[0])}\right)"


def _np_sigmoid(a):
    a = np.asarray(a, dtype=np.float64)
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


#: How :func:`lambdify_numpy` evaluates the function classes.
NUMPY_FUNCTIONS = {"Tanh": np.tanh, "Sigmoid": _np_sigmoid, "Exp": np.exp, "Log": np.log}

_SYMPY_EQUIVALENT = {Tanh: sp.tanh, Exp: sp.exp, Log: sp.log, Sigmoid: lambda a: 1 / (1 + sp.exp(-a))}


def to_sympy_functions(expr: sp.Expr) -> sp.Expr:
    """Replace Tanh, Sigmoid, Exp, Log by SymPy's own functions (for small expressions only)."""
    return expr.replace(lambda e: type(e) in _SYMPY_EQUIVALENT, lambda e: _SYMPY_EQUIVALENT[type(e)](*e.args))


# ----------------------------------------------------------------------------------------------------------------
# symbols


def matrix_symbols(name: str, rows: int, cols: int = 1, latex: str | None = None) -> sp.Matrix:
    """A ``rows x cols`` matrix of fresh real symbols named ``name[i,j]`` (``name[i]`` for a column).

    ``latex`` is the LaTeX stem (default ``name``); entries print as ``W_{12}`` with 1-based indices, as
    on the pages.
    """
    stem = latex or name

    def entry(i, j):
        if cols == 1:
            return sp.Symbol(f"{name}[{i}]", real=True), rf"{stem}_{{{i + 1}}}"
        return sp.Symbol(f"{name}[{i},{j}]", real=True), rf"{stem}_{{{i + 1}{j + 1}}}"

    out = sp.zeros(rows, cols)
    for i in range(rows):
        for j in range(cols):
            sym, tex = entry(i, j)
            _LATEX_NAMES[sym] = tex
            out[i, j] = sym
    return out


_LATEX_NAMES: dict[sp.Symbol, str] = {}


def latex(expr, **kwargs) -> str:
    """``sympy.latex`` with the symbol names of :func:`matrix_symbols` (``W_{12}`` not ``W[0,1]``)."""
    return sp.latex(expr, symbol_names=_LATEX_NAMES, **kwargs)


# ----------------------------------------------------------------------------------------------------------------
# loss, differentiation, numeric evaluation


def softmax_cross_entropy(o: sp.Matrix, y: int) -> sp.Expr:
    """-log softmax(o)[y] for a column of K logits: ``-o_y + log(sum_k exp(o_k))``."""
    return -o[y] + Log(sp.Add(*[Exp(ok) for ok in o]))


def brute_force_gradient(loss: sp.Expr, wrt: sp.Matrix) -> sp.Matrix:
    """``sympy.diff`` of ``loss`` with respect to every entry of ``wrt``: the reference every formula meets."""
    return wrt.applyfunc(lambda s: sp.diff(loss, s))


def lambdify_numpy(args: Sequence, exprs) -> Callable:
    """``sympy.lambdify`` with common-subexpression elimination and NumPy versions of our function classes."""
    return sp.lambdify(args, exprs, modules=[NUMPY_FUNCTIONS, "numpy"], cse=True)


def _flat(x) -> list:
    if isinstance(x, sp.MatrixBase):
        return list(x)
    if isinstance(x, (list, tuple)):
        return [e for item in x for e in _flat(item)]
    return [x]


def exact_agreement(
    lhs, rhs, inputs: Iterable, points: int = 3, seed: int = 0
) -> int:
    """Check ``lhs == rhs`` *exactly* at ``points`` random rational points; return the number of entries checked.

    Both sides are built with the function classes above, and both were obtained by the chain rule with
    the same derivative rules, so they are equal as *formal* expressions: polynomials and quotients in the
    inputs and in the values of the function nodes (each ``Tanh(...)``, ``Exp(...)`` ... node). We test that
    formal identity directly: every input gets a random rational value and every distinct function node
    gets its own random rational value (a node is identified by its exact argument), and both sides are
    evaluated in exact ``Fraction`` arithmetic. Agreement at random points of a non-zero rational function
    is vanishingly unlikely (Schwartz-Zippel), and no floating-point tolerance is involved.

    Raises ``AssertionError`` naming the first entry that differs.
    """
    inputs = list(inputs)
    lhs_flat, rhs_flat = _flat(lhs), _flat(rhs)
    if len(lhs_flat) != len(rhs_flat):
        raise ValueError(f"lhs has {len(lhs_flat)} entries but rhs has {len(rhs_flat)}")
    rng = random.Random(seed)
    node_values: dict[tuple[str, Fraction], Fraction] = {}

    def node(kind: str, positive: bool):
        def value(arg):
            if not isinstance(arg, (Fraction, int)):
                raise TypeError(f"exact evaluation lost exactness: {kind} got {type(arg).__name__}")
            key = (kind, Fraction(arg))
            if key not in node_values:
                lo = 1 if positive else -29
                node_values[key] = Fraction(rng.randint(lo, 29) or 1, rng.randint(1, 31))
            return node_values[key]

        return value

    modules = [
        {"Tanh": node("tanh", False), "Sigmoid": node("sigmoid", True), "Exp": node("exp", True),
         "Log": node("log", False)},
    ]
    f = sp.lambdify([inputs], [lhs_flat, rhs_flat], modules=modules, cse=True)
    for _ in range(points):
        node_values.clear()
        point = [Fraction(rng.randint(-40, 40), rng.randint(1, 17)) for _ in inputs]
        left, right = f(point)
        for k, (a, b) in enumerate(zip(left, right)):
            if not isinstance(a, (Fraction, int)) or not isinstance(b, (Fraction, int)):
                raise TypeError(f"entry {k} was not evaluated exactly ({type(a).__name__}, {type(b).__name__})")
            if a != b:
                raise AssertionError(f"entry {k} differs: {lhs_flat[k]} != {rhs_flat[k]} at a random rational point")
    return len(lhs_flat)


# ----------------------------------------------------------------------------------------------------------------
# showing results: LaTeX on the site, Unicode in a terminal


def _in_notebook() -> bool:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def show(tex: str, expr=None, *, text: str | None = None) -> None:
    """Show an equation: typeset LaTeX on an executed page, SymPy's Unicode pretty form in a terminal.

    ``show(r"\\frac{\\partial L}{\\partial o}", expr, text="dL/do")`` displays ``tex = latex(expr)``;
    ``text`` is the plain-text left-hand side printed in a terminal (default: ``tex``).
    """
    if _in_notebook():
        from IPython.display import Math, display

        display(Math(tex if expr is None else f"{tex} = {latex(expr)}"))
        return
    if expr is None:
        print(text or tex)
    else:
        print(f"{text or tex} =")
        print(sp.pretty(expr, use_unicode=True))
    print()
