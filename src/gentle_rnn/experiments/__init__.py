"""The training experiments behind the pages, one module per part that trains something.

Each module holds its configurations, its run, the command that writes its committed result file under
``src/gentle_rnn/data/`` and the checks of the claims its page makes:

* :mod:`gentle_rnn.experiments.part1`: running parity, windowed dense models against a simple RNN
  (``python -m gentle_rnn.experiments.part1``);
* :mod:`gentle_rnn.experiments.part4`: gradient norms by lag, exploding gradients and clipping, the adding
  problem (``python -m gentle_rnn.experiments.part4``);
* :mod:`gentle_rnn.experiments.charlm`: a character-level language model, the simple RNN and the LSTM on
  this site's own prose (``python -m gentle_rnn.experiments.charlm``).
"""

from __future__ import annotations

import json
import math
import pathlib

#: Two result files *agree* when every number of one is within ``RTOL * max(1, |a|, |b|)`` of the other's.
#: Rerunning on the same kind of machine reproduces a result to the last few of float64's 16 digits (the order
#: of a sum may change with the BLAS kernel and the thread count); 1e-9 leaves room for those differences to
#: grow a millionfold over a run that does not amplify them. A run that does amplify them (training on
#: exploding gradients) does not agree across CPUs, BLAS builds or numpy versions, however loose the
#: tolerance: then the claims of the page, not the digits, decide whether the fresh file may replace the old.
RTOL = 1e-9


def compare(name: str, fresh, committed, path: str = "") -> list[str]:
    """Where two JSON-like trees differ beyond :data:`RTOL`: a list of messages, empty when they agree."""
    if isinstance(fresh, dict) and isinstance(committed, dict):
        if fresh.keys() != committed.keys():
            return [f"{name}{path}: keys {sorted(fresh)} != {sorted(committed)}"]
        return [m for k in fresh for m in compare(name, fresh[k], committed[k], f"{path}.{k}")]
    if isinstance(fresh, (list, tuple)) and isinstance(committed, (list, tuple)):
        if len(fresh) != len(committed):
            return [f"{name}{path}: length {len(fresh)} != {len(committed)}"]
        return [m for i, (a, b) in enumerate(zip(fresh, committed)) for m in compare(name, a, b, f"{path}[{i}]")]
    numbers = (int, float)
    if isinstance(fresh, numbers) and isinstance(committed, numbers) and not isinstance(fresh, bool):
        if math.isfinite(fresh) and abs(fresh - committed) <= RTOL * max(1.0, abs(fresh), abs(committed)):
            return []
    elif fresh == committed:
        return []
    return [f"{name}{path}: {fresh!r} != committed {committed!r}"]


def jsonable(result: dict) -> dict:
    """Round-trip through JSON so that tuples become lists, as in the files."""
    return json.loads(json.dumps(result))


def settle(path: pathlib.Path, fresh: dict, claims: list[str], out=print) -> int:
    """Compare a freshly computed result with the committed file at ``path`` and say plainly what follows.

    * The fresh numbers agree with the file within :data:`RTOL`: the file is left untouched.
    * They differ, and every claim of the page holds for them (``claims`` is the list of failed claims, empty
      when all hold): the file is rewritten, and the message says that the page's numbers must be checked
      (the tests check them against the file).
    * They differ and a claim fails: the file is left untouched and the failed claims are printed.

    Returns the exit status of the command: 0, or 1 when a claim fails.
    """
    fresh = jsonable(fresh)
    committed = json.loads(path.read_text()) if path.exists() else None
    differences = compare(path.name, fresh, committed) if committed is not None else ["no committed file"]
    if not differences:
        out(f"{path.name}: the fresh numbers agree with the committed ones within {RTOL:g} (relative); "
            "file left untouched")
        return 0
    out(f"{path.name}: the fresh numbers differ from the committed ones beyond {RTOL:g} "
        f"({len(differences)} numbers; the first: {differences[0]})")
    if claims:
        out(f"{path.name}: the page's claims do NOT hold for the fresh numbers; file left untouched:")
        for c in claims:
            out(f"  - {c}")
        return 1
    path.write_text(json.dumps(fresh, indent=1) + "\n")
    out(f"{path.name}: the page's claims hold for them; rewrote {path}. Run the tests of this part: they check "
        "the page's numbers against the new file")
    return 0
