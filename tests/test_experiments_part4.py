"""Part 4's experiments (gentle_rnn.experiments.part4) and the adding problem (gentle_rnn.tasks.adding_problem).

The page's figures 2 and 3 are drawn from the committed result files ``src/gentle_rnn/data/part4_*.json``.
These tests check three things, none of which depends on the last digits of a chaotic run: fresh runs of the
shortened configurations make the page's claims (:func:`part4.clipping_claims`, :func:`part4.adding_claims`);
the parts of the files that are not chaotic (every run's score before training) are recomputed exactly; and
every sentence of the page about the full runs holds on the committed files. Figure 1 and figure 2 (a) are
computed at build time; their claims are checked here on the same computation.
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


def test_expected_chance_levels_are_those_of_the_sum_of_two_fair_bits():
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
        # the accuracy, from the logits of the last step written out again
        h_last = part4._last_hidden(model, params, x)  # (B, H)
        answers = np.argmax(h_last @ params["V"].T + params["c"], axis=1)
        assert scores["accuracy"] == np.mean(answers == y), f"{model}: accuracy of the last step's answers"


def test_adding_scores_of_a_model_that_always_answers_1():
    """V = 0, c = (0, 1, 0): the answer is always 1 and the loss of every sequence is known in closed form."""
    x, y = tasks.adding_problem(np.random.default_rng(5), 6, 40)
    params = part4._init("rnn", 4, 0)
    params["V"], params["c"] = np.zeros_like(params["V"]), np.array([0.0, 1.0, 0.0])
    scores = part4.adding_scores("rnn", params, x, y)
    log_z = np.log(2 + np.e)  # log(e^0 + e^1 + e^0)
    want = np.mean(np.where(y == 1, log_z - 1, log_z))
    assert scores["accuracy"] == np.mean(y == 1)
    assert scores["loss"] == pytest.approx(want, rel=1e-14)


def test_held_out_chance_is_what_predicting_the_answer_distribution_scores():
    T, seed, n = 12, 3, 400
    _, y = part4.held_out_set(T, seed, n)
    p = np.array([0.25, 0.5, 0.25])
    chance = part4.held_out_chance(T, seed, n)
    assert chance["loss"] == pytest.approx(np.mean(-np.log(p[y])), rel=1e-14)
    assert chance["accuracy"] == np.mean(y == 1)


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
    assert orth[2.0]["max"][T] < 1e5, "... by a few orders of magnitude at most"
    assert gauss[2.0]["median"][T] < 1.0, "lambda_1 = 2, gaussian: it even shrinks"


def test_loss_slice_shows_what_the_page_says():
    """Figure 2 (a): below lambda = 1.5 the norm hardly changes (within a factor 2.5, against orders of magnitude
    beyond); at T = 40 it reaches about 10^6 (within half a decade), at T = 10 a few hundred."""
    peak = {}
    for T in (10, 40):
        sl = part4.loss_slice(part4.CLIP_FULL, T=T)
        lam, norm = np.asarray(sl["lambda"]), np.asarray(sl["grad_norm"])
        below = norm[lam < 1.5]
        assert below.max() < 2.5 * below.min(), f"T = {T}: below lambda = 1.5 the norm hardly changes"
        peak[T] = norm.max()
    assert 10**5.5 < peak[40] < 10**6.5, f"T = 40: about 10^6, got {peak[40]:.3g}"
    assert 100 <= peak[10] < 1000, f"T = 10: a few hundred, got {peak[10]:.3g}"


def test_loss_slice_gradient_norm_grows_with_lambda_and_with_the_lag():
    lambdas = [0.5, 1.0, 2.0, 3.0]
    short = part4.loss_slice(part4.CLIP_FULL, lambdas=lambdas, T=10)["grad_norm"]
    long = part4.loss_slice(part4.CLIP_FULL, lambdas=lambdas, T=40)["grad_norm"]
    assert long[-1] > 100 * long[0], "T = 40: the gradient norm explodes with lambda"
    assert long[-1] > 100 * short[-1], "lambda = 3: the longer the sequence, the larger the gradient"


# ----------------------------------------------------------------------------------------------------------------
# fresh short runs make the page's claims; the committed files were written by this code


@pytest.fixture(scope="module")
def short_clipping():
    return part4.jsonable(part4.clipping_experiment(part4.CLIP_SHORT))


@pytest.fixture(scope="module")
def short_adding():
    return part4.jsonable(part4.adding_experiment(part4.ADDING_SHORT))


def test_fresh_short_clipping_run_blows_up_without_clipping_and_learns_with_it(short_clipping):
    assert {r["max_norm"] for r in short_clipping["runs"]} == {None, 30.0}
    failed = part4.clipping_claims(short_clipping)
    assert not failed, "\n".join(failed)


def test_fresh_short_adding_run_the_lstm_learns_a_lag_where_the_rnn_stays_at_chance(short_adding):
    assert {(r["model"], r["T"]) for r in short_adding["runs"]} == {("rnn", 40), ("lstm-f3", 40)}
    failed = part4.adding_claims(short_adding)
    assert not failed, "\n".join(failed)


def test_the_claims_fail_on_results_that_contradict_them(clipping_file, adding_file):
    """The two claim checks above can fail: swap the clipped and unclipped runs, or the two models."""
    clip = json.loads(json.dumps(clipping_file["full"]))
    for run in clip["runs"]:
        run["max_norm"] = {None: 30.0, 30.0: None}.get(run["max_norm"], run["max_norm"])
    assert len(part4.clipping_claims(clip)) >= 6  # per seed: learns unclipped, and does not learn clipped
    adding = json.loads(json.dumps(adding_file["full"]))
    for run in adding["runs"]:
        run["model"] = {"rnn": "lstm-f3", "lstm-f3": "rnn"}.get(run["model"], run["model"])
    failed = part4.adding_claims(adding)
    assert any("rnn, T = 40" in f for f in failed) and any("lstm-f3, T = 60" in f for f in failed)


def test_committed_files_make_the_claims_too(clipping_file, adding_file):
    for name, claims, data in (("clipping", part4.clipping_claims, clipping_file),
                               ("adding", part4.adding_claims, adding_file)):
        for key in ("full", "short"):
            failed = claims(data[key])
            assert not failed, f"{name} {key}: " + "; ".join(failed)


def test_every_committed_adding_run_starts_from_the_score_this_code_gives(adding_file):
    """Before the first step a run's held-out score depends on its initial weights and held-out set only: no
    training, nothing chaotic. A forward pass of at most 60 steps and a mean over 500 sequences add up a few
    thousand roundings of 1.1e-16 each (tanh and the sigmoid contract, they do not amplify), so 1e-12 relative
    is a hundredfold above the float64 error and far below any change of model, seed or held-out set."""
    for key in ("full", "short"):
        c = adding_file[key]["config"]
        for run in adding_file[key]["runs"]:
            x, y = part4.held_out_set(run["T"], run["seed"], c["eval_B"])
            scores = part4.adding_scores(run["model"], part4._init(run["model"], c["H"], run["seed"]), x, y)
            where = f"{key} {run['model']} T={run['T']} seed {run['seed']}"
            assert run["eval_steps"][0] == 0
            assert run["eval_loss"][0] == pytest.approx(scores["loss"], rel=1e-12), where
            assert run["eval_accuracy"][0] == scores["accuracy"], where


def test_committed_configurations_are_the_current_ones(clipping_file, adding_file):
    assert _as_config(part4.ClipConfig, clipping_file["full"]["config"]) == part4.CLIP_FULL
    assert _as_config(part4.ClipConfig, clipping_file["short"]["config"]) == part4.CLIP_SHORT
    assert _as_config(part4.AddingConfig, adding_file["full"]["config"]) == part4.ADDING_FULL
    assert _as_config(part4.AddingConfig, adding_file["short"]["config"]) == part4.ADDING_SHORT
    assert dataclasses.asdict(part4.ADDING_FULL)["models"] == tuple(part4.MODELS)


def test_quick_command_checks_the_claims_and_says_whether_the_digits_agree(capsys, monkeypatch, short_clipping,
                                                                          short_adding):
    # the short runs of the fixtures are this code's runs of the short configurations: no need to train twice
    monkeypatch.setattr(part4, "clipping_experiment", lambda config: short_clipping)
    monkeypatch.setattr(part4, "adding_experiment", lambda config: short_adding)
    assert part4.main(["--quick"]) == 0
    out = capsys.readouterr().out
    for name in ("part4_clipping.json", "part4_adding.json"):
        assert f"{name}: the claims hold for the short run" in out
        assert f"{name}: the short run agrees with" in out or f"{name}: the short run differs from" in out


# ----------------------------------------------------------------------------------------------------------------
# the full runs show what the page says


def test_clipping_full_run_shows_what_the_page_says(clipping_file):
    """Every sentence of the page about figure 2 (b, c), on the committed full run; the numbers as rounded there."""
    full = clipping_file["full"]
    chance, block = part4.ADDING_CHANCE_LOSS, full["config"]["block"]
    runs = {(r["max_norm"], r["seed"]): r for r in full["runs"]}
    seeds = full["config"]["seeds"]
    assert len(seeds) == 3 and full["config"]["max_norms"] == [30.0, 100.0]
    for s in seeds:
        first_100 = np.median(runs[None, s]["grad_norm_max"][:10])  # before any run is solved
        assert 30 <= first_100 <= 100, f"seed {s}: typical gradient norms here are 30 to 100"
    for s in seeds:
        run = runs[None, s]
        assert 500 <= max(run["grad_norm_max"]) <= 1250, f"seed {s}, no clipping: norms between 500 and 1250"
        assert 15 <= run["final_lambda_1"] <= 22, f"seed {s}, no clipping: lambda_1 between 15 and 22"
        assert np.mean(run["loss"][-10:]) > chance, f"seed {s}, no clipping: ends above chance"
    solved = []
    for s in seeds:
        run = runs[30.0, s]
        solved.append((np.argmax(np.asarray(run["loss"]) < 0.01) + 1) * block)
        assert np.mean(run["loss"][-10:]) < 0.01, f"seed {s}, clipped at 30: solves the task"
        assert 11 <= round(100 * np.mean(run["clipped"])) <= 20, f"seed {s}: clipping acts on 11 to 20 percent"
        assert np.mean(run["clipped"][300 // block :]) < 0.02, f"seed {s}: ... almost only in the first 300 steps"
    assert min(solved) == 180 and max(solved) == 320, "every seed solves the task within 180 to 320 steps"
    for s in seeds:
        run = runs[100.0, s]
        assert np.mean(run["loss"][-10:]) > chance, f"seed {s}, clipped at 100: does not help"
        assert 1 <= round(100 * np.mean(run["clipped"])) <= 5, f"seed {s}: a threshold of 100 acts on 1 to 5 percent"


def test_adding_full_run_shows_what_the_page_says(adding_file):
    """Every sentence of the page about figure 3, on the committed full run; the numbers as rounded there."""
    full = adding_file["full"]
    seeds, lags, eval_B = full["config"]["seeds"], full["config"]["lags"], full["config"]["eval_B"]
    assert lags == [10, 20, 40, 60] and len(seeds) == 2 and eval_B == 500
    runs = {(r["model"], r["T"], r["seed"]): r for r in full["runs"]}

    def final(model, T):
        return [runs[model, T, s]["eval_accuracy"][-1] for s in seeds]

    def solved_at(model, T):  # the first evaluation step with accuracy above 95 percent (None: never)
        out = []
        for s in seeds:
            r = runs[model, T, s]
            out.append(next((st for st, a in zip(r["eval_steps"], r["eval_accuracy"]) if a > 0.95), None))
        return out

    for model in part4.MODELS:
        assert max(solved_at(model, 10)) <= 400, f"{model} learns T = 10 within a few hundred steps"
    assert sorted(solved_at("rnn", 20), key=str) == [1500, None], "T = 20: one RNN seed passes 95 % at step 1500"
    assert round(100 * min(final("rnn", 20))) == 74, "... the other is at 74 percent when training stops"
    for model in ("lstm", "lstm-f3"):
        assert max(solved_at(model, 20)) <= 400, f"T = 20: {model} is done within 400 steps"
    for T in (40, 60):
        for s in seeds:
            r, chance = runs["rnn", T, s], part4.held_out_chance(T, s, eval_B)
            assert 1.015 <= min(r["eval_loss"][1:]) and 1.015 <= r["eval_loss"][-1] < 1.035, (
                f"T = {T}, seed {s}: the RNN's held-out loss never falls below 1.02 nats and ends at 1.02 to 1.03")
            assert abs(r["eval_loss"][-1] - chance["loss"]) < 0.005, "... which is what ignoring the input scores"
            assert 0.51 <= chance["accuracy"] <= 0.53, "the share of answers 1 among the held-out sequences"
            assert max(r["eval_accuracy"][1:]) <= chance["accuracy"] + 0.02, "... and its accuracy near one half"
    for T in lags:
        assert min(final("lstm-f3", T)) > 0.95, f"the LSTM with b_f = 3 learns T = {T}, for both seeds"
    assert sorted(solved_at("lstm-f3", 60)) == [300, 1300], "T = 60 within 300 and 1300 steps"
    assert min(final("lstm", 40)) > 0.95, "the LSTM with b_f = 1 learns T = 40 ..."
    seed0, seed1 = runs["lstm", 60, 0], runs["lstm", 60, 1]
    chance1 = part4.held_out_chance(60, 1, eval_B)
    assert min(seed1["eval_loss"][1:]) > chance1["loss"] - 0.01, "... but not T = 60: seed 1 stays at chance"
    best = int(np.argmin(seed0["eval_loss"]))
    assert seed0["eval_steps"][best] == 900 and round(seed0["eval_loss"][best], 3) == 0.495, "seed 0: 0.495 at 900"
    assert round(100 * seed0["eval_accuracy"][best]) == 78, "... (78 percent)"
    assert min(seed0["eval_loss"][: 800 // full["config"]["eval_every"]]) > 1.02, "it leaves chance at step 800"
    chance0 = part4.held_out_chance(60, 0, eval_B)
    assert abs(seed0["eval_loss"][-1] - chance0["loss"]) < 0.05 and round(100 * seed0["eval_accuracy"][-1]) == 53
    clipped = {m: [r["clipped_fraction"] for k, r in runs.items() if k[0] == m] for m in part4.MODELS}
    assert round(100 * min(clipped["rnn"])) == 28 and round(100 * max(clipped["rnn"])) == 94, "28 to 94 percent"
    lstm_clipped = clipped["lstm"] + clipped["lstm-f3"]
    assert round(100 * min(lstm_clipped)) == 4 and round(100 * max(lstm_clipped)) == 41, "4 to 41 percent"
