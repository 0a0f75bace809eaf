# %% [markdown]
# # Building blocks
#
# Every later derivation uses three derivatives over and over: the derivative of $\tanh$, the derivative of
# the logistic sigmoid $\sigma$, and the gradient of softmax followed by cross-entropy with respect to the
# logits. This page derives each one with SymPy and **asserts** that it equals the formula the other pages
# use. Run it in a terminal with `python derivations/building_blocks.py`; on the site it is executed at
# every build, so the page you are reading is the output of that run.
#
# **How each identity is proven.** Every identity on this page is one between exponentials. We write
# $\tanh$ and $\sigma$ with $e^{a}$, and every exponential of an integer combination of the variables as a
# product of powers of one symbol per variable, $E_a = e^{a}$ or $E_k = e^{o_k}$ (for example
# $e^{2 o_1 - o_3} = E_1^2 / E_3$, the rule $e^{x+y} = e^x e^y$). Both sides then become rational functions of
# the $E$'s, and `sympy.cancel` brings their difference to lowest terms. If the numerator is the zero
# polynomial, the difference vanishes for every positive value of the $E$'s, hence for every real value of
# the variables: an exact symbolic proof, no floating point and no sample points
# (`gentle_rnn.symbolic.blocks.exponential_identity`). This is the one step of `sympy.simplify` these
# identities need, without the dozens of heuristics `simplify` tries first;
# `tests/test_blocks_proofs.py` checks that both reach the same verdict, for the true identities and for
# broken ones.
#
# The NumPy versions live in `gentle_rnn.functional` and are tested against these results in
# `tests/test_functional.py`.

# %%
import sympy as sp

from gentle_rnn.symbolic import Exp, Log, Sigmoid, Tanh, show, to_sympy_functions
from gentle_rnn.symbolic import blocks
from gentle_rnn.symbolic.blocks import a, critical_points, exponential_identity, in_exponentials

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
assert exponential_identity(derived, claimed, [a]), "tanh' != 1 - tanh^2"
# the same identity with tanh written out in exponentials, so nothing rests on SymPy's tanh rules:
written_out = (sp.exp(a) - sp.exp(-a)) / (sp.exp(a) + sp.exp(-a))
assert exponential_identity(sp.diff(written_out, a), 1 - written_out**2, [a]), "tanh' (exponential form)"
difference, E = in_exponentials(sp.diff(written_out, a) - (1 - written_out**2), [a])
show(r"\frac{d}{da}\tanh(a) - \left(1 - \tanh^2(a)\right)\Big|_{e^{a} = E_a}", difference,
     text="d/da tanh(a) - (1 - tanh(a)^2), with exp(a) written E_a")
show(r"\text{in lowest terms}", sp.cancel(difference), text="in lowest terms")

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
assert exponential_identity(derived, claimed, [a]), "sigma' != sigma (1 - sigma)"
# where are the maxima? both derivatives have a single critical point, at a = 0 (exactly: with E = e^a the
# derivative's numerator is a polynomial in E, and its only positive root is E = 1)
assert critical_points(claimed, a) == [0], "the critical points of sigma'"
assert critical_points(sp.diff(sp.tanh(a), a), a) == [0], "the critical points of tanh'"
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
        assert exponential_identity(derived[k], claimed[k], o), f"dL/do_{k + 1} for y = {y + 1}"
o, derived, claimed = blocks.softmax_cross_entropy_gradient(K, 1)
show(r"\frac{\partial L}{\partial o}\Big|_{y=2}", derived.applyfunc(sp.cancel), text="dL/do for y = 2")

# %% [markdown]
# The gradient is so simple because two large Jacobians cancel. The softmax Jacobian alone is
# $\partial \hat y_i / \partial o_j = \hat y_i([i = j] - \hat y_j)$ (where $[i = j]$ is 1 if $i = j$ and 0 otherwise), i.e. $\operatorname{diag}(\hat y) - \hat y \hat y^\top$
# (checked below), and $\partial L / \partial \hat y = -\mathbf 1_y / \hat y_y$; their product collapses to
# $\hat y - \mathbf 1_y$. Computing the two factors separately would waste work and lose precision, which is
# why the code (and every framework) fuses softmax and cross-entropy.

# %%
o, derived, claimed = blocks.softmax_jacobian(3)
assert all(exponential_identity(d, c, o) for d, c in zip(derived, claimed)), "softmax Jacobian"
show(r"\frac{\partial\, \mathrm{softmax}(o)}{\partial o}\Big|_{K=3} - \left(\operatorname{diag}(\hat y) - \hat y \hat y^\top\right)",
     (derived - claimed).applyfunc(lambda e: sp.cancel(in_exponentials(e, o)[0])),
     text="softmax Jacobian - (diag(p) - p p^T), in lowest terms")

# %% [markdown]
# ## Shifting the logits changes nothing
#
# $\mathrm{softmax}(o_1 - \chi, \dots, o_K - \chi) = \mathrm{softmax}(o)$ for any number $\chi$. The code subtracts
# $\chi = \max_k o_k$ before exponentiating, so that no $e^{o_k}$ overflows; this identity is what makes the
# shift legal.

# %%
chi = sp.Symbol("chi", real=True)
o = blocks.logits(4)
shifted = blocks.softmax(o - chi * sp.ones(4, 1))
variables = list(o) + [chi]  # e^(o_k - chi) = E_k / E_chi
assert all(exponential_identity(s, p, variables) for s, p in zip(shifted, blocks.softmax(o))), "softmax shift invariance"
show(r"\mathrm{softmax}(o_1 - \chi, \dots, o_4 - \chi) - \mathrm{softmax}(o)",
     (shifted - blocks.softmax(o)).applyfunc(lambda e: sp.cancel(in_exponentials(e, variables)[0])),
     text="softmax(o - chi) - softmax(o), in lowest terms")

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
    assert exponential_identity(rule, sp.diff(truth, a), [a]), f"{cls.__name__} derivative rule"
    print(f"{cls.__name__} derivative rule agrees with SymPy:\n  {rule}")

# %% [markdown]
# ## Summary
#
# | identity | where it is used | NumPy |
# |---|---|---|
# | $\tanh'(a) = 1 - \tanh^2(a)$ | every hidden state of the RNN and the LSTM | `functional.tanh_grad_from_output` |
# | $\sigma'(a) = \sigma(a)(1-\sigma(a))$, at most $1/4$ | the LSTM gates; the bound of Part 4 | `functional.sigmoid_grad_from_output` |
# | $\partial L/\partial o = \hat y - \mathbf 1_y$ | the output layer of every model | `functional.softmax_cross_entropy` |
# | $\mathrm{softmax}(o_1 - \chi, \dots, o_K - \chi) = \mathrm{softmax}(o)$ | the stable softmax | `functional.log_softmax` |

# %%
print("building_blocks: every identity asserted above holds.")
