"""The NumPy LSTM against PyTorch's ``nn.LSTM`` (skipped when torch is not installed; required under CI).

This is what makes the notation table honest: after :func:`gentle_rnn.lstm.pytorch_layout` maps our
parameters into PyTorch's layout (``weight_ih_l0`` rows in PyTorch's gate order i, f, g, o, which is our
g, f, z, q), PyTorch's autograd returns the same loss and the same gradients, mapped back by the same rule.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from gentle_rnn import lstm
from tests.helpers import SIZES, assert_close

try:
    import torch
except ImportError:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise  # .ci/run installs torch: under CI this cross-check must run, never skip
    pytest.skip("torch is not installed (.venv/bin/pip install torch==2.13.0 for a CPU build)", allow_module_level=True)

TOL = 1e-10


def _torch_loss_and_grads(params, x, y, h0, s0):
    D, H, K = params["U_z"].shape[1], params["W_z"].shape[0], params["V"].shape[0]
    rnn = torch.nn.LSTM(D, H, dtype=torch.float64)
    head = torch.nn.Linear(H, K, dtype=torch.float64)
    layout = lstm.pytorch_layout(params)
    with torch.no_grad():
        for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            getattr(rnn, name).copy_(torch.from_numpy(layout[name]))
        head.weight.copy_(torch.from_numpy(layout["weight"]))
        head.bias.copy_(torch.from_numpy(layout["bias"]))
    h0_t = torch.tensor(h0[None], requires_grad=True)  # (num_layers = 1, B, H)
    c0_t = torch.tensor(s0[None], requires_grad=True)  # PyTorch's c0 is our s0
    out, _ = rnn(torch.from_numpy(x), (h0_t, c0_t))  # (T, B, H)
    o = head(out)
    loss = torch.nn.functional.cross_entropy(o.reshape(-1, K), torch.from_numpy(y).reshape(-1), reduction="sum")
    loss.backward()
    grads = {}
    for kind, tensor in (("U", rnn.weight_ih_l0), ("W", rnn.weight_hh_l0), ("b", rnn.bias_ih_l0)):
        for k, gate in enumerate(lstm.PYTORCH_GATE_ORDER):  # row block k of PyTorch's stack is our gate
            grads[f"{kind}_{gate}"] = tensor.grad.numpy()[k * H : (k + 1) * H]
    grads["V"], grads["c"] = head.weight.grad.numpy(), head.bias.grad.numpy()
    grads["h0"], grads["s0"] = h0_t.grad.numpy()[0], c0_t.grad.numpy()[0]
    # the two biases PyTorch adds receive the same gradient (up to rounding: PyTorch sums them separately)
    assert_close("PyTorch bias_hh_l0 vs bias_ih_l0 gradient", rnn.bias_hh_l0.grad.numpy(),
                 rnn.bias_ih_l0.grad.numpy(), 1e-13)
    return loss.item(), grads


@pytest.mark.parametrize("size", [pytest.param(s, id=f"D{s[0]}H{s[1]}K{s[2]}T{s[3]}B{s[4]}") for s in SIZES])
def test_loss_and_every_gradient_match_pytorch_nn_lstm(size):
    D, H, K, T, B = size
    rng = np.random.default_rng(7)
    params = lstm.init_params(D, H, K, rng=rng, scale=1.5)
    for name in params:
        if name.startswith("b_") or name == "c":
            params[name] = params[name] + rng.normal(0, 0.5, params[name].shape)
    x = rng.normal(size=(T, B, D))
    y = rng.integers(0, K, size=(T, B))
    h0, s0 = rng.normal(0, 0.5, size=(B, H)), rng.normal(0, 0.5, size=(B, H))
    L, grads = lstm.loss_and_grads(params, x, y, h0, s0)
    L_torch, grads_torch = _torch_loss_and_grads(params, x, y, h0, s0)
    assert L == pytest.approx(L_torch, rel=TOL), f"loss {L} != PyTorch {L_torch}"
    for name in lstm.GRAD_KEYS:
        assert_close(f"dL/d{name} vs PyTorch", grads[name], grads_torch[name], TOL)

