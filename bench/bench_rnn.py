"""Speed of ``gentle_rnn.rnn.loss_and_grads`` against PyTorch's CPU autograd, one thread each, float64.

Both sides compute the same thing: the forward pass (2.1)-(2.4) of the simple RNN over a batch, the summed
cross-entropy, and every gradient (U, W, b, V, c, h0). PyTorch runs the same loop over time with its
autograd recording the graph (``torch_explicit``); for reference we also time ``torch.nn.RNN``, whose
recurrence is one fused C++ kernel (``torch_nn_rnn``). The gradients are compared before anything is timed.

Run ``python bench/bench_rnn.py`` or ``python -m bench``. Needs torch (``pip install torch==2.13.0``, the
CPU wheel); not part of the test suite.
"""

from __future__ import annotations

import os
import sys

# One thread for NumPy's BLAS: the variables must be set before NumPy is imported to take effect.
_NUMPY_IMPORTED_BEFORE = "numpy" in sys.modules and os.environ.get("OPENBLAS_NUM_THREADS") != "1"
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

from gentle_rnn import rnn  # noqa: E402

#: (name, D, H, K, T, B)
SIZES = [
    ("teaching size", 2, 3, 4, 3, 2),
    ("T=50, B=32, D=H=K=128", 128, 128, 128, 50, 32),
]


def _single_threaded_numpy():
    """Limit NumPy's BLAS to one thread with threadpoolctl when it is installed (works after import)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None, "environment variables (set before NumPy was imported)"
    return threadpool_limits(limits=1), "threadpoolctl"


def problem(D, H, K, T, B, seed=0):
    rng = np.random.default_rng(seed)
    params = rnn.init_params(D, H, K, rng=rng)
    params["b"] = rng.normal(0, 0.1, H)
    params["c"] = rng.normal(0, 0.1, K)
    x = rng.normal(size=(T, B, D))
    y = rng.integers(0, K, size=(T, B))
    h0 = rng.normal(0, 0.1, size=(B, H))
    return params, x, y, h0


def torch_inputs(torch, params, x, y, h0):
    """Leaf tensors for the parameters and h0 (gradients wanted), and the data; made once, outside timing."""
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    p["h0"] = torch.tensor(h0, requires_grad=True)
    return p, torch.from_numpy(x), torch.from_numpy(y)


def torch_explicit(torch, p, x_t, y_t):
    """The same loop as rnn.py, differentiated by torch.autograd; returns the loss (grads in ``.grad``)."""
    for v in p.values():
        v.grad = None
    h = p["h0"]
    hs = []
    for t in range(x_t.shape[0]):
        h = torch.tanh(x_t[t] @ p["U"].T + h @ p["W"].T + p["b"])
        hs.append(h)
    o = torch.stack(hs) @ p["V"].T + p["c"]  # (T, B, K)
    loss = torch.nn.functional.cross_entropy(o.reshape(-1, o.shape[-1]), y_t.reshape(-1), reduction="sum")
    loss.backward()
    return loss.item()


def torch_nn_rnn(torch, module, head, x_t, y_t, h0_t):
    """torch.nn.RNN (fused recurrence) plus the same output layer; forward and backward."""
    module.zero_grad(set_to_none=True)
    head.zero_grad(set_to_none=True)
    out, _ = module(x_t, h0_t[None])
    o = head(out)
    loss = torch.nn.functional.cross_entropy(o.reshape(-1, o.shape[-1]), y_t.reshape(-1), reduction="sum")
    loss.backward()
    return loss.item()


def best_time(fn, repeat, number):
    """The best of ``repeat`` averages over ``number`` calls (seconds per call), after one warm-up call."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def main() -> None:
    try:
        import torch
    except ImportError:
        print("bench_rnn: torch is not installed (pip install torch==2.13.0); skipped")
        return
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    limiter, how = _single_threaded_numpy()
    if limiter is None and (_NUMPY_IMPORTED_BEFORE or os.environ.get("OPENBLAS_NUM_THREADS") != "1"):
        print("warning: NumPy was imported before this module could limit its threads; install threadpoolctl "
              "or run with OPENBLAS_NUM_THREADS=1")
    print(f"simple RNN, loss_and_grads vs PyTorch {torch.__version__} autograd; float64; one thread each "
          f"(NumPy limited by {how})")
    print(f"{'size':<24} {'NumPy':>10} {'torch loop':>11} {'ratio':>7} {'nn.RNN':>10} {'ratio':>7}")
    for name, D, H, K, T, B in SIZES:
        params, x, y, h0 = problem(D, H, K, T, B)
        # same numbers first
        L_np, g_np = rnn.loss_and_grads(params, x, y, h0)
        p_t, x_t, y_t = torch_inputs(torch, params, x, y, h0)
        L_t = torch_explicit(torch, p_t, x_t, y_t)
        g_t = {k: v.grad.numpy() for k, v in p_t.items()}
        assert abs(L_np - L_t) <= 1e-10 * abs(L_t), f"loss differs: {L_np} vs {L_t}"
        for k in g_np:
            err = np.abs(g_np[k] - g_t[k]).max() / np.abs(g_t[k]).max()
            assert err <= 1e-10, f"d{k} differs from torch: relative error {err:.1e}"

        module = torch.nn.RNN(D, H, nonlinearity="tanh", bias=True)
        head = torch.nn.Linear(H, K)
        with torch.no_grad():
            module.weight_ih_l0.copy_(torch.from_numpy(params["U"]))
            module.weight_hh_l0.copy_(torch.from_numpy(params["W"]))
            module.bias_ih_l0.copy_(torch.from_numpy(params["b"]))
            module.bias_hh_l0.zero_()
            head.weight.copy_(torch.from_numpy(params["V"]))
            head.bias.copy_(torch.from_numpy(params["c"]))
        h0_t = torch.tensor(h0, requires_grad=True)
        assert abs(torch_nn_rnn(torch, module, head, x_t, y_t, h0_t) - L_np) <= 1e-10 * abs(L_np)

        small = T * B * H < 10_000
        repeat, number = (7, 300) if small else (5, 10)
        t_np = best_time(lambda: rnn.loss_and_grads(params, x, y, h0), repeat, number)
        t_torch = best_time(lambda: torch_explicit(torch, p_t, x_t, y_t), repeat, number)
        t_fused = best_time(lambda: torch_nn_rnn(torch, module, head, x_t, y_t, h0_t), repeat, number)
        print(f"{name:<24} {t_np * 1e3:8.3f}ms {t_torch * 1e3:9.3f}ms {t_torch / t_np:6.2f}x "
              f"{t_fused * 1e3:8.3f}ms {t_fused / t_np:6.2f}x")
    print("ratio = PyTorch time / NumPy time (above 1: NumPy is faster)")
    if limiter is not None:
        limiter.restore_original_limits()


if __name__ == "__main__":
    main()
