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

import sympy as sp
from sympy.core.expr import Expr


class _LazyNumPy:
    """``numpy``, imported when an attribute is first used.

    Building and checking expressions needs no NumPy; importing it costs about 0.1 s of CPU, which every
    ``python derivations/<name>.py`` that never evaluates on arrays would pay. The symbolic modules use this
    stand-in instead; the first ``np.tanh`` (or any other name) imports NumPy and returns its attribute.
    """

    def __getattr__(self, name):
        import numpy

        return getattr(numpy, name)


np = _LazyNumPy()


# ----------------------------------------------------------------------------------------------------------------
# function classes: a derivative rule each, no evaluation
#
# Tanh, Sigmoid and Exp say they are finite (true for the real arguments they get here: every symbol is real).
# SymPy asks each factor of a product with a zero coefficient whether it is infinite before it returns 0; without
# the class attribute every such question runs its inference engine over the whole argument (a fifth of the GRU
# derivation's time). The expressions SymPy builds are the same either way.
#
# The chain rule: SymPy's ``Function._eval_derivative`` returns ``fdiff(1) * a.diff(s)`` unless ``a.diff(s).is_zero``;
# that question, too, runs the inference engine through the whole derivative of the argument at every node of
# every ``sympy.diff``. ``_OneArgument`` skips the term only when the derivative *is* the number 0, the one case
# in which SymPy's question can answer yes for the expressions built here (polynomials in real symbols and nodes;
# tests/test_exact_derivatives.py checks the two rules give the same derivative).


class _OneArgument(sp.Function):
    """A function of one argument whose chain rule does not ask SymPy whether the inner derivative is zero."""

    nargs = 1

    def _eval_derivative(self, s):
        da = self.args[0].diff(s)
        if da is sp.S.Zero:
            return sp.S.Zero
        return self.fdiff(1) * da


class Tanh(_OneArgument):
    r"""tanh, with ``Tanh(a)' = 1 - Tanh(a)**2`` (equation (tanh'), proven in building_blocks.py)."""

    nargs = 1
    is_finite = True

    def fdiff(self, argindex=1):
        return 1 - Tanh(self.args[0]) ** 2

    def _latex(self, printer, exp=None):
        s = rf"\tanh\left({printer._print(self.args[0])}\right)"
        return s if exp is None else rf"\tanh^{{{exp}}}\left({printer._print(self.args[0])}\right)"


class Sigmoid(_OneArgument):
    r"""The logistic sigmoid, with ``Sigmoid(a)' = Sigmoid(a) (1 - Sigmoid(a))`` (equation (sigma'))."""

    nargs = 1
    is_finite = True

    def fdiff(self, argindex=1):
        s = Sigmoid(self.args[0])
        return s * (1 - s)

    def _latex(self, printer, exp=None):
        s = rf"\sigma\left({printer._print(self.args[0])}\right)"
        return s if exp is None else rf"\sigma^{{{exp}}}\left({printer._print(self.args[0])}\right)"


class Exp(_OneArgument):
    """exp, with ``Exp(a)' = Exp(a)``."""

    nargs = 1
    is_finite = True

    def fdiff(self, argindex=1):
        return Exp(self.args[0])

    def _latex(self, printer, exp=None):
        s = rf"e^{{{printer._print(self.args[0])}}}"
        return s if exp is None else rf"\left({s}\right)^{{{exp}}}"


class Log(_OneArgument):
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
NUMPY_FUNCTIONS = {"Tanh": lambda a: np.tanh(a), "Sigmoid": _np_sigmoid, "Exp": lambda a: np.exp(a),
                   "Log": lambda a: np.log(a)}

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


def random_points(inputs: Iterable[sp.Symbol], points: int = 3, seed: int = 0
                  ) -> Iterator[tuple[dict[sp.Symbol, Fraction], dict[type, Callable]]]:
    """The random rational points of the exact checks: ``(values, functions)`` for :func:`evaluate`, per point.

    ``values`` gives every input a random rational p / q (``|p|`` and ``q`` up to ``_SPREAD`` = 10^6);
    ``functions`` gives every distinct function node,
    identified by its class and the exact value of its argument, its own random rational (positive for
    ``Sigmoid`` and ``Exp``), drawn when the node is first evaluated and the same for the rest of that point.
    So two expressions built from the same nodes see the same node values, whichever is evaluated first.
    """
    inputs = list(inputs)
    if not isinstance(points, int) or points < 1:
        raise ValueError(f"points must be a positive integer, got {points!r}")
    rng = random.Random(seed)
    for _ in range(points):
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
        point = {s: Fraction(rng.randint(-_SPREAD, _SPREAD), rng.randint(1, _SPREAD)) for s in inputs}
        yield point, functions


def exact_agreement(lhs, rhs, inputs: Iterable[sp.Symbol], points: int = 3, seed: int = 0) -> int:
    """Check ``lhs == rhs`` *exactly* at ``points`` random rational points, over the shared graph.

    Every input gets a random rational value and every distinct function node (identified by the exact
    value of its argument) its own random rational value (:func:`random_points`); both sides are evaluated
    in exact ``Fraction`` arithmetic and must be *equal*. Both sides are rational functions of the inputs
    and of the node values (they come from the same derivative rules), so equality at random points
    certifies the formal identity up to a vanishing probability (Schwartz-Zippel); no floating-point
    tolerance is involved. The evaluation (:func:`evaluate`) visits every distinct subexpression once;
    ``lambdify`` would walk the expanded tree, which at (D, H, K, T) = (2, 3, 4, 3) alone takes many seconds.

    Returns the number of entries checked; raises ``AssertionError`` naming the first entry that differs.
    """
    lhs_flat, rhs_flat = _flat(lhs), _flat(rhs)
    if len(lhs_flat) != len(rhs_flat):
        raise ValueError(f"lhs has {len(lhs_flat)} entries but rhs has {len(rhs_flat)}")
    for point, functions in random_points(inputs, points, seed):
        both = evaluate(lhs_flat + rhs_flat, point, functions)
        left, right = both[: len(lhs_flat)], both[len(lhs_flat):]
        for i, (a, b) in enumerate(zip(left, right)):
            if a != b:
                raise AssertionError(f"entry {i} differs at a random rational point: {a} != {b}")
    return len(lhs_flat)


def _postorder(root: sp.Basic) -> list[sp.Basic]:
    """Every distinct subexpression of ``root`` once, each after *all* of its subexpressions.

    Iterative depth-first search: a node is expanded when it first reaches the top of the stack and done
    when it is there again, after everything pushed above it (its subexpressions) is done. (Marking nodes
    as seen when they are pushed would not do: a subexpression that is both an argument of ``e`` and deep
    inside a sibling could then come out after that sibling, and the reverse sweep would pass on its
    adjoint before the sibling's share has arrived.)
    """
    order: list[sp.Basic] = []
    expanded: set = set()
    done: set = set()
    stack = [root]
    while stack:
        e = stack[-1]
        if e in done:
            stack.pop()
        elif e in expanded:
            stack.pop()
            done.add(e)
            order.append(e)
        else:
            expanded.add(e)
            stack.extend(a for a in e.args if a not in done)
    return order


@functools.lru_cache(maxsize=1 << 16)
def _fdiff(node: sp.Basic, argindex: int = 1) -> sp.Expr:
    """The class's derivative rule at a function node, ``node.fdiff(argindex)`` (``1 - Tanh(a)**2`` for
    ``Tanh(a)``), built once per node: building SymPy expressions is the slow part of a reverse sweep."""
    return node.fdiff(argindex)


def expression_sizes(expr: sp.Basic) -> tuple[int, int]:
    """``(graph, tree)``: the number of distinct subexpressions of ``expr`` (what memory holds, what
    :func:`evaluate` and :func:`reverse_mode` visit) and the number of nodes of its tree written out (what
    a walk without memory, such as ``sympy.diff``'s, ``lambdify``'s or the printers', visits)."""
    order = _postorder(sp.sympify(expr))
    tree: dict = {}
    for e in order:
        tree[e] = 1 + sum(tree[a] for a in e.args)
    return len(order), tree[order[-1]]


def _power(v, k: int):
    """``v ** k``, exact: a negative power of an integer becomes a ``Fraction``, not a float."""
    if k >= 0:
        return v**k
    if isinstance(v, (int, Fraction)):
        return Fraction(1) / Fraction(v) ** (-k)
    raise TypeError(f"a negative power ({k}) of {type(v).__name__} is not exact here")


def reverse_mode(loss: sp.Expr, wrt: Iterable[sp.Symbol], memo: Mapping[sp.Basic, object],
                 functions: Mapping[type, Callable], number: Callable | None = None) -> list:
    """The values of ``d loss / d v`` for every ``v`` in ``wrt``, by the chain rule over the shared graph.

    ``memo`` holds the value of every subexpression of ``loss`` (as :func:`evaluate` leaves it, with the
    same ``functions`` and ``number``). One reverse sweep over the distinct subexpressions, each visited once, applies the
    rules ``sympy.diff`` applies: the sum rule (``Add``), the product rule (``Mul``, the product of the other
    factors, without division), the power rule ``d b**n = n b**(n-1) db`` for integer ``n`` (``Pow``), and
    for a function node ``f(a)`` its class's own ``fdiff`` (``1 - Tanh(a)**2`` for ``Tanh``), evaluated at
    the point like any other expression. The result is, exactly, the value at the point of the expression
    ``sympy.diff(loss, v)`` would build; no derivative expression is built.
    """
    adjoint: dict[sp.Basic, object] = {loss: 1}
    for e in reversed(_postorder(loss)):
        g = adjoint.get(e)
        if g is None or g == 0 or e.is_Atom:
            continue
        args = e.args
        if e.is_Add:
            contributions = [(a, g) for a in args]
        elif e.is_Mul:
            values = [memo[a] for a in args]
            before = [1]
            for v in values[:-1]:
                before.append(before[-1] * v)
            after = [1] * len(values)
            for i in range(len(values) - 2, -1, -1):
                after[i] = after[i + 1] * values[i + 1]
            contributions = [(a, g * before[i] * after[i]) for i, a in enumerate(args) if not a.is_Number]
        elif e.is_Pow:
            base, ex = args
            if not ex.is_Integer:
                raise TypeError(f"reverse_mode handles integer powers only, got {e}")
            n = int(ex)
            contributions = [(base, g * n * _power(memo[base], n - 1))]
        elif type(e) in functions:
            contributions = [(a, g * evaluate([_fdiff(e, i + 1)], {}, functions, number=number, memo=memo)[0])
                             for i, a in enumerate(args)]
        else:
            raise TypeError(f"reverse_mode cannot differentiate {type(e).__name__}: {e}")
        for a, c in contributions:
            if not a.is_Number:
                adjoint[a] = adjoint[a] + c if a in adjoint else c
    return [adjoint.get(v, 0) for v in wrt]


def _gradient_claims(claimed, params, inputs=None) -> tuple[list, list, list]:
    """Check the arguments of the gradient checks; return (wrt symbols, claimed entries, entry labels)."""
    if not isinstance(claimed, Mapping) or not isinstance(params, Mapping):
        raise TypeError("claimed and params must be mappings of names to SymPy matrices")
    if set(claimed) != set(params):
        raise ValueError(f"claimed and params must have the same names, got {sorted(claimed)} and {sorted(params)}")
    known = None if inputs is None else set(inputs)
    for name in params:
        c, p = claimed[name], params[name]
        if not isinstance(c, sp.MatrixBase) or not isinstance(p, sp.MatrixBase):
            raise TypeError(f"claimed[{name!r}] and params[{name!r}] must be SymPy matrices")
        if c.shape != p.shape:
            raise ValueError(f"claimed[{name!r}] has shape {c.shape} but params[{name!r}] has shape {p.shape}")
        for v in p:
            if not isinstance(v, sp.Symbol) or (known is not None and v not in known):
                raise ValueError(f"params[{name!r}] must hold symbols that are among the inputs, got {v}")
    wrt = [v for name in params for v in params[name]]
    claimed_flat = [sp.sympify(e) for name in params for e in claimed[name]]
    labels = [f"d{name}[{i}]" if params[name].cols == 1 else f"d{name}[{i},{j}]"
              for name in params for i in range(params[name].rows) for j in range(params[name].cols)]
    return wrt, claimed_flat, labels


def exact_gradient_agreement(claimed: Mapping[str, sp.Matrix], loss: sp.Expr, params: Mapping[str, sp.Matrix],
                             inputs: Iterable[sp.Symbol], points: int = 3, seed: int = 0) -> int:
    """Check ``claimed[name] == d loss / d params[name]`` for every entry, *exactly*, at random rational points.

    The reference derivative is never built as an expression: at each point of :func:`random_points` (the
    scheme of :func:`exact_agreement`: every input and every distinct tanh/sigmoid/exp/log node a random
    rational) the loss and the claimed gradients are evaluated in exact ``Fraction`` arithmetic, and
    :func:`reverse_mode` computes the derivative of the loss with respect to every parameter entry in one
    sweep, by SymPy's own derivative rule of each node. That is the value of ``sympy.diff(loss, v)`` at the
    point (``tests/test_exact_gradient.py`` checks it against plain ``sympy.diff``), so agreement at random
    points certifies ``claimed == sympy.diff(loss, v)`` as an identity of rational functions of the inputs
    and the node values, up to a vanishing probability (Schwartz-Zippel), as for :func:`exact_agreement`.

    ``claimed`` and ``params`` map the same names to matrices of the same shape (``params`` of symbols, each
    also in ``inputs``). Returns the number of entries checked; raises ``AssertionError`` naming the first
    entry that differs.
    """
    inputs = list(inputs)
    wrt, claimed_flat, labels = _gradient_claims(claimed, params, inputs)
    loss = sp.sympify(loss)
    for k, (point, functions) in enumerate(random_points(inputs, points, seed)):
        memo: dict = {}
        got = evaluate(claimed_flat + [loss], point, functions, memo=memo)[:-1]
        want = reverse_mode(loss, wrt, memo, functions)
        for label, a, b in zip(labels, got, want):
            if a != b:
                raise AssertionError(f"{label} differs from the derivative of the loss at random rational "
                                     f"point {k + 1}: {a} != {b}")
    return len(wrt)


def derivatives_at(outputs, wrt, values: Mapping, functions: Mapping[type, Callable], *,
                   memo: dict | None = None) -> list[list]:
    """``[[d outputs[i] / d wrt[j] for j] for i]`` at one point: :func:`reverse_mode` once per output.

    ``wrt`` may hold symbols or any subexpression of the outputs: the adjoint of a node ``h_i(t) =
    Tanh(a_i(t))`` is the *total* derivative, everything computed from it moving with it. An entry absent from
    an output has derivative 0. ``memo`` (filled in place) shares node values with later evaluations.
    """
    outputs, wrt = [sp.sympify(o) for o in _flat(outputs)], _flat(wrt)
    memo = {} if memo is None else memo
    evaluate(outputs, values, functions, memo=memo)  # every node's value, into memo
    return [reverse_mode(out, wrt, memo, functions) for out in outputs]


def exact_derivative_agreement(claimed, outputs, wrt, inputs: Iterable[sp.Symbol], *,
                               bind: Mapping[sp.Symbol, sp.Expr] | None = None,
                               points: int = 3, seed: int = 0) -> int:
    """Check ``claimed == d outputs / d wrt`` *exactly* at ``points`` random rational points.

    :func:`exact_gradient_agreement` for more than a loss and its parameters: ``claimed`` lists
    ``len(outputs) * len(wrt)`` expressions, output-major (for one loss, the gradient matrices in the order of
    ``wrt``; for a Jacobian, ``J[i, j] = d outputs[i] / d wrt[j]``), and ``wrt`` may hold nodes as well as
    symbols (:func:`derivatives_at`). At each point of :func:`random_points` the derivatives come from
    :func:`reverse_mode` (the chain rule of ``sympy.diff``, never built as an expression) and ``claimed`` is
    evaluated with the *same* node values; every entry must be equal, which certifies the identity up to a
    vanishing probability (Schwartz-Zippel), as for :func:`exact_agreement`.

    ``bind`` maps extra symbols to expressions: at each point such a symbol takes the value of its
    expression, but the derivative does not pass through it (it is a leaf). That is "held constant": truncated
    BPTT holds h(t - tau) fixed this way, and copies of W are bound to W.

    Returns the number of entries checked; raises ``AssertionError`` naming the first that differs.
    """
    outputs, wrt, claimed = _flat(outputs), _flat(wrt), _flat(claimed)
    if len(claimed) != len(outputs) * len(wrt):
        raise ValueError(f"claimed has {len(claimed)} entries, expected len(outputs) * len(wrt) = "
                         f"{len(outputs)} * {len(wrt)}")
    bind = dict(bind or {})
    for point, functions in random_points(inputs, points, seed):
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


_FUNCTION_CLASSES = (Tanh, Sigmoid, Exp, Log)


def _polynomial_domain(exprs: Sequence[sp.Expr]):
    """Values and functions that make :func:`evaluate` compute polynomials instead of numbers.

    Every free symbol becomes a generator of a polynomial ring over the rationals, and every distinct
    function node (its class and the polynomial of its argument) a generator of its own: an indeterminate
    that satisfies no identity of tanh, sigma, exp or log. Returns ``(values, functions, number)``.
    """
    from sympy.polys.domains import QQ
    from sympy.polys.rings import ring

    symbols, nodes = set(), set()
    seen: set = set()
    stack = list(exprs)
    while stack:  # every distinct subexpression of all of exprs once (they share most of their graph)
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if n.is_Symbol:
            symbols.add(n)
        elif isinstance(n, _FUNCTION_CLASSES):
            nodes.add(n)
        stack.extend(n.args)
    symbols = sorted(symbols, key=str)
    names = [str(v) for v in symbols]
    if len(set(names)) < len(names):  # two symbols printed alike: number them instead
        names = [f"v{i}" for i in range(len(symbols))]
    R, *gens = ring(names + [f"node{i + 1}" for i in range(len(nodes))] or ["v0"], QQ)
    values = dict(zip(symbols, gens))
    spare = iter(gens[len(symbols):])
    node_gens: dict = {}

    def node(cls):
        def value(arg):
            key = (cls, arg)
            if key not in node_gens:
                node_gens[key] = next(spare)
            return node_gens[key]

        return value

    def number(e):
        return R.ground_new(QQ.from_sympy(e))

    return values, {cls: node(cls) for cls in _FUNCTION_CLASSES}, number


def polynomial_identity(lhs, rhs) -> int:
    """Prove ``lhs == rhs`` symbolically: equal polynomials once every function node is an indeterminate.

    The same statement as ``sympy.expand(lhs - rhs) == 0`` (which also treats ``Tanh(a)`` as an atom), but
    each side is converted once over its shared graph (:func:`evaluate` into a sparse polynomial ring)
    instead of expanding the printed tree. Only for polynomial expressions (no negative powers).
    Returns the number of entries; raises ``AssertionError`` naming the first entry that differs.
    """
    lhs_flat, rhs_flat = [sp.sympify(e) for e in _flat(lhs)], [sp.sympify(e) for e in _flat(rhs)]
    if len(lhs_flat) != len(rhs_flat):
        raise ValueError(f"lhs has {len(lhs_flat)} entries but rhs has {len(rhs_flat)}")
    values, functions, number = _polynomial_domain(lhs_flat + rhs_flat)
    both = evaluate(lhs_flat + rhs_flat, values, functions, number=number)
    for i, (a, b) in enumerate(zip(both[: len(lhs_flat)], both[len(lhs_flat):])):
        if a != b:
            raise AssertionError(f"entry {i} differs symbolically: the difference is {a - b}")
    return len(lhs_flat)


def symbolic_gradient_identity(claimed: Mapping[str, sp.Matrix], loss: sp.Expr,
                               params: Mapping[str, sp.Matrix]) -> int:
    """Prove ``claimed[name] == d loss / d params[name]`` for every entry *symbolically* (not at points).

    :func:`reverse_mode` runs over the loss's graph with polynomials for values (:func:`_polynomial_domain`:
    every input and every function node an indeterminate), so its results are the derivatives as
    polynomials, built by SymPy's derivative rule of each node, and each must *equal* the polynomial of the
    claimed entry. The statement proven is the one ``sympy.expand(sympy.diff(loss, v) - claim) == 0`` proves;
    ``tests/test_exact_gradient.py`` checks the reverse sweep against plain ``sympy.diff``. For losses that
    are polynomials in the inputs and nodes (one step of a cell; a softmax needs :func:`exact_gradient_agreement`).
    Returns the number of entries; raises ``AssertionError`` naming the first entry that differs.
    """
    wrt, claimed_flat, labels = _gradient_claims(claimed, params)
    loss = sp.sympify(loss)
    values, functions, number = _polynomial_domain(claimed_flat + [loss] + wrt)
    memo: dict = {}
    got = evaluate(claimed_flat + [loss], values, functions, number=number, memo=memo)[:-1]
    want = reverse_mode(loss, wrt, memo, functions, number)
    for label, a, b in zip(labels, got, want):
        if a != b:
            raise AssertionError(f"{label} differs symbolically from the derivative of the loss: the "
                                 f"difference is {a - b}")
    return len(wrt)


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
    ``text`` is the plain-text left-hand side printed in a terminal (default: ``tex``). The pretty printer
    would import ``sympy.physics.units`` on the first product it prints, a quarter of a second of CPU for
    every ``python derivations/<name>.py``; :func:`_pretty` prints the same without that import.
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
