"""Plain ``sympy.diff`` of the unrolled LSTM loss, every entry: the slow half of the brute-force proof.

derivations/lstm_bptt.py proves the BPTT recursion (5.8)-(5.16) equal to brute-force differentiation of the
unrolled loss at (D, H, K, T) = (1, 2, 3, 3), all 45 entries, exactly. For the page to build in seconds it
differentiates with :func:`gentle_rnn.symbolic.lstm.memoized_diff`: SymPy's own derivative rules, each
distinct subexpression once. Here plain ``sympy.diff`` (about 140 s of CPU for all entries on our 2-core
machine, split into one test per parameter, each under 20 s of CPU) must return *identical* expressions (``==``),
so that the page's brute force is ``sympy.diff``'s, and test_lstm.py's exact comparison with BPTT carries over.
Each test also runs the derivations' fast reference,
:func:`gentle_rnn.symbolic.core.exact_gradient_agreement`, on plain ``sympy.diff``'s expressions: its
reverse-mode values must be theirs at every random point.
Marked ``slow``; deselect with ``-m "not slow"``.
"""

from __future__ import annotations

from functools import lru_cache

import pytest

from gentle_rnn import lstm
from gentle_rnn.symbolic import lstm as sl
from gentle_rnn.symbolic.core import exact_gradient_agreement

pytestmark = pytest.mark.slow

SIZE = (1, 2, 3, 3)  # (D, H, K, T): the smallest with D, H, K all different and T >= 3


@lru_cache(maxsize=None)
def _network():
    return sl.unroll(*SIZE)


@lru_cache(maxsize=None)
def _memoised():
    return sl.brute_force(_network(), method="memo")


@pytest.mark.parametrize("name", lstm.GRAD_KEYS)
def test_plain_sympy_diff_equals_the_memoised_rules_exactly(name):
    memoised = _memoised()[name]  # first: it also warms SymPy's cache, which plain sympy.diff then reuses
    plain = sl.brute_force(_network(), names=[name], method="sympy")[name]
    assert plain == memoised, f"dL/d{name}: plain sympy.diff and memoized_diff give different expressions"
    # and the derivations' fast reference (reverse mode, no expression built) has plain sympy.diff's values
    net = _network()
    assert exact_gradient_agreement({name: plain}, net.L, {name: net.wrt[name]}, net.inputs) == len(net.wrt[name])


def test_memoized_diff_restores_sympy_diff():
    # the patch is undone on exit, also after an error inside the block
    from sympy.core.expr import Expr

    original = Expr.diff
    with pytest.raises(RuntimeError):
        with sl.memoized_diff():
            assert Expr.diff is not original
            raise RuntimeError
    assert Expr.diff is original
