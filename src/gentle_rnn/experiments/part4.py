"""Part 4's experiments: gradient norms by lag, exploding gradients and clipping, the adding problem.

1. **Gradient norm against the lag** (:func:`lag_experiment`). Random simple RNNs whose recurrent matrix W
   has a prescribed largest singular value lambda_1; for each, the ratio
   ``||dL(T)/dh(T - lag)|| / ||dL(T)/dh(T)||`` next to the bound ``lambda_1^lag`` of equation (4.6).
   Cheap (well under a second): the figure computes it at every site build.
2. **Exploding gradients and clipping** (:func:`loss_slice`, :func:`clipping_experiment`). The gradient
   norm along the line ``W = lambda Q`` through parameter space (computed at build time), and the same RNN trained with plain SGD
   from a W with lambda_1 = 1.5, with and without norm clipping at two thresholds (Pascanu, Mikolov & Bengio 2013, Alg. 1).
3. **The adding problem** (:func:`adding_experiment`): a classification variant of the long time-lag task of
   Hochreiter & Schmidhuber (1997), :func:`gentle_rnn.tasks.adding_problem`, learned by the simple RNN and
   by the LSTM (with two initial forget-gate biases) at several sequence lengths T, with the same optimiser,
   clipping and seeds.

Training (2 and 3) takes minutes, too long for a site build, so ``python -m gentle_rnn.experiments.part4``
retrains everything and writes the result files ``src/gentle_rnn/data/part4_clipping.json`` and
``src/gentle_rnn/data/part4_adding.json``, from which ``figures/part4.py`` draws. Each file also holds a run
of a shortened configuration (``SHORT_*``); ``python -m gentle_rnn.experiments.part4 --quick`` reruns only those
and compares them with the files, and ``tests/test_experiments_part4.py`` does the same. Every run is seeded:
the same code gives the same numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import pathlib
import sys
import time
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from .. import lstm, readout, rnn, tasks, train, vanishing

DATA_DIR = pathlib.Path(__file__).parent.parent / "data"
CLIPPING_FILE = DATA_DIR / "part4_clipping.json"
ADDING_FILE = DATA_DIR / "part4_adding.json"

#: The adding problem's input size (bit, marker) and number of classes (sums 0, 1, 2).
ADDING_D, ADDING_K = 2, 3
#: The best loss (nats) a model that ignores the inputs can reach on the adding problem: the entropy of the
#: sum of two fair bits, whose classes 0, 1, 2 have probabilities 1/4, 1/2, 1/4; that is 1.5 log 2.
ADDING_CHANCE_LOSS = 1.5 * math.log(2)
#: The best accuracy without looking at the inputs: always answer 1 (probability 1/2).
ADDING_CHANCE_ACCURACY = 0.5


# ----------------------------------------------------------------------------------------------------------------
# experiment 1: the gradient of the last step's loss, carried back lag steps


@dataclass(frozen=True)
class LagConfig:
    """Random RNNs for figure 1: ``instances`` draws of W per (kind, lambda_1), ``B`` input sequences each."""

    lambdas: tuple[float, ...] = (0.5, 0.9, 1.0, 1.2, 2.0)
    kinds: tuple[str, ...] = ("orthogonal", "gaussian")  # see vanishing.recurrent_matrix
    D: int = 4
    H: int = 16
    K: int = 3
    T: int = 40
    instances: int = 16
    B: int = 4
    input_scale: float = 0.1  # x(t) ~ N(0, input_scale^2): small inputs keep tanh near its linear range
    seed: int = 0


def lag_experiment(config: LagConfig = LagConfig()) -> dict:
    """For each kind of W and each lambda_1: the ratio of equation (4.6) at every lag, over random instances.

    Returns ``{"lags": [0..T], "runs": {kind: {lambda_1: {"median", "min", "max", "bound"}}}}``, lists
    indexed by lag. Each instance draws U, V from :func:`gentle_rnn.rnn.init_params`, W from
    :func:`gentle_rnn.vanishing.recurrent_matrix`, inputs ``x ~ N(0, input_scale^2)``, targets at random,
    h(0) = 0, and measures :func:`gentle_rnn.vanishing.gradient_ratio_by_lag`.
    """
    c = config
    rng = np.random.default_rng(c.seed)
    lags = np.arange(c.T + 1)
    runs: dict = {}
    for kind in c.kinds:
        runs[kind] = {}
        for lam in c.lambdas:
            ratios = []
            for _ in range(c.instances):
                params = rnn.init_params(c.D, c.H, c.K, rng)
                params["W"] = vanishing.recurrent_matrix(c.H, lam, rng, kind=kind)
                x = c.input_scale * rng.normal(size=(c.T, c.B, c.D))
                y = rng.integers(0, c.K, size=c.B)
                ratios.append(vanishing.gradient_ratio_by_lag(params, x, y, np.zeros((c.B, c.H))))  # (T + 1, B)
            r = np.concatenate(ratios, axis=1)  # (T + 1, instances * B)
            runs[kind][lam] = {
                "median": np.median(r, axis=1).tolist(),
                "min": r.min(axis=1).tolist(),
                "max": r.max(axis=1).tolist(),
                "bound": vanishing.pascanu_bound(lam, lags).tolist(),
            }
    return {"lags": lags.tolist(), "runs": runs}


# ----------------------------------------------------------------------------------------------------------------
# experiment 2: exploding gradients and norm clipping


@dataclass(frozen=True)
class ClipConfig:
    """The simple RNN on the adding problem with lag T, trained by plain SGD with and without clipping."""

    T: int = 10  # sequence length of the adding problem
    H: int = 16
    B: int = 32
    lambda_1: float = 1.5  # W starts as lambda_1 Q, Q a random orthogonal matrix
    lr: float = 0.02  # SGD step size (the loss is a sum over the batch, so this is large)
    steps: int = 1000
    max_norms: tuple[float, ...] = (30.0, 100.0)  # the clipping thresholds of the clipped runs
    block: int = 10  # the result file keeps statistics of blocks of this many steps
    seeds: tuple[int, ...] = (0, 1, 2)


#: The configuration behind the page's figure 2.
CLIP_FULL = ClipConfig()
#: A shortened configuration the tests rerun (seconds).
CLIP_SHORT = ClipConfig(steps=100, block=10, max_norms=(30.0,), seeds=(0,))


def clipping_params(config: ClipConfig, seed: int, lambda_1: float | None = None) -> dict:
    """The initial parameters: :func:`gentle_rnn.rnn.init_params`, then W = lambda_1 Q (Q random orthogonal)."""
    rng = np.random.default_rng(seed)
    params = rnn.init_params(ADDING_D, config.H, ADDING_K, rng)
    params["W"] = vanishing.recurrent_matrix(config.H, config.lambda_1 if lambda_1 is None else lambda_1, rng)
    return params


def _zero_state(B: int, H: int) -> np.ndarray:
    return np.zeros((B, H))


def rnn_last_step(params, x, y):
    """The simple RNN scored at the last step only, from h(0) = 0: ``(loss, grads)``."""
    return vanishing.last_step_loss_and_grads(params, x, y, _zero_state(x.shape[1], params["W"].shape[0]))


def loss_slice(config: ClipConfig = CLIP_FULL, lambdas=None, seed: int = 0, T: int | None = None) -> dict:
    """The loss and the gradient norm along the line ``W = lambda Q`` through parameter space, on one batch.

    All other parameters are those of :func:`clipping_params` for ``seed``; the batch is a batch of the adding
    problem with lag ``T`` (default ``config.T``) drawn from ``seed``. Returns lists ``lambda``, ``loss`` (per
    sequence) and ``grad_norm`` (the global norm of all parameter gradients, :func:`gentle_rnn.train.global_norm`).
    """
    lambdas = np.linspace(0.5, 3.0, 101) if lambdas is None else np.asarray(lambdas, dtype=float)
    base = clipping_params(config, seed, lambda_1=1.0)  # W = Q, orthogonal
    x, y = tasks.adding_problem(np.random.default_rng(seed), config.T if T is None else T, config.B)
    losses, norms = [], []
    for lam in lambdas:
        params = dict(base, W=lam * base["W"])
        L, grads = rnn_last_step(params, x, y)
        losses.append(L / config.B)
        norms.append(train.global_norm({k: grads[k] for k in params}))
    return {"lambda": lambdas.tolist(), "loss": losses, "grad_norm": norms}


def _blocks(values, block: int, how) -> list[float]:
    v = np.asarray(values, dtype=float)
    return [float(how(v[i : i + block])) for i in range(0, len(v), block)]


def clipping_run(config: ClipConfig, seed: int, max_norm: float | None, progress: bool = False) -> dict:
    """Train from :func:`clipping_params` with SGD, clipping at ``max_norm`` (None: no clipping).

    Returns per-block statistics (blocks of ``config.block`` steps): ``loss`` (mean training loss per
    sequence), ``grad_norm_max`` (largest gradient norm, before clipping), ``clipped`` (fraction of clipped
    steps), and the final ``lambda_1`` of W.
    """
    params = clipping_params(config, seed)
    history = train.train(
        params, rnn_last_step, lambda r: tasks.adding_problem(r, config.T, config.B), train.SGD(config.lr),
        steps=config.steps, seed=seed, max_norm=max_norm, progress=progress,
        desc=f"clipping seed {seed} max_norm {max_norm}",
    )
    return {
        "max_norm": max_norm,
        "seed": seed,
        "loss": _blocks(np.asarray(history.loss) / config.B, config.block, np.mean),
        "grad_norm_max": _blocks(history.grad_norm, config.block, np.max),
        "clipped": _blocks(history.clipped, config.block, np.mean),
        "final_lambda_1": vanishing.largest_singular_value(params["W"]),
    }


def clipping_experiment(config: ClipConfig = CLIP_FULL, progress: bool = False) -> dict:
    """Every seed of ``config``, once without clipping and once with each threshold: JSON-ready."""
    runs = [clipping_run(config, seed, m, progress) for seed in config.seeds for m in (None, *config.max_norms)]
    return {"config": dataclasses.asdict(config), "runs": runs}


# ----------------------------------------------------------------------------------------------------------------
# experiment 3: the adding problem, simple RNN against LSTM


@dataclass(frozen=True)
class AddingConfig:
    """Both models on the adding problem at every sequence length in ``lags``, same optimiser and seeds."""

    lags: tuple[int, ...] = (10, 20, 40, 60)  # sequence lengths T; the marked bits lie >= T/2 steps back
    H: int = 16  # hidden units of both models
    B: int = 32  # sequences per training batch
    steps: int = 3000
    lr: float = 0.003  # Adam's step size
    max_norm: float = 10.0  # every model is clipped, so a failure is not an explosion
    eval_every: int = 100
    eval_B: int = 500  # held-out sequences
    seeds: tuple[int, ...] = (0, 1)
    models: tuple[str, ...] = ("rnn", "lstm", "lstm-f3")  # see MODELS


#: The models of the adding experiment: the simple RNN, and the LSTM with two initial forget-gate biases b_f.
#: With b_f = 1 (the default of :func:`gentle_rnn.lstm.init_params`) the forget gates start near
#: sigma(1) = 0.73, with b_f = 3 near sigma(3) = 0.95: by (4.7) the cell path over 30 steps starts at about
#: 0.73^30 = 8e-5 in the first case and 0.95^30 = 0.2 in the second.
MODELS = {"rnn": None, "lstm": 1.0, "lstm-f3": 3.0}  # name -> the LSTM's forget-gate bias (None: not an LSTM)

#: The configuration behind the page's figure 3.
ADDING_FULL = AddingConfig()
#: A shortened configuration the tests rerun (seconds).
ADDING_SHORT = AddingConfig(lags=(8,), steps=150, eval_every=50, eval_B=200, seeds=(0,))


# --8<-- [start:lstm_last_step]
def lstm_last_step(params, x, y):
    """The LSTM scored at the last step only, from h(0) = s(0) = 0: ``(loss, grads)``.

    The same construction as :func:`gentle_rnn.vanishing.last_step_loss_and_grads`: the output layer sees
    h(T) only, and the LSTM's own BPTT (:func:`gentle_rnn.lstm.backward`) carries its gradient back.
    """
    zero = _zero_state(x.shape[1], params["W_z"].shape[0])
    h, _ = lstm.forward(params, x, zero, zero)  # (T, B, H)
    L, do = readout.forward(params["V"], params["c"], h[-1:], np.asarray(y)[None])  # only o(T) is scored
    dV, dc, dh_last = readout.backward(params["V"], h[-1:], do)
    dh_out = np.zeros_like(h)
    dh_out[-1] = dh_last[0]
    grads, _, _ = lstm.backward(params, x, zero, zero, dh_out)
    return L, {**grads, "V": dV, "c": dc}
# --8<-- [end:lstm_last_step]


def _loss_and_grads(model: str):
    return rnn_last_step if model == "rnn" else lstm_last_step


def _last_hidden(model: str, params, x) -> np.ndarray:
    """h(T) of either model from zero initial states: (B, H)."""
    if model == "rnn":
        return rnn.forward(params, x, _zero_state(x.shape[1], params["W"].shape[0]))[-1]
    zero = _zero_state(x.shape[1], params["W_z"].shape[0])
    return lstm.forward(params, x, zero, zero)[0][-1]


def _init(model: str, H: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    if model not in MODELS:
        raise ValueError(f"model must be one of {sorted(MODELS)}, got {model!r}")
    if model == "rnn":
        return rnn.init_params(ADDING_D, H, ADDING_K, rng)
    return lstm.init_params(ADDING_D, H, ADDING_K, rng, forget_bias=MODELS[model])


def adding_scores(model: str, params, x, y) -> dict:
    """Held-out mean loss per sequence (nats) and accuracy of the answer at the last step."""
    o = _last_hidden(model, params, x) @ params["V"].T + params["c"]  # (B, K)  o(T) = c + V h(T)
    logp = o - o.max(axis=1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(axis=1, keepdims=True))  # (B, K) log softmax
    return {
        "loss": float(-logp[np.arange(len(y)), y].mean()),
        "accuracy": float((o.argmax(axis=1) == y).mean()),
    }


def adding_run(model: str, T: int, seed: int, config: AddingConfig, progress: bool = False) -> dict:
    """Train ``model`` on the adding problem with lag T; return its held-out learning curve (JSON-ready)."""
    params = _init(model, config.H, seed)
    x_eval, y_eval = tasks.adding_problem(np.random.default_rng(10_000 + seed), T, config.eval_B)
    history = train.train(
        params,
        _loss_and_grads(model),
        lambda r: tasks.adding_problem(r, T, config.B),
        train.Adam(config.lr),
        steps=config.steps,
        seed=seed,
        max_norm=config.max_norm,
        evaluate=lambda p: adding_scores(model, p, x_eval, y_eval),
        eval_every=config.eval_every,
        progress=progress,
        desc=f"{model} T={T} seed {seed}",
    )
    return {
        "model": model,
        "T": T,
        "seed": seed,
        "eval_steps": [step for step, _ in history.evals],
        "eval_loss": [m["loss"] for _, m in history.evals],
        "eval_accuracy": [m["accuracy"] for _, m in history.evals],
        "clipped_fraction": float(np.mean(history.clipped)),
    }


def adding_experiment(config: AddingConfig = ADDING_FULL, progress: bool = False) -> dict:
    """Every (model, T, seed) of ``config``: JSON-ready."""
    jobs = [(m, T, s) for T in config.lags for m in config.models for s in config.seeds]
    bar = tqdm(jobs, desc="adding problem", disable=not progress)
    runs = [adding_run(m, T, s, config, progress) for m, T, s in bar]
    return {"config": dataclasses.asdict(config), "runs": runs}


# ----------------------------------------------------------------------------------------------------------------
# the command line: regenerate the result files, or check them


def _about(what: str) -> str:
    return f"Part 4, {what}. Written by `python -m gentle_rnn.experiments.part4`; do not edit by hand."


def _compare(name: str, fresh, committed, path: str = "") -> list[str]:
    """Differences between two JSON-like trees (numbers to 1e-9 absolute): a list of messages, empty if equal."""
    if isinstance(fresh, dict) and isinstance(committed, dict):
        if fresh.keys() != committed.keys():
            return [f"{name}{path}: keys {sorted(fresh)} != {sorted(committed)}"]
        return [m for k in fresh for m in _compare(name, fresh[k], committed[k], f"{path}.{k}")]
    if isinstance(fresh, (list, tuple)) and isinstance(committed, (list, tuple)):
        if len(fresh) != len(committed):
            return [f"{name}{path}: length {len(fresh)} != {len(committed)}"]
        return [m for i, (a, b) in enumerate(zip(fresh, committed)) for m in _compare(name, a, b, f"{path}[{i}]")]
    if isinstance(fresh, (int, float)) and isinstance(committed, (int, float)) and fresh is not None:
        return [] if abs(fresh - committed) <= 1e-9 else [f"{name}{path}: {fresh!r} != committed {committed!r}"]
    return [] if fresh == committed else [f"{name}{path}: {fresh!r} != committed {committed!r}"]


def _jsonable(result: dict) -> dict:
    """Round-trip through JSON so that tuples become lists, as in the files."""
    return json.loads(json.dumps(result))


def check_quick() -> list[str]:
    """Rerun the shortened configurations and compare with the committed files; return the differences."""
    problems = []
    for path, fresh in (
        (CLIPPING_FILE, lambda: clipping_experiment(CLIP_SHORT)),
        (ADDING_FILE, lambda: adding_experiment(ADDING_SHORT)),
    ):
        committed = json.loads(path.read_text())["short"]
        problems += _compare(path.name, _jsonable(fresh()), committed)
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gentle_rnn.experiments.part4",
        description="Retrain Part 4's experiments and rewrite src/gentle_rnn/data/part4_*.json "
        "(--quick: rerun only the shortened configurations and compare them with the files).",
    )
    parser.add_argument("--quick", action="store_true", help="rerun the short configurations and check the files")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.quick:
        problems = check_quick()
        for p in problems:
            print(p)
        print(f"{'MISMATCH' if problems else 'the short runs reproduce the committed files'} "
              f"({time.perf_counter() - started:.1f} s)")
        return 1 if problems else 0
    progress = not args.no_progress
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    clipping = {
        "about": _about("exploding gradients and norm clipping (figure 2)"),
        "full": clipping_experiment(CLIP_FULL, progress),
        "short": clipping_experiment(CLIP_SHORT, progress),
    }
    CLIPPING_FILE.write_text(json.dumps(clipping, indent=1) + "\n")
    print(f"wrote {CLIPPING_FILE} ({time.perf_counter() - started:.1f} s)")
    adding = {
        "about": _about("the adding problem, simple RNN against LSTM (figure 3)"),
        "full": adding_experiment(ADDING_FULL, progress),
        "short": adding_experiment(ADDING_SHORT, progress),
    }
    ADDING_FILE.write_text(json.dumps(adding, indent=1) + "\n")
    for run in adding["full"]["runs"]:
        print(f"{run['model']:4s} T={run['T']:3d} seed {run['seed']}: final accuracy {run['eval_accuracy'][-1]:.3f}")
    print(f"wrote {ADDING_FILE} ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
