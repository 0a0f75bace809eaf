"""Plain ``sympy.diff`` of the unrolled GRU loss, every entry: the slow half of the brute-force proof.

derivations/gru_bptt.py proves the BPTT recursion (6.6)-(6.13) equal to brute-force differentiation of the
unrolled loss at (D, H, K, T) = (1, 2, 3, 3), all 35 entries, exactly, in Cho et al.'s convention. For the
page to build in seconds it differentiates with :func:`gentle_rnn.symbolic.lstm.memoized_diff` (SymPy's own
derivative rules, each distinct subexpression once). Here plain ``sympy.diff`` must return *identical*
expressions (``==``), one test per parameter, so that the page's brute force is ``sympy.diff``'s and
test_gru.py's exact comparison with BPTT carries over. Each test also runs the derivations' fast reference,
:func:`gentle_rnn.symbolic.core.exact_gradient_agreement`, on plain ``sympy.diff``'s expressions: its
reverse-mode values must be theirs at every random point.
Marked ``slow`` (over a minute of CPU in all);
deselect with ``-m "not slow"``.
"""

from __future__ import annotations

from functools import lru_cache

import pytest

from gentle_rnn import gru
from gentle_rnn.symbolic import gru as sg
from gentle_rnn.symbolic.core import exact_gradient_agreement

pytestmark = pytest.mark.slow

SIZE = (1, 2, 3, 3)  # (D, H, K, T): the smallest with D, H, K all different and T >= 3


@lru_cache(maxsize=None)
def _network():
    return sg.unroll(*SIZE, update="keep", reset="before")


@lru_cache(maxsize=None)
def _memoised():
    return sg.brute_force(_network(), method="memo")


@pytest.mark.parametrize("name", gru.GRAD_KEYS)
def test_plain_sympy_diff_equals_the_memoised_rules_exactly(name):
    memoised = _memoised()[name]
    plain = sg.brute_force(_network(), names=[name], method="sympy")[name]
    assert plain == memoised, f"dL/d{name}: plain sympy.diff and memoized_diff give different expressions"
    # and the derivations' fast reference (reverse mode, no expression built) has plain sympy.diff's values
    net = _network()
    assert exact_gradient_agreement({name: plain}, net.L, {name: net.wrt[name]}, net.inputs) == len(net.wrt[name])


def test_brute_force_rejects_an_unknown_method():
    with pytest.raises(ValueError, match="^method"):
        sg.brute_force(_network(), names=["c"], method="fast")
