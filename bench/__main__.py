"""``python -m bench``: run every ``bench/bench_*.py`` module's ``main()`` (speed, not correctness)."""

import importlib
import os
import pathlib
import sys

# One BLAS thread for NumPy, set before any benchmark module imports NumPy (each compares with one torch thread).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

here = pathlib.Path(__file__).parent
sys.path.insert(0, str(here.parent))
for path in sorted(here.glob("bench_*.py")):
    importlib.import_module(f"bench.{path.stem}").main()
