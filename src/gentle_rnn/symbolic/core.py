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

import contextlib
import functools
import random
import sys
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from fractions import Fraction

import numpy as np
import sympy as sp
from sympy.core.expr import Expr


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


def matrix_sum(matrices: Iterable[sp.Matrix]) -> sp.Matrix:
    """The sum of a non-empty sequence of equally shaped matrices (``sum()`` would start from the number 0)."""
    it = iter(matrices)
    total = next(it)
    for m in it:
        total = total + m
    return total


def mul(*matrices: sp.MatrixBase) -> sp.Matrix:
    """The matrix product ``A B C ...``, entry by entry with ``sympy.Add`` and ``sympy.Mul`` (exact zeros skipped).

    The same expressions as ``A * B * C``, several times faster on matrices of large expressions: SymPy's own
    product converts to and from its domain-matrix representation, which costs more than the arithmetic
    here (tests/test_exact_derivatives.py asserts the two are equal).
    """
    it = iter(matrices)
    out = next(it)
    zero = sp.S.Zero
    for B in it:
        if out.cols != B.rows:
            raise ValueError(f"mul: shapes {out.shape} and {B.shape} do not fit")
        A = out
        out = sp.Matrix(A.rows, B.cols, lambda i, j: sp.Add(*[
            A[i, k] * B[k, j] for k in range(A.cols) if A[i, k] is not zero and B[k, j] is not zero]))
    return out


def gate_parameter_symbols(D: int, H: int, K: int, gates: Sequence[str],
                           latex_of: Mapping[str, str] | None = None) -> dict[str, sp.Matrix]:
    """Symbols for a gated cell's U_* (H x D), W_* (H x H), b_* (H) for each gate *, then V (K x H), c (K).

    ``latex_of`` maps a gate's code name to its LaTeX letter (``"zeta" -> "\\zeta"``); by default the name.
    """
    latex_of = latex_of or {}
    P = {}
    for g in gates:
        sub = latex_of.get(g, g)
        P[f"U_{g}"] = matrix_symbols(f"U_{g}", H, D, latex=f"(U_{{{sub}}})")
        P[f"W_{g}"] = matrix_symbols(f"W_{g}", H, H, latex=f"(W_{{{sub}}})")
        P[f"b_{g}"] = matrix_symbols(f"b_{g}", H, latex=f"(b_{{{sub}}})")
    P["V"] = matrix_symbols("V", K, H)
    P["c"] = matrix_symbols("c", K)
    return P


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


def evaluate(
    exprs: Sequence[sp.Expr],
    values: Mapping[sp.Basic, object],
    functions: Mapping[type, Callable],
    *,
    number: Callable | None = None,
    memo: dict | None = None,
):
    """Evaluate SymPy expressions bottom-up, visiting every *distinct* subexpression once.

    ``values`` maps each free symbol (or any subexpression, which is then not entered) to a number, an array
    (arrays broadcast: pass one entry per batch sample) or any object with ``+``, ``*`` and ``**``;
    ``functions`` maps the classes Tanh, Exp, Log, Sigmoid to callables. Numbers become ``int`` /
    ``Fraction`` (so that exact arithmetic stays exact) and floats ``float``, unless ``number`` converts them.
    ``memo`` (a dict, filled in place) carries results over to a later call with the same ``values``.
    """
    if memo is None:
        memo = {}
    memo.update(values)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))

    def ev(e):
        try:
            return memo[e]
        except KeyError:
            pass
        if e.is_Number and number is not None:
            v = number(e)
        elif e.is_Integer:
            v = int(e)
        elif e.is_Rational:
            v = Fraction(int(e.p), int(e.q))
        elif e.is_Number:
            v = float(e)
        elif e.is_Add:
            args = e.args
            v = ev(args[0])
            for a in args[1:]:
                v = v + ev(a)
        elif e.is_Mul:
            args = e.args
            v = ev(args[0])
            for a in args[1:]:
                v = v * ev(a)
        elif e.is_Pow:
            base, ex = e.args
            if not ex.is_Integer:
                raise TypeError(f"evaluate handles integer powers only, got {e}")
            n = int(ex)
            bv = ev(base)
            if n >= 0:
                v = bv**n
            elif isinstance(bv, (int, Fraction)):
                v = Fraction(1) / bv ** (-n)  # stays exact
            else:
                v = 1.0 / bv ** (-n)
        elif type(e) in functions:
            v = functions[type(e)](ev(e.args[0]))
        elif e.is_Symbol:
            raise KeyError(f"no value given for the symbol {e}")
        else:
            raise TypeError(f"evaluate cannot handle {type(e).__name__}: {e}")
        memo[e] = v
        return v

    return [ev(sp.sympify(e)) for e in exprs]


def _flat(x) -> list:
    if isinstance(x, sp.MatrixBase):
        return list(x)
    if isinstance(x, Mapping):
        return [e for v in x.values() for e in _flat(v)]
    if isinstance(x, (list, tuple)):
        return [e for item in x for e in _flat(item)]
    return [x]


#: Random rationals are p / q with |p| <= _SPREAD and 1 <= q <= _SPREAD: no single value has a probability
#: above about 1 / _SPREAD, so a non-zero polynomial of degree d vanishes at such a point with probability at
#: most about d / _SPREAD (the Schwartz-Zippel lemma, in the form for independent coordinates).
_SPREAD = 10**6


def random_rational_point(inputs: Iterable[sp.Symbol], rng: random.Random) -> tuple[dict, dict]:
    """One random point of :func:`exact_agreement`: ``(values, functions)`` for :func:`evaluate`.

    ``values`` gives every input a random rational p / q (``|p|``, ``q`` up to ``_SPREAD`` = 10^6);
    ``functions`` gives every distinct function node
    (identified by its kind and the exact value of its argument) its own random rational, drawn the first
    time the node is met (positive for ``Exp`` and ``Sigmoid``). Evaluating several expressions with the same
    ``functions`` gives the same node the same value in all of them.
    """
    node_values: dict[tuple[str, Fraction], Fraction] = {}

    def node(kind: str, positive: bool):
        def value(arg):
            key = (kind, Fraction(arg))
            if key not in node_values:
                lo = 1 if positive else -_SPREAD
                node_values[key] = Fraction(rng.randint(lo, _SPREAD) or 1, rng.randint(1, _SPREAD))
            return node_values[key]

        return value

    functions = {Tanh: node("tanh", False), Sigmoid: node("sigmoid", True), Exp: node("exp", True),
                 Log: node("log", False)}
    values = {s: Fraction(rng.randint(-_SPREAD, _SPREAD), rng.randint(1, _SPREAD)) for s in inputs}
    return values, functions


def exact_agreement(lhs, rhs, inputs: Iterable[sp.Symbol], points: int = 3, seed: int = 0) -> int:
    """Check ``lhs == rhs`` *exactly* at ``points`` random rational points, over the shared graph.

    Every input gets a random rational value and every distinct function node (identified by the exact
    value of its argument) its own random rational value (:func:`random_rational_point`); both sides are
    evaluated in exact ``Fraction`` arithmetic and must be *equal*. Both sides are rational functions of the
    inputs and of the node values (they come from the same derivative rules), so equality at random points
    certifies the formal identity up to a vanishing probability (Schwartz-Zippel); no floating-point
    tolerance is involved. The evaluation (:func:`evaluate`) visits every distinct subexpression once;
    ``lambdify`` would walk the expanded tree, which at (D, H, K, T) = (2, 3, 4, 3) alone takes many seconds.

    Returns the number of entries checked; raises ``AssertionError`` naming the first entry that differs.
    """
    inputs = list(inputs)
    lhs_flat, rhs_flat = _flat(lhs), _flat(rhs)
    if len(lhs_flat) != len(rhs_flat):
        raise ValueError(f"lhs has {len(lhs_flat)} entries but rhs has {len(rhs_flat)}")
    rng = random.Random(seed)
    for _ in range(points):
        point, functions = random_rational_point(inputs, rng)
        both = evaluate(lhs_flat + rhs_flat, point, functions)
        left, right = both[: len(lhs_flat)], both[len(lhs_flat):]
        for i, (a, b) in enumerate(zip(left, right)):
            if a != b:
                raise AssertionError(f"entry {i} differs at a random rational point: {a} != {b}")
    return len(lhs_flat)


def _post_order(roots: Sequence[sp.Basic]) -> list[sp.Basic]:
    """Every distinct subexpression of ``roots``, each after all of its arguments (iterative, no recursion)."""
    seen: set = set()
    order: list = []
    for root in roots:
        if root in seen:
            continue
        stack = [(root, iter(root.args))]
        seen.add(root)
        while stack:
            node, children = stack[-1]
            for child in children:
                if child not in seen:
                    seen.add(child)
                    stack.append((child, iter(child.args)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


@functools.lru_cache(maxsize=1 << 16)
def _fdiff(node: sp.Basic) -> sp.Expr:
    """The class's derivative rule at a function node, ``node.fdiff(1)`` (``1 - Tanh(a)**2`` for ``Tanh(a)``),
    built once per node: building SymPy expressions is the slow part of a point's chain rule."""
    return node.fdiff(1)


def expression_sizes(expr: sp.Basic) -> tuple[int, int]:
    """``(graph, tree)``: the number of distinct subexpressions of ``expr`` (what memory holds, what
    :func:`evaluate` and :func:`derivatives_at` visit) and the number of nodes of its tree written out (what
    a walk without memory, such as ``sympy.diff``'s, ``lambdify``'s or the printers', visits)."""
    order = _post_order([sp.sympify(expr)])
    tree: dict = {}
    for e in order:
        tree[e] = 1 + sum(tree[a] for a in e.args)
    return len(order), tree[order[-1]]


def derivatives_at(outputs, wrt, values: Mapping, functions: Mapping[type, Callable], *,
                   memo: dict | None = None) -> list[list]:
    """``[[d outputs[i] / d wrt[j] for j] for i]`` at one point, by the chain rule over the shared graph.

    Reverse mode (backpropagation) in the arithmetic of ``values`` (exact ``Fraction`` for the points of
    :func:`random_rational_point`): every distinct subexpression is visited once per output, and each node
    passes its adjoint to its arguments with the local rules ``sympy.diff`` applies: the sum rule for
    ``Add``; the product rule for ``Mul`` (the product of the other factors); the power rule
    ``n base^(n-1)`` for an integer power; and for ``Tanh``, ``Sigmoid``, ``Exp``, ``Log`` the class's own
    ``fdiff`` (the rule :mod:`~gentle_rnn.symbolic.core` gives SymPy), evaluated at the node's value. The
    result equals the ``sympy.diff`` expression evaluated at the same point with the same node values
    (tests/test_exact_derivatives.py asserts it), without ever building that expression.

    ``wrt`` may hold symbols or any subexpression of the outputs (a node ``h_i(t) = Tanh(a_i(t))``: its
    adjoint is the *total* derivative, everything computed from it moving with it); a ``wrt`` entry absent
    from an output has derivative 0.
    """
    outputs, wrt = [sp.sympify(o) for o in _flat(outputs)], _flat(wrt)
    memo = {} if memo is None else memo
    evaluate(outputs, values, functions, memo=memo)  # every node's value, into memo
    local: dict = {}  # node -> [(argument, d node / d argument)], shared by all outputs
    one = 1

    def rules(e):
        found = local.get(e)
        if found is not None:
            return found
        args = e.args
        if e.is_Add:
            found = [(a, one) for a in args if not a.is_Number]
        elif e.is_Mul:
            vals = [memo[a] for a in args]
            prefix = [one]
            for v in vals[:-1]:
                prefix.append(prefix[-1] * v)
            suffix, out = one, [None] * len(args)
            for i in range(len(args) - 1, -1, -1):
                out[i] = (args[i], prefix[i] * suffix)
                suffix = suffix * vals[i]
            found = [(a, d) for a, d in out if not a.is_Number]
        elif e.is_Pow:
            base, n = args
            n = int(n)  # evaluate has already refused a non-integer exponent
            b = memo[base]
            b = Fraction(b) if isinstance(b, int) else b  # int ** -2 would be a float
            found = [(base, n * b ** (n - 1))]
        elif type(e) in functions:
            found = [(args[0], evaluate([_fdiff(e)], {}, functions, memo=memo)[0])]
        else:  # a symbol or a number: a leaf
            found = []
        local[e] = found
        return found

    table = []
    for out in outputs:
        order = _post_order([out])
        adjoint = {out: one}
        for e in reversed(order):
            g = adjoint.get(e)
            if g is None or g == 0 or e.is_Atom:
                continue
            for arg, d in rules(e):
                adjoint[arg] = adjoint.get(arg, 0) + g * d
        table.append([adjoint.get(w, 0) for w in wrt])
    return table


def exact_derivative_agreement(claimed, outputs, wrt, inputs: Iterable[sp.Symbol], *,
                               bind: Mapping[sp.Symbol, sp.Expr] | None = None,
                               points: int = 3, seed: int = 0) -> int:
    """Check ``claimed == d outputs / d wrt`` *exactly* at ``points`` random rational points.

    ``claimed`` lists ``len(outputs) * len(wrt)`` expressions, output-major: for one loss and a parameter
    matrix, the gradient matrix itself (``outputs=[L]``, ``wrt=W``, ``claimed=dL/dW``, entries in the same
    order); for a Jacobian, the matrix ``J[i, j] = d outputs[i] / d wrt[j]``. At each point of
    :func:`random_rational_point` the derivatives are computed by :func:`derivatives_at` (the chain rule
    of ``sympy.diff``, never built as an expression) and ``claimed`` is evaluated with the *same* node
    values; every entry must be equal. Both are rational functions of the inputs and the node values, so
    equality at random points certifies the identity up to a vanishing probability (Schwartz-Zippel), as in
    :func:`exact_agreement`.

    ``bind`` maps extra symbols to expressions: at each point such a symbol takes the value of its
    expression, but the derivative does not pass through it (it is a leaf). That is "held constant": truncated
    BPTT holds h(t - tau) fixed this way.

    Returns the number of entries checked; raises ``AssertionError`` naming the first that differs.
    """
    inputs, outputs, wrt, claimed = list(inputs), _flat(outputs), _flat(wrt), _flat(claimed)
    if len(claimed) != len(outputs) * len(wrt):
        raise ValueError(f"claimed has {len(claimed)} entries, expected len(outputs) * len(wrt) = "
                         f"{len(outputs)} * {len(wrt)}")
    bind = dict(bind or {})
    rng = random.Random(seed)
    for _ in range(points):
        point, functions = random_rational_point(inputs, rng)
        memo: dict = {}
        if bind:
            held = evaluate(list(bind.values()), point, functions, memo=memo)
            point.update(zip(bind, held))
        table = derivatives_at(outputs, wrt, point, functions, memo=memo)
        want = evaluate(claimed, point, functions, memo=memo)
        for i, row in enumerate(table):
            for j, got in enumerate(row):
                if got != want[i * len(wrt) + j]:
                    raise AssertionError(f"d output {i} / d {wrt[j]} differs at a random rational point: "
                                         f"chain rule {got} != claimed {want[i * len(wrt) + j]}")
    return len(claimed)


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
        print(_pretty(expr))
    print()


def _pretty(expr) -> str:
    """``sympy.pretty`` without importing ``sympy.physics.units`` (about 0.3 s, a third of ``import sympy``).

    The pretty printer imports that package only to ask whether a factor is a ``Quantity``; no expression
    can hold one unless the package was imported, so until then a stand-in class answers the same "no".
    """
    name = "sympy.physics.units"
    if name in sys.modules:
        return sp.pretty(expr, use_unicode=True)
    stand_in = types.ModuleType(name)
    stand_in.Quantity = type("Quantity", (), {})
    sys.modules[name] = stand_in
    try:
        return sp.pretty(expr, use_unicode=True)
    finally:
        del sys.modules[name]


@contextlib.contextmanager
def memoized_diff() -> Iterator[None]:
    """Inside this block, ``Expr.diff(v)`` remembers its result for every (subexpression, symbol) pair.

    ``sympy.diff`` applies the chain rule by calling ``arg.diff(v)`` on the arguments of every node, and it
    wraps each call in a ``Derivative`` that walks the whole result once more. In an unrolled network h(t-1)
    is shared by everything step t computes (the four gates of an LSTM, the H units of an RNN), so the
    expanded tree (which those walks see) is exponentially larger than the graph. Here each distinct
    subexpression is differentiated once, by the same method ``sympy.diff`` dispatches to (``_eval_derivative_n_times``), and with the same quick exit (a
    subexpression free of v has derivative 0). The results are the same expressions ``sympy.diff`` returns;
    tests/test_lstm_brute_force.py and tests/test_rnn_symbolic.py assert ``==`` for every entry.
    """
    original = Expr.diff
    memo: dict[tuple[sp.Basic, sp.Symbol], sp.Expr] = {}
    free: dict[sp.Basic, frozenset] = {}

    def free_symbols(e):
        found = free.get(e)
        if found is None:
            found = e.free_symbols if e.is_Atom else frozenset().union(*(free_symbols(a) for a in e.args))
            free[e] = found
        return found

    def diff(self, *symbols, **kwargs):
        if kwargs or len(symbols) != 1:
            return original(self, *symbols, **kwargs)
        v, n = symbols[0], 1
        if isinstance(v, (tuple, sp.Tuple)):  # Mul's product rule asks for (v, k): the k-th derivative
            v, n = v
        if n == 0:
            return self
        if n != 1 or not isinstance(v, sp.Symbol):
            return original(self, *symbols, **kwargs)
        if v not in free_symbols(self):
            return sp.S.Zero
        key = (self, v)
        if key not in memo:
            memo[key] = self._eval_derivative_n_times(v, 1)
        return memo[key]

    Expr.diff = diff
    try:
        yield
    finally:
        Expr.diff = original
