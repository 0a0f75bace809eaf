"""Loading the learner's module and calling its function, with an error a learner can act on for each failure.

Every failure is a `GradeError` whose message says what went wrong, where (file and line) and what
was expected; `NotImplementedYet` marks a skeleton whose backward pass is still to be written.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
import traceback
import uuid
from pathlib import Path

import numpy as np


class GradeError(Exception):
    """The module cannot be graded: it does not load, lacks the function, or returns the wrong thing."""


class NotImplementedYet(GradeError):
    """The learner's function raised NotImplementedError: the exercise is not done yet."""


def load_module(target: str):
    """Import the learner's module from a file path (``my_rnn.py``) or a module name (``gentle_rnn.rnn``)."""
    path = Path(target)
    if target.endswith(".py") or path.exists():
        if not path.is_file():
            raise GradeError(f"there is no file {target}: give the path of your .py file")
        name = f"_graded_{path.stem}_{uuid.uuid4().hex[:8]}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise GradeError(f"{target} cannot be imported as a Python module (is it a .py file?)")
        module = importlib.util.module_from_spec(spec)
        folder = str(path.resolve().parent)
        sys.path.insert(0, folder)  # so that the learner's own helper modules next to it import
        try:
            spec.loader.exec_module(module)
        except SyntaxError as exc:
            where = f"{exc.filename or target}, line {exc.lineno}"
            text = (exc.text or "").rstrip("\n")
            caret = f"\n    {text}\n    {' ' * max((exc.offset or 1) - 1, 0)}^" if text else ""
            raise GradeError(f"{target} does not load: syntax error at {where}: {exc.msg}{caret}") from None
        except Exception as exc:  # noqa: BLE001 (any error while importing is the learner's to see)
            raise GradeError(f"{target} does not load: importing it raised {_describe(exc, path)}") from None
        finally:
            sys.path.remove(folder)
        return module
    try:
        return importlib.import_module(target)
    except Exception as exc:  # noqa: BLE001
        raise GradeError(f"cannot import the module {target!r}: {type(exc).__name__}: {exc}") from None


def _describe(exc: BaseException, path: Path | None) -> str:
    """``TypeError: message (my_rnn.py, line 12, in backward)``: the last frame in the learner's file."""
    where = ""
    frames = traceback.extract_tb(exc.__traceback__)
    if path is not None:
        mine = [f for f in frames if Path(f.filename).resolve() == path.resolve()]
        frames = mine or frames
    if frames:
        f = frames[-1]
        where = f" ({Path(f.filename).name}, line {f.lineno}, in {f.name}: {(f.line or '').strip()})"
    return f"{type(exc).__name__}: {exc}{where}"


def find_function(module, name: str, signature: tuple[str, ...], required: bool = True):
    """The module's function ``name`` after checking that it accepts ``signature``'s arguments (in order)."""
    fn = getattr(module, name, None)
    where = getattr(module, "__file__", None) or module.__name__
    if fn is None:
        if not required:
            return None
        defined = sorted(k for k, v in vars(module).items() if inspect.isfunction(v) and not k.startswith("_"))
        raise GradeError(
            f"{Path(where).name} defines no function {name}({', '.join(signature)}); "
            f"the functions it defines are: {', '.join(defined) or 'none'}"
        )
    if not callable(fn):
        raise GradeError(f"{name} in {Path(where).name} is a {type(fn).__name__}, not a function")
    try:
        inspect.signature(fn).bind(*signature)
    except TypeError as exc:
        try:
            yours = f"{name}{inspect.signature(fn)}"
        except (TypeError, ValueError):
            yours = name
        raise GradeError(
            f"{name} must accept the arguments ({', '.join(signature)}), in this order; yours is {yours} "
            f"({exc})"
        ) from None
    except ValueError:
        pass  # a builtin without a signature: let the call tell
    return fn


def call(fn, args: tuple, path: Path | None):
    """Call the learner's function; translate NotImplementedError and any other exception."""
    try:
        with np.errstate(all="ignore"):
            return fn(*args)
    except NotImplementedError as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        where = f"{frames[-1].name} ({Path(frames[-1].filename).name}, line {frames[-1].lineno})" if frames else fn.__name__
        raise NotImplementedYet(f"{where} raised NotImplementedError" + (f": {exc}" if str(exc) else "")) from None
    except Exception as exc:  # noqa: BLE001
        raise GradeError(f"your {fn.__name__} raised {_describe(exc, path)}") from None


def check_result(result, keys: tuple[str, ...], shape_of, name: str) -> tuple[float, dict]:
    """Check that ``result`` is ``(loss, grads)`` with a finite real loss and every gradient correctly shaped."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        got = f"a {type(result).__name__}" + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else "")
        raise GradeError(f"{name} must return a pair (loss, grads); it returned {got}")
    loss, grads = result
    try:
        loss_value = np.asarray(loss, dtype=np.float64)
    except (TypeError, ValueError):
        raise GradeError(f"the loss {name} returns must be a number, got {type(loss).__name__}") from None
    if loss_value.shape not in ((), (1,)):
        raise GradeError(f"the loss {name} returns must be one number (the sum over time and batch), "
                         f"got an array of shape {loss_value.shape}")
    if not np.isfinite(loss_value).all():
        raise GradeError(f"the loss {name} returns is not finite: {float(loss_value.ravel()[0])}")
    if not hasattr(grads, "keys"):
        raise GradeError(f"the gradients {name} returns must be a dict keyed by {list(keys)}, "
                         f"got {type(grads).__name__}")
    missing = [k for k in keys if k not in grads]
    if missing:
        raise GradeError(f"the gradient dict lacks the keys {missing}; it must have exactly {list(keys)}")
    out = {}
    for k in keys:
        want = shape_of(k)
        try:
            g = np.asarray(grads[k], dtype=np.float64)
        except (TypeError, ValueError):
            raise GradeError(f"the gradient {k!r} must be a numeric array of shape {want}, "
                             f"got {type(grads[k]).__name__}") from None
        if g.shape != want:
            hint = " (it looks transposed)" if g.shape == tuple(reversed(want)) and len(want) == 2 else ""
            raise GradeError(f"the gradient {k!r} has shape {g.shape}; it must have the shape of {k}, {want}{hint}")
        if not np.isfinite(g).all():
            raise GradeError(f"the gradient {k!r} contains NaN or inf")
        out[k] = g
    return float(loss_value.ravel()[0]), out


def check_states(value, want: tuple, name: str) -> np.ndarray:
    """Check a hook's result: a finite array of shape ``want`` (T, B, H)."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != want:
        raise GradeError(f"{name} must return an array of shape (T, B, H) = {want}, got {arr.shape}")
    if not np.isfinite(arr).all():
        raise GradeError(f"{name} returned NaN or inf")
    return arr
