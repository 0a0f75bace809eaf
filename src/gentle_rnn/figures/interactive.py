"""The static figures that stand in for the interactive figures of Parts 3-5 when JavaScript is off.

Each shows the interactive figure's default setting (and a few others) from the same Python functions the
browser test compares the page with, :mod:`gentle_rnn.interactive`.
"""

from __future__ import annotations

import numpy as np

from .. import interactive
from . import figure
from .part2 import _vec

#: The Part 4 figure's random network: its seed, size and length (also the page's data attributes).
LAG_SEED, LAG_H, LAG_T = 7, 8, 40


@figure("interactive/bptt-stepper.svg")
def bptt_stepper():
    """The worked example's backward pass, finished: dL/dh(t) and delta(t) on the unrolled graph."""
    import matplotlib.pyplot as plt

    steps = interactive.bptt_steps()
    T = len(steps) - 2
    fig, ax = plt.subplots(figsize=(6.9, 2.9), layout="constrained")
    ax.set_xlim(-0.6, T + 0.6)
    ax.set_ylim(-0.75, 3.55)
    ax.axis("off")
    box = {"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "0.4"}
    arrow = {"arrowstyle": "->", "color": "#b2182b", "lw": 1.4, "shrinkA": 10, "shrinkB": 10}
    ax.text(0, 1, "$h^{(0)}$", ha="center", va="center", bbox=box)
    ax.text(0, 0.45, _vec(steps[-1]["dh0"]), ha="center", va="top", fontsize=8)
    for s in steps[1:-1]:
        t = s["t"]
        for y, name in ((3, "L"), (2, "o"), (1, "h"), (0, "a")):
            ax.text(t, y, f"${name}^{{({t})}}$", ha="center", va="center", bbox=box)
        for y0, y1 in ((3, 2), (2, 1), (1, 0)):
            ax.annotate("", (t, y1), (t, y0), arrowprops=arrow)
        ax.annotate("", (t - 1, 1), (t, 0), arrowprops=arrow)
        ax.text(t + 0.1, 1.5, "∂L/∂h " + _vec(s["dh"]), fontsize=8, va="center")
        ax.text(t + 0.1, -0.45, "δ " + _vec(s["delta"]), fontsize=8, va="center")
    ax.set_title("The backward pass of the worked example (full BPTT): gradients flow down and to the left",
                 loc="left", fontsize=9)
    return fig


@figure("interactive/lag.svg")
def lag():
    """Jacobian norms by lag beside the bound, for the interactive figure's network at three lambda_1."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.9, 3.4), layout="constrained")
    lags = np.arange(LAG_T + 1)
    for lam, colour in ((0.9, "#2166ac"), (1.0, "#1b7837"), (1.5, "#b2182b")):
        d = interactive.lag_data(LAG_SEED, LAG_H, LAG_T, lam, "orthogonal", "tanh", None)
        ax.semilogy(lags, d["norms"], color=colour, lw=2, label=f"measured, λ₁ = {lam}")
        ax.semilogy(lags, d["bound"], color=colour, lw=1.2, ls="--", label=f"bound (4.6), λ₁ = {lam}")
    ax.set_xlabel("lag (steps back from T)")
    ax.set_ylabel(r"$\|\partial h^{(T)} / \partial h^{(T - \mathrm{lag})}\|_2$")
    ax.legend(fontsize=8, frameon=False, ncols=3, loc="upper left")
    ax.set_title(f"Orthogonal W, tanh, H = {LAG_H}: the measured norms stay under the bound", loc="left", fontsize=9)
    return fig


@figure("interactive/carousel.svg")
def carousel():
    """Of dL/ds(T), the share that reaches s(1), against the forget-gate bias, beside the simple RNN."""
    import matplotlib.pyplot as plt

    T = 20
    biases = np.arange(-2, 5.01, 0.25)
    data = [interactive.carousel_data(float(b), T, 1) for b in biases]
    fig, ax = plt.subplots(figsize=(6.9, 3.2), layout="constrained")
    for key, style in (("total_share", dict(color="#d6604d", lw=2, label="LSTM, all paths")),
                       ("cell_share", dict(color="#67001f", lw=1.4, ls="--", label="cell path alone")),
                       ("gates_share", dict(color="#fdae61", lw=1.4, label="through h and the gates")),
                       ("rnn_share", dict(color="#1b7837", lw=2, label="simple RNN (same lag)"))):
        ax.semilogy(biases, [max(abs(d[key]), 1e-30) for d in data], **style)
    ax.set_xlabel("forget-gate bias $b_f$")
    ax.set_ylabel(f"share of the gradient at step {T}\nthat reaches step 1")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.set_title(f"T = {T}: an open forget gate carries the gradient back; the simple RNN's share is tiny",
                 loc="left", fontsize=9)
    return fig
