"""The NumPy GRU against PyTorch's ``nn.GRU`` (skipped when torch is not installed; required under CI).

PyTorch's GRU is our ``update="keep", reset="after"`` (the update gate keeps the old state, the reset gate
multiplies W_hn h + b_hn). :func:`gentle_rnn.gru.pytorch_layout` maps our parameters by name into PyTorch's
(rows in PyTorch's gate order r, z, n, which is our rho, zeta, h), PyTorch's autograd computes the loss and the
gradients, and :func:`gentle_rnn.gru.from_pytorch_layout` maps the gradients back by the same rule. The
mapping itself is checked without torch in tests/test_gru.py.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from gentle_rnn import gru
from tests.helpers import SIZES, assert_close

try:
    import torch
except ImportError:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise  # .ci/run installs torch: under CI this cross-check must run, never skip
    pytest.skip("torch is not installed (.venv/bin/pip install torch==2.13.0 for a CPU build)", allow_module_level=True)

TOL = 1e-10


def _torch_loss_and_grads(params, x, y, h0):
    D, H, K = params["U_zeta"].shape[1], params["W_zeta"].shape[0], params["V"].shape[0]
    rnn = torch.nn.GRU(D, H, dtype=torch.float64)
    head = torch.nn.Linear(H, K, dtype=torch.float64)
    layout = gru.pytorch_layout(params)
    with torch.no_grad():
        for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            getattr(rnn, name).copy_(torch.from_numpy(layout[name]))
        head.weight.copy_(torch.from_numpy(layout["weight"]))
        head.bias.copy_(torch.from_numpy(layout["bias"]))
    h0_t = torch.tensor(h0[None], requires_grad=True)  # (num_layers = 1, B, H)
    out, _ = rnn(torch.from_numpy(x), h0_t)  # (T, B, H)
    loss = torch.nn.functional.cross_entropy(head(out).reshape(-1, K), torch.from_numpy(y).reshape(-1),
                                             reduction="sum")
    loss.backward()
    named = {name: p.grad.numpy() for name, p in rnn.named_parameters()}
    named |= {"weight": head.weight.grad.numpy(), "bias": head.bias.grad.numpy()}
    grads = gru.from_pytorch_layout(named)  # by name: weight_ih_l0 -> U_rho, U_zeta, U_h ...
    grads["h0"] = h0_t.grad.numpy()[0]
    # PyTorch's two biases of r and z add up, so they receive the same gradient
    assert_close("PyTorch bias_hh_l0 vs bias_ih_l0 gradient (r, z)", named["bias_hh_l0"][: 2 * H],
                 named["bias_ih_l0"][: 2 * H], 1e-13)
    return loss.item(), grads, out.detach().numpy()


@pytest.mark.parametrize("size", [pytest.param(s, id=f"D{s[0]}H{s[1]}K{s[2]}T{s[3]}B{s[4]}") for s in SIZES])
def test_loss_and_every_gradient_match_pytorch_nn_gru(size):
    D, H, K, T, B = size
    rng = np.random.default_rng(7)
    params = gru.init_params(D, H, K, rng=rng, scale=1.5)
    for name in params:
        if name.startswith("b_") or name == "c":
            params[name] = params[name] + rng.normal(0, 0.5, params[name].shape)
    x = rng.normal(size=(T, B, D))
    y = rng.integers(0, K, size=(T, B))
    h0 = rng.normal(0, 0.5, size=(B, H))
    L, grads = gru.loss_and_grads(params, x, y, h0, update="keep", reset="after")
    L_torch, grads_torch, h_torch = _torch_loss_and_grads(params, x, y, h0)
    assert_close("h(t) vs PyTorch", gru.forward(params, x, h0, update="keep", reset="after"), h_torch, TOL)
    assert L == pytest.approx(L_torch, rel=TOL), f"loss {L} != PyTorch {L_torch}"
    for name in gru.GRAD_KEYS:
        assert_close(f"dL/d{name} vs PyTorch", grads[name], grads_torch[name], TOL)
