"""Part 4's computed figures: gradient decay against the bound, clipping, the adding problem, the history.

Figures 1 and the loss slice of figure 2 are computed when the site is built (each well under a second,
from :mod:`gentle_rnn.experiments.part4`); the training runs of figures 2 and 3 are read from the result files
``src/gentle_rnn/data/part4_clipping.json`` and ``part4_adding.json`` (written by
``python -m gentle_rnn.experiments.part4``; ``tests/test_experiments_part4.py`` checks the page's claims on them
and on fresh short runs). The timeline is drawn from the table :data:`TIMELINE`, which the page's history table repeats.
"""

from __future__ import annotations

import json

import numpy as np

from ..experiments import part4 as experiments
from . import figure

#: One colour per lambda_1 (blue: contracting, grey: the boundary, red: expanding); readable on white.
LAMBDA_COLOURS = {0.5: "#2166ac", 0.9: "#4393c3", 1.0: "#404040", 1.2: "#d6604d", 2.0: "#b2182b"}
#: One colour and line style per model of the adding experiment (experiments.MODELS).
MODEL_COLOURS = {"rnn": "#1b7837", "lstm": "#9970ab", "lstm-f3": "#40004b"}
MODEL_STYLES = {"rnn": "-", "lstm": "--", "lstm-f3": "-"}
MODEL_NAMES = {"rnn": "simple RNN", "lstm": "LSTM, b_f = 1", "lstm-f3": "LSTM, b_f = 3"}
#: One colour per clipping threshold (None: no clipping).
CLIP_COLOURS = {None: "#b2182b", 100.0: "#e08214", 30.0: "#2166ac"}
#: The sequence lengths of the gradient-norm slice, figure 2 (a).
SLICE_LAGS = (10, 20, 40)


def _tidy(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(alpha=0.25, which="major")


# ----------------------------------------------------------------------------------------------------------------
# figure 1: ||dL(T)/dh(T - lag)|| / ||dL(T)/dh(T)|| against the lag, next to the bound lambda_1^lag


@figure("part-4/gradient-by-lag.svg")
def gradient_by_lag():
    import matplotlib.pyplot as plt

    config = experiments.LagConfig()
    result = experiments.lag_experiment(config)
    lags = np.asarray(result["lags"])
    fig, axes = plt.subplots(1, len(config.lambdas), figsize=(11.5, 3.4), sharey=True, layout="constrained")
    for ax, lam in zip(axes, config.lambdas):
        colour = LAMBDA_COLOURS.get(lam, "0.3")
        orth = result["runs"]["orthogonal"][lam]
        gauss = result["runs"]["gaussian"][lam]
        ax.fill_between(lags, orth["min"], orth["max"], color=colour, alpha=0.18, lw=0)
        ax.plot(lags, orth["median"], color=colour, lw=2, label="measured, W = λ₁·orthogonal")
        ax.plot(lags, gauss["median"], color=colour, lw=1.4, ls=":", label="measured, W = Gaussian rescaled")
        ax.plot(lags, orth["bound"], color="black", lw=1.2, ls="--", label="bound λ₁^lag  (4.6)")
        ax.set_yscale("log")
        ax.set_title(f"λ₁ = {lam}", fontsize=10, color=colour)
        ax.set_xlabel("lag T − u")
        ax.set_xlim(0, lags[-1])
        _tidy(ax)
    axes[0].set_ylim(1e-25, 1e15)
    axes[0].set_yticks([1e-24, 1e-18, 1e-12, 1e-6, 1, 1e6, 1e12])
    axes[0].set_ylabel("‖∂L(T)/∂h(u)‖ / ‖∂L(T)/∂h(T)‖")
    axes[0].legend(fontsize=7.5, frameon=False, loc="lower left")
    return fig


# ----------------------------------------------------------------------------------------------------------------
# figure 2: exploding gradients and norm clipping


@figure("part-4/clipping.svg")
def clipping():
    import matplotlib.pyplot as plt

    data = json.loads(experiments.CLIPPING_FILE.read_text())["full"]
    config = experiments.ClipConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in data["config"].items()})
    fig, axes = plt.subplots(1, 3, figsize=(11.5, 3.5), layout="constrained")

    # (a) the gradient norm along the line W = lambda Q through parameter space, for three lags
    ax = axes[0]
    for T, colour in zip(SLICE_LAGS, ("#fdae61", "#d6604d", "#67001f")):
        sl = experiments.loss_slice(config, T=T)
        ax.plot(sl["lambda"], sl["grad_norm"], color=colour, lw=1.5, label=f"T = {T}")
    ax.set_yscale("log")
    ax.axvline(config.lambda_1, color="0.5", lw=0.8, ls=":")
    ax.annotate("(b) and (c) start here", (config.lambda_1, 0.97), xycoords=("data", "axes fraction"),
                xytext=(3, 0), textcoords="offset points", fontsize=7.5, color="0.35", va="top")
    ax.set_xlabel("λ₁ in W = λ₁·Q")
    ax.set_ylabel("‖∇L‖ on one batch")
    ax.set_title("(a) gradient norm along W = λ₁·Q", loc="left", fontsize=10)
    ax.legend(fontsize=7.5, frameon=False, loc="center left")
    _tidy(ax)

    # (b) training loss and (c) gradient norm, with and without clipping, every seed
    steps = lambda run: np.arange(len(run["loss"])) * config.block + config.block  # noqa: E731  block ends
    for run in data["runs"]:
        clipped = run["max_norm"] is not None
        colour = CLIP_COLOURS.get(run["max_norm"], "0.3")
        label = f"clipped at ‖g‖ = {run['max_norm']:g}" if clipped else "no clipping"
        first = run["seed"] == config.seeds[0]
        axes[1].plot(steps(run), run["loss"], color=colour, lw=1.3, alpha=0.9, label=label if first else None)
        axes[2].plot(steps(run), run["grad_norm_max"], color=colour, lw=1.1, alpha=0.9,
                     label=label if first else None)
    axes[1].axhline(experiments.ADDING_CHANCE_LOSS, color="0.45", ls=":", lw=1)
    axes[1].annotate("chance", (config.steps, experiments.ADDING_CHANCE_LOSS), xytext=(-2, 3),
                     textcoords="offset points", ha="right", fontsize=7.5, color="0.35")
    axes[1].set_xlabel("SGD step")
    axes[1].set_ylabel("training loss per sequence (nats)")
    axes[1].set_title(f"(b) training, T = {config.T}, {len(config.seeds)} seeds", loc="left", fontsize=10)
    axes[1].legend(fontsize=7.5, frameon=False)
    axes[1].set_ylim(bottom=0)
    for m in config.max_norms:
        axes[2].axhline(m, color=CLIP_COLOURS.get(m, "0.3"), lw=0.9, ls="--")
        axes[2].annotate(f"threshold {m:g}", (0, m), xytext=(2, -9 if m < 50 else 2), textcoords="offset points",
                         ha="left", fontsize=7, color=CLIP_COLOURS.get(m, "0.3"))
    axes[2].set_yscale("log")
    axes[2].set_xlabel("SGD step")
    axes[2].set_ylabel(f"largest ‖∇L‖ per {config.block} steps (before clipping)")
    axes[2].set_title("(c) gradient norms", loc="left", fontsize=10)
    for a in axes[1:]:
        _tidy(a)
    return fig


# ----------------------------------------------------------------------------------------------------------------
# figure 3: the adding problem, simple RNN against LSTM


@figure("part-4/adding.svg")
def adding():
    import matplotlib.pyplot as plt

    data = json.loads(experiments.ADDING_FILE.read_text())["full"]
    config, runs = data["config"], data["runs"]
    lags, models = config["lags"], config["models"]
    fig, axes = plt.subplots(1, len(lags) + 1, figsize=(11.5, 3.3), layout="constrained",
                             gridspec_kw={"width_ratios": [1] * len(lags) + [1.15]})
    for ax, T in zip(axes, lags):
        for run in runs:
            if run["T"] != T:
                continue
            first = run["seed"] == config["seeds"][0]
            ax.plot(run["eval_steps"], run["eval_loss"], color=MODEL_COLOURS[run["model"]],
                    ls=MODEL_STYLES[run["model"]], lw=1.3, alpha=0.85, label=MODEL_NAMES[run["model"]] if first else None)
        ax.axhline(experiments.ADDING_CHANCE_LOSS, color="0.45", ls=":", lw=1)
        ax.set_title(f"T = {T}", fontsize=10)
        ax.set_xlabel("training step")
        ax.set_ylim(0, 1.4)
        _tidy(ax)
    axes[0].set_ylabel("held-out loss (nats)")
    axes[0].annotate("chance", (0, experiments.ADDING_CHANCE_LOSS), xytext=(2, 3), textcoords="offset points",
                     fontsize=7.5, color="0.35")
    axes[0].legend(fontsize=7.5, frameon=False, loc="lower left")

    ax = axes[-1]
    for model in models:
        finals = {T: [r["eval_accuracy"][-1] for r in runs if r["model"] == model and r["T"] == T] for T in lags}
        ax.plot(lags, [np.mean(finals[T]) for T in lags], color=MODEL_COLOURS[model], ls=MODEL_STYLES[model],
                lw=1.6, marker="o", ms=4, label=MODEL_NAMES[model])
        for T in lags:
            ax.scatter([T] * len(finals[T]), finals[T], color=MODEL_COLOURS[model], s=10, alpha=0.5, lw=0)
    ax.axhline(experiments.ADDING_CHANCE_ACCURACY, color="0.45", ls=":", lw=1)
    ax.set_xscale("log", base=2)
    ax.set_xticks(lags, [str(T) for T in lags])
    ax.set_ylim(0.4, 1.03)
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("held-out accuracy after training")
    ax.set_title("after training", fontsize=10)
    ax.legend(fontsize=7.5, frameon=False, loc="lower left")
    _tidy(ax)
    return fig


# ----------------------------------------------------------------------------------------------------------------
# the timeline


#: (year, short label, kind, height of the label) with kind "event" (neural networks and how they are trained),
#: "setback" (criticism and funding), or "remedy" (for vanishing or exploding gradients); the page's table gives
#: the full citations.
TIMELINE = [
    (1958, "Rosenblatt:\nthe perceptron", "event", 1.0),
    (1969, "Minsky & Papert:\nPerceptrons", "setback", -0.8),
    (1973, "Lighthill\nreport (UK)", "setback", 1.9),
    (1986, "Rumelhart, Hinton\n& Williams:\nbackpropagation", "event", 1.0),
    (1991, "Hochreiter's\ndiploma thesis", "event", -0.8),
    (1994, "Bengio, Simard\n& Frasconi", "event", 1.9),
    (1997, "Hochreiter &\nSchmidhuber:\nLSTM", "remedy", 0.75),
    (2000, "Gers et al.:\nforget gate", "remedy", -0.8),
    (2006, "Hinton, Osindero\n& Teh: deep\nbelief nets", "event", 1.9),
    (2012, "Krizhevsky et al.:\nAlexNet", "event", 1.0),
    (2013, "Pascanu et al.:\nclipping", "remedy", -0.8),
]
#: Periods commonly called AI winters (approximate: historians date them differently).
WINTERS = [(1974, 1980, "first AI winter\n(c. 1974–1980)"), (1987, 1993, "second AI winter\n(c. 1987–1993)")]
KIND_COLOURS = {"event": "#202020", "setback": "#2166ac", "remedy": "#762a83"}
KIND_NAMES = {"event": "neural networks and their training", "setback": "criticism and funding cuts",
              "remedy": "remedies for vanishing and exploding gradients"}


@figure("part-4/timeline.svg")
def timeline():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11.5, 3.9), layout="constrained")
    for start, end, label in WINTERS:
        ax.axvspan(start, end, color="#92c5de", alpha=0.35, lw=0)
        ax.text((start + end) / 2, -2.05, label, ha="center", va="center", fontsize=8, color="#2166ac")
    ax.axhline(0, color="0.3", lw=1)
    for year, label, kind, y in TIMELINE:
        colour = KIND_COLOURS[kind]
        ax.plot([year, year], [0, y], color=colour, lw=0.8)
        ax.plot([year], [0], "o", color=colour, ms=4)
        ax.text(year, y + (0.06 if y > 0 else -0.06), f"{year}\n{label}", ha="center",
                va="bottom" if y > 0 else "top", fontsize=7.3, color=colour, linespacing=1.15)
    for kind, name in KIND_NAMES.items():
        ax.plot([], [], "o", color=KIND_COLOURS[kind], ms=4, label=name)
    ax.legend(loc="upper left", fontsize=7.5, frameon=False)
    ax.set_xlim(1953, 2017)
    ax.set_ylim(-2.4, 3.3)
    ax.set_yticks([])
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.set_xticks(range(1955, 2020, 5))
    ax.tick_params(labelsize=8)
    return fig
