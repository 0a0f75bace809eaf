"""The training experiments behind the pages, one module per part that trains something.

Each module holds its configurations, its run, the command that writes its committed result file under
``src/gentle_rnn/data/`` and the checks of the claims its page makes:

* :mod:`gentle_rnn.experiments.part1`: running parity, windowed dense models against a simple RNN
  (``python -m gentle_rnn.experiments.part1``);
* :mod:`gentle_rnn.experiments.part4`: gradient norms by lag, exploding gradients and clipping, the adding
  problem (``python -m gentle_rnn.experiments.part4``).
"""
