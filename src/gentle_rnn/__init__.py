"""gentle_rnn: the NumPy and SymPy code behind *A gentle introduction to the tiresome part of understanding RNN*.

Modules
-------
functional
    tanh, sigmoid, numerically stable softmax / log-softmax, summed cross-entropy, and their derivatives.
gradcheck
    Centred finite differences and the relative error used by every gradient check.
symbolic
    SymPy building blocks shared by the derivations (``derivations/*.py``) and the tests.
"""

__version__ = "0.1.0"
