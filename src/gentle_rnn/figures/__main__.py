"""``python -m gentle_rnn.figures OUTDIR``: write every registered figure as SVG into OUTDIR, light and dark.

``--names FILE`` first writes the list of figure names (light renders, as JSON) to FILE, before drawing any:
the site's build hook (``hooks/figures.py``) runs this command in a child process while the build goes on, and
needs the names long before the drawings.
"""

import argparse
import json
import os
import pathlib

# Before NumPy loads: the figures multiply small matrices, for which OpenBLAS's worker threads only wait and spin
# (about 4 % of this command's CPU time on two cores). A value set by the caller is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from . import dark_name, light_figures, render_schemes  # noqa: E402

parser = argparse.ArgumentParser(prog="python -m gentle_rnn.figures", description=__doc__.split("\n\n")[0])
parser.add_argument("outdir", nargs="?", default="figures-out", type=pathlib.Path)
parser.add_argument("--names", type=pathlib.Path, help="write the figure names to this JSON file first")
parser.add_argument("--quiet", action="store_true", help="do not print the path of every file written")
args = parser.parse_args()

names = light_figures()
if args.names:
    args.names.parent.mkdir(parents=True, exist_ok=True)
    partial = args.names.with_name(args.names.name + ".part")
    partial.write_text(json.dumps(names))
    partial.replace(args.names)  # whoever waits for the file never reads half of it
for name in names:
    renders = render_schemes(name)
    for file_name, scheme in ((name, "light"), (dark_name(name), "dark")):
        path = args.outdir / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(renders[scheme])
        if not args.quiet:
            print(path)
