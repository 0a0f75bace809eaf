"""The character-level language model page's figure: validation bits per character during training.

Drawn from the committed result file ``src/gentle_rnn/data/charlm.json`` (written by
``python -m gentle_rnn.experiments.charlm --write``; ``tests/test_charlm.py`` checks the page's claims on it).
"""

from __future__ import annotations

import json

from ..experiments import charlm
from . import figure

COLOURS = {"rnn": "#1b7837", "lstm": "#762a83"}
NAMES = {"rnn": "simple RNN", "lstm": "LSTM"}


@figure("charlm/bits-per-character.svg")
def bits_per_character():
    import matplotlib.pyplot as plt

    full = json.loads(charlm.RESULT_FILE.read_text())["full"]
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    last_step = 0
    for m, r in full["runs"].items():
        steps, valid = r["eval_steps"], r["valid_bits"]
        ax.plot(steps, valid, color=COLOURS[m], lw=2)
        train_steps = [s for s, b in zip(steps, r["train_bits"]) if b is not None]
        train_bits = [b for b in r["train_bits"] if b is not None]
        ax.plot(train_steps, train_bits, color=COLOURS[m], lw=1.2, ls=":")
        last_step = max(last_step, steps[-1])
    # direct labels at the right end, kept apart vertically
    ends = sorted(((r["valid_bits"][-1], m) for m, r in full["runs"].items()), reverse=True)
    for rank, (value, m) in enumerate(ends):
        ax.annotate(f"{NAMES[m]}, validation: {value:.2f}", xy=(last_step, value),
                    xytext=(last_step * 0.5, 4.35 - 0.45 * rank), color=COLOURS[m], fontsize=10,
                    arrowprops={"arrowstyle": "-", "color": COLOURS[m], "lw": 0.8})
    unigram = full["unigram_bits"]
    ax.axhline(unigram, color="#555555", lw=1.2, ls="--")
    ax.text(last_step * 0.98, unigram + 0.08, f"unigram baseline {unigram:.2f}", ha="right", va="bottom",
            color="#555555", fontsize=10)
    ax.text(last_step * 0.98, 2.05, "dotted: the same model on its training chunks", ha="right", va="bottom",
            color="#555555", fontsize=9)
    ax.set_xlim(0, last_step * 1.02)
    ax.set_ylim(2.0, 7.0)
    ax.set_xlabel("training step (one chunk of 32 characters in each of 32 streams)", fontsize=10)
    ax.set_ylabel("bits per character", fontsize=10)
    ax.tick_params(labelsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(alpha=0.25)
    fig.tight_layout()
    return fig
