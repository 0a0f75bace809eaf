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
# # Derivation: backpropagation through time
#
# Part 3 ([Backpropagation through time](../part-3-bptt.md)) states every gradient of the simple RNN of
# Part 2 as a recursion backwards in time. This script proves each of those equations, (3.1) to (3.12),
# against the one reference that knows nothing about recursions, transposes or diagonal matrices: the
# derivative of the loss of the unrolled network, entry by entry, by the chain rule of `sympy.diff`
# (the *brute force*).
#
# **The network** (Part 2, [(2.1)-(2.4)](../part-2-forward-propagation.md#eq-2-1)), one sample, column
# vectors:
#
# $$\begin{aligned}
#   a^{(t)} &= b + W h^{(t-1)} + U x^{(t)}, \quad h^{(t)} = \tanh\big(a^{(t)}\big), \quad o^{(t)} = c + V h^{(t)},\\
#   L &= \sum_{t=1}^{T} \Big(-\mathbf 1_{y^{(t)}}^\top o^{(t)} + \log \sum_k e^{o^{(t)}_k}\Big)
#   \end{aligned}$$
#
# where $\mathbf 1_{y^{(t)}}$ is the one-hot column of the target class. Its entries are **free symbols** here, so
# every expression below holds for every choice of targets at once (for a true one-hot column the term is the
# cross-entropy $-\log \hat y^{(t)}_{y^{(t)}}$). A batch adds nothing new: its loss is a sum over the samples,
# so its gradient is the sum of the per-sample gradients (the tests check the batched NumPy code).
#
# **The sizes** are all different, $D = 2$ inputs, $H = 3$ hidden units, $K = 4$ classes, over $T = 3$ steps:
# a transposed matrix or a time step off by one changes a shape or a number and cannot hide.
#
# **The method.** Each matrix formula is a SymPy expression built on the nodes of the unrolled network.
# Written out as a tree, the derivative `sympy.diff` gives for it is huge (the tree of $L$ grows about
# $H$-fold per step), and building it is what costs time. We never build it. Instead we pick a random point:
# every input a random rational number, and every node $h^{(t)}_i = \tanh(a^{(t)}_i)$, $\exp(o^{(t)}_k)$,
# $\log(\cdot)$ its own random rational value. At that point the derivative of $L$ with respect to every
# parameter entry is computed by the chain rule over the graph of the network, backwards from $L$, with the
# very rules `sympy.diff` uses (sum, product and power rules, and the derivative rule of each function class,
# $\tanh' = 1 - \tanh^2$ and so on): in exact fractions, every shared node once
# (`gentle_rnn.symbolic.core.reverse_mode`; the checks are `exact_gradient_agreement` for the parameters and
# `exact_derivative_agreement` for a derivative at a node or with a state held constant). The formula is
# evaluated at the same point with the same node values, and the two numbers must be *equal*: not close,
# equal.
#
# Why this proves the identity. Both the formula and the `sympy.diff` expression are rational functions of
# the inputs and the node values, and the chain rule at the point gives exactly the value of the `sympy.diff`
# expression there (`tests/test_exact_derivatives.py` asserts it entry by entry, against plain `sympy.diff`).
# Each coordinate is a fraction $p/q$ with $|p|$ and $q$ drawn up to $10^6$, so no single value has a
# probability above about $10^{-6}$, and a polynomial that is not identically zero (the numerator of the
# difference of the two sides) vanishes at such a point with probability at most its degree times $10^{-6}$
# (the Schwartz-Zippel lemma); the degrees here are a few dozen. Three independent points per identity
# multiply these probabilities, to below $10^{-12}$. So an equal result at every point is a proof up to that
# probability, with no floating point and no tolerance. Random node values are *more* general than true
# $\tanh$ values: the identity holds whatever the nodes are.
#
# The symbolic proof (both sides as polynomials with the nodes as symbols, compared coefficient by
# coefficient, against plain `sympy.diff`) is in `tests/test_rnn_symbolic.py`, at this size and another; it
# takes tens of seconds, which is why the page does not run it.
#
# Run it with `python derivations/rnn_bptt.py` from the repository root; it prints the same results in a
# terminal and stops with an `AssertionError` if any formula is wrong.

# %%
import time

import sympy as sp

from gentle_rnn.symbolic import matrix_symbols, show
from gentle_rnn.symbolic import rnn as srnn
from gentle_rnn.symbolic.core import (
    Tanh, exact_agreement, exact_derivative_agreement, exact_gradient_agreement, expression_sizes, mul,
)

started = time.perf_counter()
D, H, K, T = 2, 3, 4, 3
net = srnn.unroll(D, H, K, T)  # symbolic one-hot targets (net.e)
U, W, b, V, c = (net.params[k] for k in srnn.PARAM_KEYS)
print(f"D={D}, H={H}, K={K}, T={T}; {len(net.inputs)} free symbols")

# Display helpers: name the nodes h(t) and the softmax outputs y_hat(t) so that printed expressions stay short.
h_name = {t: matrix_symbols(f"h({t})", H, latex=f"h^{{({t})}}") for t in range(1, T + 1)}
yhat_name = {t: matrix_symbols(f"yhat({t})", K, latex=rf"\hat{{y}}^{{({t})}}") for t in range(1, T + 1)}
abbreviations = {}
for t in range(1, T + 1):
    abbreviations.update(dict(zip(net.h[t], h_name[t])))
    abbreviations.update({net.y_hat[t][k]: yhat_name[t][k] for k in range(K)})


def short(expr):
    """Write each tanh node as its h symbol and each softmax output as its y_hat symbol."""
    return expr.xreplace(abbreviations)


# %% [markdown]
# ## 1. The unrolled network
#
# `srnn.unroll` builds $h^{(1)}, h^{(2)}, h^{(3)}$ from the *objects* of the step before, so SymPy shares
# every subexpression: in memory the network is a graph with a few nodes per weight and step. Printed as a
# tree it is long. The first unit after one step, and after two:

# %%
show(r"h^{(1)}_1", net.h[1][0], text="h(1)[1]")
show(r"h^{(2)}_1", net.h[2][0], text="h(2)[1]")
graph, tree = expression_sizes(net.L)
print(f"L: {graph} distinct subexpressions in memory,\n  {tree} nodes in its tree written out")

# %% [markdown]
# ## 2. Brute force
#
# There are $HD + H^2 + H + KH + K + H = 6 + 9 + 3 + 12 + 4 + 3 = 37$ derivatives to check, one for every
# entry of $U, W, b, V, c$ and $h^{(0)}$. For one of them, $\partial L / \partial c_1$, we let `sympy.diff` build
# the expression (cheap: $c$ enters only the output layer) and show it, and check that the chain rule at
# random points (the method of every later step) gives the same value as that expression, at three points.

# %%
wrt_all = {name: list(net.wrt[name]) for name in srnn.GRAD_KEYS}
assert sum(len(v) for v in wrt_all.values()) == H * D + H * H + H + K * H + K + H == 37  # the count in the text
tic = time.perf_counter()
brute_c1 = sp.diff(net.L, c[0])  # plain sympy.diff: the expression
print(f"sympy.diff of L with respect to c_1 in {time.perf_counter() - tic:.2f} s:\n  {expression_sizes(brute_c1)[1]} nodes"
      " in its tree")
show(r"\frac{\partial L}{\partial c_1}", short(brute_c1), text="dL/dc_1 (brute force)")
exact_derivative_agreement([brute_c1], [net.L], [c[0]], net.inputs)
print("the chain rule at 3 random rational points == sympy.diff's dL/dc_1 there")

# %% [markdown]
# ## 3. The gradient at the logits
#
# The logits of step $t$ enter the loss only through $L^{(t)}$, and each $o^{(t)}_k$ only once, so the
# derivative of $L$ with respect to the logit $o^{(t)}$ (as its own variable) is the derivative of softmax
# followed by cross-entropy (proven in [building_blocks.py](building_blocks.py)):
#
# $$\frac{\partial L}{\partial o^{(t)}} = \hat y^{(t)} - \mathbf 1_{y^{(t)}} \tag{3.1}$$
#
# Here we check it directly: the logits become free symbols, and `sympy.diff` of the loss term must give
# (3.1). Implemented by `gentle_rnn.readout.forward` (via `functional.softmax_cross_entropy`).

# %%
o_free = matrix_symbols("o", K)
e1 = net.e[1]
loss_o = srnn.cross_entropy(o_free, e1)
lhs = o_free.applyfunc(lambda ok: sp.diff(loss_o, ok))
rhs = srnn.softmax(o_free) - e1
assert all(sp.expand(v) == 0 for v in lhs - rhs), "(3.1) dL/do = y_hat - e differs from brute force"
show(r"\frac{\partial L}{\partial o^{(t)}} = \hat y^{(t)} - \mathbf 1_{y^{(t)}}", text="(3.1) grad_o L = y_hat - onehot(y): proven")
bp = srnn.bptt(net)  # the whole backward pass in matrix form, built on the nodes of `net`

# %% [markdown]
# ## 4. One step, locally
#
# Before going through time, look at one step on its own: $h = \tanh(b + W h' + U x)$ with the previous
# state $h'$ a vector of **free symbols**. Derivatives taken this way are *local*: $h'$ is held fixed, as if it
# did not itself depend on $W$. Two local Jacobians matter:
#
# * with respect to the previous state: $\dfrac{\partial h}{\partial h'} = \operatorname{diag}(1 - h^2)\, W$
#   (row $i$ is unit $i$'s derivative, $\tanh'(a_i) = 1 - h_i^2$ times row $i$ of $W$);
# * with respect to a weight: $\dfrac{\partial h_i}{\partial W_{ij}} = (1 - h_i^2)\, h'_j$, and no other unit
#   depends on $W_{ij}$.

# %%
h_prev = matrix_symbols("hp", H, latex="h'")
x_free = matrix_symbols("xs", D, latex="x")
h_step = (b + W * h_prev + U * x_free).applyfunc(Tanh)
J = h_step.jacobian(h_prev)
claimed_J = srnn.tanh_jacobian(h_step) * W
assert all(sp.expand(v) == 0 for v in J - claimed_J), "dh/dh' = diag(1 - h^2) W differs from sympy.diff"
for i in range(H):
    for j in range(H):
        for r in range(H):
            want = (1 - h_step[r] ** 2) * h_prev[j] if r == i else 0
            assert sp.expand(sp.diff(h_step[r], W[i, j]) - want) == 0, f"dh_{r + 1}/dW_{i + 1}{j + 1}"
show(r"\frac{\partial h}{\partial h'} = \operatorname{diag}\left(1 - h^2\right) W", text="dh/dh' = diag(1 - h^2) W: proven")
show(r"\frac{\partial h_i}{\partial W_{ij}}\Big|_{h'\ \mathrm{fixed}} = \left(1 - h_i^2\right) h'_j",
     text="dh_i/dW_ij (h' fixed) = (1 - h_i^2) h'_j: proven")

# %% [markdown]
# ## 5. The total gradient at each hidden state
#
# The *total* gradient $\frac{\partial L}{\partial h^{(t)}}$ asks: if $h^{(t)}$ moves and everything computed from it is
# recomputed, how does $L$ move? $h^{(t)}$ reaches the loss along two roads, through its own output $o^{(t)}$
# and through the next state $h^{(t+1)}$, and the chain rule adds the two:
#
# $$\frac{\partial L}{\partial h^{(T)}} = V^\top \frac{\partial L}{\partial o^{(T)}} \tag{3.2}$$
#
# $$\frac{\partial L}{\partial h^{(t)}} = V^\top \frac{\partial L}{\partial o^{(t)}}
#   + W^\top \operatorname{diag}\big(1 - (h^{(t+1)})^2\big)\, \frac{\partial L}{\partial h^{(t+1)}} \qquad (t < T) \tag{3.3}$$
#
# The second term is the transpose of the local Jacobian of step 4, $\big(\operatorname{diag}(1-h^2) W\big)^\top
# = W^\top \operatorname{diag}(1 - h^2)$: that is why $W^\top$ stands to the left of the diagonal matrix.
#
# The brute force for a total gradient is the chain rule run backwards from $L$ to the node $h^{(t)}_i$ itself:
# the derivative it collects there is the change of $L$ when $h^{(t)}_i$ moves and everything computed from it
# ($L^{(t)}, \dots, L^{(T)}$, through $h^{(t+1)}, \dots, h^{(T)}$) moves with it. (With `sympy.diff` one would replace
# $h^{(t)}$ by free symbols, rebuild everything downstream from them, differentiate and put $h^{(t)}$ back:
# `srnn.hidden_gradient_brute_force`, which the tests compare with this.) The recursion must agree for every $t$.
# Implemented in `gentle_rnn.rnn._backward` (`dh`); `rnn.hidden_state_grads` returns it.

# %%
for t in range(T, 0, -1):
    n = exact_derivative_agreement(bp.dh[t], [net.L], net.h[t], net.inputs)
    print(f"(3.2)-(3.3) grad_h({t}) L: {n} entries agree at 3 random rational points")
show(r"\frac{\partial L}{\partial h^{(3)}}", short(bp.dh[3]), text="grad_h(3) L")

# %% [markdown]
# ## 6. Through the nonlinearity: the delta
#
# $h^{(t)}_i = \tanh(a^{(t)}_i)$ depends on $a^{(t)}_i$ alone and $\tanh' = 1 - \tanh^2$, so the Jacobian
# $\partial h^{(t)} / \partial a^{(t)}$ is diagonal, and the gradient at the pre-activation, the *delta* of
# Part 1, is
#
# $$\delta^{(t)} = \frac{\partial L}{\partial a^{(t)}} = \operatorname{diag}\big(1 - (h^{(t)})^2\big)\, \frac{\partial L}{\partial h^{(t)}} \tag{3.4}$$
#
# (an elementwise product in code). It is proven through the gradients of $b$, $W$ and $U$ below, which are
# built from it. Implemented in `gentle_rnn.rnn._backward` (`da`).

# %% [markdown]
# ## 7. The parameters: one term per step
#
# Every parameter is used at every step, so its gradient is a sum over the steps. The term of step $t$ is
# the total gradient at the place where the parameter enters at step $t$, times the *local* derivative of
# that place with respect to the parameter:
#
# $$\frac{\partial L}{\partial c} = \sum_{t} \frac{\partial L}{\partial o^{(t)}} \tag{3.5}$$
#
# $$\frac{\partial L}{\partial V} = \sum_{t} \frac{\partial L}{\partial o^{(t)}} \; h^{(t)\top} \tag{3.6}$$
#
# $$\frac{\partial L}{\partial b} = \sum_{t} \delta^{(t)} \tag{3.7}$$
#
# $$\frac{\partial L}{\partial W} = \sum_{t} \delta^{(t)} \, h^{(t-1)\top} \tag{3.8}$$
#
# $$\frac{\partial L}{\partial U} = \sum_{t} \delta^{(t)} \, x^{(t)\top} \tag{3.9}$$
#
# $$\frac{\partial L}{\partial h^{(0)}} = W^\top \delta^{(1)} \tag{3.10}$$
#
# $c$, $V$: `gentle_rnn.readout.backward`; $b$, $W$, $U$: `gentle_rnn.rnn._parameter_sums`; $h^{(0)}$:
# `gentle_rnn.rnn._backward`.

# %%
equations = {"c": "3.5", "V": "3.6", "b": "3.7", "W": "3.8", "U": "3.9", "h0": "3.10"}
for name in equations:
    assert bp.grads[name].shape == net.wrt[name].shape, f"({equations[name]}) d{name} has the wrong shape"
# one reverse sweep per point serves all 37 entries; a failure names the entry (say dW[0,1])
exact_gradient_agreement({n: bp.grads[n] for n in equations}, net.L, {n: net.wrt[n] for n in equations}, net.inputs)
for name in equations:
    print(f"({equations[name]}) grad_{name} L = brute force ({len(wrt_all[name])} entries)")
print("  every entry equal at 3 random rational points")

# %% [markdown]
# The term of step 3 in $\partial L / \partial W_{12}$ (the weight from unit 2 to unit 1), written with the
# names $h^{(t)}$ and $\hat y^{(t)}$ for the nodes: the factor $1 - (h^{(3)}_1)^2$ of (3.4), row 1 of
# $V^\top (\hat y^{(3)} - \mathbf 1_{y^{(3)}})$ of (3.2), and the input $h^{(2)}_2$ that $W_{12}$ multiplies, (3.8).

# %%
show(r"\left[\delta^{(3)} h^{(2)\top}\right]_{12}", short(bp.da[3][0] * net.h[2][1]), text="[delta(3) h(2)^T]_12")

# %% [markdown]
# ## 8. Local and total derivatives, with copies of W
#
# A frequent confusion (it prompted d2l issues #2505 and #2616) is to read the term $\delta^{(t)} h^{(t-1)\top}$
# of (3.8) as "the derivative of $h^{(t)}$ with respect to $W$ is just $h^{(t-1)}$", which is false: $h^{(t-1)}$
# depends on $W$ too. Goodfellow et al. (section 10.2.2) make it precise with *copies*: let step $t$ use its own
# copy $W^{(t)}$ of the weights. Then $\frac{\partial L}{\partial W^{(t)}}$ is an honest derivative (no other step uses
# $W^{(t)}$), the chain rule gives $\frac{\partial L}{\partial W} = \sum_t \frac{\partial L}{\partial W^{(t)}}$, and each copy's gradient is
# the total gradient $\delta^{(t)}$ at $a^{(t)}$ times the local derivative of $a^{(t)}$ with respect to
# $W^{(t)}$, which is $h^{(t-1)}$:
#
# $$\frac{\partial L}{\partial W^{(t)}} = \delta^{(t)}\, h^{(t-1)\top}$$
#
# We check it on a network whose steps use distinct copies (smaller sizes, $D=1$, $H=2$, $K=3$, $T=3$): the
# chain rule at random points gives the derivative with respect to each copy, at points where every copy
# takes the value of $W$ (`bind`), and it must equal $\delta^{(t)} h^{(t-1)\top}$ there.

# %%
small = srnn.unroll(1, 2, 3, 3)
copies = {t: matrix_symbols(f"Wcopy{t}", 2, 2, latex=f"W^{{({t})}}") for t in (1, 2, 3)}
Us, Ws, bs, Vs, cs = (small.params[k] for k in srnn.PARAM_KEYS)
h = small.h0
loss_copies = 0
for t in (1, 2, 3):
    h = (bs + mul(copies[t], h) + mul(Us, small.x[t])).applyfunc(Tanh)  # mul(A, B): the product A B
    loss_copies += srnn.cross_entropy(cs + mul(Vs, h), small.e[t])
back_to_W = {copies[t][i, j]: Ws[i, j] for t in (1, 2, 3) for i in range(2) for j in range(2)}
bp_small = srnn.bptt(small)
for t in (1, 2, 3):
    exact_derivative_agreement(mul(bp_small.da[t], small.h[t - 1].T), [loss_copies], copies[t], small.inputs,
                               bind=back_to_W)
    print(f"grad_W({t}) L = delta({t}) h({t - 1})^T: agrees at 3 random rational points")
show(r"\frac{\partial L}{\partial W^{(t)}} = \delta^{(t)} h^{(t-1)\top}, \quad \frac{\partial L}{\partial W} = \sum_t \frac{\partial L}{\partial W^{(t)}}",
     text="copies: grad_W L = sum_t grad_W(t) L with grad_W(t) L = delta(t) h(t-1)^T: proven")

# %% [markdown]
# ## 9. Truncated BPTT and the terms it drops
#
# Unfold (3.3) and (3.4): the delta at step $u$ is a sum of one share per later loss term,
# $\delta^{(u)} = \sum_{t \ge u} \delta^{(t,u)}$, where the share of $L^{(t)}$ has travelled back $t - u$ steps:
#
# $$\begin{aligned} \delta^{(t,t)} &= \operatorname{diag}\big(1 - (h^{(t)})^2\big) V^\top \frac{\partial L}{\partial o^{(t)}}, \\
#   \delta^{(t,u-1)} &= \operatorname{diag}\big(1 - (h^{(u-1)})^2\big) W^\top \delta^{(t,u)} \end{aligned} \tag{3.11}$$
#
# **Truncated BPTT with truncation length $\tau$** keeps only the shares that travelled fewer than $\tau$ steps,
# $t - u < \tau$. Its gradients $G^{(\tau)}$ replace $\delta^{(u)}$ in (3.7)-(3.10) by the kept part
# $\delta^{(u)}_{\tau} = \sum_{t = u}^{\min(T,\, u + \tau - 1)} \delta^{(t,u)}$:
#
# $$\begin{aligned} G^{(\tau)}_W &= \sum_{u=1}^{T} \delta^{(u)}_{\tau}\, h^{(u-1)\top}, & G^{(\tau)}_U &= \sum_{u} \delta^{(u)}_{\tau}\, x^{(u)\top}, \\
#   G^{(\tau)}_b &= \sum_{u} \delta^{(u)}_{\tau}, & G^{(\tau)}_{h^{(0)}} &= W^\top \delta^{(1)}_{\tau} \end{aligned} \tag{3.12}$$
#
# $c$ and $V$ are unchanged (their terms cross no step). We prove three things:
#
# 1. (3.12) is the *exact* gradient of a modified loss: $\sum_t L^{(t)}$ where, in each $L^{(t)}$ with $t > \tau$,
#    the state $h^{(t-\tau)}$ is held constant: those terms are rebuilt from free symbols $\bar h$ at
#    $t-\tau$ (`srnn.detached_loss_terms`), the chain rule runs over them at random points where each
#    $\bar h$ takes the value of $h^{(t-\tau)}$ but passes no derivative on. That is what "cut the gradient
#    after $\tau$ steps" means. (All six gradients; $V$ and $c$ come out unchanged, as they must.)
# 2. Full BPTT = truncated + the dropped shares (those with $t - u \ge \tau$), for every $\tau$.
# 3. For $\tau \ge T$ nothing is dropped.
#
# Implemented by `gentle_rnn.rnn._backward_truncated` (`loss_and_grads(..., truncate=tau)`).

# %%
print("pairs (t, u) kept (+) or dropped (.) by truncation; columns u = 1, 2, 3:")
for tau in (1, 2, 3):
    rows = ["  t=" + str(t) + " " + " ".join("+" if t - u < tau else "." for u in range(1, t + 1)) for t in range(1, T + 1)]
    print(f"tau={tau}:", *rows, sep="\n")

for tau in (1, 2):
    truncated = srnn.truncated_bptt(net, tau)
    held_terms, held_at = srnn.detached_loss_terms(net, tau)  # L(t) rebuilt from hbar = h(t - tau), t > tau
    dropped = srnn.dropped_terms(net, tau)
    names = srnn.GRAD_KEYS
    exact_derivative_agreement([truncated[n] for n in names], [sp.Add(*held_terms.values())],
                               [wrt_all[n] for n in names], net.inputs, bind=held_at)
    exact_agreement([truncated[n] + dropped[n] for n in names], [bp.grads[n] for n in names], net.inputs)
    print(f"tau={tau}: (3.12) = the gradient with h(t-{tau}) held constant,\n  and full = truncated + dropped:"
          " equal at 3 random rational points")
full_by_truncation = srnn.truncated_bptt(net, T)
exact_agreement([full_by_truncation[n] for n in srnn.GRAD_KEYS], [bp.grads[n] for n in srnn.GRAD_KEYS], net.inputs)
print(f"tau={T} (= T): nothing dropped, truncated = full:\n  equal at 3 random rational points")

# %% [markdown]
# What $\tau = 2$ drops from $\frac{\partial L}{\partial W}$ at $T = 3$ is a single share, the one from $L^{(3)}$ that reaches step
# 1 through two factors $W^\top$:
#
# $$\begin{aligned}
#   \delta^{(3,1)} h^{(0)\top} = \operatorname{diag}\big(1 - (h^{(1)})^2\big) W^\top
#   &\operatorname{diag}\big(1 - (h^{(2)})^2\big) W^\top\\
#   &\operatorname{diag}\big(1 - (h^{(3)})^2\big) V^\top \big(\hat y^{(3)} - \mathbf 1_{y^{(3)}}\big)\, h^{(0)\top}
#   \end{aligned}$$

# %%
J = {t: srnn.tanh_jacobian(net.h[t]) for t in (1, 2, 3)}
share_31 = mul(J[1], W.T, J[2], W.T, J[3], V.T, net.y_hat[3] - net.e[3], net.h0.T)  # the product, left to right
exact_agreement(srnn.dropped_terms(net, 2)["W"], share_31, net.inputs)
print("tau=2 drops exactly delta(3,1) h(0)^T from grad_W L:\n  equal at 3 random rational points")

# %% [markdown]
# ## What was proven
#
# At $D=2$, $H=3$, $K=4$, $T=3$, one sample with symbolic targets: equations (3.1) to (3.12), every entry,
# one assertion per gradient, each an exact equality at three random rational points between the formula and
# the chain rule of `sympy.diff` (and, for full = truncated + dropped, between two formulas), which proves the identity up to
# the Schwartz-Zippel probability; the local-versus-total split of (3.8) with copies of $W$ at $D=1$, $H=2$,
# $K=3$, $T=3$ the same way; (3.1) and the local one-step Jacobians symbolically, by `sympy.diff` and
# expansion. The derivative rules of $\tanh$, $\exp$ and $\log$ come from [building_blocks.py](building_blocks.py).
#
# `tests/test_rnn_symbolic.py` proves the recursion equal to plain `sympy.diff` symbolically (equal
# polynomials once every function node is named by a symbol) at two of the test sizes ($D,H,K,T$ = 2,3,4,3
# and 3,2,5,4), truncation included; `tests/test_exact_derivatives.py` checks that the chain rule at random
# points gives exactly the value of the plain `sympy.diff` expression; `tests/test_rnn.py` checks the NumPy
# code of `gentle_rnn.rnn` against brute force at those sizes, against the proven recursion at a third size
# (4,5,3,3), where brute force takes about 40 s, and against centred finite differences, all in float64 with
# batches of 2 or 3 samples.

# %%
print(f"all BPTT equations proven in {time.perf_counter() - started:.1f} s")
