"""Part 2's computed material: the worked example (printed on the page) and a picture of its forward pass.

The worked example is a network small enough to follow with pencil and paper: one input, two hidden units,
three classes, three steps, one sequence. :func:`worked_example` runs the real code of
:mod:`gentle_rnn.rnn` on it; :func:`worked_example_table` formats the result as the Markdown that the Part 2
page shows, and ``tests/test_rnn.py`` checks that the page shows exactly that text. Print it with
``python -m gentle_rnn.figures.part2``.
"""

from __future__ import annotations

import numpy as np

from .. import readout, rnn
from ..functional import softmax
from . import figure


def worked_example_inputs() -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """Parameters, inputs, targets and initial state of the worked example: D=1, H=2, K=3, T=3, B=1."""
    params = {
        "U": np.array([[1.0], [-0.5]]),  # (H, D) = (2, 1)
        "W": np.array([[0.5, -1.0], [0.25, 0.5]]),  # (H, H)
        "b": np.array([0.0, 0.25]),  # (H,)
        "V": np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 1.0]]),  # (K, H) = (3, 2)
        "c": np.array([0.0, 0.0, 0.0]),  # (K,)
    }
    x = np.array([1.0, 0.0, -1.0]).reshape(3, 1, 1)  # (T, B, D): x(1) = 1, x(2) = 0, x(3) = -1
    y = np.array([[0], [2], [1]])  # (T, B): classes counted from 0 in code
    h0 = np.zeros((1, 2))  # (B, H)
    return params, x, y, h0


def worked_example() -> dict[str, np.ndarray]:
    """Run the forward pass of :mod:`gentle_rnn.rnn` on the worked example; every quantity by step (T, ...)."""
    params, x, y, h0 = worked_example_inputs()
    h = rnn.forward(params, x, h0)  # (T, 1, H)
    h_prev = np.concatenate([h0[None], h[:-1]])  # (T, 1, H): h(t-1)
    a = params["b"] + h_prev @ params["W"].T + x @ params["U"].T  # (T, 1, H): only for the table
    o = h @ params["V"].T + params["c"]  # (T, 1, K)
    y_hat = softmax(o)
    per_step = -np.log(np.take_along_axis(y_hat, y[..., None], axis=-1))[..., 0]  # (T, 1)
    total, _ = readout.forward(params["V"], params["c"], h, y)
    assert np.isclose(total, rnn.loss(params, x, y, h0)) and np.isclose(total, per_step.sum())
    return {"x": x[:, 0], "a": a[:, 0], "h": h[:, 0], "o": o[:, 0], "y_hat": y_hat[:, 0], "y": y[:, 0],
            "L_t": per_step[:, 0], "L": np.float64(total)}


def _num(v, digits=3) -> str:
    """A number with a typographic minus sign, and no "−0.000"."""
    s = f"{float(v):.{digits}f}"
    if float(s) == 0:
        s = s.lstrip("-")
    return s.replace("-", "−")


def _vec(v, digits=3) -> str:
    return "(" + ", ".join(_num(e, digits) for e in np.ravel(v)) + ")"


def worked_example_table() -> str:
    """The Markdown table of the worked example, exactly as the Part 2 page shows it (one column per step)."""
    r = worked_example()
    rows = [
        ("input $x^{(t)}$", [_num(v, 0) for v in r["x"][:, 0]]),
        ("$a^{(t)} = b + W h^{(t-1)} + U x^{(t)}$", [_vec(v) for v in r["a"]]),
        ("$h^{(t)} = \\tanh(a^{(t)})$", [_vec(v) for v in r["h"]]),
        ("$o^{(t)} = c + V h^{(t)}$", [_vec(v) for v in r["o"]]),
        ("$\\hat y^{(t)} = \\operatorname{softmax}(o^{(t)})$", [_vec(v) for v in r["y_hat"]]),
        ("target class $y^{(t)}$", [str(int(v) + 1) for v in r["y"]]),
        ("$L^{(t)} = -\\log \\hat y^{(t)}_{y^{(t)}}$", [_num(v) for v in r["L_t"]]),
    ]
    lines = ["| | $t = 1$ | $t = 2$ | $t = 3$ |", "|---|---|---|---|"]
    lines += [f"| {name} | " + " | ".join(cells) + " |" for name, cells in rows]
    lines.append(f"| $L = \\sum_t L^{{(t)}}$ | | | **{_num(r['L'])}** |")
    return "\n".join(lines)


@figure("part-2/worked-example.svg")
def worked_example_figure():
    """The worked example step by step: the two hidden units, and the predicted class probabilities."""
    import matplotlib.pyplot as plt

    r = worked_example()
    steps = np.arange(0, 4)
    fig, (ax_h, ax_p) = plt.subplots(1, 2, figsize=(6.9, 3.3), layout="constrained")
    h_all = np.vstack([np.zeros((1, 2)), r["h"]])  # h(0) ... h(3)
    for i, colour in enumerate(("#1b7837", "#762a83")):
        ax_h.plot(steps, h_all[:, i], marker="o", color=colour, lw=1.8)
        ax_h.annotate(f"$h_{i + 1}$", (steps[-1], h_all[-1, i]), xytext=(6, 0), textcoords="offset points",
                      va="center", color=colour, fontsize=10, annotation_clip=False)
    ax_h.axhline(0, color="0.6", lw=0.8)
    ax_h.set_xticks(steps)
    ax_h.set_xlabel("step $t$")
    ax_h.set_ylim(-1, 1)
    ax_h.set_title("(a) hidden state $h^{(t)}$, inside (−1, 1)", loc="left", fontsize=10)

    width = 0.27
    colours = ("#2166ac", "#b35806", "#4d4d4d")
    for k in range(3):
        ax_p.bar(np.arange(1, 4) + (k - 1) * width, r["y_hat"][:, k], width, color=colours[k],
                 label=f"class {k + 1}")
    for t in range(3):
        k = int(r["y"][t])
        ax_p.annotate("target", (t + 1 + (k - 1) * width, r["y_hat"][t, k]), xytext=(0, 3),
                      textcoords="offset points", ha="center", va="bottom", fontsize=9)
    ax_p.set_xticks([1, 2, 3])
    ax_p.set_xlabel("step $t$")
    ax_p.set_ylim(0, 1)
    ax_p.set_ylabel(r"$\hat y^{(t)}_k$")
    ax_p.set_title("(b) predicted probabilities", loc="left", fontsize=10)
    ax_p.legend(frameon=False, fontsize=9, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.22),
                handlelength=1.0, columnspacing=0.8)
    return fig


if __name__ == "__main__":
    print(worked_example_table())
