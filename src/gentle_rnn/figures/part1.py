"""Part 1's computed figure: the demonstration of :mod:`gentle_rnn.part1_demo`, drawn from its result file.

Training takes longer than a site build should, so the figure reads ``src/gentle_rnn/data/part1_demo.json``
(written by ``python -m gentle_rnn.part1_demo``; ``tests/test_part1_demo.py`` checks that the code still
reproduces it) and draws in well under a second.
"""

from __future__ import annotations

import json
import math

from ..part1_demo import DATA_FILE
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
