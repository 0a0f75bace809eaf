"""Part 3's computed material: the backward pass of the worked example and the truncated-BPTT figure.

:func:`worked_example_table` and :func:`truncation_table` produce the Markdown the Part 3 page shows (from the
real code of :mod:`gentle_rnn.rnn`, on the worked example of Part 2); ``tests/test_rnn.py`` checks that the
page shows exactly that text. Print them with ``python -m gentle_rnn.figures.part3``.
"""

from __future__ import annotations

import numpy as np

from .. import readout, rnn
from ..functional import tanh_grad_from_output
from . import figure, over_image
from .part2 import _num, _vec, worked_example_inputs


def worked_example_backward() -> dict[str, np.ndarray]:
    """Every quantity of the backward pass of the worked example, by step (index t - 1 holds step t)."""
    params, x, y, h0 = worked_example_inputs()
    h = rnn.forward(params, x, h0)  # (T, 1, H)
    _, do = readout.forward(params["V"], params["c"], h, y)  # (T, 1, K): y_hat - onehot(y)   (3.1)
    _, _, from_output = readout.backward(params["V"], h, do)  # (T, 1, H): V^T dL/do(t)
    dh = rnn.hidden_state_grads(params, x, y, h0)  # (T, 1, H): total, (3.3)
    delta = tanh_grad_from_output(h) * dh  # (3.4)
    from_future = dh - from_output  # W^T delta(t+1): zero at t = T
    _, grads = rnn.loss_and_grads(params, x, y, h0)
    return {"do": do[:, 0], "from_output": from_output[:, 0], "from_future": from_future[:, 0],
            "dh": dh[:, 0], "delta": delta[:, 0], "grads": grads}


def _matrix(m, digits=3) -> str:
    m = np.atleast_2d(m)
    rows = [" & ".join(_num(v, digits) for v in row) for row in m]
    return r"\begin{pmatrix} " + r" \\ ".join(rows) + r" \end{pmatrix}"


def worked_example_table() -> str:
    """The Markdown of the backward pass of the worked example, exactly as the Part 3 page shows it."""
    r = worked_example_backward()
    rows = [
        ("$\\dfrac{\\partial L}{\\partial o^{(t)}} = \\hat y^{(t)} - \\mathbf 1_{y^{(t)}}$", r["do"]),
        ("from the output: $V^\\top \\dfrac{\\partial L}{\\partial o^{(t)}}$", r["from_output"]),
        ("from the future: $W^\\top \\delta^{(t+1)}$", r["from_future"]),
        ("total: $\\dfrac{\\partial L}{\\partial h^{(t)}}$ (sum of the two rows above)", r["dh"]),
        ("$\\delta^{(t)} = (1 - h^{(t)} \\odot h^{(t)}) \\odot \\dfrac{\\partial L}{\\partial h^{(t)}}$", r["delta"]),
    ]
    lines = ["| computed in this order: | $t = 3$ | $t = 2$ | $t = 1$ |", "|---|---|---|---|"]
    lines += [f"| {name} | " + " | ".join(_vec(v[t - 1]) for t in (3, 2, 1)) + " |" for name, v in rows]
    g = r["grads"]
    display = (  # two displays of aligned pairs: narrow enough for the page's column
        "$$\n\\begin{aligned}\n"
        rf"\frac{{\partial L}}{{\partial W}} &= {_matrix(g['W'])}, & \frac{{\partial L}}{{\partial U}} &= {_matrix(g['U'])},\\"
        "\n"
        rf"\frac{{\partial L}}{{\partial b}} &= {_matrix(g['b'][:, None])}, & \frac{{\partial L}}{{\partial h^{{(0)}}}} &= {_matrix(g['h0'].T)}"
        "\n\\end{aligned}\n$$\n\n$$\n"
        rf"\frac{{\partial L}}{{\partial V}} = {_matrix(g['V'])}, \quad \frac{{\partial L}}{{\partial c}} = {_matrix(g['c'][:, None])}"
        "\n$$"
    )
    return "\n".join(lines) + "\n\n" + display


def truncation_table() -> str:
    """The gradient of W in the worked example under truncated BPTT with truncation length tau = 1, 2, 3 (= T)."""
    params, x, y, h0 = worked_example_inputs()
    _, full = rnn.loss_and_grads(params, x, y, h0)
    lines = [
        "| $\\tau$ | $\\partial L / \\partial W$, truncated | $\\partial L / \\partial h^{(0)}$, truncated "
        "| relative error of $\\partial L / \\partial W$ |",
        "|:-:|---|---|---:|",
    ]
    for tau in (1, 2, 3):
        _, g = rnn.loss_and_grads(params, x, y, h0, truncate=tau)
        err = np.linalg.norm(g["W"] - full["W"]) / np.linalg.norm(full["W"])
        lines.append(f"| {tau} | ${_matrix(g['W'])}$ | ${_matrix(g['h0'].T)}$ | {_num(err)} |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------------------------
# the truncated-BPTT figure


def _pair_contributions(params, x, y, h0) -> np.ndarray:
    """``C[t-1, u-1] = || delta(t, u) h(u-1)^T ||_F``: the share of L(t) in the gradient of W, made at step u.

    Computed with :func:`gentle_rnn.rnn.backward`, fed the output gradient of one loss term at a time.
    """
    T = x.shape[0]
    h = rnn.forward(params, x, h0)
    h_prev = np.concatenate([h0[None], h[:-1]])  # (T, B, H)
    _, do = readout.forward(params["V"], params["c"], h, y)
    _, _, from_output = readout.backward(params["V"], h, do)
    C = np.full((T, T), np.nan)
    for t in range(1, T + 1):
        only_t = np.zeros_like(from_output)
        only_t[t - 1] = from_output[t - 1]  # the gradient of L(t) alone
        _, dh = rnn.backward(params, x, h0, h, only_t)
        delta = tanh_grad_from_output(h) * dh  # (T, B, H): delta(t, u) at index u - 1
        for u in range(1, t + 1):
            C[t - 1, u - 1] = np.linalg.norm(delta[u - 1].T @ h_prev[u - 1])
    return C


def _random_problem(T, scale, seed=0, D=4, H=16, K=5, B=8):
    rng = np.random.default_rng(seed)
    params = rnn.init_params(D, H, K, rng=rng, scale=scale)
    x = rng.normal(size=(T, B, D))
    y = rng.integers(0, K, size=(T, B))
    h0 = np.zeros((B, H))
    return params, x, y, h0


@figure("part-3/truncated.svg")
def truncated_figure():
    """(a) which shares truncation keeps; (b) how far the truncated gradient is from the full one, by tau.

    (a) leaves out the step u = 1: there the share is exactly zero, because h(0) = 0, and L(1) has no other
    share, so the first row and column would be blank; the caption on the page says so.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    T, tau_show = 24, 6
    fig, (ax_c, ax_e) = plt.subplots(2, 1, figsize=(6.9, 8.4), layout="constrained",
                                     gridspec_kw={"height_ratios": [1.25, 1]})

    params, x, y, h0 = _random_problem(T, scale=1.0)
    C = _pair_contributions(params, x, y, h0)
    assert np.all(C[:, 0] == 0) and np.all(h0 == 0)  # u = 1 contributes nothing: h(0) = 0
    C = C[1:, 1:] / np.nanmax(C)  # rows t = 2..T, columns u = 2..T, relative to the largest share
    finite = C[np.isfinite(C)]
    extent = (1.5, T + 0.5, T + 0.5, 1.5)
    image = ax_c.imshow(C, origin="upper", cmap="viridis", extent=extent, aspect="auto",
                        norm=LogNorm(vmin=finite.min(), vmax=1.0))
    fig.colorbar(image, ax=ax_c, shrink=0.9, label="share, relative to the largest")
    u_line = np.arange(1, T + 2) + 0.5
    cut = ax_c.plot(u_line, u_line + tau_show, color="white", lw=1.6, ls="--", scalex=False, scaley=False)
    ax_c.set_xlim(1.5, T + 0.5)
    ax_c.set_ylim(T + 0.5, 1.5)
    dropped = ax_c.text(2.2, T - 0.3, f"dropped by τ = {tau_show}: t − u ≥ {tau_show}", color="white", fontsize=9,
                        va="bottom")
    over_image(*cut, dropped)  # white on the image in both schemes
    ax_c.text(T, 3, f"kept: t − u < {tau_show}", color="black", fontsize=9, ha="right", va="top",
              bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    ax_c.set_xlabel("step u where W is used (u = 1 left out: h(0) = 0)")
    ax_c.set_ylabel("loss term L(t)")
    ax_c.set_title("(a) the share $\\|\\delta^{(t,u)} h^{(u-1)\\top}\\|$ of each L(t) in $\\partial L / \\partial W$",
                   loc="left", fontsize=10)

    taus = np.arange(1, T + 1)
    for scale, colour in ((0.5, "#2166ac"), (1.0, "#1b7837"), (2.0, "#b2182b")):
        params, x, y, h0 = _random_problem(T, scale=scale, seed=1)
        rho = np.abs(np.linalg.eigvals(params["W"])).max()
        _, full = rnn.loss_and_grads(params, x, y, h0)
        errors = []
        for tau in taus:
            _, g = rnn.loss_and_grads(params, x, y, h0, truncate=int(tau))
            errors.append(np.linalg.norm(g["W"] - full["W"]) / np.linalg.norm(full["W"]))
        errors = np.maximum(np.array(errors), 1e-17)  # tau = T is exact: show it at the floor of the axis
        ax_e.semilogy(taus, errors, marker="o", ms=3, lw=1.6, color=colour,
                      label=f"init scale {scale}, ρ(W) = {rho:.2f}")
    ax_e.axvline(tau_show, color="0.5", ls="--", lw=1)
    ax_e.set_xlabel("truncation length τ")
    ax_e.set_ylabel("relative error of $G_W^{(\\tau)}$")
    ax_e.set_ylim(1e-17, 10)
    ax_e.legend(frameon=False, fontsize=9, loc="lower left", bbox_to_anchor=(0.27, 0.0), title="ρ(W): spectral radius of W", title_fontsize=9)
    ax_e.set_title(f"(b) truncated against full gradient of W, T = {T}; exact from τ = T − 1 on (h(0) = 0)",
                   loc="left", fontsize=10)
    return fig


if __name__ == "__main__":
    print(worked_example_table())
    print()
    print(truncation_table())
