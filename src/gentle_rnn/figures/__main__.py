"""``python -m gentle_rnn.figures OUTDIR``: write every registered figure as SVG into OUTDIR, light and dark."""

import pathlib
import sys

from . import dark_name, light_figures, render_schemes

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "figures-out")
for name in light_figures():
    renders = render_schemes(name)
    for file_name, scheme in ((name, "light"), (dark_name(name), "dark")):
        path = out / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(renders[scheme])
        print(path)
