"""``python -m bench``: run every ``bench/bench_*.py`` module's ``main()`` (speed, not correctness)."""

import importlib
import pathlib
import sys

here = pathlib.Path(__file__).parent
sys.path.insert(0, str(here.parent))
for path in sorted(here.glob("bench_*.py")):
    importlib.import_module(f"bench.{path.stem}").main()
