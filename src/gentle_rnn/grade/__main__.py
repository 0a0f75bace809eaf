"""The command: ``python -m gentle_rnn.grade MODEL PATH`` (see `gentle_rnn.grade`)."""

from __future__ import annotations

import argparse
import sys

from . import MODELS, grade


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gentle_rnn.grade",
        description="Check your own backward pass against the SymPy derivations of the site, gradient by "
                    "gradient, and name the mistake when it is a classic one.",
    )
    parser.add_argument("model", choices=list(MODELS), help="which backward pass your module implements")
    parser.add_argument("path", help="your module: a .py file (or an importable module name)")
    args = parser.parse_args(argv)
    report = grade(args.model, args.path)
    sys.stdout.write(report.text())
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
