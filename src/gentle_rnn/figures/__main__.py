"""``python -m gentle_rnn.figures OUTDIR``: write every registered figure as SVG into OUTDIR."""

import pathlib
import sys

from . import load_all, render

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "figures-out")
for name in sorted(load_all()):
    path = out / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render(name))
    print(path)
