"""Clear errors from the public helpers: a wrong shape, dtype, non-finite value or out-of-range argument gets a
ValueError or TypeError that names the argument, instead of a silent broadcast, an all-zero row or a NaN."""

from __future__ import annotations

import numpy as np
import pytest

from gentle_rnn import dense, functional, gradcheck, lstm, readout, rnn, train

ERRORS = (ValueError, TypeError)


@pytest.mark.parametrize("y", [np.array([3]), np.array([-1]), np.array([0.5]), np.array(["a"])])
def test_onehot_refuses_a_label_it_cannot_encode(y):
    with pytest.raises(ValueError, match="^y "):
        functional.onehot(y, 3)


def test_onehot_encodes_every_label_of_any_shape():
    y = np.array([[0, 2], [1, 1]])
    out = functional.onehot(y, 3)
    assert out.shape == (2, 2, 3) and out.sum() == 4
    np.testing.assert_array_equal(out[0, 1], [0.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="^num_classes"):
        functional.onehot(y, 0)


@pytest.mark.parametrize("f", [functional.sigmoid, functional.tanh, functional.softmax, functional.log_softmax])
def test_nonlinearities_refuse_strings(f):
    with pytest.raises(TypeError):
        f("1")


def test_numerical_gradient_refuses_an_integer_array_a_bad_eps_and_a_nan():
    a = np.array([1, 2, 3])
    with pytest.raises(TypeError, match="^array must be a float64"):
        gradcheck.numerical_gradient(lambda: float((a**2).sum()), a)
    b = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(gradcheck.numerical_gradient(lambda: float((b**2).sum()), b), [2, 4, 6], rtol=1e-8)
    for eps, error in ((0, ValueError), (-1e-6, ValueError), (None, TypeError), (float("nan"), ValueError)):
        with pytest.raises(error, match="^eps"):
            gradcheck.numerical_gradient(lambda: 1.0, b, eps=eps)
    with pytest.raises(ValueError, match="finite"):
        gradcheck.numerical_gradient(lambda: float("nan"), b)


def _dense_case():
    rng = np.random.default_rng(0)
    params = dense.init_params(4, 3, 2, rng)
    x = rng.normal(size=(5, 4))
    h = dense.hidden_forward(params["U"], params["b"], x)
    return params, x, h


def test_dense_layers_refuse_wrongly_shaped_biases_and_gradients():
    params, x, h = _dense_case()
    U, b, V, c = params["U"], params["b"], params["V"], params["c"]
    y = np.zeros(5, dtype=int)
    for call, name in (
        (lambda: dense.hidden_forward(U, np.zeros((5, 3)), x), "b"),  # would broadcast over the batch
        (lambda: dense.hidden_forward(U, b, x[:, :3]), "x"),
        (lambda: dense.hidden_backward(U, x, h, np.ones(3)), "dh"),  # would broadcast one row to all
        (lambda: dense.output_forward(V, np.zeros((5, 2)), h, y), "c"),
        (lambda: dense.output_backward(V, h, np.ones(2)), "do"),
    ):
        with pytest.raises(ValueError, match=f"^{name} "):
            call()


def test_dense_predict_blames_x_for_a_wrong_width():
    params, x, _ = _dense_case()
    with pytest.raises(ValueError, match="^x "):
        dense.predict(params, x[:, :3])


def test_readout_refuses_wrongly_shaped_biases_and_gradients():
    rng = np.random.default_rng(1)
    V, h = rng.normal(size=(3, 4)), rng.normal(size=(2, 5, 4))
    y = np.zeros((2, 5), dtype=int)
    with pytest.raises(ValueError, match="^c "):
        readout.forward(V, np.zeros((5, 3)), h, y)
    with pytest.raises(ValueError, match="^do "):
        readout.backward(V, h, np.ones(3))


@pytest.mark.parametrize("init", [rnn.init_params, lstm.init_params])
@pytest.mark.parametrize("scale, error", [(None, TypeError), ("1", TypeError), (float("nan"), ValueError),
                                          (-1.0, ValueError)])
def test_init_params_refuse_a_bad_scale(init, scale, error):
    with pytest.raises(error, match="^scale"):
        init(2, 3, 4, rng=0, scale=scale)


def _toy():
    def sample(rng):
        return (rng.normal(size=3),)

    def loss_and_grads(params, x):
        return float(params["w"] @ x), {"w": x}

    return sample, loss_and_grads


def test_sgd_step_refuses_nan_gradients_and_leaves_params_alone():
    params = {"w": np.ones(2)}
    with pytest.raises(ValueError, match=r"^grads\['w'\] must be finite"):
        train.SGD(0.1).step(params, {"w": np.array([np.nan, 1.0])})
    np.testing.assert_array_equal(params["w"], [1.0, 1.0])


def test_train_stops_with_a_clear_error_on_a_nan_loss_or_gradient():
    sample, loss_and_grads = _toy()

    def nan_loss(params, x):
        _, g = loss_and_grads(params, x)
        return float("nan"), g

    def nan_grads_at_step_3(params, x, calls=[]):
        calls.append(1)
        loss, g = loss_and_grads(params, x)
        return loss, {"w": g["w"] * (np.nan if len(calls) == 3 else 1.0)}

    with pytest.raises(ValueError, match="loss at step 1 is nan"):
        train.train({"w": np.zeros(3)}, nan_loss, sample, train.SGD(0.1), steps=5, seed=0, progress=False)
    with pytest.raises(ValueError, match=r"grads\['w'\] must be finite"):
        train.train({"w": np.zeros(3)}, nan_grads_at_step_3, sample, train.SGD(0.1), steps=5, seed=0,
                    progress=False)
