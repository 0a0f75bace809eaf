"""Grade your own backward pass: ``python -m gentle_rnn.grade {dense,rnn,rnn-truncated,lstm} my_module.py``.

The grader imports your module, calls its ``loss_and_grads`` (the same signature as ours:
``(params, x, y)`` for ``dense``, ``(params, x, y, h0)`` for ``rnn``, ``(params, x, y, h0, truncate)`` for
``rnn-truncated``, ``(params, x, y, h0, s0)`` for ``lstm``) at several tiny sizes with all dimensions
different, and compares the loss and every gradient with the SymPy derivation (`.models`) and with
finite differences of your own loss (`.core`). For a wrong gradient it says where the mistake starts:
the first time step at which your dL/dh(t) (or dL/ds(t)) departs, if your module also defines
``hidden_state_grads`` (and, for the LSTM, ``cell_state_grads``) with the same arguments, each returning a
(T, B, H) array; otherwise the smallest sequence length T at which something is wrong. When your numbers
equal those of a classic mistake (`.catalogue`, made by the buggy variants of `.variants`), the
report names it and links the equation on the site.

The exit status is 0 when everything is right, 1 when something is wrong, 2 when the module cannot be graded
(it does not load, lacks the function, has the wrong signature, returns the wrong shapes, or is not
implemented yet).
"""

from .catalogue import CATALOGUE, Mistake
from .core import EXIT_NOT_GRADED, EXIT_RIGHT, EXIT_WRONG, Report, grade
from .models import MODELS

__all__ = ["CATALOGUE", "EXIT_NOT_GRADED", "EXIT_RIGHT", "EXIT_WRONG", "MODELS", "Mistake", "Report", "grade"]
