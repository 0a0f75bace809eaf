"""The training toolkit (gentle_rnn.train): optimiser steps, Pascanu et al.'s norm clipping, the loop."""

from __future__ import annotations

import numpy as np
import pytest

from gentle_rnn import train
from gentle_rnn.train import Adam, SGD, clip_grad_norm, global_norm


def _grads(seed: int, scale: float = 1.0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"U": scale * rng.normal(size=(3, 2)), "b": scale * rng.normal(size=3), "V": scale * rng.normal(size=(4, 3))}


# ----------------------------------------------------------------------------------------------------------------
# clipping: Algorithm 1 of Pascanu, Mikolov & Bengio (2013)


def test_global_norm_is_the_norm_of_all_entries_together():
    g = _grads(0)
    flat = np.concatenate([v.ravel() for v in g.values()])
    assert global_norm(g) == pytest.approx(np.linalg.norm(flat), rel=1e-14)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("max_norm", [0.1, 1.0, 3.0, 100.0])
def test_clipping_never_increases_the_norm_and_keeps_the_direction(seed, max_norm):
    g = _grads(seed, scale=np.random.default_rng(seed + 100).uniform(0.01, 10))
    clipped, norm = clip_grad_norm(g, max_norm)
    assert norm == pytest.approx(global_norm(g), rel=1e-14), "the returned norm is the norm before clipping"
    new_norm = global_norm(clipped)
    assert new_norm <= norm * (1 + 1e-12), "clipping increased the norm"
    assert new_norm <= max_norm * (1 + 1e-12), "the clipped norm exceeds the threshold"
    flat_g = np.concatenate([v.ravel() for v in g.values()])
    flat_c = np.concatenate([clipped[k].ravel() for k in g])
    cosine = flat_g @ flat_c / (np.linalg.norm(flat_g) * np.linalg.norm(flat_c))
    assert cosine == pytest.approx(1.0, abs=1e-12), "clipping changed the direction"


def test_clipping_rescales_to_exactly_the_threshold_above_it():
    g = _grads(1, scale=50.0)
    clipped, norm = clip_grad_norm(g, 2.0)
    assert norm > 2.0
    assert global_norm(clipped) == pytest.approx(2.0, rel=1e-13)
    for k in g:  # one common factor for every array
        np.testing.assert_allclose(clipped[k], g[k] * (2.0 / norm), rtol=1e-14)


def test_clipping_leaves_a_small_gradient_and_its_input_alone():
    g = _grads(2, scale=1e-3)
    before = {k: v.copy() for k, v in g.items()}
    clipped, _ = clip_grad_norm(g, 1.0)
    for k in g:
        np.testing.assert_array_equal(clipped[k], before[k])
    big = _grads(3, scale=100.0)
    copy = {k: v.copy() for k, v in big.items()}
    clip_grad_norm(big, 1.0)
    for k in big:
        np.testing.assert_array_equal(big[k], copy[k], err_msg="clip_grad_norm modified its input")


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "1", True])
def test_clipping_threshold_must_be_positive(bad):
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm(_grads(0), bad)


def test_clipping_refuses_non_finite_gradients():
    g = _grads(0)
    g["b"][0] = np.inf
    with pytest.raises(ValueError, match="finite"):
        clip_grad_norm(g, 1.0)


# ----------------------------------------------------------------------------------------------------------------
# optimisers


def test_sgd_without_momentum_is_a_plain_gradient_step():
    params = {"w": np.array([1.0, -2.0])}
    SGD(lr=0.1).step(params, {"w": np.array([0.5, 1.0]), "h0": np.ones(7)})  # extra keys are ignored
    np.testing.assert_allclose(params["w"], [0.95, -2.1], rtol=1e-15)


def test_sgd_momentum_accumulates_velocity():
    params = {"w": np.array([0.0])}
    opt = SGD(lr=0.1, momentum=0.9)
    g = {"w": np.array([1.0])}
    opt.step(params, g)  # v = -0.1
    opt.step(params, g)  # v = 0.9 * -0.1 - 0.1 = -0.19
    np.testing.assert_allclose(params["w"], [-0.29], rtol=1e-14)


def test_adam_first_step_has_size_lr_in_every_coordinate():
    """After bias correction, Adam's first step is lr * g / (|g| + eps): lr times the sign of g."""
    params = {"w": np.zeros(4)}
    Adam(lr=0.01).step(params, {"w": np.array([3.0, -0.2, 1e-3, -50.0])})
    np.testing.assert_allclose(params["w"], [-0.01, 0.01, -0.01, 0.01], rtol=1e-4)


def test_adam_matches_its_update_rule_over_several_steps():
    rng = np.random.default_rng(4)
    params = {"w": rng.normal(size=3)}
    w = params["w"].copy()
    m = v = np.zeros(3)
    opt = Adam(lr=0.05, beta1=0.8, beta2=0.99, eps=1e-6)
    for t in range(1, 6):
        g = rng.normal(size=3)
        opt.step(params, {"w": g})
        m = 0.8 * m + 0.2 * g
        v = 0.99 * v + 0.01 * g * g
        w = w - 0.05 * (m / (1 - 0.8**t)) / (np.sqrt(v / (1 - 0.99**t)) + 1e-6)
    np.testing.assert_allclose(params["w"], w, rtol=1e-13)


def test_optimisers_refuse_a_missing_or_misshapen_gradient():
    with pytest.raises(ValueError, match="missing"):
        SGD(0.1).step({"w": np.zeros(2), "b": np.zeros(1)}, {"w": np.zeros(2)})
    with pytest.raises(ValueError, match=r"grads\['w'\]"):
        Adam().step({"w": np.zeros(2)}, {"w": np.zeros(3)})


@pytest.mark.parametrize("make", [lambda: SGD(0.0), lambda: SGD(0.1, momentum=1.0), lambda: Adam(lr=-1),
                                  lambda: Adam(beta2=1.5), lambda: SGD(float("nan"))])
def test_optimiser_hyperparameters_are_checked(make):
    with pytest.raises(ValueError):
        make()


# ----------------------------------------------------------------------------------------------------------------
# the training loop


def _least_squares():
    """A convex problem: fit w to minimise sum (x w - t)^2 over random batches; the optimum is w_true."""
    w_true = np.array([2.0, -1.0, 0.5])

    def sample(rng):
        x = rng.normal(size=(16, 3))
        return x, x @ w_true

    def loss_and_grads(params, x, t):
        r = x @ params["w"] - t
        return float(r @ r), {"w": 2 * x.T @ r, "extra": np.zeros(1)}

    return w_true, sample, loss_and_grads


@pytest.mark.parametrize("optimizer", [lambda: SGD(0.01, momentum=0.5), lambda: Adam(0.1)])
def test_train_converges_on_a_convex_problem(optimizer):
    w_true, sample, loss_and_grads = _least_squares()
    params = {"w": np.zeros(3)}
    history = train.train(params, loss_and_grads, sample, optimizer(), steps=300, seed=0, progress=False)
    assert len(history.loss) == len(history.grad_norm) == len(history.clipped) == 300
    assert history.loss[-1] < 1e-3 * history.loss[0]
    np.testing.assert_allclose(params["w"], w_true, atol=1e-2)


def test_train_is_reproducible_with_a_seed_and_differs_with_another():
    _, sample, loss_and_grads = _least_squares()

    def run(seed):
        params = {"w": np.zeros(3)}
        return train.train(params, loss_and_grads, sample, Adam(0.05), steps=20, seed=seed, progress=False)

    assert run(3).loss == run(3).loss
    assert run(3).loss != run(4).loss


def test_train_clips_and_records_the_norm_before_clipping():
    _, sample, loss_and_grads = _least_squares()
    params = {"w": np.zeros(3)}
    lr, max_norm = 1e-3, 1e-6
    history = train.train(params, loss_and_grads, sample, SGD(lr), steps=5, seed=0, max_norm=max_norm,
                          evaluate=lambda p: {"w": p["w"].copy()}, eval_every=1, progress=False)
    assert all(history.clipped) and min(history.grad_norm) > max_norm
    # every clipped step moved w by exactly lr * max_norm
    ws = [m["w"] for _, m in history.evals]  # w before the first step and after each
    for step, (before, after) in enumerate(zip(ws, ws[1:]), start=1):
        assert np.linalg.norm(after - before) == pytest.approx(lr * max_norm, rel=1e-12), f"step {step}"


def _with_extra_gradients(loss_and_grads, size=1e3):
    """The same problem, with large gradients of keys that are not parameters (like the RNN's h0)."""
    def wrapped(params, *batch):
        loss, grads = loss_and_grads(params, *batch)
        return loss, {**grads, "h0": np.full(4, size), "extra": np.full(2, size)}
    return wrapped


def test_train_clips_by_the_norm_of_the_parameter_gradients_only():
    """Gradients of other keys (h0) are neither trained nor counted: under the threshold nothing is clipped and
    the run is the unclipped one, number for number; the recorded norm is that of the parameters' gradients."""
    _, sample, loss_and_grads = _least_squares()
    plain = {"w": np.zeros(3)}
    reference = train.train(plain, loss_and_grads, sample, SGD(1e-3), steps=20, seed=0, progress=False)
    clipped = {"w": np.zeros(3)}
    max_norm = 2 * max(reference.grad_norm)  # above every parameter gradient, far below the h0 gradient's 2000
    history = train.train(clipped, _with_extra_gradients(loss_and_grads), sample, SGD(1e-3), steps=20, seed=0,
                          max_norm=max_norm, progress=False)
    assert not any(history.clipped), "under the threshold no step is clipped"
    assert history.grad_norm == reference.grad_norm, "the norm counts the parameters' gradients only"
    np.testing.assert_array_equal(clipped["w"], plain["w"])


def test_train_records_which_steps_were_clipped():
    """A threshold between the smallest and the largest gradient norm: exactly the steps above it are clipped."""
    _, sample, loss_and_grads = _least_squares()
    reference = train.train({"w": np.zeros(3)}, loss_and_grads, sample, SGD(1e-3), steps=20, seed=0,
                            progress=False)
    max_norm = float(np.median(reference.grad_norm))
    history = train.train({"w": np.zeros(3)}, _with_extra_gradients(loss_and_grads), sample, SGD(1e-3),
                          steps=20, seed=0, max_norm=max_norm, progress=False)
    assert history.clipped == [n > max_norm for n in history.grad_norm]
    assert 0 < sum(history.clipped) < 20


def test_train_evaluates_at_the_start_every_k_steps_and_at_the_end():
    _, sample, loss_and_grads = _least_squares()
    params = {"w": np.zeros(3)}
    history = train.train(params, loss_and_grads, sample, Adam(0.1), steps=25, seed=0,
                          evaluate=lambda p: {"w0": float(p["w"][0])}, eval_every=10, progress=False)
    assert [s for s, _ in history.evals] == [0, 10, 20, 25]
    assert history.evals[0][1] == {"w0": 0.0}
    assert history.as_dict()["evals"][-1] == [25, {"w0": float(params["w"][0])}]


def test_train_shows_a_progress_bar_only_when_asked(capsys):
    _, sample, loss_and_grads = _least_squares()
    train.train({"w": np.zeros(3)}, loss_and_grads, sample, Adam(0.1), steps=3, seed=0, progress=False)
    assert capsys.readouterr().err == ""
    train.train({"w": np.zeros(3)}, loss_and_grads, sample, Adam(0.1), steps=3, seed=0, progress=True, desc="demo")
    assert "demo" in capsys.readouterr().err


@pytest.mark.parametrize("kwargs, name", [({"steps": 0}, "steps"), ({"seed": -1}, "seed"), ({"seed": 1.5}, "seed"),
                                          ({"eval_every": 0}, "eval_every")])
def test_train_checks_its_arguments(kwargs, name):
    _, sample, loss_and_grads = _least_squares()
    args = {"steps": 2, "seed": 0, "progress": False, **kwargs}
    with pytest.raises(ValueError, match=name):
        train.train({"w": np.zeros(3)}, loss_and_grads, sample, Adam(), **args)
