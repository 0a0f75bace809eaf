"""Part 1's computed figure: the demonstration of :mod:`gentle_rnn.experiments.part1`, drawn from its result file.

Training takes longer than a site build should, so the figure reads ``src/gentle_rnn/data/part1_demo.json``
(written by ``python -m gentle_rnn.experiments.part1``; ``tests/test_experiments_part1.py`` checks the page's
claims on it and on a fresh short run) and draws in well under a second.
"""

from __future__ import annotations

import json
import math

from ..experiments.part1 import DATA_FILE
from . import figure

#: One colour per model (the dark render lightens them; see gentle_rnn.figures).
COLOURS = {"rnn": "#1b7837", "window-2": "#e08214", "window-4": "#b2182b", "window-8": "#762a83"}


def _label(name: str, model: dict, config: dict) -> str:
    if model["window"] is None:
        return f"recurrent (H = {config['H']})"
    return f"window w = {model['window']}"


@figure("part-1/parity-demo.svg")
def parity_demo():
    import matplotlib.pyplot as plt

    run = json.loads(DATA_FILE.read_text())["full"]
    config, models = run["config"], run["models"]
    T = config["T"]
    fig, (ax_loss, ax_acc) = plt.subplots(2, 1, figsize=(6.9, 6.2), layout="constrained")

    # (a) held-out cross-entropy per step while training, each curve labelled at its end
    for name, m in models.items():
        colour = COLOURS.get(name, "0.3")
        ax_loss.plot(m["eval_steps"], m["eval_loss"], color=colour, lw=1.8)
        short = "recurrent" if m["window"] is None else f"w = {m['window']}"
        ax_loss.annotate(short, (m["eval_steps"][-1], m["eval_loss"][-1]), xytext=(5, 0),
                         textcoords="offset points", va="center", color=colour, fontsize=9, annotation_clip=False)
    ax_loss.axhline(math.log(2), color="0.45", ls=":", lw=1)
    ax_loss.text(config["steps"] * 0.62, math.log(2) + 0.015, "chance: log 2", ha="center", va="bottom",
                 fontsize=9, color="0.35")
    ax_loss.set_xlabel("training step")
    ax_loss.set_ylabel("held-out loss per step (nats)")
    ax_loss.set_title(f"(a) learning curves: recurrent (H = {config['H']}) and dense with window w",
                      loc="left", fontsize=10)
    ax_loss.set_ylim(0, 0.85)

    # (b) accuracy at each position t after training, with the best any window-w model can do (dashed)
    positions = list(range(1, T + 1))
    for name, m in models.items():
        colour = COLOURS.get(name, "0.3")
        ax_acc.plot(positions, m["accuracy_by_position"], color=colour, lw=1.8, marker="o", ms=3,
                    label=_label(name, m, config))
        if m["window"] is not None:
            w = m["window"]
            ceiling = [1.0 if t <= w else 0.5 for t in positions]
            ax_acc.step(positions, ceiling, where="mid", color=colour, lw=0.9, ls="--", alpha=0.8)
    ax_acc.set_xlabel("position t in the sequence")
    ax_acc.set_ylabel("held-out accuracy")
    ax_acc.set_title("(b) accuracy at each position after training; dashed: the best window w allows",
                     loc="left", fontsize=10)
    ax_acc.set_xticks([1, 5, 10, 15, 20] if T == 20 else positions[:: max(1, T // 5)])
    ax_acc.set_ylim(0.35, 1.05)
    ax_acc.legend(fontsize=9, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=4,
                  handlelength=1.5, columnspacing=1.2)
    for ax in (ax_loss, ax_acc):
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(alpha=0.25)
    return fig


# ----------------------------------------------------------------------------------------------------------------
# the dense layer's worked example: one example, D = 2 inputs, H = 2 hidden units, K = 3 classes, printed on the
# page by dense_example_text(); tests/test_dense.py checks that the page shows exactly what the code computes


def dense_example_inputs():
    """Parameters, input and label of Part 1's worked example: ``params, x (1, D), y (1,)`` (class 2 of 3)."""
    import numpy as np

    params = {
        "U": np.array([[0.5, -1.0], [0.25, 0.5]]),  # (H, D) = (2, 2)
        "b": np.array([0.0, 0.5]),  # (H,)
        "V": np.array([[1.0, -1.0], [0.5, 1.0], [-1.0, 0.0]]),  # (K, H) = (3, 2)
        "c": np.array([0.0, 0.0, 0.25]),  # (K,)
    }
    x = np.array([[1.0, -1.0]])  # (B, D) = (1, 2)
    y = np.array([1])  # class 2 of the page (the code counts from 0)
    return params, x, y


def dense_example() -> dict:
    """Every quantity of the worked example, forward (1.1)-(1.4) and backward (1.5)-(1.10), from gentle_rnn.dense."""
    from .. import dense
    from ..functional import softmax

    params, x, y = dense_example_inputs()
    h = dense.hidden_forward(params["U"], params["b"], x)  # (1, H)
    a = x @ params["U"].T + params["b"]  # (1, H): only for the table
    o = h @ params["V"].T + params["c"]  # (1, K)
    loss, do = dense.output_forward(params["V"], params["c"], h, y)
    dV, dc, dh = dense.output_backward(params["V"], h, do)
    dU, db, dx = dense.hidden_backward(params["U"], x, h, dh)
    total, grads = dense.loss_and_grads(params, x, y)
    assert total == loss and all((grads[k] == v).all() for k, v in (("U", dU), ("b", db), ("V", dV), ("c", dc)))
    return {"x": x[0], "a": a[0], "h": h[0], "o": o[0], "y_hat": softmax(o)[0], "L": float(loss), "do": do[0],
            "dh": dh[0], "delta": (dh * (1 - h * h))[0], "grads": grads}


def dense_example_text() -> str:
    """The Markdown of the worked example, exactly as the Part 1 page shows it."""
    from .part2 import _num, _vec
    from .part3 import _matrix

    r = dense_example()
    g = r["grads"]
    rows = [
        ("$a = b + U x$ (1.1)", _vec(r["a"])),
        ("$h = \\tanh(a)$ (1.2)", _vec(r["h"])),
        ("$o = c + V h$ (1.3)", _vec(r["o"])),
        ("$\\hat y = \\operatorname{softmax}(o)$ (1.4)", _vec(r["y_hat"])),
        ("$L = -\\log \\hat y_{y}$, with $y = 2$ (1.4)", _num(r["L"])),
        ("$\\partial L / \\partial o = \\hat y - \\mathbf 1_y$ (1.5)", _vec(r["do"])),
        ("$\\partial L / \\partial h = V^\\top \\partial L / \\partial o$ (1.7)", _vec(r["dh"])),
        ("$\\delta = (1 - h \\odot h) \\odot \\partial L / \\partial h$ (1.8)", _vec(r["delta"])),
        ("$\\partial L / \\partial x = U^\\top \\delta$ (1.10)", _vec(g["x"][0])),
    ]
    lines = ["| quantity | value |", "|---|---|"] + [f"| {name} | {value} |" for name, value in rows]
    display = (
        "$$\n\\begin{aligned}\n"
        rf"\frac{{\partial L}}{{\partial V}} &= \frac{{\partial L}}{{\partial o}}\, h^\top = {_matrix(g['V'])}, &"
        rf" \frac{{\partial L}}{{\partial c}} &= {_matrix(g['c'][:, None])}\\"
        "\n"
        rf"\frac{{\partial L}}{{\partial U}} &= \delta\, x^\top = {_matrix(g['U'])}, &"
        rf" \frac{{\partial L}}{{\partial b}} &= {_matrix(g['b'][:, None])}"
        "\n\\end{aligned}\n$$"
    )
    return "\n".join(lines) + "\n\n" + display


if __name__ == "__main__":
    print(dense_example_text())
