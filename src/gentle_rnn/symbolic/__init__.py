"""SymPy building blocks shared by the derivations (``derivations/*.py``) and the tests.

The unrolled networks are built from the function classes of :mod:`gentle_rnn.symbolic.core`
(``Tanh``, ``Sigmoid``, ``Exp``, ``Log``): each knows its derivative and nothing else, so SymPy never
spends time simplifying or evaluating them while an unrolled network is built or differentiated.
``building_blocks.py`` proves that their derivative rules agree with SymPy's own ``tanh``, ``exp`` and
``log``.
"""

from .core import (
    NUMPY_FUNCTIONS,
    Exp,
    Log,
    Sigmoid,
    Tanh,
    brute_force_gradient,
    exact_agreement,
    exact_gradient_agreement,
    lambdify_numpy,
    matrix_symbols,
    show,
    softmax_cross_entropy,
    to_sympy_functions,
)

__all__ = [
    "NUMPY_FUNCTIONS",
    "Exp",
    "Log",
    "Sigmoid",
    "Tanh",
    "brute_force_gradient",
    "exact_agreement",
    "exact_gradient_agreement",
    "lambdify_numpy",
    "matrix_symbols",
    "show",
    "softmax_cross_entropy",
    "to_sympy_functions",
]
