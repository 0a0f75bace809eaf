"""Part 1's demonstration (gentle_rnn.experiments.part1): the recurrent model beats the windowed ones, reproducibly.

The page's figure is drawn from the committed result file ``src/gentle_rnn/data/part1_demo.json``. These
tests rerun the short configuration (seconds) and check the page's claims on it (:func:`part1.claims`); they
recompute what in the file is not chaotic (each model's score before training) and check every sentence of the
page about the full run against the file. No test compares the digits of a training trajectory.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from gentle_rnn import tasks
from gentle_rnn.experiments import part1


@pytest.fixture(scope="module")
def short_run():
    return part1.run(part1.SHORT)


@pytest.fixture(scope="module")
def committed():
    return json.loads(part1.DATA_FILE.read_text())


def _beyond_window(model: dict, w: int) -> float:
    """Mean accuracy at positions t > w."""
    return float(np.mean(model["accuracy_by_position"][w:]))


def test_fresh_short_run_makes_the_page_claims(short_run):
    """The recurrent model is right everywhere, each windowed model beyond its window is a coin flip."""
    failed = part1.claims(short_run)
    assert not failed, "\n".join(failed)


def test_the_claims_fail_on_a_run_that_contradicts_them(committed):
    swapped = json.loads(json.dumps(committed["full"]))
    models = swapped["models"]
    models["rnn"], models["window-8"] = models["window-8"], models["rnn"]
    failed = part1.claims(swapped)
    assert any("RNN is not right" in f for f in failed) and any("window-8 is not a coin flip" in f for f in failed)


def test_every_committed_run_starts_from_the_score_this_code_gives(committed):
    """Before the first step a model's held-out score depends on its initial weights and the held-out set only;
    nothing chaotic. 1e-12 relative: a forward pass of at most 20 steps and a mean over 500 sequences add up a
    few thousand roundings of 1.1e-16 (tanh contracts), a hundredfold below it."""
    for key in ("full", "short"):
        c = committed[key]["config"]
        config = part1.Config(**{**c, "windows": tuple(c["windows"])})
        x, y = tasks.running_parity(np.random.default_rng(config.seed + 1), config.T, config.eval_B)
        for name, model in committed[key]["models"].items():
            if name == "rnn":
                params = part1.rnn.init_params(part1.D, config.H, part1.K, np.random.default_rng(config.seed))
                logits = part1.rnn_logits(params, x)
            else:
                w = model["window"]
                params = part1.dense.init_params(w * part1.D, config.window_hidden, part1.K,
                                                 np.random.default_rng(config.seed))
                logits = part1.window_logits(params, x, w)
            scores = part1._scores(logits, y)
            assert model["eval_steps"][0] == 0
            assert model["eval_loss"][0] == pytest.approx(scores["loss"], rel=1e-12), f"{key} {name}"
            assert model["eval_accuracy"][0] == pytest.approx(scores["accuracy"], abs=1e-15), f"{key} {name}"


def _as_config(d: dict) -> dict:
    return {**d, "windows": tuple(d["windows"])}


def test_committed_full_configuration_is_the_current_one(committed):
    assert _as_config(committed["full"]["config"]) == dataclasses.asdict(part1.FULL), (
        "FULL changed since the result file was written: run `python -m gentle_rnn.experiments.part1`"
    )
    assert _as_config(committed["short"]["config"]) == dataclasses.asdict(part1.SHORT)


def test_committed_full_run_shows_what_the_page_says(committed):
    """Every sentence of the page about the figure, on the committed full run."""
    run = committed["full"]
    config, models = run["config"], run["models"]
    assert not part1.claims(run)
    rnn = models["rnn"]
    assert min(rnn["accuracy_by_position"]) > 0.99, "the recurrent model is right at every position"
    assert rnn["eval_loss"][-1] < 0.01, "the recurrent model's loss goes to almost zero"
    every = config["eval_every"]
    assert rnn["eval_loss"][250 // every] > 0.5 > 0.02 > rnn["eval_loss"][400 // every], "within a few hundred steps"
    se = math.sqrt(0.25 / config["eval_B"])  # the standard error of one position's accuracy at chance
    for w in config["windows"]:
        m = models[f"window-{w}"]
        acc = m["accuracy_by_position"]
        assert acc[0] > 0.99, f"window-{w} is right at position 1"
        for t in range(w + 1, config["T"] + 1):  # positions w + 1 ... T: a coin flip at every one
            assert abs(acc[t - 1] - 0.5) < 4 * se, f"window-{w}, position {t}: {acc[t - 1]}"
        floor = (config["T"] - w) / config["T"] * math.log(2)  # no window model can beat it
        assert m["eval_loss"][-1] > 0.95 * floor, f"window-{w} loss"
    assert round((config["T"] - 8) / config["T"] * math.log(2), 2) == 0.42, "the floor for w = 8, T = 20"
    # within its window a model can be right, but does not always learn it: the page names each case
    w2, w4, w8 = (models[f"window-{w}"]["accuracy_by_position"] for w in (2, 4, 8))
    assert abs(w2[1] - 0.5) < 4 * se, "w = 2 is a coin flip already at position 2"
    assert min(w4[:3]) > 0.99 and w4[3] < 0.9, "w = 4: right at positions 1 to 3, not at 4"
    assert min(w8[:5]) > 0.99 and max(w8[5:8]) < 0.95, "w = 8: right at positions 1 to 5, not at 6 to 8"


def test_window_inputs_hold_the_last_w_steps_oldest_first():
    x, _ = tasks.running_parity(np.random.default_rng(0), 6, 2)
    xw = part1.window_inputs(x, 3)  # (T, B, 3 * D)
    assert xw.shape == (6, 2, 6)
    np.testing.assert_array_equal(xw[0], np.concatenate([np.zeros((2, 4)), x[0]], axis=1))
    np.testing.assert_array_equal(xw[4], np.concatenate([x[2], x[3], x[4]], axis=1))


def test_windowed_model_cannot_see_before_its_window():
    """Changing inputs older than the window leaves the windowed model's output at step t unchanged."""
    rng = np.random.default_rng(1)
    x, _ = tasks.running_parity(rng, 8, 3)
    params = part1.dense.init_params(3 * 2, 5, 2, rng)
    x2 = x.copy()
    x2[:4] = x2[:4, :, ::-1]  # flip bits 1..4
    o1 = part1.window_logits(params, x, 3)
    o2 = part1.window_logits(params, x2, 3)
    np.testing.assert_array_equal(o1[7], o2[7])  # t = 8 sees x(6), x(7), x(8) only
    assert not np.array_equal(o1[3], o2[3])


def test_the_page_figure_renders_from_the_result_file():
    from gentle_rnn import figures

    assert "part-1/parity-demo.svg" in figures.load_all()
    svg = figures.render("part-1/parity-demo.svg")
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
