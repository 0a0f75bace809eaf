"""Part 4's experiments (gentle_rnn.experiments.part4) and the adding problem (gentle_rnn.tasks.adding_problem).

The page's figures 2 and 3 are drawn from the committed result files ``src/gentle_rnn/data/part4_*.json``.
These tests rerun the shortened configurations (seconds) and check that they reproduce the files' short-run
numbers exactly (to 1e-9), that the files were written with the current full configurations, and that the
full runs show what the page says about them. Figure 1 is computed at build time; its claims are checked here.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from gentle_rnn import gradcheck, lstm, tasks
from gentle_rnn.experiments import part4
from tests.helpers import assert_close


@pytest.fixture(scope="module")
def clipping_file():
    return json.loads(part4.CLIPPING_FILE.read_text())


@pytest.fixture(scope="module")
def adding_file():
    return json.loads(part4.ADDING_FILE.read_text())


def _as_config(cls, d: dict):
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


# ----------------------------------------------------------------------------------------------------------------
# the adding problem


def test_adding_problem_layout_and_labels():
    x, y = tasks.adding_problem(np.random.default_rng(0), 12, 50)
    assert x.shape == (12, 50, 2) and x.dtype == np.float64
    assert y.shape == (50,) and y.dtype == np.int64
    bits, markers = x[..., 0], x[..., 1]
    assert set(np.unique(bits)) <= {0.0, 1.0}
    np.testing.assert_array_equal(markers.sum(axis=0), 2.0, err_msg="exactly two marked steps per sequence")
    assert markers[12 // 2 :].sum() == 0, "both markers lie in the first half"
    np.testing.assert_array_equal(y, (bits * markers).sum(axis=0), err_msg="the answer is the sum of the marked bits")


def test_adding_problem_is_seeded_and_covers_every_answer():
    a = tasks.adding_problem(np.random.default_rng(5), 10, 400)
    b = tasks.adding_problem(np.random.default_rng(5), 10, 400)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    counts = np.bincount(a[1], minlength=3) / 400  # classes 0, 1, 2 with probabilities 1/4, 1/2, 1/4
    np.testing.assert_allclose(counts, [0.25, 0.5, 0.25], atol=0.07)


def test_adding_problem_marker_positions_are_spread_over_the_first_half():
    x4, _ = tasks.adding_problem(np.random.default_rng(0), 4, 3)  # the smallest allowed T: both markers at 1, 2
    np.testing.assert_array_equal(x4[:2, :, 1], 1.0)
    x, _ = tasks.adding_problem(np.random.default_rng(1), 20, 2000)
    first_half = x[:10, :, 1].sum(axis=1) / 2000  # how often each of the first 10 steps is marked
    np.testing.assert_allclose(first_half, 2 / 10, atol=0.04)


@pytest.mark.parametrize("T", [0, 3, 2.5])
def test_adding_problem_rejects_a_too_short_sequence(T):
    with pytest.raises(ValueError, match="T must"):
        tasks.adding_problem(np.random.default_rng(0), T, 3)


def test_chance_levels_are_those_of_the_sum_of_two_fair_bits():
    p = np.array([0.25, 0.5, 0.25])
    assert part4.ADDING_CHANCE_LOSS == pytest.approx(-(p * np.log(p)).sum(), rel=1e-15)
    assert part4.ADDING_CHANCE_ACCURACY == p.max()


# ----------------------------------------------------------------------------------------------------------------
# the models scored at the last step


def test_lstm_last_step_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    params = lstm.init_params(2, 3, 3, rng)
    x, y = tasks.adding_problem(rng, 5, 4)
    _, grads = part4.lstm_last_step(params, x, y)
    numeric = gradcheck.numerical_gradients(lambda: part4.lstm_last_step(params, x, y)[0], params)
    for name in lstm.PARAM_KEYS:
        assert_close(f"d L(T) / d{name} (LSTM)", grads[name], numeric[name], 1e-6)


def test_adding_scores_use_the_last_hidden_state():
    rng = np.random.default_rng(4)
    x, y = tasks.adding_problem(rng, 6, 30)
    for model in ("rnn", "lstm"):
        params = part4._init(model, 5, 0)
        loss_fn = part4.rnn_last_step if model == "rnn" else part4.lstm_last_step
        L, _ = loss_fn(params, x, y)
        scores = part4.adding_scores(model, params, x, y)
        assert scores["loss"] == pytest.approx(L / 30, rel=1e-12), f"{model}: mean of the summed last-step loss"
        assert 0.0 <= scores["accuracy"] <= 1.0


# ----------------------------------------------------------------------------------------------------------------
# figure 1: gradient norms by lag (computed at build time)


@pytest.fixture(scope="module")
def lag_result():
    return part4.lag_experiment(part4.LagConfig())


def test_lag_experiment_never_exceeds_the_bound(lag_result):
    for kind, runs in lag_result["runs"].items():
        for lam, r in runs.items():
            assert np.all(np.asarray(r["max"]) <= np.asarray(r["bound"]) * (1 + 1e-12)), f"{kind}, lambda_1 = {lam}"


def test_lag_experiment_shows_what_the_page_says(lag_result):
    """Figure 1's claims: tight for an orthogonal W with lambda_1 < 1 and small states; a Gaussian W with the
    same lambda_1 decays much faster; for lambda_1 > 1 the gradient grows far less than the bound allows."""
    runs, T = lag_result["runs"], lag_result["lags"][-1]
    orth, gauss = runs["orthogonal"], runs["gaussian"]
    for lam in (0.5, 0.9):
        assert orth[lam]["median"][T] > 0.1 * orth[lam]["bound"][T], f"orthogonal, lambda_1 = {lam}: near the bound"
        assert gauss[lam]["median"][T] < 1e-3 * orth[lam]["median"][T], f"gaussian, lambda_1 = {lam}: far below"
    assert orth[1.0]["max"][T] < 1.0, "lambda_1 = 1: the bound says <= 1, the measured norms are below it"
    assert orth[2.0]["median"][T] > 1.0, "lambda_1 = 2, orthogonal: the gradient does grow ..."
    assert orth[2.0]["max"][T] < 1e-6 * orth[2.0]["bound"][T], "... but far less than the bound 2^T"
    assert gauss[2.0]["median"][T] < 1.0, "lambda_1 = 2, gaussian: it even shrinks"


def test_loss_slice_gradient_norm_grows_with_lambda_and_with_the_lag():
    lambdas = [0.5, 1.0, 2.0, 3.0]
    short = part4.loss_slice(part4.CLIP_FULL, lambdas=lambdas, T=10)["grad_norm"]
    long = part4.loss_slice(part4.CLIP_FULL, lambdas=lambdas, T=40)["grad_norm"]
    assert long[-1] > 100 * long[0], "T = 40: the gradient norm explodes with lambda"
    assert long[-1] > 100 * short[-1], "lambda = 3: the longer the sequence, the larger the gradient"


# ----------------------------------------------------------------------------------------------------------------
# the committed result files: reproduced by the short configurations, written with the current configurations


def test_short_clipping_run_reproduces_the_committed_numbers(clipping_file):
    fresh = part4._jsonable(part4.clipping_experiment(part4.CLIP_SHORT))
    problems = part4._compare("part4_clipping.json short", fresh, clipping_file["short"])
    assert not problems, "\n".join(problems[:5]) + "\nrerun `python -m gentle_rnn.experiments.part4` if intended"


def test_short_adding_run_reproduces_the_committed_numbers(adding_file):
    fresh = part4._jsonable(part4.adding_experiment(part4.ADDING_SHORT))
    problems = part4._compare("part4_adding.json short", fresh, adding_file["short"])
    assert not problems, "\n".join(problems[:5]) + "\nrerun `python -m gentle_rnn.experiments.part4` if intended"


def test_compare_finds_a_changed_number():
    # the comparison the two tests above rely on can fail
    a = {"runs": [{"loss": [1.0, 2.0]}]}
    assert part4._compare("x", a, {"runs": [{"loss": [1.0, 2.0 + 1e-6]}]})
    assert not part4._compare("x", a, {"runs": [{"loss": [1.0, 2.0 + 1e-12]}]})


def test_committed_configurations_are_the_current_ones(clipping_file, adding_file):
    assert _as_config(part4.ClipConfig, clipping_file["full"]["config"]) == part4.CLIP_FULL
    assert _as_config(part4.ClipConfig, clipping_file["short"]["config"]) == part4.CLIP_SHORT
    assert _as_config(part4.AddingConfig, adding_file["full"]["config"]) == part4.ADDING_FULL
    assert _as_config(part4.AddingConfig, adding_file["short"]["config"]) == part4.ADDING_SHORT
    assert dataclasses.asdict(part4.ADDING_FULL)["models"] == tuple(part4.MODELS)


def test_quick_command_reports_a_match(capsys):
    assert part4.main(["--quick"]) == 0
    assert "reproduce the committed files" in capsys.readouterr().out


# ----------------------------------------------------------------------------------------------------------------
# the full runs show what the page says


def test_clipping_full_run_shows_what_the_page_says(clipping_file):
    """Figure 2: without clipping every seed ends worse than chance; clipped at 30 every seed solves the task;
    clipped at 100 (above the typical norm) does not help."""
    full = clipping_file["full"]
    chance = part4.ADDING_CHANCE_LOSS
    for run in full["runs"]:
        last = np.mean(run["loss"][-10:])  # the last 100 steps
        if run["max_norm"] is None:
            assert last > chance, f"seed {run['seed']}, no clipping: should end above chance"
            assert max(run["grad_norm_max"]) > 500, f"seed {run['seed']}, no clipping: gradient spikes"
            assert run["final_lambda_1"] > 10, f"seed {run['seed']}, no clipping: W is blown up"
        elif run["max_norm"] == 30.0:
            assert last < 0.01, f"seed {run['seed']}, clipped at 30: solves the task"
            assert run["final_lambda_1"] < 5
            solved_at = (np.argmax(np.asarray(run["loss"]) < 0.01) + 1) * full["config"]["block"]
            assert 100 <= solved_at <= 400, f"seed {run['seed']}: solved within a few hundred steps"
            assert np.mean(run["clipped"][30:]) < 0.05, "clipping acts almost only in the first 300 steps"
        else:
            assert last > chance, f"seed {run['seed']}, clipped at {run['max_norm']}: no better than chance"
            assert np.mean(run["clipped"]) < 0.06, "a threshold of 100 rarely acts"


def test_adding_full_run_shows_what_the_page_says(adding_file):
    """Figure 3 and its text: every model learns T = 10; the simple RNN struggles at T = 20 and stays at chance
    from T = 40 on; the LSTM with b_f = 3 learns every lag; the LSTM with b_f = 1 learns T = 40 but not T = 60."""
    full = adding_file["full"]
    seeds, lags = full["config"]["seeds"], full["config"]["lags"]
    assert lags == [10, 20, 40, 60] and len(seeds) == 2
    runs = {(r["model"], r["T"], r["seed"]): r for r in full["runs"]}

    def final(model, T):
        return [runs[model, T, s]["eval_accuracy"][-1] for s in seeds]

    def solved_at(model, T):  # the first evaluation step with accuracy above 95 percent (None: never)
        out = []
        for s in seeds:
            r = runs[model, T, s]
            out.append(next((st for st, a in zip(r["eval_steps"], r["eval_accuracy"]) if a > 0.95), None))
        return out

    chance = part4.ADDING_CHANCE_LOSS
    for model in part4.MODELS:
        assert min(final(model, 10)) > 0.95, f"{model} learns T = 10"
    rnn20 = solved_at("rnn", 20)
    assert min(final("rnn", 20)) < 0.9 and max(final("rnn", 20)) > 0.95, "T = 20: one RNN seed fails, one learns"
    assert max(s for s in rnn20 if s is not None) >= 1000, "T = 20: the RNN learns slowly"
    for model in ("lstm", "lstm-f3"):
        assert max(solved_at(model, 20)) <= 400, f"T = 20: {model} is done within 400 steps"
    for T in (40, 60):
        assert max(final("rnn", T)) < 0.6, f"the RNN stays at chance at T = {T}"
        assert min(runs["rnn", T, s]["eval_loss"][-1] for s in seeds) > 0.97 * chance
    for T in lags:
        assert min(final("lstm-f3", T)) > 0.95, f"the LSTM with b_f = 3 learns T = {T}"
    assert max(solved_at("lstm-f3", 60)) <= 1300
    assert min(final("lstm", 40)) > 0.95, "the LSTM with b_f = 1 learns T = 40 ..."
    assert max(final("lstm", 60)) < 0.6, "... but not T = 60"
    clipped = {m: [r["clipped_fraction"] for k, r in runs.items() if k[0] == m] for m in part4.MODELS}
    assert 0.25 < min(clipped["rnn"]) and max(clipped["rnn"]) < 0.95, "clipping acts on 28 to 94 percent (RNN)"
    lstm_clipped = clipped["lstm"] + clipped["lstm-f3"]
    assert 0.03 < min(lstm_clipped) and max(lstm_clipped) < 0.42, "... on 4 to 41 percent (LSTMs)"
