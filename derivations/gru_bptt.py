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
# # Derivation: the GRU's back propagation, and minGRU's linear recurrence
#
# Part 6 ([the GRU and linear recurrences](../part-6-gru.md)) states every gradient of the gated recurrent
# unit and the identities behind minGRU's parallel scan. This script proves them. The model, with $\odot$ the
# elementwise product and the letters of the [notation page](../notation.md#the-gru-and-mingru-part-6):
#
# $$\begin{aligned}
# \zeta^{(t)} &= \sigma\big(a_\zeta^{(t)}\big), & a_\zeta^{(t)} &= b_\zeta + W_\zeta h^{(t-1)} + U_\zeta x^{(t)} && (6.1)\\
# \rho^{(t)} &= \sigma\big(a_\rho^{(t)}\big), & a_\rho^{(t)} &= b_\rho + W_\rho h^{(t-1)} + U_\rho x^{(t)} && (6.2)\\
# \tilde h^{(t)} &= \tanh\big(a_h^{(t)}\big), & a_h^{(t)} &= b_h + W_h \big(\rho^{(t)} \odot h^{(t-1)}\big) + U_h x^{(t)} && (6.3)\\
# & & \text{or } a_h^{(t)} &= b_h + \rho^{(t)} \odot \big(W_h h^{(t-1)}\big) + U_h x^{(t)} && (6.3')\\
# h^{(t)} &= \mu^{(t)} \odot h^{(t-1)} + \big(1 - \mu^{(t)}\big) \odot \tilde h^{(t)}, & \mu^{(t)} &= \zeta^{(t)} \text{ or } 1 - \zeta^{(t)} && (6.4)
# \end{aligned}$$
#
# then $o^{(t)} = c + V h^{(t)}$ and the summed cross-entropy (6.5). The reset gate acts *before* the recurrent
# matrix in (6.3) (Cho et al. 2014, `reset="before"`) or *after* it in (6.3') (PyTorch, `reset="after"`);
# $\mu^{(t)} = \zeta^{(t)}$ when the update gate *keeps* the old state (Cho et al., PyTorch, `update="keep"`)
# and $\mu^{(t)} = 1 - \zeta^{(t)}$ when it *writes* the candidate (Chung et al. 2014, minGRU,
# `update="write"`).
#
# **The plan.** (1) One step's Jacobian $\partial h^{(t)}/\partial h^{(t-1)}$ from `sympy.diff` equals the
# matrix formula (6.14), for both places of the reset gate and both update conventions; symbolic, at $D = 2$,
# $H = 3$. (2) One backward step (6.8)-(6.12) equals the derivative of $\ell = \bar h^\top h^{(t)}$, symbolic.
# (3) The whole recursion (6.6)-(6.13) equals the brute-force derivative of the unrolled loss at the smallest
# all-different size $(D, H, K) = (1, 2, 3)$, $T = 3$, every entry, exactly at random rational points (as in
# the [LSTM derivation](lstm_bptt.py)). (4) Independently, forward mode (RTRL) at $(2, 3, 4)$, $T = 3$, for
# PyTorch's convention. (5) The direct path over several steps. (6) minGRU's linear recurrence: the closed
# form, the associative operator, the scan code run on symbols, and its backward pass as a reverse scan.
#
# "Symbolic" means: the two sides are equal polynomials once every $\sigma$ and $\tanh$ node is an
# indeterminate (`polynomial_identity`, what `sympy.expand` of the difference would show, computed over the
# shared graph). The derivatives in (2) and (3) are never written out as expressions: as in the
# [LSTM derivation](lstm_bptt.py), one reverse sweep over the expression graph applies SymPy's derivative
# rule of each node (sum, product, power rules, each function's `fdiff`), on polynomials in (2)
# (`symbolic_gradient_identity`) and on exact rationals at the random points in (3)
# (`exact_gradient_agreement`). `tests/test_exact_gradient.py` shows that the sweep gives the values of plain
# `sympy.diff`, here in all four conventions, and `tests/test_gru_brute_force.py` (slow) runs plain
# `sympy.diff` on every entry. The other three conventions go through the same comparison in
# `tests/test_gru.py`.

# %%
import textwrap
import time

import sympy as sp

from gentle_rnn import scan as nscan
from gentle_rnn.symbolic import matrix_symbols, show
from gentle_rnn.symbolic import gru as sg
from gentle_rnn.symbolic import scan as ss
from gentle_rnn.symbolic.core import exact_gradient_agreement, mul, polynomial_identity, symbolic_gradient_identity
from gentle_rnn.symbolic.lstm import diag, hadamard, memoized_diff

started_wall, started = time.perf_counter(), time.process_time()
D, H = 2, 3


def expands_to_zero(M) -> bool:
    """True when every entry of ``M`` is the zero polynomial, function nodes as indeterminates (symbolic)."""
    return polynomial_identity(M, sp.zeros(*M.shape)) == len(M)


P = sg.parameter_symbols(D, H, 4)
h_prev = matrix_symbols("h(t-1)", H, latex=r"h^{(t-1)}")
x_t = matrix_symbols("x(t)", D, latex=r"x^{(t)}")
one = sp.ones(H, 1)
CONVENTIONS = [("keep", "before"), ("keep", "after"), ("write", "before"), ("write", "after")]
cells = {conv: sg.cell(P, x_t, h_prev, *conv) for conv in CONVENTIONS}

# for display: the nodes written with their names
names = {k: matrix_symbols(k, H, latex=tex) for k, tex in (("zeta", r"\zeta"), ("rho", r"\rho"),
                                                              ("h_tilde", r"\tilde h"))}
c0 = cells[("keep", "before")]
short = {}
for k in names:
    short.update(dict(zip(getattr(c0, k), names[k])))
show(r"h_1^{(t)}", c0.h[0].xreplace(short), text="h_1(t), update='keep' (nodes abbreviated)")

# %% [markdown]
# ## 1. One step: the Jacobian, and the path that skips every matrix
#
# $h^{(t-1)}$ reaches $h^{(t)}$ along three routes: directly through $\mu^{(t)} \odot h^{(t-1)}$, through
# the update gate (which also sees $h^{(t-1)}$), and through the candidate (itself through $W_h$ and through
# the reset gate). With $\sigma' = \sigma (1-\sigma)$, $\tanh' = 1 - \tanh^2$ and $\pm$ for keep / write:
#
# $$\begin{aligned}
# \frac{\partial h^{(t)}}{\partial h^{(t-1)}} &= \operatorname{diag}\big(\mu^{(t)}\big)\\
# &\quad \pm \operatorname{diag}\big((h^{(t-1)} - \tilde h^{(t)}) \odot \zeta^{(t)} \odot (1 - \zeta^{(t)})\big) W_\zeta\\
# &\quad + \operatorname{diag}\big((1 - \mu^{(t)}) \odot (1 - \tilde h^{(t)} \odot \tilde h^{(t)})\big)\\
# &\qquad\quad \cdot \frac{\partial a_h^{(t)}}{\partial h^{(t-1)}},\\
# \frac{\partial a_h^{(t)}}{\partial h^{(t-1)}} &= W_h \operatorname{diag}\big(\rho^{(t)}\big)\\
# &\quad + W_h \operatorname{diag}\big(h^{(t-1)} \odot \rho^{(t)} \odot (1 - \rho^{(t)})\big) W_\rho\\
# &\qquad \text{(this for (6.3); for (6.3'):)}\\
# \frac{\partial a_h^{(t)}}{\partial h^{(t-1)}} &= \operatorname{diag}\big(\rho^{(t)}\big) W_h\\
# &\quad + \operatorname{diag}\big(W_h h^{(t-1)} \odot \rho^{(t)} \odot (1 - \rho^{(t)})\big) W_\rho .
# \end{aligned} \tag{6.14}$$
#
# The first term is the GRU's analogue of the LSTM's constant error carousel: with the gates held fixed,
#
# $$\left.\frac{\partial h^{(t)}}{\partial h^{(t-1)}}\right|_{\text{direct}} = \operatorname{diag}\big(\mu^{(t)}\big) \tag{6.15}$$
#
# with no weight matrix and no derivative of a squashing function. Page: [(6.14)](../part-6-gru.md#eq-6-14);
# NumPy: `gru.step_jacobians`.

# %%
for conv, c in cells.items():
    with memoized_diff():
        J = c.h.jacobian(h_prev)
    assert polynomial_identity(J, sg.step_jacobian_formula(P, c, h_prev, *conv)) == H * H, f"(6.14) {conv}"
    W0 = {k: sp.zeros(H, H) for k in ("W_zeta", "W_rho", "W_h")}  # cut the weights: the direct path is left
    direct = J.xreplace({s: 0 for k in W0 for s in P[k]})
    assert direct == diag(c.mu.xreplace({s: 0 for k in W0 for s in P[k]})), f"(6.15) {conv}"
print("(6.14) dh(t)/dh(t-1) and (6.15) its direct path diag(mu(t)):\n  proven for all four conventions")

# %% [markdown]
# ## 2. One backward step
#
# Everything the rest of the network does to the loss reaches step $t$ through $h^{(t)}$, so the gradients
# one backward step computes are the derivatives of $\ell = \bar h^\top h^{(t)}$, with the free column
# $\bar h$ standing for the total $\partial L / \partial h^{(t)}$ (6.7). With $\delta_\ast = \partial L / \partial a_\ast^{(t)}$:
#
# $$\begin{aligned}
# \delta_\zeta &= \pm\, \frac{\partial L}{\partial h^{(t)}} \odot \big(h^{(t-1)} - \tilde h^{(t)}\big) \odot \zeta^{(t)} \odot \big(1 - \zeta^{(t)}\big) && (6.8)\\
# \delta_h &= \frac{\partial L}{\partial h^{(t)}} \odot \big(1 - \mu^{(t)}\big) \odot \big(1 - \tilde h^{(t)} \odot \tilde h^{(t)}\big) && (6.9)\\
# \delta_\rho &= \big(W_h^\top \delta_h\big) \odot h^{(t-1)} \odot \rho^{(t)} \odot \big(1 - \rho^{(t)}\big) \quad\text{or}\\
# &\phantom{=}\;\; \delta_h \odot \big(W_h h^{(t-1)}\big) \odot \rho^{(t)} \odot \big(1 - \rho^{(t)}\big) && (6.10)
# \end{aligned}$$
#
# and step $t$ sends to $h^{(t-1)}$
#
# $$\begin{aligned}
#   &\mu^{(t)} \odot \frac{\partial L}{\partial h^{(t)}} + W_\zeta^\top \delta_\zeta + W_\rho^\top \delta_\rho
#   + \rho^{(t)} \odot \big(W_h^\top \delta_h\big)\\
#   &\quad\text{or}\quad \dots + W_h^\top \big(\rho^{(t)} \odot \delta_h\big) .
#   \end{aligned} \tag{6.11}$$
#
# This step's copies of the weights get $\delta_\ast x^{(t)\top}$, $\delta_\zeta h^{(t-1)\top}$,
# $\delta_\rho h^{(t-1)\top}$, and for $W_h$ either $\delta_h (\rho^{(t)} \odot h^{(t-1)})^\top$ or
# $(\rho^{(t)} \odot \delta_h) h^{(t-1)\top}$ (6.12). Page: [(6.8)-(6.12)](../part-6-gru.md#eq-6-8); NumPy:
# `gru._backward`.

# %%
h_bar = matrix_symbols("hbar", H, latex=r"\bar h")
for conv, c in cells.items():
    ell = (h_bar.T * c.h)[0, 0]
    st = sg.step_backward(P, c, x_t, h_prev, h_bar, *conv)
    claims = {"h(t-1)": st.dh_prev}  # (6.11)
    for g in sg.GATES:  # (6.8)-(6.10) as the bias gradients, and (6.12)
        claims[f"b_{g}"], claims[f"U_{g}"], claims[f"W_{g}"] = st.da[g], st.dU[g], st.dW[g]
    wrt = {"h(t-1)": h_prev, **{k: P[k] for k in claims if k != "h(t-1)"}}
    assert symbolic_gradient_identity(claims, ell, wrt) == H + 3 * (H + H * D + H * H), f"(6.8)-(6.12) {conv}"
print("(6.8)-(6.12) one backward step: proven for all four conventions")
show(r"\delta_{\rho,1}", sg.step_backward(P, c0, x_t, h_prev, h_bar, "keep", "before").da["rho"][0].xreplace(short),
     text="(6.10) dL/da_rho(t), entry 1, reset='before'")
print(f"one step: {time.process_time() - started:.2f} s CPU")

# %% [markdown]
# ## 3. The whole sequence against brute force
#
# The recursion `gentle_rnn.symbolic.gru.bptt`: $\partial L/\partial o^{(t)} = \hat y^{(t)} - \mathbf 1_{y^{(t)}}$ and
# the output layer's sums (6.6); $\partial L/\partial h^{(t)} = V^\top \partial L/\partial o^{(t)}$ + what step
# $t + 1$ sends (6.7); the deltas and what each step sends back (6.8)-(6.11); the sums over $t$ (6.12); and
# $\partial L/\partial h^{(0)}$ is what step 1 sends (6.13). The reference is the derivative of the fully
# unrolled loss with respect to every entry, its values at three random rational points from one reverse
# sweep each. Cho et al.'s convention, $(D, H, K) = (1, 2, 3)$, $T = 3$: all 35 entries.

# %%
t0 = time.process_time()
net = sg.unroll(1, 2, 3, 3, update="keep", reset="before")
recursion = sg.bptt(net)
entries = exact_gradient_agreement(recursion.grads, net.L, net.wrt, net.inputs, points=3)
assert entries == 35, entries
print(f"(6.6)-(6.13) BPTT == the derivative of the unrolled loss\n  for all {entries} entries (exact, 3 random rational points; "
      f"{time.process_time() - t0:.2f} s CPU) of\n  " + textwrap.fill(", ".join(sg.GRAD_KEYS), 76, subsequent_indent="  "))

# %% [markdown]
# ### 3a. The check can fail
#
# Two tempting mistakes: taking the reset gate's delta of PyTorch's convention for Cho et al.'s model
# ($\delta_h \odot W_h h^{(t-1)}$ instead of $(W_h^\top \delta_h) \odot h^{(t-1)}$ in (6.10)), and sending
# back $(1 - \mu^{(t)})$ instead of $\mu^{(t)}$ along the direct path (the two update conventions mixed up).


# %%
def dW_rho_with(mistake: str) -> sp.Matrix:
    """dL/dW_rho from the recursion with one mistake ('reset after', 'direct 1 - mu' or 'none')."""
    Pn, dh_next, total = net.params, sp.zeros(2, 1), sp.zeros(2, 2)
    for t in range(net.T, 0, -1):
        c = net.cells[t]
        dh = mul(Pn["V"].T, net.y_hat[t] - net.e[t]) + dh_next
        st = sg.step_backward(Pn, c, net.x[t], net.h[t - 1], dh, "keep", "before")
        da_rho = st.da["rho"]
        if mistake == "reset after":
            da_rho = hadamard(hadamard(st.da["h"], c.Wh_h), hadamard(c.rho, sp.ones(2, 1) - c.rho))
        total += mul(da_rho, net.h[t - 1].T)
        dh_next = st.dh_prev
        if mistake == "direct 1 - mu":
            dh_next = dh_next - hadamard(c.mu, dh) + hadamard(sp.ones(2, 1) - c.mu, dh)
    return total


def check_W_rho(claim: sp.Matrix) -> int:
    return exact_gradient_agreement({"W_rho": claim}, net.L, {"W_rho": net.params["W_rho"]}, net.inputs)


assert check_W_rho(dW_rho_with("none")) == 4  # the harness is right
for mistake in ("reset after", "direct 1 - mu"):
    try:
        check_W_rho(dW_rho_with(mistake))
    except AssertionError:
        print(f"mistake '{mistake}' is caught:\n  its dL/dW_rho differs from the derivative of L")
    else:
        raise AssertionError(f"the mistake '{mistake}' was not caught")

# %% [markdown]
# ## 4. Independently: forward mode (RTRL), PyTorch's convention
#
# Real-time recurrent learning carries $R^{(t)} = \partial h^{(t)} / \partial(\theta, h^{(0)})$ forward,
# $R^{(t)} = J^{(t)} R^{(t-1)} + [\partial h^{(t)}/\partial\theta|_{\text{step } t} \;\; 0]$, with both local
# Jacobians from `sympy.diff` of one generic step; no backward recursion anywhere. Here for `update="keep"`,
# `reset="after"` (what `torch.nn.GRU` computes) at $(D, H, K) = (2, 3, 4)$, $T = 3$: 73 entries. As in the
# LSTM derivation, the recursion runs on exact numbers at each random point (`sg.rtrl_agreement`: the
# one-step Jacobians evaluated at each step's state with the network's own node values, $R^{(t)}$ carried
# forward in fractions).

# %%
t0 = time.process_time()
net4 = sg.unroll(2, 3, 4, 3, update="keep", reset="after")
rec4 = sg.bptt(net4)
entries = sg.rtrl_agreement(net4, rec4.grads, points=3)
assert entries == 73, entries
print(f"BPTT == forward mode (RTRL) for all {entries} entries\n  at (D, H, K, T) = (2, 3, 4, 3), reset='after'\n  "
      f"(exact, 3 random rational points; {time.process_time() - t0:.2f} s CPU)")

# %% [markdown]
# ## 5. The direct path over several steps
#
# With the recurrent weights cut ($W_\zeta = W_\rho = W_h = 0$, so that no gate and no candidate sees
# $h^{(t-1)}$), the direct path (6.15) is the only link between steps and the chain rule multiplies:
# $\partial h^{(3)}/\partial h^{(0)} = \operatorname{diag}(\mu^{(3)} \odot \mu^{(2)} \odot \mu^{(1)})$.

# %%
# the network of section 4 rebuilt with the recurrent weights set to zero (the same expressions as substituting
# zero into it, without SymPy's inference on every product with a zero coefficient)
P_cut = {**net4.params, **{k: sp.zeros(net4.H, net4.H) for k in ("W_zeta", "W_rho", "W_h")}}
h_cut, mus = net4.h0, []
for t in (1, 2, 3):
    c = sg.cell(P_cut, net4.x[t], h_cut, net4.update, net4.reset)
    h_cut = c.h
    mus.append(c.mu)
J30 = h_cut.jacobian(net4.h0)
assert expands_to_zero(J30 - diag(hadamard(hadamard(mus[0], mus[1]), mus[2]))), "direct path over 3 steps"
print("dh(3)/dh(0) with the weights cut = diag(mu(3) . mu(2) . mu(1)): proven")

# %% [markdown]
# ## 6. minGRU: a linear recurrence, its closed form and its scan
#
# minGRU (Feng et al. 2024) cuts $h^{(t-1)}$ out of the gate and the candidate:
# $\zeta^{(t)} = \sigma(b_\zeta + U_\zeta x^{(t)})$, $\tilde h^{(t)} = b_h + U_h x^{(t)}$, and
# $h^{(t)} = (1 - \zeta^{(t)}) \odot h^{(t-1)} + \zeta^{(t)} \odot \tilde h^{(t)}$. Then every step is the
# elementwise affine map
#
# $$h^{(t)} = \mu^{(t)} h^{(t-1)} + \psi^{(t)}, \qquad \mu^{(t)} = 1 - \zeta^{(t)}, \quad \psi^{(t)} = \zeta^{(t)} \tilde h^{(t)} \tag{6.16}$$
#
# whose coefficients are known for all $t$ before the recurrence runs. Per unit (the map is elementwise):
#
# $$h^{(t)} = \Big(\prod_{t'=1}^{t} \mu^{(t')}\Big) h^{(0)} + \sum_{u=1}^{t} \Big(\prod_{t'=u+1}^{t} \mu^{(t')}\Big) \psi^{(u)} \tag{6.17}$$
#
# and the composition of two steps (first, then second) is again such a map,
#
# $$(\mu_1, \psi_1) \circ (\mu_2, \psi_2) = (\mu_1 \mu_2,\; \mu_2 \psi_1 + \psi_2), \tag{6.18}$$
#
# an *associative* operator: that is all a parallel prefix scan needs (Blelloch 1990). We prove (6.17) and
# (6.18), then run the NumPy functions `scan._loop` and `scan._scan` themselves on arrays of SymPy symbols and
# compare with (6.17).

# %%
T = 6
mu, psi, h0 = ss.symbols(T)
cf = ss.closed_form(mu, psi, h0)
prev = h0
for t in range(T):  # (6.17) satisfies the recurrence (6.16) at every step
    assert sp.expand(cf[t] - (mu[t] * prev + psi[t])) == 0, f"(6.17) at t = {t + 1}"
    prev = cf[t]
m1, e1, m2, e2, m3, e3 = sp.symbols("mu_1 psi_1 mu_2 psi_2 mu_3 psi_3")
left = nscan.combine(nscan.combine((m1, e1), (m2, e2)), (m3, e3))
right = nscan.combine((m1, e1), nscan.combine((m2, e2), (m3, e3)))
assert all(sp.expand(a - b) == 0 for a, b in zip(left, right)), "(6.18) associativity"
show(r"\big((\mu_1, \psi_1) \circ (\mu_2, \psi_2)\big) \circ (\mu_3, \psi_3)", sp.Matrix([sp.expand(v) for v in left]),
     text="(6.18) both groupings give")
for method in ("loop", "scan"):
    for T_ in (3, 5, 8):
        m_, e_, h_ = ss.symbols(T_)
        got, want = ss.run(method, m_, e_, h_), ss.closed_form(m_, e_, h_)
        assert all(sp.expand(a - b) == 0 for a, b in zip(got, want)), f"{method}, T = {T_}"
print("(6.17) closed form, (6.18) associativity,\n  and the NumPy loop and Blelloch scan on symbols\n  "
      "(T = 3, 5, 8) == (6.17): proven")

# %% [markdown]
# ### 6a. The backward pass is the same recurrence, run backwards
#
# Write $\partial L/\partial h^{(t)}$ for the total gradient at $h^{(t)}$ and $V^\top \partial L/\partial o^{(t)}$
# for the part that arrives from outside the recurrence (`dh_out` in the code). Then
#
# $$\frac{\partial L}{\partial h^{(t)}} = V^\top \frac{\partial L}{\partial o^{(t)}} + \mu^{(t+1)} \odot \frac{\partial L}{\partial h^{(t+1)}},
#   \qquad \frac{\partial L}{\partial h^{(T)}} = V^\top \frac{\partial L}{\partial o^{(T)}}, \tag{6.20}$$
#
# $$\begin{aligned}
# \frac{\partial L}{\partial \mu^{(t)}} &= \frac{\partial L}{\partial h^{(t)}} \odot h^{(t-1)}, \qquad
#   \frac{\partial L}{\partial \psi^{(t)}} = \frac{\partial L}{\partial h^{(t)}},\\
# \frac{\partial L}{\partial h^{(0)}} &= \mu^{(1)} \odot \frac{\partial L}{\partial h^{(1)}} .
# \end{aligned} \tag{6.21}$$
#
# (6.20) is a linear recurrence of the form (6.16) in reversed time, so the same scan computes it
# (`scan._reverse`). Below, free symbols stand for the outside parts $V^\top \partial L/\partial o^{(t)}$, and
# $\ell$ is their sum of products with the $h^{(t)}$; its derivatives come from `sympy.diff` inside `memoized_diff`
# (SymPy's own rules, once per distinct subexpression: the expressions of plain `sympy.diff`, which
# `tests/test_exact_derivatives.py` checks). And by (6.17) the Jacobian over a lag is the product of the one-step
# coefficients, $\partial h^{(t)}/\partial h^{(u)} = \prod_{t'=u+1}^{t} \mu^{(t')}$: Part 4's product of
# Jacobians, here of numbers in $(0, 1)$ that the input alone decides.

# %%
d = [sp.Symbol(f"d{t}") for t in range(1, T + 1)]
ell = sp.Add(*[di * hi for di, hi in zip(d, cf)])
with memoized_diff():  # sympy.diff's rules, each distinct subexpression once (plain sympy.diff's expressions)
    dl_dpsi, dl_dmu, dl_dh0 = [sp.diff(ell, v) for v in psi], [sp.diff(ell, v) for v in mu], sp.diff(ell, h0)
for method in ("loop", "scan"):
    dh = ss.reverse_run(method, mu, d)
    for t in range(T):
        assert sp.expand(dl_dpsi[t] - dh[t]) == 0, f"(6.20) dL/dh({t + 1}), {method}"
        assert sp.expand(dl_dmu[t] - dh[t] * (h0 if t == 0 else cf[t - 1])) == 0, "(6.21) dL/dmu"
assert sp.expand(dl_dh0 - mu[0] * ss.reverse_run("scan", mu, d)[0]) == 0, "(6.21) dL/dh(0)"
hk = sp.Symbol("h_k")
for k in range(T):
    from_k = ss.closed_form(mu[k:], psi[k:], hk)[-1]  # h(T) as a function of h(k)
    assert sp.expand(sp.diff(from_k, hk) - sp.Mul(*mu[k:])) == 0, f"dh(T)/dh({k})"
print(f"(6.20)-(6.21) the reverse scan == sympy.diff,\n  and dh({T})/dh(u) = mu(u+1) ... mu({T}) for every u: proven")

# %% [markdown]
# ## Summary
#
# | claim | how it is established here | size | NumPy |
# |---|---|---|---|
# | (6.14) $\partial h^{(t)}/\partial h^{(t-1)}$, (6.15) its direct path | symbolic (equal polynomials; `sympy.diff`), four conventions | $D=2$, $H=3$ | `gru.step_jacobians` |
# | (6.8)-(6.12) one backward step | symbolic, vs reverse mode of one step (polynomials), four conventions | $D=2$, $H=3$ | `gru._backward` |
# | (6.6)-(6.13) the whole recursion | exact at 3 random rational points vs the derivative of the unrolled loss (reverse mode; tied to plain `sympy.diff` in the tests) | $(1,2,3)$, $T=3$, 35 entries | `gru.loss_and_grads` |
# | (6.6)-(6.13), PyTorch's convention | exact at 3 random rational points vs forward mode (RTRL) | $(2,3,4)$, $T=3$, 73 entries | `gru.loss_and_grads` |
# | the direct path over 3 steps | symbolic | $H=3$ | `gru.step_jacobians` |
# | (6.16)-(6.18) closed form, associativity, loop and scan | symbolic, the NumPy code run on symbols | $T \le 8$ | `scan.loop`, `scan.scan` |
# | (6.20)-(6.21) backward as a reverse scan, $\prod \mu$ | symbolic, vs `sympy.diff` | $T = 6$ | `scan.reverse_scan`, `scan.grads` |
#
# The tests add the three other conventions against brute force, all four against RTRL, every NumPy gradient
# against these expressions in float64 (relative error at most $10^{-10}$), finite differences, PyTorch's
# `nn.GRU`, and the log-space scan against the loop.

# %%
print(f"gru_bptt: every identity asserted above holds ({time.process_time() - started:.2f} s CPU, "
      f"{time.perf_counter() - started_wall:.2f} s wall).")
