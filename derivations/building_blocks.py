# %% [markdown]
# # Building blocks
#
# Every later derivation uses three derivatives over and over: the derivative of $\tanh$, the derivative of
# the logistic sigmoid $\sigma$, and the gradient of softmax followed by cross-entropy with respect to the
# logits. This page derives each one with SymPy and **asserts** that it equals the formula the other pages
# use. Run it in a terminal with `python derivations/building_blocks.py`; on the site it is executed at
# every build, so the page you are reading is the output of that run.
#
# The NumPy versions live in `gentle_rnn.functional` and are tested against these results in
# `tests/test_functional.py`.

# %%
import sympy as sp

from gentle_rnn.symbolic import Exp, Log, Sigmoid, Tanh, show, to_sympy_functions
from gentle_rnn.symbolic import blocks
from gentle_rnn.symbolic.blocks import a

# %% [markdown]
# ## The derivative of tanh
#
# $\tanh(a) = \dfrac{e^{a} - e^{-a}}{e^{a} + e^{-a}}$. SymPy differentiates it; we claim the result can be
# written with the *output* $h = \tanh(a)$ alone:
#
# $$ \tanh'(a) = 1 - \tanh^2(a) = 1 - h^2 . \tag{tanh'} $$
#
# That matters for backpropagation: the forward pass has already stored $h$, so the backward pass needs no
# second call to $\tanh$.

# %%
derived, claimed = blocks.tanh_derivative()
show(r"\frac{d}{da}\tanh(a)", derived, text="d/da tanh(a)")
assert sp.simplify(derived - claimed) == 0, "tanh' != 1 - tanh^2"
# the same identity with tanh written out in exponentials, so nothing rests on SymPy's tanh rules:
written_out = (sp.exp(a) - sp.exp(-a)) / (sp.exp(a) + sp.exp(-a))
assert sp.simplify(sp.diff(written_out, a) - (1 - written_out**2)) == 0, "tanh' (exponential form)"
show(r"\frac{d}{da}\tanh(a) - \left(1 - \tanh^2(a)\right)", sp.simplify(derived - claimed),
     text="d/da tanh(a) - (1 - tanh(a)^2)")

# %% [markdown]
# ## The derivative of the sigmoid
#
# $\sigma(a) = \dfrac{1}{1 + e^{-a}}$, and we claim
#
# $$ \sigma'(a) = \sigma(a)\,\bigl(1 - \sigma(a)\bigr). \tag{sigma'} $$
#
# Its largest value is $\sigma'(0) = 1/4$, a number Part 4 needs for the vanishing-gradient bound; $\tanh'$
# peaks at $\tanh'(0) = 1$.

# %%
derived, claimed = blocks.sigmoid_derivative()
show(r"\frac{d}{da}\sigma(a)", derived, text="d/da sigma(a)")
assert sp.simplify(derived - claimed) == 0, "sigma' != sigma (1 - sigma)"
# where are the maxima? both derivatives are even functions with a single critical point at a = 0
assert sp.solve(sp.diff(claimed, a), a) == [0]
assert claimed.subs(a, 0) == sp.Rational(1, 4), "max sigma' = 1/4"
assert sp.diff(sp.tanh(a), a).subs(a, 0) == 1, "max tanh' = 1"
show(r"\max_a \sigma'(a) = \sigma'(0)", claimed.subs(a, 0), text="max sigma'")

# %% [markdown]
# ## Softmax followed by cross-entropy
#
# For a vector of $K$ logits $o$ and the correct class $y$,
# $\hat y_k = \mathrm{softmax}(o)_k = e^{o_k} / \sum_j e^{o_j}$ and the loss is $L = -\log \hat y_y$.
# The claim every part of the series leans on:
#
# $$ \frac{\partial L}{\partial o} = \hat y - \mathbf{1}_y , \tag{softmax-ce} $$
#
# where $\mathbf{1}_y$ is the one-hot vector of the class $y$. We check it for $K = 4$ logits and **every**
# choice of the correct class $y$, component by component. (Code counts classes from 0, the page from 1.)

# %%
K = 4
for y in range(K):
    o, derived, claimed = blocks.softmax_cross_entropy_gradient(K, y)
    for k in range(K):
        assert sp.simplify(derived[k] - claimed[k]) == 0, f"dL/do_{k + 1} for y = {y + 1}"
o, derived, claimed = blocks.softmax_cross_entropy_gradient(K, 1)
show(r"\frac{\partial L}{\partial o}\Big|_{y=2}", sp.simplify(derived), text="dL/do for y = 2")

# %% [markdown]
# The gradient is so simple because two large Jacobians cancel. The softmax Jacobian alone is
# $\partial \hat y_i / \partial o_j = \hat y_i([i = j] - \hat y_j)$ (where $[i = j]$ is 1 if $i = j$ and 0 otherwise), i.e. $\operatorname{diag}(\hat y) - \hat y \hat y^\top$
# (checked below), and $\partial L / \partial \hat y = -\mathbf 1_y / \hat y_y$; their product collapses to
# $\hat y - \mathbf 1_y$. Computing the two factors separately would waste work and lose precision, which is
# why the code (and every framework) fuses softmax and cross-entropy.

# %%
o, derived, claimed = blocks.softmax_jacobian(3)
assert (derived - claimed).applyfunc(sp.simplify) == sp.zeros(3, 3), "softmax Jacobian"
show(r"\frac{\partial\, \mathrm{softmax}(o)}{\partial o}\Big|_{K=3} - \left(\operatorname{diag}(\hat y) - \hat y \hat y^\top\right)",
     (derived - claimed).applyfunc(sp.simplify), text="softmax Jacobian - (diag(p) - p p^T)")

# %% [markdown]
# ## Shifting the logits changes nothing
#
# $\mathrm{softmax}(o_1 - \psi, \dots, o_K - \psi) = \mathrm{softmax}(o)$ for any number $\psi$. The code subtracts
# $\psi = \max_k o_k$ before exponentiating, so that no $e^{o_k}$ overflows; this identity is what makes the
# shift legal.

# %%
psi = sp.Symbol("psi", real=True)
o = blocks.logits(4)
shifted = blocks.softmax(o - psi * sp.ones(4, 1))
assert (shifted - blocks.softmax(o)).applyfunc(sp.simplify) == sp.zeros(4, 1), "softmax shift invariance"
show(r"\mathrm{softmax}(o_1 - \psi, \dots, o_4 - \psi) - \mathrm{softmax}(o)", (shifted - blocks.softmax(o)).applyfunc(sp.simplify),
     text="softmax(o - psi) - softmax(o)")

# %% [markdown]
# ## The fast function classes use exactly these rules
#
# The unrolled networks of Parts 2 to 5 are built from our own `Tanh`, `Sigmoid`, `Exp` and `Log` classes
# (see `gentle_rnn.symbolic.core`), which know their derivative and nothing else; SymPy's own functions
# would spend minutes on assumption queries while a network is built. Here we check that each class's
# derivative rule, mapped back to SymPy's functions, is the true derivative, so that every later brute-force
# `sympy.diff` rests on the identities proven above.

# %%
for cls, truth in [(Tanh, sp.tanh(a)), (Sigmoid, blocks.sigma(a)), (Exp, sp.exp(a)), (Log, sp.log(a))]:
    rule = to_sympy_functions(sp.diff(cls(a), a))
    assert sp.simplify(rule - sp.diff(truth, a)) == 0, f"{cls.__name__} derivative rule"
    print(f"{cls.__name__} derivative rule agrees with SymPy:\n  {rule}")

# %% [markdown]
# ## Summary
#
# | identity | where it is used | NumPy |
# |---|---|---|
# | $\tanh'(a) = 1 - \tanh^2(a)$ | every hidden state of the RNN and the LSTM | `functional.tanh_grad_from_output` |
# | $\sigma'(a) = \sigma(a)(1-\sigma(a))$, at most $1/4$ | the LSTM gates; the bound of Part 4 | `functional.sigmoid_grad_from_output` |
# | $\partial L/\partial o = \hat y - \mathbf 1_y$ | the output layer of every model | `functional.softmax_cross_entropy` |
# | $\mathrm{softmax}(o_1 - \psi, \dots, o_K - \psi) = \mathrm{softmax}(o)$ | the stable softmax | `functional.log_softmax` |

# %%
print("building_blocks: every identity asserted above holds.")
