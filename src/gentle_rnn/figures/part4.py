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
    ncols = 3
    nrows = -(-(len(config.lambdas) + 1) // ncols)  # one cell more, for the key
    fig, grid = plt.subplots(nrows, ncols, figsize=(6.9, 2.6 * nrows), sharey=True, sharex=True,
                             layout="constrained", squeeze=False)
    axes = grid.ravel()
    for ax, lam in zip(axes, config.lambdas):
        colour = LAMBDA_COLOURS.get(lam, "0.3")
        orth = result["runs"]["orthogonal"][lam]
        gauss = result["runs"]["gaussian"][lam]
        ax.fill_between(lags, orth["min"], orth["max"], color=colour, alpha=0.18, lw=0)
        ax.plot(lags, orth["median"], color=colour, lw=2)
        ax.plot(lags, gauss["median"], color=colour, lw=1.4, ls=":")
        ax.plot(lags, orth["bound"], color="black", lw=1.2, ls="--")
        ax.set_yscale("log")
        ax.set_title(f"λ₁ = {lam}", fontsize=10, color=colour, loc="left")
        ax.set_xlim(0, lags[-1])
        _tidy(ax)
    for ax in grid[:, 0]:
        ax.set_ylabel("gradient ratio")
    for ax in grid[-1]:
        ax.set_xlabel("lag T − u")
    axes[0].set_ylim(1e-25, 1e15)
    axes[0].set_yticks([1e-24, 1e-12, 1, 1e12])
    # the key, in the spare cell: what each line style means
    key = axes[len(config.lambdas)]
    key.axis("off")
    for y, (style, width, text) in zip((0.8, 0.55, 0.3), (("-", 2, "measured, W = λ₁ · orthogonal\n(median; band: range)"),
                                                           (":", 1.4, "measured, W = Gaussian,\nrescaled to λ₁ (median)"),
                                                           ("--", 1.2, "bound λ₁^lag (4.6)"))):
        key.plot([0.0, 0.18], [y, y], color="0.25" if style != "--" else "black", ls=style, lw=width,
                 transform=key.transAxes)
        key.text(0.24, y, text, transform=key.transAxes, va="center", fontsize=9)
    key.text(0.0, 0.05, "ratio: ‖∂L(T)/∂h(u)‖ / ‖∂L(T)/∂h(T)‖", transform=key.transAxes, fontsize=9)
    for ax in axes[len(config.lambdas) + 1:]:
        ax.axis("off")
    return fig


# ----------------------------------------------------------------------------------------------------------------
# figure 2: exploding gradients and norm clipping


@figure("part-4/clipping.svg")
def clipping():
    import matplotlib.pyplot as plt

    data = json.loads(experiments.CLIPPING_FILE.read_text())["full"]
    config = experiments.ClipConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in data["config"].items()})
    fig = plt.figure(figsize=(6.9, 6.4), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.15])
    ax_slice = top.subplots()
    axes_b, axes_c = bottom.subplots(1, 2)

    # (a) the gradient norm along the line W = lambda Q through parameter space, for three lags
    ax = ax_slice
    for T, colour in zip(SLICE_LAGS, ("#e08214", "#d6604d", "#67001f")):
        sl = experiments.loss_slice(config, T=T)
        ax.plot(sl["lambda"], sl["grad_norm"], color=colour, lw=1.5)
        ax.annotate(f"T = {T}", (sl["lambda"][-1], sl["grad_norm"][-1]), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=9, color=colour, annotation_clip=False)
    ax.set_yscale("log")
    ax.axvline(config.lambda_1, color="0.5", lw=0.8, ls=":")
    ax.annotate("(b) and (c) start here", (config.lambda_1, 1.0), xycoords=("data", "axes fraction"),
                xytext=(-4, 0), textcoords="offset points", fontsize=9, color="0.35", va="top", ha="right")
    ax.set_xlabel("λ₁ in W = λ₁·Q")
    ax.set_ylabel("‖∇L‖ on one batch")
    ax.set_title("(a) gradient norm along W = λ₁·Q", loc="left", fontsize=10)
    _tidy(ax)

    # (b) training loss and (c) gradient norm, with and without clipping, every seed
    steps = lambda run: np.arange(len(run["loss"])) * config.block + config.block  # noqa: E731  block ends
    for run in data["runs"]:
        clipped = run["max_norm"] is not None
        colour = CLIP_COLOURS.get(run["max_norm"], "0.3")
        label = f"clipped at ‖g‖ = {run['max_norm']:g}" if clipped else "no clipping"
        first = run["seed"] == config.seeds[0]
        axes_b.plot(steps(run), run["loss"], color=colour, lw=1.2, alpha=0.9, label=label if first else None)
        axes_c.plot(steps(run), run["grad_norm_max"], color=colour, lw=1.0, alpha=0.9)
    axes_b.axhline(experiments.ADDING_CHANCE_LOSS, color="0.45", ls=":", lw=1)
    axes_b.annotate("chance", (1, experiments.ADDING_CHANCE_LOSS), xycoords=("axes fraction", "data"), xytext=(3, 0),
                    textcoords="offset points", va="center", fontsize=9, color="0.35", annotation_clip=False)
    axes_b.set_xlabel("SGD step")
    axes_b.set_ylabel("loss per sequence (nats)")
    axes_b.set_title(f"(b) training loss, T = {config.T}", loc="left", fontsize=10)
    axes_b.set_ylim(bottom=0)
    for m in config.max_norms:
        axes_c.axhline(m, color=CLIP_COLOURS.get(m, "0.3"), lw=0.9, ls="--")
        axes_c.annotate(f"{m:g}", (1, m), xycoords=("axes fraction", "data"), xytext=(3, 0),
                        textcoords="offset points", va="center",
                        fontsize=9, color=CLIP_COLOURS.get(m, "0.3"), annotation_clip=False)
    axes_c.set_yscale("log")
    axes_c.set_xlabel("SGD step")
    axes_c.set_ylabel(f"largest ‖∇L‖ per {config.block} steps")
    axes_c.set_title("(c) gradient norm; dashed: thresholds", loc="left", fontsize=10)
    for a in (axes_b, axes_c):
        _tidy(a)
        a.set_xticks([0, 500, 1000])
    bottom.legend(*axes_b.get_legend_handles_labels(), loc="outside lower center", ncols=3, fontsize=9,
                  frameon=False, title=f"{len(config.seeds)} seeds each", title_fontsize=9)
    return fig


# ----------------------------------------------------------------------------------------------------------------
# figure 3: the adding problem, simple RNN against LSTM


@figure("part-4/adding.svg")
def adding():
    import matplotlib.pyplot as plt

    data = json.loads(experiments.ADDING_FILE.read_text())["full"]
    config, runs = data["config"], data["runs"]
    lags, models = config["lags"], config["models"]
    fig = plt.figure(figsize=(6.9, 8.2), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[2, 1.05])
    ncols = 2
    grid = top.subplots(-(-len(lags) // ncols), ncols, sharex=True, sharey=True, squeeze=False)
    for ax, T in zip(grid.ravel(), lags):
        for run in runs:
            if run["T"] != T:
                continue
            first = run["seed"] == config["seeds"][0]
            ax.plot(run["eval_steps"], run["eval_loss"], color=MODEL_COLOURS[run["model"]],
                    ls=MODEL_STYLES[run["model"]], lw=1.3, alpha=0.85, label=MODEL_NAMES[run["model"]] if first else None)
        ax.axhline(experiments.ADDING_CHANCE_LOSS, color="0.45", ls=":", lw=1)
        ax.set_title(f"T = {T}", fontsize=10, loc="left")
        ax.set_ylim(0, 1.4)
        ax.set_xticks([0, 1000, 2000, 3000])
        _tidy(ax)
    for ax in grid[:, -1]:
        ax.annotate("chance", (1, experiments.ADDING_CHANCE_LOSS), xycoords=("axes fraction", "data"), xytext=(3, 0),
                    textcoords="offset points", va="center", fontsize=9, color="0.35", annotation_clip=False)
    for ax in grid[:, 0]:
        ax.set_ylabel("held-out loss (nats)")
    for ax in grid[-1]:
        ax.set_xlabel("training step")
    top.legend(*grid[0, 0].get_legend_handles_labels(), loc="outside upper center", ncols=3, fontsize=9,
               frameon=False, title=f"{len(config['seeds'])} seeds each", title_fontsize=9)

    ax = bottom.subplots()
    for model in models:
        finals = {T: [r["eval_accuracy"][-1] for r in runs if r["model"] == model and r["T"] == T] for T in lags}
        ax.plot(lags, [np.mean(finals[T]) for T in lags], color=MODEL_COLOURS[model], ls=MODEL_STYLES[model],
                lw=1.6, marker="o", ms=4)
        for T in lags:
            ax.scatter([T] * len(finals[T]), finals[T], color=MODEL_COLOURS[model], s=10, alpha=0.5, lw=0)
    ax.axhline(experiments.ADDING_CHANCE_ACCURACY, color="0.45", ls=":", lw=1)
    ax.annotate("chance", (1, experiments.ADDING_CHANCE_ACCURACY), xycoords=("axes fraction", "data"), xytext=(3, 0),
                textcoords="offset points",
                va="center", fontsize=9, color="0.35", annotation_clip=False)
    ax.set_xscale("log", base=2)
    ax.set_xticks(lags, [str(T) for T in lags])
    ax.set_ylim(0.4, 1.03)
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("accuracy")
    ax.set_title("held-out accuracy after training (mean of the seeds; dots: each seed)", loc="left", fontsize=10)
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
    """Time runs down; each entry's label sits in an evenly spaced column, joined to its year by a line."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.9, 6.4), layout="constrained")
    first, last = 1953, 2017
    axis_x, label_x = 0.27, 0.37
    for start, end, label in WINTERS:
        ax.axhspan(start, end, color="#92c5de", alpha=0.35, lw=0)
        ax.text(0.01, (start + end) / 2, label, ha="left", va="center", fontsize=9, color="#2166ac")
    ax.plot([axis_x, axis_x], [first, last], color="0.3", lw=1)
    slots = np.linspace(first + 2.5, last - 2.5, len(TIMELINE))
    for (year, label, kind, _), slot in zip(TIMELINE, slots):
        colour = KIND_COLOURS[kind]
        ax.plot([axis_x], [year], "o", color=colour, ms=4)
        ax.plot([axis_x, label_x - 0.02], [year, slot], color=colour, lw=0.7)
        ax.text(label_x, slot, f"{year}  " + label.replace("\n", " "), ha="left", va="center", fontsize=9,
                color=colour)
    for kind, name in KIND_NAMES.items():
        ax.plot([], [], "o", color=KIND_COLOURS[kind], ms=4, label=name)
    fig.legend(loc="outside upper left", fontsize=9, frameon=False, ncols=1)
    ax.set_xlim(0, 1)
    ax.set_ylim(last, first)
    ax.set_xticks([])
    ax.set_yticks(range(1960, 2020, 10))
    ax.spines[["top", "right", "bottom"]].set_visible(False)
    return fig
