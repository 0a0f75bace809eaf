"""Speed of ``gentle_rnn.lstm.loss_and_grads`` against PyTorch's ``nn.LSTM`` CPU autograd, one thread each, float64.

Both sides compute the same thing: the LSTM forward pass (5.1)-(5.7) over a batch, the summed cross-entropy,
and every gradient (the twelve gate parameters, V, c, h0, s0). PyTorch runs ``nn.LSTM`` (its recurrence is a
fused C++ kernel) followed by ``nn.Linear`` and ``cross_entropy(reduction="sum")``, and ``loss.backward()``.
The parameters are mapped with :func:`gentle_rnn.lstm.pytorch_layout`, and the loss and every gradient are
compared before anything is timed. The two sides are timed in alternation (NumPy, PyTorch, NumPy, ...) and
the best round of each counts, so that other load on the machine hits both alike.

Run ``python bench/bench_lstm.py`` or ``python -m bench``. Needs torch (``pip install torch==2.13.0``, the
CPU wheel); not part of the test suite.
"""

from __future__ import annotations

import os
import sys

# One thread for NumPy's BLAS: the variables must be set before NumPy is imported to take effect.
_NUMPY_IMPORTED_BEFORE = "numpy" in sys.modules
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

from gentle_rnn import lstm  # noqa: E402

#: (name, D, H, K, T, B)
SIZES = [
    ("tiny: D2 H3 K4 T3 B2", 2, 3, 4, 3, 2),
    ("T=50, B=32, D=H=K=128", 128, 128, 128, 50, 32),
]


def problem(D, H, K, T, B, seed=0):
    rng = np.random.default_rng(seed)
    params = lstm.init_params(D, H, K, rng=rng)
    for name in params:
        if name.startswith("b_") or name == "c":
            params[name] = params[name] + rng.normal(0, 0.1, params[name].shape)
    x = rng.normal(size=(T, B, D))
    y = rng.integers(0, K, size=(T, B))
    h0 = rng.normal(0, 0.1, size=(B, H))
    s0 = rng.normal(0, 0.1, size=(B, H))
    return params, x, y, h0, s0


class TorchLSTM:
    """nn.LSTM + nn.Linear + summed cross-entropy holding our parameters; ``step()`` = forward and backward."""

    def __init__(self, torch, params, x, y, h0, s0):
        D, H, K = params["U_z"].shape[1], params["W_z"].shape[0], params["V"].shape[0]
        self.torch = torch
        self.rnn = torch.nn.LSTM(D, H, dtype=torch.float64)
        self.head = torch.nn.Linear(H, K, dtype=torch.float64)
        layout = lstm.pytorch_layout(params)
        with torch.no_grad():
            for name, module in (("weight_ih_l0", self.rnn), ("weight_hh_l0", self.rnn),
                                 ("bias_ih_l0", self.rnn), ("bias_hh_l0", self.rnn),
                                 ("weight", self.head), ("bias", self.head)):
                getattr(module, name).copy_(torch.from_numpy(layout[name]))
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        self.h0 = torch.tensor(h0[None], requires_grad=True)  # (1, B, H): one layer
        self.s0 = torch.tensor(s0[None], requires_grad=True)  # PyTorch's c0

    def step(self) -> float:
        torch = self.torch
        self.rnn.zero_grad(set_to_none=True)
        self.head.zero_grad(set_to_none=True)
        self.h0.grad = self.s0.grad = None
        out, _ = self.rnn(self.x, (self.h0, self.s0))  # (T, B, H)
        o = self.head(out)  # (T, B, K)
        loss = torch.nn.functional.cross_entropy(o.reshape(-1, o.shape[-1]), self.y.reshape(-1), reduction="sum")
        loss.backward()
        return loss.item()

    def grads(self) -> dict[str, np.ndarray]:
        """The gradients mapped back to our keys (PyTorch's gate blocks i, f, g, o are our g, f, z, q)."""
        H = self.rnn.hidden_size
        out = {}
        for kind, tensor in (("U", self.rnn.weight_ih_l0), ("W", self.rnn.weight_hh_l0), ("b", self.rnn.bias_ih_l0)):
            g = tensor.grad.numpy()
            for k, gate in enumerate(lstm.PYTORCH_GATE_ORDER):
                out[f"{kind}_{gate}"] = g[k * H : (k + 1) * H]
        out["V"], out["c"] = self.head.weight.grad.numpy(), self.head.bias.grad.numpy()
        out["h0"], out["s0"] = self.h0.grad.numpy()[0], self.s0.grad.numpy()[0]
        return {k: out[k] for k in lstm.GRAD_KEYS}


def alternating_best(fns, rounds, number):
    """Time each function ``number`` calls per round, the functions in turn, ``rounds`` rounds; best per call."""
    for fn in fns:
        fn()  # warm-up
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            best[i] = min(best[i], (time.perf_counter() - start) / number)
    return best


def main() -> None:
    try:
        import torch
    except ImportError:
        print("bench_lstm: torch is not installed (pip install torch==2.13.0); skipped")
        return
    torch.set_num_threads(1)
    try:
        from threadpoolctl import threadpool_limits

        limiter, how = threadpool_limits(limits=1), "threadpoolctl"
    except ImportError:
        limiter, how = None, "environment variables (set before NumPy was imported)"
        if _NUMPY_IMPORTED_BEFORE and os.environ.get("OPENBLAS_NUM_THREADS") != "1":
            print("warning: NumPy was imported before this module could limit its threads; install "
                  "threadpoolctl or run with OPENBLAS_NUM_THREADS=1")
    print(f"LSTM, loss_and_grads vs PyTorch {torch.__version__} nn.LSTM + Linear + cross_entropy(sum), autograd; "
          f"float64; one thread each (NumPy limited by {how})")
    print(f"{'size':<24} {'NumPy':>10} {'nn.LSTM':>10} {'ratio':>7}")
    for name, D, H, K, T, B in SIZES:
        params, x, y, h0, s0 = problem(D, H, K, T, B)
        L_np, g_np = lstm.loss_and_grads(params, x, y, h0, s0)
        model = TorchLSTM(torch, params, x, y, h0, s0)
        L_t = model.step()
        assert abs(L_np - L_t) <= 1e-10 * abs(L_t), f"loss differs: {L_np} vs {L_t}"
        for k, g_t in model.grads().items():
            err = np.abs(g_np[k] - g_t).max() / np.abs(g_t).max()
            assert err <= 1e-10, f"d{k} differs from torch: relative error {err:.1e}"
        small = T * B * H < 10_000
        rounds, number = (7, 300) if small else (7, 5)
        t_np, t_torch = alternating_best([lambda: lstm.loss_and_grads(params, x, y, h0, s0), model.step],
                                         rounds, number)
        print(f"{name:<24} {t_np * 1e3:8.3f}ms {t_torch * 1e3:8.3f}ms {t_torch / t_np:6.2f}x")
    print("ratio = PyTorch time / NumPy time (above 1: NumPy is faster)")
    if limiter is not None:
        limiter.restore_original_limits()


if __name__ == "__main__":
    main()
