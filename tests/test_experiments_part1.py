"""Part 1's demonstration (gentle_rnn.experiments.part1): the recurrent model beats the windowed ones, reproducibly.

The page's figure is drawn from the committed result file ``src/gentle_rnn/data/part1_demo.json``. These
tests rerun the short configuration (a few seconds), check that the recurrent model wins there, and check that
it reproduces the committed short-configuration numbers exactly, so the file cannot drift from the code.
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


def test_recurrent_model_beats_the_windowed_model_on_the_short_run(short_run):
    rnn = short_run["models"]["rnn"]
    for name, m in short_run["models"].items():
        if name == "rnn":
            continue
        w = m["window"]
        assert rnn["final_accuracy"] > m["final_accuracy"] + 0.2, f"rnn does not beat {name}"
        assert _beyond_window(rnn, w) > 0.95, "the recurrent model should be right beyond the window too"
        assert _beyond_window(m, w) < 0.6, f"{name} cannot beat chance beyond its window"


def test_short_run_reproduces_the_committed_numbers(short_run, committed):
    expected = committed["short"]
    assert short_run["models"].keys() == expected["models"].keys()
    for name, model in short_run["models"].items():
        assert model["window"] == expected["models"][name]["window"]
        for key in ("eval_steps", "eval_loss", "eval_accuracy", "accuracy_by_position", "final_accuracy"):
            np.testing.assert_allclose(
                model[key], expected["models"][name][key], rtol=0, atol=1e-9,
                err_msg=f"{name}.{key} differs from src/gentle_rnn/data/part1_demo.json: "
                "rerun `python -m gentle_rnn.experiments.part1` if the change is intended",
            )


def _as_config(d: dict) -> dict:
    return {**d, "windows": tuple(d["windows"])}


def test_committed_full_configuration_is_the_current_one(committed):
    assert _as_config(committed["full"]["config"]) == dataclasses.asdict(part1.FULL), (
        "FULL changed since the result file was written: run `python -m gentle_rnn.experiments.part1`"
    )
    assert _as_config(committed["short"]["config"]) == dataclasses.asdict(part1.SHORT)


def test_committed_full_run_shows_what_the_page_says(committed):
    """The page's claims about the figure: the RNN is right everywhere; every window model is at chance
    beyond its window (within 4 standard errors of 1/2 over the held-out positions)."""
    run = committed["full"]
    config, models = run["config"], run["models"]
    assert min(models["rnn"]["accuracy_by_position"]) > 0.99
    for w in config["windows"]:
        m = models[f"window-{w}"]
        n = config["eval_B"] * (config["T"] - w)
        assert abs(_beyond_window(m, w) - 0.5) < 4 * math.sqrt(0.25 / n), f"window-{w} beyond its window"
        assert m["accuracy_by_position"][0] > 0.99, f"window-{w} should get position 1 right"
        # beyond the window the loss per step cannot beat the entropy of a fair coin, log 2 (up to sampling noise)
        assert m["eval_loss"][-1] > 0.95 * (config["T"] - w) / config["T"] * math.log(2), f"window-{w} loss"


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
