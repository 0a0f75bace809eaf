"""Part 1's computed figure: the demonstration of :mod:`gentle_rnn.experiments.part1`, drawn from its result file.

Training takes longer than a site build should, so the figure reads ``src/gentle_rnn/data/part1_demo.json``
(written by ``python -m gentle_rnn.experiments.part1``; ``tests/test_experiments_part1.py`` checks that the code still
reproduces it) and draws in well under a second.
"""

from __future__ import annotations

import json
import math

from ..experiments.part1 import DATA_FILE
from . import figure

#: One colour per model, readable on the white figure background in both site themes.
COLOURS = {"rnn": "#1b7837", "window-2": "#d6604d", "window-4": "#b2182b", "window-8": "#67001f"}


def _label(name: str, model: dict, config: dict) -> str:
    if model["window"] is None:
        return f"recurrent (H = {config['H']})"
    return f"dense, window w = {model['window']}"


@figure("part-1/parity-demo.svg")
def parity_demo():
    import matplotlib.pyplot as plt

    run = json.loads(DATA_FILE.read_text())["full"]
    config, models = run["config"], run["models"]
    T = config["T"]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")

    # (a) held-out cross-entropy per step while training
    for name, m in models.items():
        ax_loss.plot(m["eval_steps"], m["eval_loss"], color=COLOURS.get(name, "0.3"), lw=1.8,
                     label=_label(name, m, config))
    ax_loss.axhline(math.log(2), color="0.45", ls=":", lw=1)
    ax_loss.annotate("chance: log 2", (config["steps"], math.log(2)), textcoords="offset points",
                     xytext=(-4, 4), ha="right", fontsize=8, color="0.35")
    ax_loss.set_xlabel("training step")
    ax_loss.set_ylabel("held-out loss per step (nats)")
    ax_loss.set_title("(a) learning curves", loc="left", fontsize=10)
    ax_loss.set_ylim(bottom=0)
    ax_loss.legend(fontsize=8, frameon=False)

    # (b) accuracy at each position t after training, with the best any window-w model can do
    positions = list(range(1, T + 1))
    for name, m in models.items():
        colour = COLOURS.get(name, "0.3")
        ax_acc.plot(positions, m["accuracy_by_position"], color=colour, lw=1.8, marker="o", ms=3,
                    label=_label(name, m, config))
        if m["window"] is not None:
            w = m["window"]
            ceiling = [1.0 if t <= w else 0.5 for t in positions]
            ax_acc.step(positions, ceiling, where="mid", color=colour, lw=0.9, ls="--", alpha=0.8)
    ax_acc.axhline(0.5, color="0.45", ls=":", lw=1)
    ax_acc.set_xlabel("position t in the sequence")
    ax_acc.set_ylabel("held-out accuracy")
    ax_acc.set_title("(b) accuracy at each position after training", loc="left", fontsize=10)
    ax_acc.plot([], [], color="0.3", lw=0.9, ls="--", label="best any window-w model can do")
    ax_acc.legend(handles=ax_acc.get_lines()[-1:], fontsize=8, frameon=False, loc="upper right",
                  bbox_to_anchor=(1.0, 0.93))
    ax_acc.set_xticks([1, 5, 10, 15, 20] if T == 20 else positions[:: max(1, T // 5)])
    ax_acc.set_ylim(0.35, 1.05)
    for ax in (ax_loss, ax_acc):
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(alpha=0.25)
    return fig
