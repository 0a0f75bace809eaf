"""Speed of the sequential loop against the parallel prefix scan of ``gentle_rnn.scan``, as T grows.

The recurrence is minGRU's, h(t) = mu(t) * h(t-1) + psi(t) (Part 6, equation (6.16)), with a state of
B x H = 4 x 32 numbers per step. The loop makes T small NumPy calls; Blelloch's scan makes about 2 log2(T)
rounds of large vectorised calls and twice the arithmetic; the log-space closed form makes a handful of
cumulative calls over the whole array. All three (and the reverse scan of the backward pass against a reverse
loop) are checked to agree before anything is timed. The methods are timed in alternation and the best of
several rounds counts, so that other load on the machine hits all alike. Not part of the test suite: run
``python bench/bench_scan.py`` or ``python -m bench``.
"""

from __future__ import annotations

import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
from gentle_rnn import scan  # noqa: E402

LENGTHS = (16, 64, 256, 1024, 4096, 16384)
STATES = ((1, 1), (4, 32))  # (B, H): a scalar state, where the loop's per-step overhead dominates, and a batch
ROUNDS = 5


def problem(T, B, H, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 1.0, (T, B, H)), rng.normal(size=(T, B, H)), rng.normal(size=(B, H))


def best_of(fns: dict, rounds: int = ROUNDS) -> dict:
    best = {k: np.inf for k in fns}
    for _ in range(rounds):
        for name, fn in fns.items():  # in alternation
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main() -> None:
    for B, H in STATES:
        table(B, H)


def table(B: int, H: int) -> None:
    print(f"linear recurrence h = mu h + psi, state B x H = {B} x {H}, float64, best of {ROUNDS} (milliseconds)")
    print(f"{'T':>6} | {'loop':>9} {'scan':>9} {'log':>9} {'loop/scan':>9} | {'rev loop':>9} {'rev scan':>9}")
    for T in LENGTHS:
        mu, psi, h0 = problem(T, B, H)
        h = scan.loop(mu, psi, h0)
        assert np.allclose(scan.scan(mu, psi, h0), h, rtol=1e-10, atol=1e-12), "scan != loop"
        assert np.allclose(scan.log_scan(mu, psi, h0), h, rtol=1e-8, atol=1e-10), "log_scan != loop"
        assert np.allclose(scan.reverse_scan(mu, psi), scan.reverse_scan(mu, psi, method="loop")), "reverse"
        t = best_of({
            "loop": lambda: scan._loop(mu, psi, h0),
            "scan": lambda: scan._scan(mu, psi, h0),
            "log": lambda: scan._log_scan(np.log(mu), psi, h0),
            "rev loop": lambda: scan._reverse(mu, psi, "loop"),
            "rev scan": lambda: scan._reverse(mu, psi, "scan"),
        })
        ms = {k: 1e3 * v for k, v in t.items()}
        print(f"{T:>6} | {ms['loop']:9.3f} {ms['scan']:9.3f} {ms['log']:9.3f} {t['loop'] / t['scan']:9.2f} | "
              f"{ms['rev loop']:9.3f} {ms['rev scan']:9.3f}")


if __name__ == "__main__":
    main()
