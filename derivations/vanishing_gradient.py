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
# # Derivation: why gradients vanish or explode in a simple RNN
#
# Part 4 ([The vanishing gradient problem](../part-4-vanishing-gradient.md)) states four facts about the
# simple RNN of Parts 2 and 3,
#
# $$\begin{aligned}
#   a^{(t)} &= b + W h^{(t-1)} + U x^{(t)}, & h^{(t)} &= \tanh\big(a^{(t)}\big),\\
#   o^{(t)} &= c + V h^{(t)}, & L &= \sum_t L^{(t)},
#   \end{aligned}$$
#
# and one about the LSTM of Part 5. This script proves them:
#
# 1. the Jacobian of one step is $\partial h^{(t)} / \partial h^{(t-1)} = \operatorname{diag}\big(1 - (h^{(t)})^2\big) W$ (4.1);
# 2. over many steps the chain rule multiplies these, the latest step on the left (4.2);
# 3. the gradient that reaches $h^{(u)}$ is a sum over later times $t$ of such products (4.3);
# 4. the bound of Pascanu, Mikolov & Bengio (2013): each factor has spectral norm at most $\gamma\lambda_1$ (4.4),
#    so the product over $t-u$ steps has norm at most $(\gamma\lambda_1)^{t-u}$ (4.5), and so has the
#    gradient ratio (4.6);
# 5. along the LSTM's cell state the same Jacobian is $\prod_{t'} \operatorname{diag}(f^{(t')})$ (4.7): no $W$, no $\tanh'$.
#
# **What kind of proof each step is.** Steps 1-3 compare the formula with the *brute force*: the derivative
# of the unrolled network by the chain rule of `sympy.diff`, which knows nothing about Jacobian products.
# Where the expressions stay small (one step at several sizes, the product over two steps) `sympy.diff`
# builds the derivative and the difference expands to exactly zero: a symbolic proof at that size. For longer
# products and for the loss, where the derivative written out as an expression grows about $H$-fold per step,
# we never build it: at a random point (every input and every $\tanh$, $\exp$, $\log$ node a random
# rational value) the chain rule runs backwards over the graph of the network with the rules `sympy.diff`
# uses, in exact fractions (`exact_derivative_agreement`), and the formula evaluated at the same point must
# give the *same* number, no tolerance. Both sides are rational functions of the inputs and the node values,
# so agreement at three random points proves the identity up to a tiny probability (the Schwartz-Zippel
# lemma: each coordinate is a fraction with numerator and denominator drawn up to $10^6$, and a polynomial that
# is not identically zero vanishes there with probability at most its degree times about $10^{-6}$ per point);
# `tests/test_exact_derivatives.py` checks that the chain rule at a point
# gives exactly what plain `sympy.diff`'s expression gives there. The bound is
# proven in the text, with SymPy verifying each algebraic piece symbolically (for $2\times 2$ or $3 \times 3$
# matrices of free symbols where a piece depends on the size), and then *checked numerically* on many random
# instances, which is evidence, not proof.
#
# Run it with `python derivations/vanishing_gradient.py` from the repository root.

# %%
import time

import numpy as np
import sympy as sp

from gentle_rnn import rnn, vanishing
from gentle_rnn.symbolic import matrix_symbols, show
from gentle_rnn.symbolic import lstm as slstm
from gentle_rnn.symbolic import rnn as srnn
from gentle_rnn.symbolic.blocks import critical_points, exponential_identity
from gentle_rnn.symbolic.core import exact_derivative_agreement, memoized_diff, mul  # mul(A, B): A * B, built faster

started = time.perf_counter()
D, H, K = 2, 3, 4  # all different, as everywhere in the series


def expands_to_zero(M: sp.Matrix) -> bool:
    """True when every entry of ``M`` expands to exactly 0 (a symbolic proof)."""
    return all(sp.expand(e) == 0 for e in M)


def network_from(k: int, steps: int, H: int = H):
    """The unrolled RNN started from a *free* state h(k) (symbols), run for ``steps`` steps: h(k+1) ... h(k+steps).

    Returns the network and the list of every free symbol in it (parameters, h(k), inputs, targets).
    """
    net = srnn.unroll(D, H, K, steps, y=None, start=k, h0=matrix_symbols(f"h({k})", H, latex=f"h^{{({k})}}"))
    inputs = [s for name in srnn.PARAM_KEYS for s in net.params[name]] + list(net.h0)
    inputs += [s for t in net.x for s in net.x[t]] + [s for t in net.e for s in net.e[t]]
    return net, inputs


def jacobian_product(net, t: int, k: int) -> sp.Matrix:
    """(4.2): [diag(1 - h(t)^2) W] [diag(1 - h(t-1)^2) W] ... [diag(1 - h(k+1)^2) W], built on the nodes of net.

    Products already built for (t - 1, k) are reused: the new factor of step t goes on the left.
    """
    products = _products.setdefault(id(net), (net, {}))[1]  # the net is kept, so its id is never reused
    if (t, k) not in products:
        W = net.params["W"]
        if t == k:
            products[t, k] = sp.eye(net.H)
        else:  # the latest step first, each older one multiplied on the right
            products[t, k] = mul(srnn.tanh_jacobian(net.h[t]), W, jacobian_product(net, t - 1, k))
    return products[t, k]


_products: dict = {}


# %% [markdown]
# ## 1. One step of the recurrence
#
# $h^{(t)} = \tanh(a^{(t)})$ with $a^{(t)} = b + W h^{(t-1)} + U x^{(t)}$. Entry $i$ of $h^{(t)}$ depends on
# entry $j$ of $h^{(t-1)}$ through $a_i^{(t)}$ only, with $\partial a_i^{(t)} / \partial h_j^{(t-1)} = W_{ij}$,
# and $\tanh' = 1 - \tanh^2$ ([building blocks](building_blocks.py#the-derivative-of-tanh)). So
#
# $$\begin{aligned}
#   \frac{\partial h^{(t)}}{\partial h^{(t-1)}} &= \operatorname{diag}\big(1 - (h^{(t)})^2\big)\, W ,\\
#   \Big[\,\cdot\,\Big]_{ij} = \frac{\partial h_i^{(t)}}{\partial h_j^{(t-1)}} &= \big(1 - (h_i^{(t)})^2\big) W_{ij} .
#   \end{aligned} \tag{4.1}$$
#
# Row $i$ of $W$ is scaled by the slope of unit $i$. We let SymPy differentiate the step by brute force
# (`Matrix.jacobian`, i.e. `sympy.diff` entry by entry, inside `memoized_diff`: SymPy's own rules once per
# distinct subexpression, the expressions of plain `sympy.diff`, as `tests/test_exact_derivatives.py` checks) and
# expand the difference, at three hidden sizes.

# %%
for h_size in (2, 3, 4):
    net, _ = network_from(0, 1, H=h_size)
    with memoized_diff():
        brute = net.h[1].jacobian(net.h[0])
    claimed = mul(srnn.tanh_jacobian(net.h[1]), net.params["W"])
    assert expands_to_zero(brute - claimed), f"(4.1) one-step Jacobian, H = {h_size}"
    print(f"(4.1) holds symbolically for H = {h_size}")

# shown with the node tanh(a_i(1)) written as h_i(1), which is what it is:
net, _ = network_from(0, 1, H=2)
h1 = matrix_symbols("h(1)", 2, latex="h^{(1)}")
as_h = dict(zip(net.h[1], h1))
show(r"\frac{\partial h^{(1)}}{\partial h^{(0)}}\Big|_{H=2}", net.h[1].jacobian(net.h[0]).xreplace(as_h),
     text="dh(1)/dh(0) for H = 2 (brute force, tanh(a(1)) written as h(1))")

# %% [markdown]
# ## 2. Many steps: a product, the latest step on the left
#
# $h^{(t)}$ depends on $h^{(u)}$ ($u < t$) only through $h^{(t-1)}$, which depends on it only through
# $h^{(t-2)}$, and so on. The chain rule for vector functions multiplies the Jacobians in the order of the
# composition, the outermost (latest) on the left:
#
# $$\frac{\partial h^{(t)}}{\partial h^{(u)}}
#   = \frac{\partial h^{(t)}}{\partial h^{(t-1)}}\,\frac{\partial h^{(t-1)}}{\partial h^{(t-2)}} \cdots \frac{\partial h^{(u+1)}}{\partial h^{(u)}}
#   = \prod_{t'=t}^{u+1} \operatorname{diag}\big(1 - (h^{(t')})^2\big)\, W , \tag{4.2}$$
#
# where the product index runs *down* from $t' = t$ (leftmost factor) to $t' = u+1$ (rightmost). For $t = u$
# the product is empty: the identity. The network below starts from a free state $h^{(1)}$ (symbols), so
# that $\partial / \partial h^{(1)}$ is an ordinary derivative with respect to symbols, and runs to $h^{(6)}$.
# Lags 1 and 2 at $H = 2$: `Matrix.jacobian` (`sympy.diff` entry by entry, memoised as in section 1) and
# expansion, a symbolic proof;
# lags 1 to 5 at $H = 3$: the chain rule at three random rational points (row $i$ of the Jacobian is the
# derivative of $h^{(t)}_i$).

# %%
u0 = 1
net, _ = network_from(u0, 2, H=2)
for lag in (1, 2):
    t = u0 + lag
    with memoized_diff():
        brute = net.h[t].jacobian(net.h[u0])
    assert expands_to_zero(brute - jacobian_product(net, t, u0)), f"(4.2) symbolic, lag {lag}"
    print(f"(4.2) dh({t})/dh({u0}): lag {lag}, H = 2, holds\n  symbolically (the difference expands to 0)")
net, inputs = network_from(u0, 5)
for lag in range(1, 6):
    t = u0 + lag
    n = exact_derivative_agreement(jacobian_product(net, t, u0), net.h[t], net.h[u0], inputs)
    print(f"(4.2) dh({t})/dh({u0}): lag {lag}, H = {H}, holds\n  exactly at 3 random rational points ({n} entries)")

# %% [markdown]
# The order matters. Matrix products do not commute, and the reversed product
# $\big[\operatorname{diag}(1-(h^{(u+1)})^2) W\big] \cdots \big[\operatorname{diag}(1-(h^{(t)})^2) W\big]$ is a different matrix:
# the exact check rejects it.

# %%
t = u0 + 3
W = net.params["W"]
reversed_product = sp.eye(H)
for j in range(u0 + 1, t + 1):
    reversed_product = mul(reversed_product, srnn.tanh_jacobian(net.h[j]), W)
try:
    exact_derivative_agreement(reversed_product, net.h[t], net.h[u0], inputs, points=1)
except AssertionError:
    print("the reversed order is rejected, as it should be")
else:
    raise AssertionError("the reversed product should differ from the brute-force Jacobian")

# %% [markdown]
# ## 3. The gradient that reaches a state is a sum over time
#
# The gradient that reaches $h^{(u)}$ is a sum over later times of Jacobian products.
#
# The loss $L = \sum_t L^{(t)}$ depends on $h^{(u)}$ through every later output: $L^{(u)}$ directly, and
# $L^{(t)}$ for $t > u$ through $h^{(t)}$. With $\partial L^{(t)} / \partial h^{(t)} = V^\top(\hat y^{(t)} - \mathbf 1_{y^{(t)}})$
# (the output layer of Part 3) and the transpose of (4.2) carrying it back,
#
# $$\frac{\partial L}{\partial h^{(u)}} = \sum_{t=u}^{T} \left(\frac{\partial h^{(t)}}{\partial h^{(u)}}\right)^{\!\top} V^\top \big(\hat y^{(t)} - \mathbf 1_{y^{(t)}}\big) . \tag{4.3}$$
#
# The term of time $t$ has passed through $t-u$ factors of (4.2). Part 3's recursion
# ([eq. 3.3](../part-3-bptt.md#eq-3-3)) computes the same sum by Horner's rule, one factor per step; (4.3)
# writes out what that recursion adds up. We check (4.3) against the derivative (the chain rule at random points) of
# $L^{(u)} + L^{(u+1)} + \dots + L^{(T)}$ with respect to the free state $h^{(u)}$ ($u = 1$, $T = 4$, symbolic
# one-hot targets, the entries of each $\mathbf 1_{y^{(t)}}$ free symbols, so the check holds for every choice of targets),
# and against the recursion of Part 3 built by `gentle_rnn.symbolic.rnn.bptt`.

# %%
u0, T_end = 1, 4
net, inputs = network_from(u0, T_end - u0)
V, c, W = net.params["V"], net.params["c"], net.params["W"]
onehot_u = matrix_symbols(f"onehot({u0})", K, latex=rf"\mathbf 1_{{y^{{({u0})}}}}")  # the target of step u itself
inputs += list(onehot_u)
o_u = c + mul(V, net.h[u0])
terms = {u0: srnn.cross_entropy(o_u, onehot_u), **net.L_t}  # L(u), L(u+1), ..., L(T)
loss_from_u = sp.Add(*terms.values())

y_hat = {u0: srnn.softmax(o_u), **net.y_hat}
onehot = {u0: onehot_u, **net.e}
sum_of_products = sp.zeros(H, 1)
for t in range(u0, T_end + 1):
    sum_of_products += mul(jacobian_product(net, t, u0).T, V.T, y_hat[t] - onehot[t])  # (4.3)

dh_next = srnn.bptt(net, parameters=False).dh[u0 + 1]
recursion = mul(V.T, y_hat[u0] - onehot_u) + mul(W.T, srnn.tanh_jacobian(net.h[u0 + 1]), dh_next)  # (3.3)
n = exact_derivative_agreement(sum_of_products, [loss_from_u], net.h[u0], inputs, points=3)
srnn.exact_agreement(recursion, sum_of_products, inputs, points=3)
print(f"(4.3) sum over t = {u0}..{T_end} of Jacobian products\n  == brute force == Part 3's recursion\n  "
      f"({n} entries, exactly at 3 random rational points)")

# %% [markdown]
# So a long-range dependence, how $L^{(t)}$ depends on what happened at step $u \ll t$, reaches the
# parameters only through the terms with many factors. If those products shrink, the long-range terms
# vanish from the sum while the short-range ones stay: the gradient still exists, but it no longer carries
# the information that learning a long-range dependence needs (Bengio, Simard & Frasconi 1994).
#
# The NumPy version of (4.2) and (4.3) is in `gentle_rnn.vanishing` (`jacobian_product`,
# `hidden_grads_as_sum_of_products`); `tests/test_vanishing.py` checks it against these SymPy expressions
# and against the RNN's own BPTT. Here one numeric spot check: the symbolic product (4.2) evaluated at
# random numbers equals the NumPy product.

# %%
rng = np.random.default_rng(4)
params = rnn.init_params(D, H, K, rng)
x_num = rng.normal(size=(T_end - u0, 1, D))
h_start = rng.normal(size=(1, H)) * 0.5
values = {s: float(v) for name in srnn.PARAM_KEYS for s, v in zip(net.params[name], params[name].ravel())}
values.update({s: float(v) for s, v in zip(net.h[u0], h_start[0])})
for t in net.x:
    values.update({s: float(v) for s, v in zip(net.x[t], x_num[t - u0 - 1, 0])})
symbolic = np.array(srnn.evaluate(list(jacobian_product(net, T_end, u0)), values, srnn.NUMPY_FUNCTIONS)).reshape(H, H)
numpy_product = vanishing.jacobian_product(vanishing.rnn_state_jacobians(params, x_num, h_start), T_end - u0, 0)[0]
assert np.allclose(symbolic, numpy_product, rtol=1e-12, atol=1e-14), "(4.2) NumPy vs SymPy"
print("(4.2) NumPy (vanishing.jacobian_product) == SymPy at a random point,\n  max difference",
      f"{np.abs(symbolic - numpy_product).max():.1e}")

# %% [markdown]
# ## 4. The slopes are bounded
#
# $\gamma = 1$ for tanh, $\gamma = 1/4$ for the sigmoid.
#
# The bound needs $|\phi'(a)| \le \gamma$ for every $a$. For tanh, $\phi' = 1 - \tanh^2 \le 1$ because
# $\tanh^2 \ge 0$; for the sigmoid, $\phi' = \sigma(1-\sigma)$ and
# $\tfrac14 - \sigma(1 - \sigma) = \big(\sigma - \tfrac12\big)^2 \ge 0$. Both maxima are attained at $a = 0$
# ([building blocks](building_blocks.py#the-derivative-of-the-sigmoid)). SymPy checks the identity that
# proves the sigmoid's bound, and that both derivatives are even with their single critical point at 0, exactly:
# with $E = e^{a}$ each derivative is a rational function of $E$, so evenness ($a \to -a$ is $E \to 1/E$) is an
# identity of rational functions (`exponential_identity`), and the critical points are the positive roots of a
# polynomial in $E$ (`critical_points`, as in the building blocks).

# %%
a = sp.Symbol("a", real=True)
sig = sp.Symbol("sigma", real=True)
assert sp.expand(sp.Rational(1, 4) - sig * (1 - sig) - (sig - sp.Rational(1, 2)) ** 2) == 0, "1/4 - sigma(1-sigma) = (sigma-1/2)^2"
tanh_slope = sp.diff(sp.tanh(a), a)
sigmoid_slope = sp.diff(1 / (1 + sp.exp(-a)), a)
for slope, gamma in ((tanh_slope, vanishing.GAMMA_TANH), (sigmoid_slope, vanishing.GAMMA_SIGMOID)):
    assert critical_points(slope, a) == [0], f"the only critical point of {slope} is 0"
    assert exponential_identity(slope.subs(a, 0), sp.nsimplify(gamma), []), f"max of {slope} = {gamma}"
    assert exponential_identity(slope.subs(a, -a), slope, [a]), f"{slope} is even"
print("gamma: max tanh' = 1, max sigma' = 1/4")

# %% [markdown]
# ## 5. The one-step inequality
#
# We show $\lVert \operatorname{diag}(d)\, W \rVert_2 \le \gamma\, \lambda_1$.
#
# The spectral norm $\lVert M \rVert_2 = \max_{v \ne 0} \lVert M v\rVert / \lVert v \rVert$ is the largest
# factor by which $M$ can stretch a vector; for $W$ it is $\lambda_1$, the largest singular value. Write
# $d = \phi'(a^{(t)})$, so the step Jacobian is $\operatorname{diag}(d)\,W$ with $|d_i| \le \gamma$. For any $v$,
# with $\xi = Wv$:
#
# $$\begin{aligned}
#   \lVert \operatorname{diag}(d)\, W v \rVert^2 &= \sum_i d_i^2 \xi_i^2 \;\le\; \big(\max_i d_i^2\big) \sum_i \xi_i^2\\
#   &= \big(\max_i |d_i|\big)^2 \lVert W v \rVert^2 \;\le\; \gamma^2 \lambda_1^2 \lVert v \rVert^2 .
#   \end{aligned}$$
#
# Taking square roots and the maximum over $v$:
#
# $$\begin{aligned}
#   \left\lVert \frac{\partial h^{(t)}}{\partial h^{(t-1)}} \right\rVert_2 &= \lVert \operatorname{diag}(d)\, W \rVert_2
#   \le \lVert \operatorname{diag}(d) \rVert_2 \, \lVert W \rVert_2\\
#   &= \big(\max_i |d_i|\big)\, \lambda_1 \le \gamma\,\lambda_1 .
#   \end{aligned} \tag{4.4}$$
#
# Three pieces carry this argument; SymPy verifies each one symbolically.
#
# **(a)** $\lVert \operatorname{diag}(d) \rVert_2 = \max_i |d_i|$: the singular values of a diagonal matrix are the
# absolute values of its entries (the eigenvalues of $\operatorname{diag}(d)^\top \operatorname{diag}(d) = \operatorname{diag}(d_i^2)$).

# %%
for n in (2, 3):
    d = matrix_symbols("d", n)
    Dg = sp.diag(*d)
    eig = (Dg.T * Dg).eigenvals()
    assert set(eig) == {di**2 for di in d}, f"eigenvalues of diag(d)^T diag(d), n = {n}"
print("(a) the singular values of diag(d) are |d_i| (n = 2, 3)")

# %% [markdown]
# **(b)** The first inequality rests on an identity: with $\beta \ge d_i^2$ for every $i$ (take $\beta = \max_i d_i^2$),
# $\beta \lVert \xi \rVert^2 - \lVert \operatorname{diag}(d) \xi \rVert^2 = \sum_i (\beta - d_i^2)\, \xi_i^2$, a sum of non-negative
# terms. SymPy expands both sides with $\xi = Wv$ for a general $3 \times 3$ matrix $W$ and vector $v$ of symbols.

# %%
n = 3
d, Wm, v = matrix_symbols("d", n), matrix_symbols("W", n, n), matrix_symbols("v", n)
beta = sp.Symbol("beta", real=True)
xi = Wm * v
lhs = beta * (xi.T * xi)[0, 0] - ((sp.diag(*d) * xi).T * (sp.diag(*d) * xi))[0, 0]
rhs = sum((beta - d[i] ** 2) * xi[i] ** 2 for i in range(n))
assert sp.expand(lhs - rhs) == 0, "(b) beta||Wv||^2 - ||diag(d) W v||^2 = sum_i (beta - d_i^2) (Wv)_i^2"
print("(b) beta ||Wv||^2 - ||diag(d) Wv||^2 = sum_i (beta - d_i^2)(Wv)_i^2\n  (3 x 3, symbolic)")

# %% [markdown]
# **(c)** $\lVert W v \rVert \le \lambda_1 \lVert v \rVert$, i.e. the matrix $\lambda_1^2 I - W^\top W$ is positive
# semidefinite, where $\lambda_1^2$ is the largest eigenvalue of $S = W^\top W$. For a general size this is the
# spectral theorem (the Rayleigh quotient of a symmetric matrix never exceeds its largest eigenvalue); we do
# not re-prove it. For $2 \times 2$ SymPy verifies it completely: the eigenvalues of $S$ are real
# ($\operatorname{tr}^2 - 4\det = (S_{11} - S_{22})^2 + 4 S_{12}^2 \ge 0$), and $\lambda_1^2 I - S$, with $\lambda_1^2$ the larger,
# has determinant $0$ and trace $\sqrt{\operatorname{tr}^2 - 4\det} \ge 0$, which for a symmetric $2 \times 2$
# matrix means both of its eigenvalues are $\ge 0$.

# %%
W2 = matrix_symbols("W", 2, 2)
S = W2.T * W2
tr, det = S.trace(), S.det()
disc = tr**2 - 4 * det
assert sp.expand(disc - ((S[0, 0] - S[1, 1]) ** 2 + 4 * S[0, 1] ** 2)) == 0, "(c) the discriminant is a sum of squares"
lambda1_sq = (tr + sp.sqrt(disc)) / 2
M = lambda1_sq * sp.eye(2) - S
assert sp.expand(M.det()) == 0, "(c) det(lambda_1^2 I - S) = 0"
assert sp.expand(M.trace() - sp.sqrt(disc)) == 0, "(c) tr(lambda_1^2 I - S) = sqrt(disc) >= 0"
print("(c) lambda_1^2 I - W^T W is positive semidefinite (2 x 2, symbolic)")

# %% [markdown]
# ## 6. The bound over many steps
#
# From one step to $t - u$ steps: $(\gamma\lambda_1)^{t-u}$.
#
# For any matrices, $\lVert M M' v \rVert \le \lVert M \rVert_2 \lVert M' v \rVert \le \lVert M \rVert_2 \lVert M' \rVert_2 \lVert v \rVert$
# (apply the definition of the norm twice), so $\lVert M M' \rVert_2 \le \lVert M \rVert_2 \lVert M' \rVert_2$.
# Applied to the $t-u$ factors of (4.2), each bounded by (4.4):
#
# $$\left\lVert \frac{\partial h^{(t)}}{\partial h^{(u)}} \right\rVert_2 \le \prod_{t'=u+1}^{t} \left\lVert \operatorname{diag}\big(\phi'(a^{(t')})\big) W \right\rVert_2 \le (\gamma\,\lambda_1)^{t-u} . \tag{4.5}$$
#
# A transposed matrix has the same spectral norm, so the gradient of one loss term carried back obeys
#
# $$\left\lVert \frac{\partial L^{(t)}}{\partial h^{(u)}} \right\rVert = \left\lVert \left(\frac{\partial h^{(t)}}{\partial h^{(u)}}\right)^{\!\top} \frac{\partial L^{(t)}}{\partial h^{(t)}} \right\rVert
#   \le (\gamma\,\lambda_1)^{t-u} \left\lVert \frac{\partial L^{(t)}}{\partial h^{(t)}} \right\rVert . \tag{4.6}$$
#
# Two consequences, as Pascanu et al. state them. If $\lambda_1 < 1/\gamma$ the right-hand side shrinks
# geometrically: that is **sufficient** for the long-range terms to vanish, whatever the inputs. If the
# products are to grow without bound, (4.5) must allow it, so $\lambda_1 > 1/\gamma$ is **necessary** for
# exploding gradients, but not sufficient: the slopes $1 - (h^{(t')})^2$ may be far below $\gamma$ when the units
# saturate, and $W$ may stretch only a few directions.
#
# The proof above is general (any $H$, any lag); SymPy verified its pieces at small sizes. Now a numerical
# check of the conclusion on random instances: products of $\operatorname{diag}(d^{(t')}) W$ with random $W$
# rescaled to a random $\lambda_1$ and random slopes $d^{(t')}$ in $[-\gamma, \gamma]$, for the tanh ($\gamma = 1$)
# and the sigmoid ($\gamma = 1/4$) bounds, and the Jacobians of real tanh RNNs computed by
# `gentle_rnn.vanishing` from `gentle_rnn.rnn.forward`.

# %%
rng = np.random.default_rng(2013)
checked, worst = 0, 0.0
for trial in range(300):
    h_size = int(rng.integers(1, 9))
    steps = int(rng.integers(1, 25))
    lambda_1 = float(rng.uniform(0.1, 3.0))
    W_num = vanishing.recurrent_matrix(h_size, lambda_1, rng, kind=("gaussian", "orthogonal")[trial % 2])
    # one batch of four: two sequences of slopes in [-1, 1] (tanh), two in [-1/4, 1/4] (sigmoid)
    gamma = np.array([vanishing.GAMMA_TANH] * 2 + [vanishing.GAMMA_SIGMOID] * 2)  # (B,)
    slopes = rng.uniform(-1.0, 1.0, size=(steps, 4, h_size)) * gamma[:, None]  # (T, B, H)
    norms = vanishing.jacobian_norms_by_lag(vanishing.state_jacobians(W_num, slopes))  # (T + 1, B)
    bound = vanishing.pascanu_bound(lambda_1 * gamma[None, :], np.arange(steps + 1)[:, None])  # (T + 1, B)
    assert np.all(norms <= bound * (1 + 1e-10)), f"(4.5) violated in trial {trial}"
    worst = max(worst, float((norms / bound).max()))
    checked += norms.size
    # a real tanh RNN with this W: the slopes are 1 - h^2 from the forward pass
    p = rnn.init_params(3, h_size, 2, rng)
    p["W"] = W_num
    x_r = rng.normal(size=(steps, 2, 3)) * rng.uniform(0.01, 2.0)
    norms = vanishing.jacobian_norms_by_lag(vanishing.rnn_state_jacobians(p, x_r, np.zeros((2, h_size))))
    assert np.all(norms <= vanishing.pascanu_bound(lambda_1, np.arange(steps + 1))[:, None] * (1 + 1e-10))
    checked += norms.size
print(f"(4.5) holds on {checked} Jacobian products of 300 random instances;\n  largest norm / bound = {worst:.3f}")

# %% [markdown]
# The largest ratio is close to 1: the bound is nearly attained when $W$ is orthogonal (every direction
# stretched by exactly $\lambda_1$) and the slopes are near $\pm\gamma$. With tanh units that happens when the
# states stay small, the units stay in their linear range; Part 4's first figure shows both the tight and the
# loose case.
#
# ## 7. The LSTM's cell-state path
#
# Along the cell state the factor is $\prod_{t'} \operatorname{diag}(f^{(t')})$.
#
# Part 5's LSTM keeps a second state, the cell $s^{(t)} = f^{(t)} \odot s^{(t-1)} + g^{(t)} \odot z^{(t)}$, where the
# forget gate $f^{(t)}$, the input gate $g^{(t)}$ and the block input $z^{(t)}$ are computed from
# $h^{(t-1)}$ and $x^{(t)}$. Holding those fixed, the path from $s^{(t-1)}$ to $s^{(t)}$ is an elementwise
# product, and its Jacobian is diagonal:
#
# $$\begin{aligned}
#   \left.\frac{\partial s^{(t)}}{\partial s^{(t-1)}}\right|_{\text{cell path}} &= \operatorname{diag}\big(f^{(t)}\big),
#   \quad\text{so along the cell path}\\
#   \left.\frac{\partial s^{(t)}}{\partial s^{(u)}}\right|_{\text{cell path}} &= \prod_{t'=u+1}^{t} \operatorname{diag}\big(f^{(t')}\big) .
#   \end{aligned} \tag{4.7}$$
#
# No $W$ and no $\tanh'$ appear: when the forget gates are near 1 the product stays near 1 however long the
# path, which is Hochreiter & Schmidhuber's constant error carousel (1997; the forget gate is Gers, Schmidhuber
# & Cummins 2000). The *total* derivative $\partial s^{(t)}/\partial s^{(t-1)}$ has further terms, because the gates
# depend on $h^{(t-1)} = q^{(t-1)} \odot \tanh(s^{(t-1)})$; those pass through $W_f, W_g, W_z$ like the RNN's
# Jacobian does. We verify (4.7) by brute force: three steps of Part 5's LSTM cell (`gentle_rnn.symbolic.lstm.cell`),
# each fed a free symbol vector $h^{(t'-1)}$ (so the only path from $s^{(u)}$ to $s^{(t)}$ is the cell path), and
# `sympy.diff` of $s^{(t)}$ with respect to $s^{(0)}$. Part 5 proves the same factor as its equation (5.17).

# %%
Hs, Ds, steps = 3, 2, 3
P = slstm.parameter_symbols(Ds, Hs, K)  # U_*, W_*, b_* for the gates z, g, f, q (and V, c, unused here)
s_prev = {0: matrix_symbols("s(0)", Hs, latex="s^{(0)}")}
forget = {}
for j in range(1, steps + 1):
    h_free = matrix_symbols(f"h({j - 1})", Hs, latex=f"h^{{({j - 1})}}")  # held fixed: not a function of s
    x_j = matrix_symbols(f"x({j})", Ds, latex=f"x^{{({j})}}")
    step = slstm.cell(P, x_j, h_free, s_prev[j - 1])  # Part 5's one step, (5.1)-(5.6)
    forget[j] = step.f
    s_prev[j] = step.s

for t in range(1, steps + 1):
    brute = s_prev[t].jacobian(s_prev[0])
    claimed = sp.eye(Hs)
    for j in range(t, 0, -1):
        claimed = claimed * sp.diag(*forget[j])
    assert expands_to_zero(brute - claimed), f"(4.7) cell path, t = {t}"
print(f"(4.7) ds({steps})/ds(0) along the cell path = diag(f(3)) diag(f(2)) diag(f(1))\n  (symbolic, H = {Hs})")
f1 = matrix_symbols("f(1)", Hs, latex="f^{(1)}")  # each sigmoid node of the forget gate, written as f_i(1)
show(r"\frac{\partial s^{(1)}}{\partial s^{(0)}}\Big|_{\text{cell path}}",
     s_prev[1].jacobian(s_prev[0]).xreplace(dict(zip(forget[1], f1))), text="ds(1)/ds(0) along the cell path")

# %% [markdown]
# ## Summary
#
# | claim | how it is established here | NumPy |
# |---|---|---|
# | (4.1) $\partial h^{(t)}/\partial h^{(t-1)} = \operatorname{diag}(1-(h^{(t)})^2) W$ | symbolic, $H = 2, 3, 4$ | `vanishing.state_jacobians` |
# | (4.2) product over steps, latest on the left | symbolic for lags 1-2 ($H = 2$), exact at random rational points (chain rule vs product) for lags 1-5 ($H = 3$); the reversed order rejected | `vanishing.jacobian_product` |
# | (4.3) $\partial L/\partial h^{(u)}$ as a sum over $t$ | exact at random rational points vs the chain rule and vs Part 3's recursion | `vanishing.hidden_grads_as_sum_of_products` |
# | $\gamma = 1$ (tanh), $1/4$ (sigmoid) | symbolic | `vanishing.GAMMA_TANH`, `GAMMA_SIGMOID` |
# | (4.4) $\lVert\operatorname{diag}(d) W\rVert_2 \le \gamma\lambda_1$ | proof in the text; pieces (a), (b) symbolic at $2 \times 2$, $3 \times 3$, (c) symbolic at $2\times 2$ | |
# | (4.5), (4.6) $(\gamma\lambda_1)^{t-u}$ | proof in the text; numerical check on 300 random instances | `vanishing.pascanu_bound` |
# | (4.7) cell path $\prod_{t'} \operatorname{diag}(f^{(t')})$ | symbolic over 3 steps, $H = 3$ | `vanishing.cell_state_path_jacobian` |

# %%
print(f"vanishing_gradient: every identity asserted above holds ({time.perf_counter() - started:.1f} s).")
