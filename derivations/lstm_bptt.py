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
# # Derivation: the LSTM's forward propagation and backpropagation
#
# Part 5 ([LSTM and its back propagation](../part-5-lstm.md)) states every gradient of the LSTM. This script
# proves them. The model, with $\odot$ the elementwise product and the letters of the
# [notation page](../notation.md#the-lstm-part-5):
#
# $$\begin{aligned}
# z^{(t)} &= \tanh\big(a_z^{(t)}\big), & a_z^{(t)} &= b_z + W_z h^{(t-1)} + U_z x^{(t)} && (5.1)\\
# g^{(t)} &= \sigma\big(a_g^{(t)}\big), & a_g^{(t)} &= b_g + W_g h^{(t-1)} + U_g x^{(t)} && (5.2)\\
# f^{(t)} &= \sigma\big(a_f^{(t)}\big), & a_f^{(t)} &= b_f + W_f h^{(t-1)} + U_f x^{(t)} && (5.3)\\
# q^{(t)} &= \sigma\big(a_q^{(t)}\big), & a_q^{(t)} &= b_q + W_q h^{(t-1)} + U_q x^{(t)} && (5.4)\\
# s^{(t)} &= f^{(t)} \odot s^{(t-1)} + g^{(t)} \odot z^{(t)} & & && (5.5)\\
# h^{(t)} &= q^{(t)} \odot \tanh\big(s^{(t)}\big) & & && (5.6)
# \end{aligned}$$
#
# then $o^{(t)} = c + V h^{(t)}$ and the summed cross-entropy $L = \sum_t L^{(t)}$ (5.7), as for the simple RNN.
#
# **The plan, and what kind of proof each step is.**
#
# 1. *One step, symbolically.* The local Jacobians of one step, from `sympy.diff`, equal the matrix formulas
#    (5.17)-(5.18), among them the constant error carousel $\partial s^{(t)} / \partial s^{(t-1)} = \operatorname{diag}(f^{(t)})$.
#    The two sides are the same polynomial once every $\tanh$ and $\sigma$ node is an indeterminate (what
#    `sympy.expand` of their difference would show, computed faster; see below): a symbolic proof, at
#    $D = 2$, $H = 3$.
# 2. *One backward step, symbolically.* Everything the rest of the network does to the loss reaches step $t$
#    through its two outputs $h^{(t)}$ and $s^{(t)}$. So the gradients that one backward step computes,
#    (5.9)-(5.15), are the derivatives of $\ell = \bar h^\top h^{(t)} + \bar s^\top s^{(t)}$, where the free
#    columns $\bar h$, $\bar s$ stand for whatever arrives at $h^{(t)}$ and (through $s^{(t+1)}$) at $s^{(t)}$.
#    Symbolic proof, $D = 2$, $H = 3$: the derivatives of $\ell$ come from *reverse mode* (below), run on
#    polynomials.
# 3. *The whole sequence against brute force.* The backward recursion over all steps, (5.8)-(5.16), against
#    the derivative of the fully unrolled loss, at the smallest all-different size $(D, H, K) = (1, 2, 3)$ with
#    $T = 3$: every one of the 45 gradient entries, checked *exactly* at random rational points (no
#    floating point; see below).
# 4. *The whole sequence, independently.* Forward-mode differentiation (real-time recurrent learning,
#    Williams & Zipser 1989), chaining the one-step Jacobians that `sympy.diff` derives, at the larger size
#    $(2, 3, 4)$, $T = 3$: every one of the 94 entries, exact at random rational points.
# 5. *The constant error carousel over many steps.*
#
# **Exact checks at random rational points.** The unrolled loss at $T = 3$ is far too large to expand. Both
# sides of a claimed identity are, however, built from the same derivative rules ($\tanh' = 1-\tanh^2$,
# $\sigma' = \sigma(1-\sigma)$, $\exp' = \exp$, and the derivative of $\log$ is the reciprocal), so they are rational functions of the inputs and
# of the values of the $\tanh, \sigma, \exp, \log$ nodes. `exact_agreement` gives every input and every node a
# random rational value and evaluates both sides in exact fractions; they must be *equal*. Two different
# rational functions agree at a random point with vanishing probability (Schwartz-Zippel). This is stronger
# than a check with real $\tanh$ values, since the node values need not satisfy any identity of $\tanh$.
#
# **The derivative without its expression: reverse mode.** The reference derivative is never written out.
# `exact_gradient_agreement(claimed, L, params, inputs)` evaluates $L$ at the point over its expression
# graph (each distinct subexpression once), then sweeps the graph once backwards, from $L$ to the inputs,
# applying at every node the rule `sympy.diff` applies there: the sum rule, the product rule, the power rule,
# and for a function node its class's own derivative (`fdiff`: $\tanh' = 1 - \tanh^2$ evaluated with the
# node's value, and so on). The sweep yields the value of $\partial L/\partial v$ for *every* entry $v$ at
# once, exactly the value that evaluating `sympy.diff(L, v)` at the point would give;
# `tests/test_exact_gradient.py` checks that against plain `sympy.diff` (on small expressions with every rule,
# and on the unrolled dense layer, RNN, LSTM and GRU), and breaks the sweep to see those tests fail. For one
# step, where everything is a polynomial in the inputs and the nodes, the same sweep runs with polynomials
# for values (`symbolic_gradient_identity`, and `polynomial_identity` for two given expressions): every
# input and every node is an indeterminate, and the two sides must be *equal polynomials*, a symbolic proof.
#
# Run it with `python derivations/lstm_bptt.py` from the repository root; it prints the same results in a
# terminal and stops with an `AssertionError` if any formula is wrong.

# %%
import textwrap
import time

import sympy as sp

from gentle_rnn.symbolic import Tanh, matrix_symbols, show
from gentle_rnn.symbolic import lstm as sl
from gentle_rnn.symbolic.core import exact_gradient_agreement, mul, polynomial_identity, symbolic_gradient_identity
from gentle_rnn.symbolic.lstm import diag, hadamard, memoized_diff

started = time.perf_counter()
D, H = 2, 3  # one step: all different


def expands_to_zero(M: sp.Matrix) -> bool:
    """True when every entry of ``M`` is the zero polynomial, function nodes as indeterminates (symbolic)."""
    return polynomial_identity(M, sp.zeros(*M.shape)) == len(M)


P = sl.parameter_symbols(D, H, 4)
h_prev = matrix_symbols("h(t-1)", H, latex=r"h^{(t-1)}")
s_prev = matrix_symbols("s(t-1)", H, latex=r"s^{(t-1)}")
x_t = matrix_symbols("x(t)", D, latex=r"x^{(t)}")
cell = sl.cell(P, x_t, h_prev, s_prev)  # equations (5.1)-(5.6), one step
one = sp.ones(H, 1)

# For display only: the nodes tanh(a_z), sigma(a_g), ... written as z, g, f, q, and tanh(s) as its own name.
names = {k: matrix_symbols(k, H, latex=k) for k in ("z", "g", "f", "q")}
names["tanh_s"] = matrix_symbols("tanh_s", H, latex=r"(\tanh s)")
short = {}
for k in ("z", "g", "f", "q", "tanh_s"):
    short.update(dict(zip(getattr(cell, k), names[k])))


def abbreviate(expr):
    return expr.xreplace(short)


print(f"one step at D = {D}, H = {H}")
show(r"s_1^{(t)}", abbreviate(cell.s[0]), text="s_1(t)")
show(r"h_1^{(t)}", abbreviate(cell.h[0]), text="h_1(t)")

# %% [markdown]
# ## 1. One step: the local Jacobians
#
# ### 1a. The cell path: the constant error carousel
#
# `Matrix.jacobian` differentiates every entry with `sympy.diff`. First the cell path: $s^{(t)}$ depends on
# $s^{(t-1)}$ in (5.5) only through the product $f^{(t)} \odot s^{(t-1)}$, and the gates do not depend on
# $s^{(t-1)}$ at all (they see $h^{(t-1)}$ and $x^{(t)}$). So
#
# $$\frac{\partial s^{(t)}}{\partial s^{(t-1)}} = \operatorname{diag}\big(f^{(t)}\big) . \tag{5.17}$$
#
# No weight matrix and no derivative of a squashing function: this is the *constant error carousel* of
# Hochreiter & Schmidhuber (1997), which with the forget gate of Gers, Schmidhuber & Cummins (2000) is a
# carousel whose speed the network sets at every step. Page: [(5.17)](../part-5-lstm.md#eq-5-17). NumPy:
# `lstm.step_jacobians(...)["cell_path"]`.

# %%
J_ss = cell.s.jacobian(s_prev)
assert J_ss == diag(cell.f), "(5.17) ds(t)/ds(t-1) is not diag(f(t))"
show(r"\frac{\partial s^{(t)}}{\partial s^{(t-1)}}", abbreviate(J_ss), text="(5.17) ds(t)/ds(t-1), proven")

# %% [markdown]
# ### 1b. The other blocks of the one-step Jacobian
#
# The other blocks of the one-step Jacobian of the state $(h, s)$ go through the gates, and so through the
# recurrent weights. With $\sigma' = \sigma (1-\sigma)$ and $\tanh' = 1 - \tanh^2$:
#
# $$\begin{aligned}
# \frac{\partial s^{(t)}}{\partial h^{(t-1)}} &= \operatorname{diag}\big(g^{(t)} \odot (1 - z^{(t)} \odot z^{(t)})\big) W_z\\
#   &\quad + \operatorname{diag}\big(z^{(t)} \odot g^{(t)} \odot (1 - g^{(t)})\big) W_g\\
#   &\quad + \operatorname{diag}\big(s^{(t-1)} \odot f^{(t)} \odot (1 - f^{(t)})\big) W_f ,\\
# \frac{\partial h^{(t)}}{\partial s^{(t)}} &= \operatorname{diag}\big(q^{(t)} \odot (1 - \tanh^2 s^{(t)})\big),\\
# \frac{\partial h^{(t)}}{\partial s^{(t-1)}} &= \frac{\partial h^{(t)}}{\partial s^{(t)}} \operatorname{diag}\big(f^{(t)}\big),\\
# \frac{\partial h^{(t)}}{\partial h^{(t-1)}} &= \operatorname{diag}\big(\tanh s^{(t)} \odot q^{(t)} \odot (1 - q^{(t)})\big) W_q\\
#   &\quad + \frac{\partial h^{(t)}}{\partial s^{(t)}} \frac{\partial s^{(t)}}{\partial h^{(t-1)}} .
# \end{aligned} \tag{5.18}$$
#
# Page: [(5.18)](../part-5-lstm.md#eq-5-18). NumPy: the blocks `ds_dh`, `dh_ds`, `dh_dh` of
# `lstm.step_jacobians`. For $\partial h/\partial s$ we
# differentiate $h = q \odot \tanh(s)$ with $s$ a free column. Here `Matrix.jacobian` runs inside
# `memoized_diff`: SymPy's own derivative rule applied once per distinct subexpression, which gives the same
# expressions as plain `sympy.diff` (`tests/test_exact_derivatives.py` checks these four blocks against it).

# %%
c, W = cell, {gate: P[f"W_{gate}"] for gate in sl.GATES}
s_free = matrix_symbols("s(t)", H, latex=r"s^{(t)}")
h_of_s = hadamard(c.q, s_free.applyfunc(Tanh))
with memoized_diff():  # sympy.diff's own rules, each distinct subexpression once: plain sympy.diff's expressions
    J_sh, J_hs, J_hs_prev, J_hh = (c.s.jacobian(h_prev), h_of_s.jacobian(s_free), c.h.jacobian(s_prev),
                                   c.h.jacobian(h_prev))
J_sh_claim = (mul(diag(hadamard(c.g, one - hadamard(c.z, c.z))), W["z"])
              + mul(diag(hadamard(c.z, hadamard(c.g, one - c.g))), W["g"])
              + mul(diag(hadamard(s_prev, hadamard(c.f, one - c.f))), W["f"]))
assert expands_to_zero(J_sh - J_sh_claim), "(5.18) ds(t)/dh(t-1)"
J_hs_own = diag(hadamard(c.q, one - hadamard(s_free.applyfunc(Tanh), s_free.applyfunc(Tanh))))
assert expands_to_zero(J_hs - J_hs_own), "(5.18) dh(t)/ds(t)"
J_hs_own_at_s = diag(hadamard(c.q, one - hadamard(c.tanh_s, c.tanh_s)))
assert expands_to_zero(J_hs_prev - mul(J_hs_own_at_s, diag(c.f))), "(5.18) dh(t)/ds(t-1)"
J_hh_claim = mul(diag(hadamard(c.tanh_s, hadamard(c.q, one - c.q))), W["q"]) + mul(J_hs_own_at_s, J_sh_claim)
assert expands_to_zero(J_hh - J_hh_claim), "(5.18) dh(t)/dh(t-1)"
show(r"\left[\frac{\partial s^{(t)}}{\partial h^{(t-1)}}\right]_{11}", abbreviate(J_sh[0, 0]),
     text="(5.18) [ds(t)/dh(t-1)]_11 (brute force, nodes abbreviated)")
print("(5.18) all four blocks of the one-step Jacobian: proven")

# %% [markdown]
# ## 2. One backward step
#
# Fix a step $t$. The loss depends on everything computed at step $t$ only through $h^{(t)}$ and $s^{(t)}$:
# $h^{(t)}$ feeds the output $o^{(t)}$ and the gates of step $t+1$, and $s^{(t)}$ feeds $s^{(t+1)}$. So by the
# chain rule the gradient of $L$ with respect to anything inside step $t$ (a gate, a pre-activation, this
# step's copy of a weight, $h^{(t-1)}$, $s^{(t-1)}$) is the gradient of the linear function
#
# $$\ell = \bar h^\top h^{(t)} + \bar s^\top s^{(t)}, \qquad
#   \bar h = \frac{\partial L}{\partial h^{(t)}}, \qquad \bar s = \left.\frac{\partial L}{\partial s^{(t)}}\right|_{\text{through } s^{(t+1)}} ,$$
#
# where $h^{(t)}$ is held fixed in the second derivative (that path is counted in $\bar h$). Make $\bar h$ and
# $\bar s$ free columns, differentiate $\ell$ by the polynomial reverse sweep (`symbolic_gradient_identity`:
# SymPy's rule of each node, the results exact polynomials), and compare with the matrix formulas of
# `gentle_rnn.symbolic.lstm.step_backward`, which mirror the NumPy loop of `lstm._backward` line by line.
#
# ### 2a. The cell-state gradient: two paths
#
# With $s^{(t)}$ a free column, $\ell = \bar h^\top (q \odot \tanh s) + \bar s^\top s$:
#
# $$\frac{\partial L}{\partial s^{(t)}} = \underbrace{\frac{\partial L}{\partial h^{(t)}} \odot q^{(t)} \odot \big(1 - \tanh^2 s^{(t)}\big)}_{\text{through } h^{(t)}}
#   + \underbrace{f^{(t+1)} \odot \frac{\partial L}{\partial s^{(t+1)}}}_{\text{through } s^{(t+1)}} \tag{5.10}$$
#
# (the second path is what the step $t+1$ sends back, $\bar s$; at $t = T$ it is zero). Page:
# [(5.10)](../part-5-lstm.md#eq-5-10); NumPy: `lstm._backward` (`ds`).

# %%
dh_bar = matrix_symbols("hbar", H, latex=r"\bar h")
ds_bar = matrix_symbols("sbar", H, latex=r"\bar s")
ell_s = (dh_bar.T * h_of_s)[0, 0] + (ds_bar.T * s_free)[0, 0]
ds_claim = hadamard(hadamard(dh_bar, c.q), one - hadamard(s_free.applyfunc(Tanh), s_free.applyfunc(Tanh))) + ds_bar
assert symbolic_gradient_identity({"s": ds_claim}, ell_s, {"s": s_free}) == H, "(5.10) dL/ds(t)"
show(r"\frac{\partial L}{\partial s^{(t)}} = \frac{\partial L}{\partial h^{(t)}} \odot q^{(t)} \odot \big(1 - \tanh^2 s^{(t)}\big) + f^{(t+1)} \odot \frac{\partial L}{\partial s^{(t+1)}}",
     text="(5.10) dL/ds(t) = dL/dh(t) . q(t) . (1 - tanh^2 s(t)) + f(t+1) . dL/ds(t+1): proven")

# %% [markdown]
# ### 2b. The gate deltas
#
# The pre-activation $a_\ast^{(t)}$ enters $\ell$ only through its gate, and $b_\ast$ enters
# only through $a_\ast^{(t)}$ with $\partial a_\ast / \partial b_\ast = I$, so the delta of a gate *is* the
# gradient of its bias at this step: $\partial \ell / \partial b_\ast = \partial L / \partial a_\ast^{(t)}$. The output gate acts
# on $h^{(t)}$ directly; the other three act through $s^{(t)}$ and so receive the two-path sum (5.10):
#
# $$\begin{aligned}
# \frac{\partial L}{\partial a_q^{(t)}} &= \frac{\partial L}{\partial h^{(t)}} \odot \tanh s^{(t)} \odot q^{(t)} \odot \big(1 - q^{(t)}\big) && (5.11)\\
# \frac{\partial L}{\partial a_z^{(t)}} &= \frac{\partial L}{\partial s^{(t)}} \odot g^{(t)} \odot \big(1 - z^{(t)} \odot z^{(t)}\big) && (5.12)\\
# \frac{\partial L}{\partial a_g^{(t)}} &= \frac{\partial L}{\partial s^{(t)}} \odot z^{(t)} \odot g^{(t)} \odot \big(1 - g^{(t)}\big) && (5.13)\\
# \frac{\partial L}{\partial a_f^{(t)}} &= \frac{\partial L}{\partial s^{(t)}} \odot s^{(t-1)} \odot f^{(t)} \odot \big(1 - f^{(t)}\big) && (5.14)
# \end{aligned}$$
#
# Each has one sigmoid (or tanh) derivative, from its own gate; a version that forgets it fails below
# ([step 3a](#3a-the-check-can-fail)). Page: [(5.11)-(5.14)](../part-5-lstm.md#eq-5-11); NumPy:
# `lstm._backward` (`da_q`, `da_z`, `da_g`, `da_f`).

# %%
ell = (dh_bar.T * c.h)[0, 0] + (ds_bar.T * c.s)[0, 0]
step = sl.step_backward(P, c, x_t, h_prev, s_prev, dh_bar, ds_bar)
for gate, eq in zip(("q", "z", "g", "f"), ("5.11", "5.12", "5.13", "5.14")):
    b_gate = f"b_{gate}"
    assert symbolic_gradient_identity({b_gate: step.da[gate]}, ell, {b_gate: P[b_gate]}) == H, f"({eq})"
    print(f"({eq}) dL/da_{gate}(t): proven")
show(r"\frac{\partial L}{\partial a_{f,1}^{(t)}}", abbreviate(sp.factor_terms(step.da["f"][0])),
     text="(5.14) dL/da_f(t), entry 1 (dL/ds(t) written out)")

# %% [markdown]
# ### 2c. What a step sends back, and the weight sums
#
# $h^{(t-1)}$ enters all four
# pre-activations through $W_\ast$, and $s^{(t-1)}$ enters only the cell path: step $t$ sends
# $\sum_\ast W_\ast^\top \partial L/\partial a_\ast^{(t)}$ to $h^{(t-1)}$ (`dh_next` in the code) and
# $f^{(t)} \odot \partial L/\partial s^{(t)}$ to $s^{(t-1)}$ (`ds_next`). One step later, with $t$ in place of
# $t-1$, the first is the carried term of
#
# $$\frac{\partial L}{\partial h^{(t)}} = V^\top \frac{\partial L}{\partial o^{(t)}} + \sum_{\ast \in \{z,g,f,q\}} W_\ast^\top \frac{\partial L}{\partial a_\ast^{(t+1)}} \tag{5.9}$$
#
# (the first term is the output layer's, as in Part 3) and the second is the path through $s^{(t+1)}$ in
# (5.10). This step's copies of the weights get outer products:
# $\partial \ell/\partial U_\ast = \delta_\ast x^{(t)\top}$, $\partial \ell/\partial W_\ast = \delta_\ast h^{(t-1)\top}$,
# $\partial \ell/\partial b_\ast = \delta_\ast$ with $\delta_\ast = \partial L / \partial a_\ast^{(t)}$; summed over $t$
# they are (5.15). Page: [(5.9)](../part-5-lstm.md#eq-5-9), [(5.15)](../part-5-lstm.md#eq-5-15); NumPy:
# `lstm._backward` (`dh_next`, `ds_next`) and `lstm._parameter_sums`.

# %%
claims = {"h(t-1)": step.dh_prev, "s(t-1)": step.ds_prev}  # (5.9), (5.10)
wrt = {"h(t-1)": h_prev, "s(t-1)": s_prev}
for gate in sl.GATES:  # (5.15), one step's share
    claims[f"U_{gate}"], claims[f"W_{gate}"] = step.dU[gate], step.dW[gate]
    wrt[f"U_{gate}"], wrt[f"W_{gate}"] = P[f"U_{gate}"], P[f"W_{gate}"]
assert symbolic_gradient_identity(claims, ell, wrt) == 2 * H + 4 * (H * D + H * H)
show(r"\text{sent to } h^{(t-1)} = \sum_\ast W_\ast^\top \frac{\partial L}{\partial a_\ast^{(t)}}, \qquad"
     r"\text{sent to } s^{(t-1)} = f^{(t)} \odot \frac{\partial L}{\partial s^{(t)}}",
     text="(5.9) sent to h(t-1): sum_* W_*^T dL/da_*(t); sent to s(t-1): f(t) . dL/ds(t): proven")
show(r"\frac{\partial \ell}{\partial U_\ast} = \delta_\ast x^{(t)\top}, \quad \frac{\partial \ell}{\partial W_\ast} = \delta_\ast h^{(t-1)\top},"
     r"\quad \frac{\partial \ell}{\partial b_\ast} = \delta_\ast \quad (\ast = z, g, f, q)",
     text="(5.15) one step's share of dL/dU_*, dL/dW_*, dL/db_*: proven for all four gates")
print(f"one step: {time.perf_counter() - started:.1f} s")

# %% [markdown]
# ## 3. The whole sequence against brute force
#
# Now the full recursion, `gentle_rnn.symbolic.lstm.bptt`: start with $\partial L/\partial o^{(t)} = \hat y^{(t)} - \mathbf 1_{y^{(t)}}$
# and the output layer's sums (5.8), carry `dh_next` and `ds_next` back from $t = T$ (where both are zero) to
# $t = 1$, collect the weight sums over all steps (5.15), and what is left at the end is the gradient of the
# initial states:
#
# $$\frac{\partial L}{\partial h^{(0)}} = \sum_\ast W_\ast^\top \frac{\partial L}{\partial a_\ast^{(1)}}, \qquad
#   \frac{\partial L}{\partial s^{(0)}} = f^{(1)} \odot \frac{\partial L}{\partial s^{(1)}} . \tag{5.16}$$
#
# Page: [(5.8)](../part-5-lstm.md#eq-5-8)-[(5.16)](../part-5-lstm.md#eq-5-16); NumPy: `lstm.loss_and_grads`.
#
# The reference is the *brute force*: the loss of the fully unrolled network, one expression in every
# parameter entry, $h^{(0)}$, $s^{(0)}$, the inputs and the (symbolic one-hot) targets, differentiated with
# respect to every entry by the chain rule alone (the reverse sweep). It knows nothing about deltas, two paths or carried gradients. The size is the smallest with $D$, $H$,
# $K$ all different: $(D, H, K) = (1, 2, 3)$, $T = 3$, so that a transposed matrix, a dropped step or a
# missing path changes a number.
#
# **The cost, measured.** Plain `sympy.diff` re-walks the expanded tree of its result at every level of the
# chain rule, and in the unrolled LSTM $h^{(t-1)}$ is shared by four gates, so the tree it walks grows about
# tenfold per step: all 45 entries take 2.5 to 3 minutes on our 2-core machine, too slow for a page that is
# executed at every build. The comparison needs only the derivative's *values* at the random points, so here
# the reverse sweep (see the top of the page) computes them: one pass over the few hundred distinct
# subexpressions of $L$ gives all 45, in a fraction of a second. `tests/test_exact_gradient.py` shows that
# the values are those of `sympy.diff` (for every entry here, and for $c$ with plain `sympy.diff` itself), and
# `tests/test_lstm_brute_force.py` (slow) runs plain `sympy.diff` on all 45 entries and checks the same.

# %%
net = sl.unroll(1, 2, 3, 3)  # (D, H, K, T), symbolic targets
t0 = time.process_time()
recursion = sl.bptt(net)
entries = exact_gradient_agreement(recursion.grads, net.L, net.wrt, net.inputs, points=3)
assert entries == 45, entries
keys = ", ".join(sl.GRAD_KEYS)
print(f"(5.8)-(5.16) BPTT == the derivative of the unrolled loss\n  for all {entries} entries (exact, 3 random rational points; "
      f"{time.process_time() - t0:.2f} s CPU) of\n  " + textwrap.fill(keys, 76, subsequent_indent="  "))


def tree_and_graph_size(expr) -> tuple[int, int]:
    """(nodes of the expanded tree, distinct subexpressions), counted over the shared graph."""
    tree: dict = {}

    def count(e):
        if e not in tree:
            tree[e] = 1 + sum(count(a) for a in e.args)
        return tree[e]

    return count(expr), len(tree)


n_tree, n_graph = tree_and_graph_size(net.L)
print(f"the unrolled loss L: {n_tree} nodes as a tree,\n  {n_graph} distinct subexpressions (what the sweep visits)")

# %% [markdown]
# Every formula of the backward pass is proven here over three steps at once: the output layer (5.8), the
# carried gradients (5.9), the two paths (5.10), the gate deltas (5.11)-(5.14), the sums (5.15) and the
# initial states (5.16).

# %%
show(r"\frac{\partial L}{\partial o^{(t)}} = \hat y^{(t)} - \mathbf 1_{y^{(t)}}, \quad"
     r"\frac{\partial L}{\partial V} = \sum_t \frac{\partial L}{\partial o^{(t)}} h^{(t)\top}, \quad"
     r"\frac{\partial L}{\partial c} = \sum_t \frac{\partial L}{\partial o^{(t)}}", text="(5.8): proven")
show(r"\frac{\partial L}{\partial U_\ast} = \sum_t \delta_\ast^{(t)} x^{(t)\top}, \quad"
     r"\frac{\partial L}{\partial W_\ast} = \sum_t \delta_\ast^{(t)} h^{(t-1)\top}, \quad"
     r"\frac{\partial L}{\partial b_\ast} = \sum_t \delta_\ast^{(t)}", text="(5.15): proven")
show(r"\frac{\partial L}{\partial h^{(0)}} = \sum_\ast W_\ast^\top \delta_\ast^{(1)}, \quad"
     r"\frac{\partial L}{\partial s^{(0)}} = f^{(1)} \odot \frac{\partial L}{\partial s^{(1)}}", text="(5.16): proven")

# %% [markdown]
# ### 3a. The check can fail
#
# Two mistakes that tutorials make: dropping the path through $s^{(t+1)}$ in (5.10), that is, not carrying
# `ds_next` back (so $\partial L/\partial s^{(t)}$ sees only the present step), and forgetting a sigmoid
# derivative in a gate delta ($f^{(t)} (1 - f^{(t)})$ in (5.14)). Both are caught.

# %%
def bptt_with(mistake: str) -> sp.Matrix:
    """dL/dW_f from the recursion of `sl.bptt` with one mistake.

    'one path': f(t+1) . dL/ds(t+1) is left out of (5.10); 'no sigmoid derivative': dL/da_f(t) without
    f(t) (1 - f(t)) in (5.14).
    """
    Pn, T_ = net.params, net.T
    dh_next, ds_next = sp.zeros(2, 1), sp.zeros(2, 1)
    total = sp.zeros(*Pn["W_f"].shape)
    for t in range(T_, 0, -1):
        dh = mul(Pn["V"].T, net.y_hat[t] - net.e[t]) + dh_next
        st = sl.step_backward(Pn, net.cells[t], net.x[t], net.h[t - 1], net.s[t - 1], dh,
                              sp.zeros(2, 1) if mistake == "one path" else ds_next)
        da_f = hadamard(st.ds, net.s[t - 1]) if mistake == "no sigmoid derivative" else st.da["f"]
        total += mul(da_f, net.h[t - 1].T)
        dh_next, ds_next = st.dh_prev, st.ds_prev
    return total


def check_W_f(claim: sp.Matrix) -> int:
    return exact_gradient_agreement({"W_f": claim}, net.L, {"W_f": net.params["W_f"]}, net.inputs)


assert check_W_f(bptt_with("none")) == 4  # the harness itself is right
for mistake in ("one path", "no sigmoid derivative"):
    try:
        check_W_f(bptt_with(mistake))
    except AssertionError:
        print(f"mistake '{mistake}' is caught:\n  its dL/dW_f differs from the derivative of L")
    else:
        raise AssertionError(f"the mistake '{mistake}' was not caught")

# %% [markdown]
# ## 4. The whole sequence, independently: forward mode (RTRL)
#
# A second route to the same gradients, sharing nothing with the backward recursion but the model. Real-time
# recurrent learning (Williams & Zipser 1989) carries *forward* in time the sensitivities of the state to
# every parameter and to the initial states,
#
# $$\begin{aligned}
#   R^{(t)} &= \frac{\partial \big(h^{(t)}, s^{(t)}\big)}{\partial (\theta, h^{(0)}, s^{(0)})}, \qquad
#   R^{(0)} = \begin{bmatrix} 0 & I \end{bmatrix},\\
#   R^{(t)} &= J^{(t)} R^{(t-1)} + \begin{bmatrix} \dfrac{\partial (h^{(t)}, s^{(t)})}{\partial \theta}\Big|_{\text{step } t} & 0 \end{bmatrix},
#   \end{aligned}$$
#
# with $J^{(t)}$ the one-step Jacobian of the state, and sums
# $\partial L/\partial \theta = \sum_t \frac{\partial L^{(t)}}{\partial h^{(t)}} R_h^{(t)}$ (where $R_h^{(t)}$ are the rows of $R^{(t)}$ that belong to $h^{(t)}$). Both one-step Jacobians are
# derived by `sympy.diff` of one generic step (not written by hand), and so is the output layer's
# $\partial L^{(t)}/\partial h^{(t)}$. Forward mode costs far more than BPTT for many parameters (its $R^{(t)}$
# has a column per parameter), which is why nobody trains this way, but as a check it is independent. Here at
# $(D, H, K) = (2, 3, 4)$, $T = 3$: 94 entries. The recursion runs on exact numbers (`sl.rtrl_agreement`): at
# each random rational point the one-step Jacobians are evaluated at step $t$'s state and input, with the
# same node values as the unrolled network (a node is identified by its class and the exact value of its
# argument, so the generic step's $\sigma(b_g + W_g h^{(t-1)} + U_g x^{(t)})$ at step $t$ *is* the network's
# $g^{(t)}$), and $R^{(t)}$ is carried forward in exact fractions; BPTT's 94 entries must equal the result.

# %%
t0 = time.perf_counter()
net4 = sl.unroll(2, 3, 4, 3)
rec4 = sl.bptt(net4)
entries = sl.rtrl_agreement(net4, rec4.grads, points=3)
assert entries == 94, entries
print(f"BPTT (5.8)-(5.16) == forward mode (RTRL) for all {entries} entries\n  at (D, H, K, T) = (2, 3, 4, 3) "
      f"(exact, 3 random rational points; {time.perf_counter() - t0:.1f} s)")

# %% [markdown]
# ## 5. The constant error carousel over many steps
#
# Along the cell path alone (the gates held at their values), (5.17) applies at every step and the chain
# rule multiplies:
#
# $$\left.\frac{\partial s^{(t)}}{\partial s^{(u)}}\right|_{\text{cell path}} = \prod_{t'=t}^{u+1} \operatorname{diag}\big(f^{(t')}\big)
#   = \operatorname{diag}\Big(f^{(t)} \odot f^{(t-1)} \odot \cdots \odot f^{(u+1)}\Big) .$$
#
# Part 4's derivation, [vanishing_gradient.py](vanishing_gradient.py), proves this product (its equation
# (4.7)) over three steps. Here we read it off the unrolled network: in BPTT the term of $\partial L/\partial s^{(1)}$
# that comes from the loss at $t = 3$ through the cell path alone is $f^{(3)} \odot f^{(2)} \odot$ (what $s^{(3)}$
# received through $h^{(3)}$). We check it by giving $L^{(3)}$ a gradient only at $s^{(3)}$: with
# $\ell = \bar s^\top s^{(3)}$ and every $h^{(t)}$ cut from its $s^{(t)}$ (free columns), the derivative (the polynomial reverse sweep) is
# exactly the product.

# %%
def cut_cells(T_: int):
    """Three LSTM steps whose gates read free columns h(j-1): the only path between cells is the cell path."""
    s_j = {0: matrix_symbols("s_0", H, latex="s^{(0)}")}
    f_j = {}
    for j in range(1, T_ + 1):
        cj = sl.cell(P, matrix_symbols(f"xc({j})", D), matrix_symbols(f"hc({j - 1})", H), s_j[j - 1])
        s_j[j], f_j[j] = cj.s, cj.f
    return s_j, f_j


s_cut, f_cut = cut_cells(3)
ell_cell = (ds_bar.T * s_cut[3])[0, 0]
claim_s0 = hadamard(f_cut[1], hadamard(f_cut[2], hadamard(f_cut[3], ds_bar)))
assert symbolic_gradient_identity({"s0": claim_s0}, ell_cell, {"s0": s_cut[0]}) == H, "cell path, 3 steps"
show(r"\left.\frac{\partial s^{(3)}}{\partial s^{(0)}}\right|_{\text{cell path}}^{\top} \bar s = f^{(1)} \odot f^{(2)} \odot f^{(3)} \odot \bar s",
     text="cell path over 3 steps: ds(3)/ds(0) = diag(f(3)) diag(f(2)) diag(f(1)): proven")

# %% [markdown]
# If the forget gates sit near 1 (which the forget-gate bias of $+1$ at initialisation encourages), the
# product stays near 1 over many steps: the error that reaches $s^{(t)}$ is carried back without the
# repeated factors $W^\top$ and $\tanh'$ that make the simple RNN's gradient vanish. The full Jacobian
# $\partial s^{(t)}/\partial s^{(t-1)}$ of the recurrence also has the term
# $\frac{\partial s^{(t)}}{\partial h^{(t-1)}} \frac{\partial h^{(t-1)}}{\partial s^{(t-1)}}$ from (5.18), which does
# pass through $W_z$, $W_g$, $W_f$; the carousel is the path that does not.
#
# ## Summary
#
# | claim | how it is established here | size | NumPy |
# |---|---|---|---|
# | (5.17) $\partial s^{(t)}/\partial s^{(t-1)} = \operatorname{diag}(f^{(t)})$ | symbolic (`==`) | $D=2$, $H=3$ | `lstm.step_jacobians` |
# | (5.18) the other one-step Jacobian blocks | symbolic (equal polynomials), `sympy.diff` of one step (memoised; tied to plain `sympy.diff` in the tests) | $D=2$, $H=3$ | `lstm.step_jacobians` |
# | (5.9)-(5.15) one backward step | symbolic (equal polynomials), vs reverse mode of one step | $D=2$, $H=3$ | `lstm._backward` |
# | (5.8)-(5.16) the whole recursion | exact at 3 random rational points vs the derivative of the unrolled loss (reverse mode, SymPy's rule of each node; tied to plain `sympy.diff` in the tests) | $(1,2,3)$, $T=3$, 45 entries | `lstm.loss_and_grads` |
# | (5.8)-(5.16) the whole recursion | exact at 3 random rational points vs forward mode (RTRL) | $(2,3,4)$, $T=3$, 94 entries | `lstm.loss_and_grads` |
# | the cell path over 3 steps | symbolic (equal polynomials), vs reverse mode | $H=3$ | `lstm.step_jacobians` |
#
# The tests (`tests/test_lstm.py`) then check the NumPy code against these SymPy expressions in float64 at
# three more size combinations (relative error at most $10^{-10}$), against centred finite differences, and
# against PyTorch's `nn.LSTM`.

# %%
print(f"lstm_bptt: every identity asserted above holds ({time.perf_counter() - started:.1f} s).")
