"""The fast reference of the derivations, ``exact_gradient_agreement``, against plain ``sympy.diff``.

``symbolic.core.reverse_mode`` computes the value of ``d loss / d v`` at a random rational point by one
reverse sweep over the loss's graph (SymPy's derivative rule of each node), without building the derivative
expression; ``exact_gradient_agreement`` compares a claimed gradient with it. The derivations use it in
place of brute-force differentiation, so here, in stages:

1. on small expressions that use every rule (sum, product with a zero factor, integer powers of both signs,
   each function class, a subexpression shared by several parents), reverse mode equals the exact value of
   plain ``sympy.diff``;
2. for the unrolled networks at tiny unequal sizes (dense layer, simple RNN, LSTM, GRU in all four
   conventions), the brute-force derivative expressions, plain ``sympy.diff`` where it takes seconds and the
   memoised SymPy rules elsewhere (identical to plain ``sympy.diff``: tests/test_*_brute_force.py), pass
   ``exact_gradient_agreement`` for every entry, at the same points the derivations use;
3. a wrong claim is caught and named; bad arguments are refused;
4. the symbolic variant (the same sweep on polynomials, for one step of a cell) equals plain ``sympy.diff``
   as polynomials, and forward mode run on exact numbers (``rtrl_agreement``) equals the symbolic forward
   mode of ``rtrl``.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp

from gentle_rnn.symbolic import Exp, Log, Sigmoid, Tanh, brute_force_gradient, matrix_symbols
from gentle_rnn.symbolic import gru as sg
from gentle_rnn.symbolic import lstm as sl
from gentle_rnn.symbolic.core import (
    evaluate, exact_gradient_agreement, polynomial_identity, random_points, reverse_mode, symbolic_gradient_identity,
)
from gentle_rnn.symbolic.dense import dense_network
from tests import rnn_reference as rnn_ref
from tests import test_gru, test_lstm

x, y, z = sp.symbols("x y z", real=True)


def _plain_values(loss, wrt, point, functions):
    """The exact value of plain sympy.diff(loss, v) for each v, at one point."""
    return evaluate([sp.diff(loss, v) for v in wrt], point, functions)


def _reverse_values(loss, wrt, point, functions):
    memo: dict = {}
    evaluate([loss], point, functions, memo=memo)
    return reverse_mode(loss, wrt, memo, functions)


# ----------------------------------------------------------------------------------------------------------------
# 1. every rule, on small expressions

SHARED = Tanh(x * y + z)  # a node with several parents: visited once, its adjoint the sum over them
SMALL = {
    "sum and product": 3 * x * y - x * z + 7,
    "integer powers": x**3 * y**-2 + (x + z) ** 2,
    "tanh": Tanh(x * y + z) ** 2 - Tanh(x - 3),
    "sigmoid": Sigmoid(2 * x + y) * z,
    "exp and log": Log(Exp(x) + Exp(y * z)) - x,
    "nested functions": Tanh(Sigmoid(Tanh(x) * y) + Exp(z)),
    "shared subexpression": SHARED * x + SHARED * y + Sigmoid(SHARED) + SHARED**2,
    # h both a factor and deep inside its sibling (as h(t-1) in the GRU's h(t-1) zeta(t)): its adjoint is
    # complete only after the sibling's sweep, so the sweep must visit the sibling first
    "shared at two depths": (Tanh(x) + y) * Sigmoid(z * Exp(Tanh(x) + y) + x),
}


@pytest.mark.parametrize("name", list(SMALL))
def test_reverse_mode_equals_plain_sympy_diff_on_small_expressions(name):
    loss = SMALL[name]
    wrt = [x, y, z]
    for point, functions in random_points(wrt, points=3, seed=1):
        want = _plain_values(loss, wrt, point, functions)
        got = _reverse_values(loss, wrt, point, functions)
        assert got == want, f"{name}: reverse mode {got} != plain sympy.diff {want}"


def test_product_rule_needs_no_division_by_a_zero_factor():
    loss = x * y * z
    point = {x: Fraction(0), y: Fraction(2), z: Fraction(5)}
    assert _reverse_values(loss, [x, y, z], point, {}) == [10, 0, 0]


def test_a_symbol_the_loss_does_not_contain_has_derivative_zero():
    w = sp.Symbol("w", real=True)
    point, functions = next(random_points([x, y, z, w], points=1))
    assert _reverse_values(Tanh(x) * y, [w, z], point, functions) == [0, 0]


# ----------------------------------------------------------------------------------------------------------------
# 2. the unrolled networks: brute-force derivative expressions pass the fast check


def test_dense_layer_plain_sympy_diff_passes_the_fast_check():
    net = dense_network(2, 3, 4, [3, 1])
    params = {"U": net.U, "b": net.b, "V": net.V, "c": net.c, **{f"x{n}": xn for n, xn in enumerate(net.x)}}
    plain = {k: brute_force_gradient(net.loss, M) for k, M in params.items()}
    inputs = [v for M in params.values() for v in M]
    assert exact_gradient_agreement(plain, net.loss, params, inputs, points=3) == 3 * 2 + 3 + 4 * 3 + 4 + 2 * 2


@pytest.mark.parametrize("size", rnn_ref.BRUTE_FORCE_SIZES, ids=lambda s: f"D{s[0]}H{s[1]}K{s[2]}T{s[3]}")
def test_simple_rnn_plain_sympy_diff_passes_the_fast_check(size):
    net = rnn_ref.network(size)
    n = exact_gradient_agreement(rnn_ref.brute_force(size), net.L, net.wrt, net.inputs, points=3)
    assert n == sum(len(M) for M in net.wrt.values())


def test_lstm_brute_force_passes_the_fast_check_for_every_entry():
    # memoised SymPy rules: expressions identical to plain sympy.diff (tests/test_lstm_brute_force.py, which
    # also runs the fast check on plain sympy.diff's own expressions for every entry)
    net = test_lstm.network(test_lstm.BRUTE_FORCE_SIZE)
    brute = test_lstm.brute_force(test_lstm.BRUTE_FORCE_SIZE)
    assert exact_gradient_agreement(brute, net.L, net.wrt, net.inputs, points=3) == 45


@pytest.mark.parametrize("conv", test_gru.CONVENTIONS, ids=test_gru.CONV_IDS)
def test_gru_brute_force_passes_the_fast_check_for_every_entry(conv):
    net = test_gru.network(test_gru.BRUTE_FORCE_SIZE, conv)
    brute = test_gru.brute_force(test_gru.BRUTE_FORCE_SIZE, conv)
    assert exact_gradient_agreement(brute, net.L, net.wrt, net.inputs, points=3) == 35


@pytest.mark.parametrize("model", ["lstm", "gru"])
def test_plain_sympy_diff_of_the_output_bias_passes_the_fast_check(model):
    # the cheapest entries of plain sympy.diff (2-3 s here; a gate's parameters take 10-20 s each, which
    # tests/test_*_brute_force.py spend)
    if model == "lstm":
        net = test_lstm.network(test_lstm.BRUTE_FORCE_SIZE)
        plain = sl.brute_force(net, names=["c"], method="sympy")
    else:
        net = test_gru.network(test_gru.BRUTE_FORCE_SIZE, ("keep", "before"))
        plain = sg.brute_force(net, names=["c"], method="sympy")
    assert exact_gradient_agreement(plain, net.L, {"c": net.params["c"]}, net.inputs) == 3


# ----------------------------------------------------------------------------------------------------------------
# 3. wrong claims are caught and named; bad arguments are refused


def test_a_transposed_lstm_gradient_is_caught_and_named():
    net = test_lstm.network(test_lstm.BRUTE_FORCE_SIZE)
    grads = dict(test_lstm.recursion(test_lstm.BRUTE_FORCE_SIZE).grads)
    grads["W_f"] = grads["W_f"].T
    with pytest.raises(AssertionError, match=r"^dW_f\[0,1\] differs"):
        exact_gradient_agreement(grads, net.L, net.wrt, net.inputs)


def test_a_gru_gradient_of_the_other_convention_is_caught():
    net = test_gru.network(test_gru.BRUTE_FORCE_SIZE, ("keep", "before"))
    other = test_gru.recursion(test_gru.BRUTE_FORCE_SIZE, ("keep", "after")).grads["W_h"]
    with pytest.raises(AssertionError, match=r"^dW_h\["):
        exact_gradient_agreement({"W_h": other}, net.L, {"W_h": net.params["W_h"]}, net.inputs)


def test_bad_arguments_are_refused_with_the_argument_named():
    U = matrix_symbols("U", 2, 3)
    loss = sp.Add(*U)
    inputs = list(U)
    with pytest.raises(ValueError, match="same names"):
        exact_gradient_agreement({"U": U}, loss, {"V": U}, inputs)
    with pytest.raises(ValueError, match=r"claimed\['U'\] has shape \(3, 2\)"):
        exact_gradient_agreement({"U": U.T}, loss, {"U": U}, inputs)
    with pytest.raises(ValueError, match=r"params\['U'\] must hold symbols"):
        exact_gradient_agreement({"U": U}, loss, {"U": U}, inputs[:-1])
    with pytest.raises(TypeError, match="mappings"):
        exact_gradient_agreement(U, loss, {"U": U}, inputs)
    with pytest.raises(ValueError, match="points must be a positive integer"):
        exact_gradient_agreement({"U": sp.ones(2, 3)}, loss, {"U": U}, inputs, points=0)
    assert exact_gradient_agreement({"U": sp.ones(2, 3)}, loss, {"U": U}, inputs) == 6


# ----------------------------------------------------------------------------------------------------------------
# 4. the symbolic variant (reverse mode on polynomials) and forward mode on exact numbers

POLYNOMIAL = [k for k in SMALL if k not in ("integer powers", "exp and log")]  # Log' = 1/a, y**-2: not polynomials


@pytest.mark.parametrize("name", POLYNOMIAL)
def test_symbolic_reverse_mode_equals_plain_sympy_diff_as_polynomials(name):
    loss = SMALL[name]
    wrt = sp.Matrix([x, y, z])
    plain = wrt.applyfunc(lambda v: sp.diff(loss, v))
    assert symbolic_gradient_identity({"w": plain}, loss, {"w": wrt}) == 3
    # and the comparison is symbolic: expand says the same
    assert all(sp.expand(a - sp.diff(loss, v)) == 0 for a, v in zip(plain, wrt))


def test_polynomial_identity_treats_nodes_as_indeterminates_and_names_the_entry():
    t = Tanh(x)
    assert polynomial_identity(sp.Matrix([(t + 1) ** 2, x * (y - 1)]), sp.Matrix([t**2 + 2 * t + 1, x * y - x])) == 2
    with pytest.raises(AssertionError, match="^entry 1 differs symbolically"):
        polynomial_identity(sp.Matrix([t, t**2]), sp.Matrix([t, 1 - t**2]))  # no identity of tanh is assumed
    with pytest.raises(AssertionError, match=r"^dw\[0\] differs symbolically"):
        symbolic_gradient_identity({"w": sp.Matrix([1 - t])}, t, {"w": sp.Matrix([x])})  # 1 - t, not 1 - t**2


def test_lstm_one_step_backward_by_symbolic_reverse_mode_equals_plain_sympy_diff():
    D, H = 2, 3
    P = sl.parameter_symbols(D, H, 4)
    h_prev, s_prev, x_t = matrix_symbols("hp", H), matrix_symbols("sp", H), matrix_symbols("xt", D)
    c = sl.cell(P, x_t, h_prev, s_prev)
    h_bar, s_bar = matrix_symbols("hbar", H), matrix_symbols("sbar", H)
    ell = (h_bar.T * c.h)[0, 0] + (s_bar.T * c.s)[0, 0]
    wrt = {"h_prev": h_prev, "s_prev": s_prev, **{k: P[k] for k in sl.GATE_PARAM_KEYS}}
    plain = {k: M.applyfunc(lambda v: sp.diff(ell, v)) for k, M in wrt.items()}
    assert symbolic_gradient_identity(plain, ell, wrt) == 2 * H + 4 * (H * D + H * H + H)


def test_forward_mode_on_exact_numbers_equals_the_symbolic_forward_mode():
    dims = test_lstm.SIZES[0][:4]
    net = test_lstm.network(dims)
    assert sl.rtrl_agreement(net, test_lstm.forward_mode(dims)) == sum(len(M) for M in net.wrt.values())
    wrong = dict(test_lstm.recursion(dims).grads)
    wrong["s0"] = wrong["h0"]
    with pytest.raises(AssertionError, match=r"^ds0\[0\] differs from forward mode"):
        sl.rtrl_agreement(net, wrong)
    conv = ("keep", "after")
    gnet = test_gru.network(dims, conv)
    assert sg.rtrl_agreement(gnet, sg.rtrl(gnet)) == sum(len(M) for M in gnet.wrt.values())
    gwrong = dict(test_gru.recursion(dims, ("keep", "before")).grads)
    with pytest.raises(AssertionError, match="differs from forward mode"):
        sg.rtrl_agreement(gnet, gwrong)
