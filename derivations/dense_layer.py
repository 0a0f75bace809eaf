# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Derivation: the gradients of a densely connected layer
#
# Part 1 ([Why do we need RNN?](../part-1-why-rnn.md)) recaps forward propagation and backpropagation through a densely
# connected layer (DCL). This script proves every gradient that page states. The network is one hidden
# layer and a softmax output layer, in the letters the simple RNN uses from Part 2 on:
#
# $$\begin{aligned}
#   a &= b + U x, & h &= \tanh(a), & o &= c + V h,\\
#   L &= \sum_{n=1}^{B} -\log \operatorname{softmax}\big(o^{[n]}\big)_{y^{[n]}}
#   \end{aligned}$$
#
# with $U: H \times D$, $b: H$, $V: K \times H$, $c: K$, and a batch of $B$ examples $x^{[n]}$ with labels
# $y^{[n]}$ (square brackets number the examples of a batch; round ones are kept for time steps from Part 2
# on). The loss is a **sum** over the batch, as everywhere in the series.
#
# **The method.** SymPy builds the loss as one explicit expression in every parameter entry and every input
# entry. The *brute force* reference is the derivative of that expression with respect to each entry, by the
# chain rule alone: it knows nothing about deltas, transposes or outer products. Separately, we write the
# *matrix formulas* of the page (1.5)-(1.10), and assert that each equals the brute force, entry by entry.
#
# The comparison is exact, at random rational points (`exact_gradient_agreement`): every input and every
# $\tanh$, $\exp$, $\log$ node gets a random rational value, the matrix formula is evaluated in exact
# fractions, and the derivative of the loss is computed at the same point by one reverse sweep over the
# loss's expression graph that applies SymPy's own derivative rule of each node (the sum, product and power
# rules, and each function's `fdiff`, here $\tanh' = 1 - \tanh^2$ and $\exp' = \exp$), so no derivative
# expression is built. Both sides are rational functions of the inputs and the node values; two *different*
# rational functions agree at a random point with vanishing probability (Schwartz-Zippel), so equality at
# three points proves the identity with no floating point involved. That the sweep computes exactly what
# `sympy.diff` would is itself tested (`tests/test_exact_gradient.py`, for this network among others: plain
# `sympy.diff` of every entry, evaluated exactly, gives the same numbers at random points).
#
# **The sizes** are all different, $D=2$, $H=3$, $K=4$, with a batch of $B=2$: a transposed matrix or a
# missing sum over the batch would change a shape or a number, and could not hide.
#
# Run it with `python derivations/dense_layer.py` from the repository root; it prints the same results in
# the terminal and stops with an `AssertionError` if any formula is wrong.

# %%
import time

import sympy as sp

from gentle_rnn.symbolic import Exp, Tanh, matrix_symbols, show, softmax_cross_entropy
from gentle_rnn.symbolic.core import exact_gradient_agreement
from gentle_rnn.symbolic.dense import dense_network

started = time.perf_counter()
D, H, K = 2, 3, 4
labels = [3, 1]  # y^[1], y^[2]: one class per example, B = 2
B = len(labels)
net = dense_network(D, H, K, labels)
U, b, V, c, x = net.U, net.b, net.V, net.c, net.x
inputs = [v for M in (U, b, V, c, *x) for v in M]  # every free symbol of the loss


def is_gradient(claimed: sp.Matrix, loss: sp.Expr, wrt: sp.Matrix, inputs) -> bool:
    """True when ``claimed`` equals d loss / d wrt, every entry, exactly at 3 random rational points."""
    try:
        return exact_gradient_agreement({"wrt": claimed}, loss, {"wrt": wrt}, inputs, points=3) == len(wrt)
    except AssertionError as err:  # the entry that differs, then the equation (the caller's message)
        print(err)
        return False


def onehot(y: int, k: int) -> sp.Matrix:
    return sp.Matrix([1 if i == y else 0 for i in range(k)])


def softmax(o: sp.Matrix) -> sp.Matrix:
    total = sp.Add(*[Exp(ok) for ok in o])
    return o.applyfunc(lambda ok: Exp(ok) / total)


print(f"D={D}, H={H}, K={K}, B={B}, labels={labels}")

# %% [markdown]
# ## 1. The forward pass
#
# Equations [(1.1)-(1.4)](../part-1-why-rnn.md#eq-1-1) of the page, built by `gentle_rnn.symbolic.dense.dense_network`. Our `Tanh` and `Exp`
# are SymPy functions that carry only their derivative rule ($\tanh' = 1 - \tanh^2$, $\exp' = \exp$, proven in
# [building_blocks.py](building_blocks.py)), so SymPy never rewrites them. The first hidden pre-activation
# and the first example's share of the loss, written with the logits $o^{[1]} = c + V h^{[1]}$ (its label is
# $y^{[1]} = 3$, the fourth class, counted from 0 in code and from 1 in the printed indices):

# %%
show(r"a^{[1]} = b + U x^{[1]}", net.a[0], text="a[1] = b + U x[1]")

# For display only: name the hidden activations h and the logits o, so that the expressions stay readable.
h_sym = [matrix_symbols(f"h{n}", H, latex=rf"h^{{[{n + 1}]}}") for n in range(B)]
o_sym = [matrix_symbols(f"o{n}", K, latex=rf"o^{{[{n + 1}]}}") for n in range(B)]


def abbreviate(expr):
    """Replace each Tanh(a) node by its h symbol and each exp(o) argument by its o symbol."""
    expr = expr.xreplace({Tanh(net.a[n][i]): h_sym[n][i] for n in range(B) for i in range(H)})
    return expr.xreplace({(c + V * h_sym[n])[k]: o_sym[n][k] for n in range(B) for k in range(K)})


show(r"L^{[1]}", softmax_cross_entropy(o_sym[0], labels[0]), text="L[1]")

# %% [markdown]
# ## 2. Brute force
#
# The brute force covers $HD + H + KH + K$ parameter entries and $BD$ input entries; nothing in it knows the
# matrix formulas. One entry as an expression, from `sympy.diff`, printed with the names $h$ and $o$ standing
# for the (long) expressions they abbreviate; the factor $1 - h_1^2$ and the sum over both examples are
# already visible:

# %%
show(r"\frac{\partial L}{\partial U_{11}}", abbreviate(sp.diff(net.loss, U[0, 0])), text="dL/dU[1,1] (sympy.diff)")

# %% [markdown]
# ## 3. The error at the logits
#
# Treat the logits $o^{[n]}$ as free symbols and differentiate the loss with respect to them:
#
# $$\frac{\partial L}{\partial o^{[n]}} = \operatorname{softmax}\big(o^{[n]}\big) - \operatorname{onehot}\big(y^{[n]}\big)
#   \tag{1.5}$$
#
# (the result of [building_blocks.py](building_blocks.py#softmax-followed-by-cross-entropy), checked again here so
# that this script stands alone; the page's [(1.5)](../part-1-why-rnn.md#eq-1-5)). From here on, `do[n]` is this expression evaluated at the network's own logits.

# %%
o_free = o_sym  # the logits as free symbols
loss_o = sp.Add(*[softmax_cross_entropy(o_free[n], labels[n]) for n in range(B)])
o_inputs = [v for on in o_free for v in on]
for n in range(B):
    rhs = softmax(o_free[n]) - onehot(labels[n], K)
    assert is_gradient(rhs, loss_o, o_free[n], o_inputs), f"(1.5) dL/do[{n + 1}] differs from softmax(o) - onehot(y)"
print("(1.5) dL/do = softmax(o) - onehot(y): proven for every example")

do = [softmax(net.o[n]) - onehot(labels[n], K) for n in range(B)]

# %% [markdown]
# ## 4. The output layer
#
# The logits depend on $V_{ki}$ only through $o_k = c_k + \sum_i V_{ki} h_i$, so
# $\partial L / \partial V_{ki} = \sum_n \frac{\partial L}{\partial o^{[n]}_k} h^{[n]}_i$: an outer product per
# example, summed over the batch. The bias is the same with $h$ replaced by 1:
#
# $$\frac{\partial L}{\partial V} = \sum_{n} \frac{\partial L}{\partial o^{[n]}} \big(h^{[n]}\big)^{\top},
#   \qquad \frac{\partial L}{\partial c} = \sum_{n} \frac{\partial L}{\partial o^{[n]}} \tag{1.6}$$
#
# The page's [(1.6)](../part-1-why-rnn.md#eq-1-6), implemented by `gentle_rnn.dense.output_backward`.

# %%
dV = sp.zeros(K, H)
dc = sp.zeros(K, 1)
for n in range(B):
    dV += do[n] * net.h[n].T  # (K x 1)(1 x H) = K x H
    dc += do[n]
assert is_gradient(dV, net.loss, V, inputs), "(1.6) dL/dV = sum_n do h^T differs from brute force"
assert is_gradient(dc, net.loss, c, inputs), "(1.6) dL/dc = sum_n do differs from brute force"
show(r"\frac{\partial L}{\partial V} = \sum_n \frac{\partial L}{\partial o^{[n]}} \big(h^{[n]}\big)^{\top}",
     text="(1.6) dL/dV = sum_n do[n] h[n]^T: proven")
show(r"\frac{\partial L}{\partial c} = \sum_n \frac{\partial L}{\partial o^{[n]}}",
     text="(1.6) dL/dc = sum_n do[n]: proven")

# %% [markdown]
# ## 5. Back to the hidden activation
#
# Each $h_i$ feeds every logit $o_k$ through the weight $V_{ki}$, so the gradient sums over $k$:
# $\partial L / \partial h_i = \sum_k V_{ki}\, \partial L / \partial o_k$, which is a product with the
# *transpose* of $V$:
#
# $$\frac{\partial L}{\partial h^{[n]}} = V^{\top} \frac{\partial L}{\partial o^{[n]}} \tag{1.7}$$
#
# To check it, the hidden activations become free symbols and the loss is built from them. The page's
# [(1.7)](../part-1-why-rnn.md#eq-1-7), implemented by `gentle_rnn.dense.output_backward`.

# %%
h_free = h_sym  # the hidden activations as free symbols
o_of_h = [c + V * h_free[n] for n in range(B)]
loss_h = sp.Add(*[softmax_cross_entropy(o_of_h[n], labels[n]) for n in range(B)])
h_inputs = [v for M in (V, c, *h_free) for v in M]
for n in range(B):
    rhs = V.T * (softmax(o_of_h[n]) - onehot(labels[n], K))
    assert is_gradient(rhs, loss_h, h_free[n], h_inputs), f"(1.7) dL/dh[{n + 1}] = V^T dL/do differs from brute force"
show(r"\frac{\partial L}{\partial h^{[n]}} = V^{\top} \frac{\partial L}{\partial o^{[n]}}",
     text="(1.7) dL/dh = V^T dL/do: proven")

# %% [markdown]
# ## 6. Through the nonlinearity: the delta
#
# $h_i = \tanh(a_i)$ depends on $a_i$ alone, so the Jacobian $\partial h / \partial a$ is the diagonal matrix
# $\operatorname{diag}(1 - h \odot h)$, and multiplying by a diagonal matrix is an elementwise product. The
# gradient at the pre-activation gets its own name, the *delta* $\delta$:
#
# $$\delta^{[n]} = \frac{\partial L}{\partial a^{[n]}} = \big(1 - h^{[n]} \odot h^{[n]}\big) \odot
#   \frac{\partial L}{\partial h^{[n]}} \tag{1.8}$$
#
# Checked with the pre-activations as free symbols. The page's [(1.8)](../part-1-why-rnn.md#eq-1-8),
# implemented by `gentle_rnn.dense.hidden_backward`.

# %%
a_free = [matrix_symbols(f"a{n}", H, latex=rf"a^{{[{n + 1}]}}") for n in range(B)]
h_of_a = [a_free[n].applyfunc(Tanh) for n in range(B)]
o_of_a = [c + V * h_of_a[n] for n in range(B)]
loss_a = sp.Add(*[softmax_cross_entropy(o_of_a[n], labels[n]) for n in range(B)])
a_inputs = [v for M in (V, c, *a_free) for v in M]
for n in range(B):
    dh_n = V.T * (softmax(o_of_a[n]) - onehot(labels[n], K))
    rhs = sp.matrix_multiply_elementwise(h_of_a[n].applyfunc(lambda hi: 1 - hi**2), dh_n)
    assert is_gradient(rhs, loss_a, a_free[n], a_inputs), f"(1.8) delta[{n + 1}] = (1 - h*h) * dL/dh differs from brute force"
show(r"\delta^{[n]} = \big(1 - h^{[n]} \odot h^{[n]}\big) \odot \frac{\partial L}{\partial h^{[n]}}",
     text="(1.8) delta = (1 - h*h) * dL/dh: proven")

# the deltas of the network itself, for the next two steps
delta = []
for n in range(B):
    dh_n = V.T * do[n]  # (1.7)
    delta.append(sp.matrix_multiply_elementwise(net.h[n].applyfunc(lambda hi: 1 - hi**2), dh_n))  # (1.8)

# %% [markdown]
# ## 7. The hidden-layer weights: delta times input transposed
#
# The same argument as for $V$, one layer down: $a_j = b_j + \sum_i U_{ji} x_i$, so
# $\partial L / \partial U_{ji} = \sum_n \delta^{[n]}_j x^{[n]}_i$:
#
# $$\frac{\partial L}{\partial U} = \sum_{n} \delta^{[n]} \big(x^{[n]}\big)^{\top}, \qquad
#   \frac{\partial L}{\partial b} = \sum_{n} \delta^{[n]} \tag{1.9}$$
#
# This is the rule "delta times input transposed" that every weight matrix of a network obeys: the delta at the layer's
# output times the transpose of the layer's input. The page's [(1.9)](../part-1-why-rnn.md#eq-1-9), implemented
# by `gentle_rnn.dense.hidden_backward`.

# %%
dU = sp.zeros(H, D)
db = sp.zeros(H, 1)
for n in range(B):
    dU += delta[n] * x[n].T  # (H x 1)(1 x D) = H x D
    db += delta[n]
assert is_gradient(dU, net.loss, U, inputs), "(1.9) dL/dU = sum_n delta x^T differs from brute force"
assert is_gradient(db, net.loss, b, inputs), "(1.9) dL/db = sum_n delta differs from brute force"
show(r"\frac{\partial L}{\partial U} = \sum_n \delta^{[n]} \big(x^{[n]}\big)^{\top}",
     text="(1.9) dL/dU = sum_n delta[n] x[n]^T: proven")
show(r"\frac{\partial L}{\partial b} = \sum_n \delta^{[n]}", text="(1.9) dL/db = sum_n delta[n]: proven")

# %% [markdown]
# ## 8. The gradient that flows to the layer below
#
# The input gradient is what a layer hands to the layer under it (in Part 3 the same product hands the
# gradient from one time step to the previous one):
#
# $$\frac{\partial L}{\partial x^{[n]}} = U^{\top} \delta^{[n]} \tag{1.10}$$
#
# The page's [(1.10)](../part-1-why-rnn.md#eq-1-10), implemented by `gentle_rnn.dense.hidden_backward`.

# %%
for n in range(B):
    dx_n = U.T * delta[n]
    assert is_gradient(dx_n, net.loss, x[n], inputs), f"(1.10) dL/dx[{n + 1}] = U^T delta differs from brute force"
show(r"\frac{\partial L}{\partial x^{[n]}} = U^{\top} \delta^{[n]}", text="(1.10) dL/dx = U^T delta: proven")

# %% [markdown]
# ## What was proven
#
# At $D=2$, $H=3$, $K=4$, $B=2$: equations (1.5) to (1.10), every entry, each equal to the derivative of the
# loss exactly at three random rational points (Schwartz-Zippel; the derivative by SymPy's rule of each node,
# chained over the expression graph, which the tests tie to plain `sympy.diff`), with one assertion per
# gradient.
# The derivative rules of $\tanh$ and $\exp$ come from [building_blocks.py](building_blocks.py).
# `tests/test_dense.py` then checks that the NumPy functions of `gentle_rnn.dense` agree with the lambdified
# brute-force gradients to a relative error of at most $10^{-10}$ at three other unequal size combinations.

# %%
print(f"all dense-layer gradients proven in {time.perf_counter() - started:.1f} s")
