"""Part 1's demonstration: a window-limited dense model fails on running parity, a recurrent one succeeds.

The task (:func:`gentle_rnn.tasks.running_parity`): a random bit arrives at every step, and at every step the
target is the parity (XOR) of all bits so far. Two kinds of model, trained the same way
(:func:`gentle_rnn.train.train`, Adam, the same seeded stream of batches):

* **windowed dense models** (:mod:`gentle_rnn.dense`): at step t they see only the last w inputs
  x(t-w+1) ... x(t), concatenated into one vector (zeros before the sequence starts), and predict y(t) with
  one hidden layer. One model per window size w.
* **the recurrent model** (:mod:`gentle_rnn.rnn`): ``h(t) = tanh(b + W h(t-1) + U x(t))``, one output per step.

Beyond position w the parity depends on bits the windowed model never sees, each 0 or 1 with probability
1/2, so no window-w model can beat a coin flip there, however long it trains. The recurrent model carries a
state and can be right at every position.

Run ``python -m gentle_rnn.experiments.part1`` to retrain both configurations (about a minute on two cores) and
compare the fresh numbers with the committed file ``src/gentle_rnn/data/part1_demo.json``, from which
``figures/part1.py`` draws the page's figure at site build time (:func:`gentle_rnn.experiments.settle`: the file
is left untouched when they agree within :data:`gentle_rnn.experiments.RTOL`, and rewritten only if they differ
and :func:`claims` still holds for them). ``tests/test_experiments_part1.py`` reruns the short configuration
and checks the same claims on it, and checks the page's numbers against the committed file.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import pathlib
import time
from dataclasses import dataclass

import numpy as np

from .. import dense, rnn, tasks, train
from . import settle

DATA_FILE = pathlib.Path(__file__).parent.parent / "data" / "part1_demo.json"
D = 2  # one-hot bits
K = 2  # parity 0 or 1


@dataclass(frozen=True)
class Config:
    """Everything that determines a run; two runs with equal configs give equal numbers."""

    T: int = 20  # sequence length, for training and for evaluation
    B: int = 32  # sequences per training batch
    steps: int = 1500  # training steps per model
    lr: float = 0.01  # Adam's step size
    H: int = 8  # hidden units of the recurrent model
    windows: tuple[int, ...] = (2, 4, 8)  # window sizes w of the dense models
    window_hidden: int = 32  # hidden units of each windowed dense model
    eval_every: int = 50  # steps between evaluations
    eval_B: int = 500  # held-out sequences for evaluation
    seed: int = 0  # seeds the initial parameters, the training batches and (seed + 1) the held-out set


#: The configuration behind the page's figure.
FULL = Config()
#: A shortened configuration that runs in seconds (used by the tests); the recurrent model still wins. 600
#: steps: twice what seed 0 (the one used) needs to be right at every position, so that a run that takes a
#: little longer on another machine still makes the claims. (Seeds 1 to 3 are done by 600 steps as well; seed
#: 4 learns more slowly, 0.925 at its worst position at step 600.)
SHORT = Config(T=10, steps=600, windows=(3,), window_hidden=16, eval_every=100, eval_B=200)


# ----------------------------------------------------------------------------------------------------------------
# the windowed dense model: a DCL that sees the last w inputs


# --8<-- [start:window]
def window_inputs(x: np.ndarray, w: int) -> np.ndarray:
    """The last ``w`` inputs at every step, side by side: ``(T, B, D) -> (T, B, w * D)``.

    Row t holds x(t-w+1), ..., x(t) (oldest first); steps before the sequence starts are zeros, which no
    one-hot bit is, so a windowed model can tell "no input yet" from a 0 bit.
    """
    T, B, Dx = x.shape
    padded = np.concatenate([np.zeros((w - 1, B, Dx)), x])  # (T + w - 1, B, D)
    return np.concatenate([padded[j : j + T] for j in range(w)], axis=-1)  # (T, B, w * D)


def window_loss_and_grads(params: dict, x: np.ndarray, y: np.ndarray, w: int) -> tuple[float, dict]:
    """The dense model applied at every step to the window ending there; the loss is summed over steps."""
    T, B, _ = x.shape
    xw = window_inputs(x, w).reshape(T * B, -1)  # (T*B, w*D): every (step, sequence) is one example
    return dense.loss_and_grads(params, xw, y.reshape(T * B))
# --8<-- [end:window]


def window_logits(params: dict, x: np.ndarray, w: int) -> np.ndarray:
    """Logits of the windowed model at every step: (T, B, K)."""
    T, B, _ = x.shape
    _, o = dense.forward(params, window_inputs(x, w).reshape(T * B, -1))  # (T*B, K)
    return o.reshape(T, B, -1)


# ----------------------------------------------------------------------------------------------------------------
# the recurrent model


def rnn_loss_and_grads(params: dict, x: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    """The simple RNN's summed loss and gradients, starting every sequence from h(0) = 0."""
    return rnn.loss_and_grads(params, x, y, np.zeros((x.shape[1], params["W"].shape[0])))


def rnn_logits(params: dict, x: np.ndarray) -> np.ndarray:
    """Logits o(t) = c + V h(t) of the RNN at every step: (T, B, K)."""
    h = rnn.forward(params, x, np.zeros((x.shape[1], params["W"].shape[0])))  # (T, B, H)
    return h @ params["V"].T + params["c"]  # (T, B, K)


# ----------------------------------------------------------------------------------------------------------------
# evaluation and the experiment


def _scores(logits: np.ndarray, y: np.ndarray) -> dict:
    """Per-step mean cross-entropy (nats), accuracy, and accuracy at each position t = 1 ... T."""
    T, B, _ = logits.shape
    shifted = logits - logits.max(axis=-1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))  # (T, B, K)
    nll = -np.take_along_axis(logp, y[..., None], axis=-1)[..., 0]  # (T, B)
    correct = logits.argmax(axis=-1) == y  # (T, B)
    return {
        "loss": float(nll.mean()),
        "accuracy": float(correct.mean()),
        "accuracy_by_position": [float(v) for v in correct.mean(axis=1)],
    }


def _run_model(name: str, config: Config, x_eval, y_eval, progress: bool) -> dict:
    seed = config.seed
    if name == "rnn":
        params = rnn.init_params(D, config.H, K, np.random.default_rng(seed))
        loss_and_grads, logits = rnn_loss_and_grads, rnn_logits
    else:
        w = int(name.split("-")[1])
        params = dense.init_params(w * D, config.window_hidden, K, np.random.default_rng(seed))

        def loss_and_grads(p, x, y):
            return window_loss_and_grads(p, x, y, w)

        def logits(p, x):
            return window_logits(p, x, w)

    def evaluate(p):
        scores = _scores(logits(p, x_eval), y_eval)
        return {"loss": scores["loss"], "accuracy": scores["accuracy"]}

    history = train.train(
        params,
        loss_and_grads,
        lambda rng: tasks.running_parity(rng, config.T, config.B),  # the same batches for every model
        train.Adam(config.lr),
        steps=config.steps,
        seed=seed,
        evaluate=evaluate,
        eval_every=config.eval_every,
        progress=progress,
        desc=name,
    )
    final = _scores(logits(params, x_eval), y_eval)
    return {
        "window": None if name == "rnn" else int(name.split("-")[1]),
        "eval_steps": [step for step, _ in history.evals],
        "eval_loss": [m["loss"] for _, m in history.evals],
        "eval_accuracy": [m["accuracy"] for _, m in history.evals],
        "accuracy_by_position": final["accuracy_by_position"],
        "final_accuracy": final["accuracy"],
    }


def run(config: Config, progress: bool = False) -> dict:
    """Train the recurrent model and every windowed model of ``config``; return their scores (JSON-ready)."""
    x_eval, y_eval = tasks.running_parity(np.random.default_rng(config.seed + 1), config.T, config.eval_B)
    names = ["rnn"] + [f"window-{w}" for w in config.windows]
    models = {name: _run_model(name, config, x_eval, y_eval, progress) for name in names}
    return {"config": dataclasses.asdict(config), "models": models}


# ----------------------------------------------------------------------------------------------------------------
# the claims the page makes about any run of the demonstration (full or short): they do not depend on digits


def claims(result: dict) -> list[str]:
    """The claims of the page that hold for every run of the demonstration, whatever the CPU: a list of those
    that fail, empty when all hold.

    * The recurrent model is right at every position (held-out accuracy above 0.95 at each).
    * Every windowed model is right at position 1 (above 0.95): its window holds the whole history there.
    * Beyond its window every windowed model is a coin flip: its mean accuracy over positions w + 1 ... T is
      within 4 standard errors of 1/2 (the error of a mean of ``eval_B * (T - w)`` fair coins; a true coin
      flip leaves that band with probability 6e-5). This is a theorem, not a training result.
    * The recurrent model's final held-out loss is below half the floor ``(T - w) / T * log 2`` that no
      windowed model can beat.
    """
    c, models, problems = result["config"], result["models"], []
    if min(models["rnn"]["accuracy_by_position"]) <= 0.95:
        problems.append(f"the RNN is not right at every position: {models['rnn']['accuracy_by_position']}")
    for w in c["windows"]:
        m = models[f"window-{w}"]
        if m["accuracy_by_position"][0] <= 0.95:
            problems.append(f"window-{w} misses position 1: accuracy {m['accuracy_by_position'][0]}")
        beyond = sum(m["accuracy_by_position"][w:]) / (c["T"] - w)
        if abs(beyond - 0.5) >= 4 * math.sqrt(0.25 / (c["eval_B"] * (c["T"] - w))):
            problems.append(f"window-{w} is not a coin flip beyond its window: mean accuracy {beyond:.3f}")
        floor = (c["T"] - w) / c["T"] * math.log(2)
        if models["rnn"]["eval_loss"][-1] >= 0.5 * floor:
            problems.append(f"the RNN's loss {models['rnn']['eval_loss'][-1]:.3f} is not below half of "
                            f"window-{w}'s floor {floor:.3f}")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gentle_rnn.experiments.part1",
        description="Retrain Part 1's demonstration (full and short configurations), compare the fresh numbers "
        "with the result file, and rewrite it only if they differ and the page's claims hold for them.",
    )
    parser.add_argument("--out", type=pathlib.Path, default=DATA_FILE, help=f"result file (default {DATA_FILE})")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = {
        "about": "Part 1 demonstration: running parity, windowed dense models vs a simple RNN. "
        "Written by `python -m gentle_rnn.experiments.part1`; do not edit by hand.",
        "full": run(FULL, progress=not args.no_progress),
        "short": run(SHORT, progress=not args.no_progress),
    }
    for key in ("full", "short"):
        summary = ", ".join(f"{n}: {m['final_accuracy']:.3f}" for n, m in result[key]["models"].items())
        print(f"{key}: accuracy {summary}")
    failed = [f"{key}: {c}" for key in ("full", "short") for c in claims(result[key])]
    status = settle(args.out, result, failed)
    print(f"({time.perf_counter() - started:.1f} s)")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
