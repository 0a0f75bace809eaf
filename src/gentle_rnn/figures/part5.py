"""Part 5's computed content: the worked example's tables and the constant-error-carousel figure.

The tables on ``docs/part-5-lstm.md`` are pasted from :func:`parameter_table`, :func:`forward_table` and
:func:`backward_table`; ``tests/test_lstm.py`` checks that the page still shows exactly what the code computes.
``python -m gentle_rnn.figures.part5`` prints them.
"""

from __future__ import annotations

import numpy as np

from .. import lstm, readout, rnn
from . import figure

# ----------------------------------------------------------------------------------------------------------------
# the worked example: one unit (D = H = 1), two classes, three steps, so that every quantity is one number

#: The scalar LSTM of the worked example, gate by gate: (U_*, W_*, b_*).
EXAMPLE_GATES = {
    "z": (0.8, 0.4, 0.0),
    "g": (0.6, -0.2, 0.1),
    "f": (-0.5, 0.3, 1.0),
    "q": (0.7, 0.5, 0.0),
}
EXAMPLE_V = (1.5, -1.0)  # K = 2 classes
EXAMPLE_C = (0.0, 0.2)
EXAMPLE_X = (1.0, -0.5, 0.8)  # x(1), x(2), x(3)
EXAMPLE_Y = (0, 1, 0)  # class indices as in the code (the page counts classes from 1)


def example():
    """The worked example as arrays: ``params, x (3, 1, 1), y (3, 1), h0 (1, 1), s0 (1, 1)``."""
    params = {}
    for gate, (u, w, b) in EXAMPLE_GATES.items():
        params[f"U_{gate}"] = np.array([[u]])
        params[f"W_{gate}"] = np.array([[w]])
        params[f"b_{gate}"] = np.array([b])
    params["V"] = np.array(EXAMPLE_V).reshape(2, 1)
    params["c"] = np.array(EXAMPLE_C)
    x = np.array(EXAMPLE_X).reshape(3, 1, 1)
    y = np.array(EXAMPLE_Y).reshape(3, 1)
    return {k: params[k] for k in lstm.PARAM_KEYS}, x, y, np.zeros((1, 1)), np.zeros((1, 1))


def _num(v: float) -> str:
    if round(v, 4) == 0:
        v = 0.0  # no "−0.0000"
    return f"{v:.4f}".replace("-", "−")  # a typographic minus


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def parameter_table() -> str:
    """The example's parameters, one row per gate."""
    rows = [[f"${gate}$", *(_num(v) for v in EXAMPLE_GATES[gate])] for gate in lstm.GATES]
    return _table(["gate $\\ast$", "$U_\\ast$", "$W_\\ast$", "$b_\\ast$"], rows)


def _run():
    params, x, y, h0, s0 = example()
    p, x, h0, s0, y = lstm._validate(params, x, h0, s0, y)
    tr = lstm._forward(p, x, h0, s0)
    o = tr.hs[1:] @ p["V"].T + p["c"]  # (T, 1, K)
    L, do = readout.forward(p["V"], p["c"], tr.hs[1:], y)
    _, dc, dh_out = readout.backward(p["V"], tr.hs[1:], do)
    grads, dh, ds, da = lstm._backward(p, x, tr, dh_out)
    return p, x, y, tr, o, do, grads, dh, ds, da


def _transposed(corner: str, columns: list[str], rows: list[tuple[str, list[str]]]) -> str:
    """A table with one row per quantity and one column per step: narrow enough for the page's column."""
    return _table([corner, *columns], [[name, *values] for name, values in rows])


def forward_table() -> str:
    """Every forward quantity of the example, step by step: equations (5.1)-(5.7), one row per quantity."""
    p, x, y, tr, o, do, *_ = _run()
    H = 1
    logp = o - np.log(np.exp(o).sum(axis=-1, keepdims=True))
    gates = [[v[0, 0] for v in lstm._split(tr.gates[t - 1], H)] for t in range(1, 4)]  # z, g, f, q per step
    loss_t = [-logp[t - 1, 0, y[t - 1, 0]] for t in range(1, 4)]
    rows = [("input $x^{(t)}$", [_num(x[t - 1, 0, 0]) for t in range(1, 4)])]
    for i, (name, eq) in enumerate((("block input $z^{(t)}$", "5.1"), ("input gate $g^{(t)}$", "5.2"),
                                    ("forget gate $f^{(t)}$", "5.3"), ("output gate $q^{(t)}$", "5.4"))):
        rows.append((f"{name} ({eq})", [_num(gates[t - 1][i]) for t in range(1, 4)]))
    rows += [
        ("cell state $s^{(t)}$ (5.5)", [_num(tr.ss[t, 0, 0]) for t in range(1, 4)]),
        ("hidden state $h^{(t)}$ (5.6)", [_num(tr.hs[t, 0, 0]) for t in range(1, 4)]),
        ("target class $y^{(t)}$", [str(y[t - 1, 0] + 1) for t in range(1, 4)]),
        ("loss $L^{(t)}$ (5.7)", [_num(v) for v in loss_t]),
        ("$L = \\sum_t L^{(t)}$", ["", "", f"**{_num(lstm.loss_and_grads(*example())[0])}**"]),
    ]
    return _transposed("", ["$t = 1$", "$t = 2$", "$t = 3$"], rows)


def backward_table() -> str:
    """The backward pass of the example, step by step: equations (5.9)-(5.14), with the two paths of (5.10).

    One row per quantity, one column per step, in the order of the computation (t = 3 first); the last column,
    t = 0, holds the gradients of the initial states (5.16).
    """
    p, x, y, tr, o, do, grads, dh, ds, da = _run()
    H = 1
    f_all = lstm._split(tr.gates, H)[2][:, 0, 0]  # f(1), f(2), f(3)
    cols = {}
    for t in range(3, 0, -1):
        via_s = f_all[t] * ds[t, 0, 0] if t < 3 else 0.0  # f(t+1) dL/ds(t+1)
        via_h = ds[t - 1, 0, 0] - via_s
        da_z, da_g, da_f, da_q = (v[0, 0] for v in lstm._split(da[t - 1], H))
        cols[t] = [_num(dh[t - 1, 0, 0]), _num(via_h), _num(via_s), _num(ds[t - 1, 0, 0]),
                   _num(da_z), _num(da_g), _num(da_f), _num(da_q)]
    cols[0] = [_num(grads["h0"][0, 0]), "", _num(grads["s0"][0, 0]), _num(grads["s0"][0, 0]), "", "", "", ""]
    names = [r"$\partial L / \partial h^{(t)}$ (5.9)", "via $h^{(t)}$", "via $s^{(t+1)}$",
             r"$\partial L / \partial s^{(t)}$ (5.10)", r"$\delta_z^{(t)}$ (5.12)", r"$\delta_g^{(t)}$ (5.13)",
             r"$\delta_f^{(t)}$ (5.14)", r"$\delta_q^{(t)}$ (5.11)"]
    rows = [(name, [cols[t][i] for t in (3, 2, 1, 0)]) for i, name in enumerate(names)]
    return _transposed("computed in this order:", ["$t = 3$", "$t = 2$", "$t = 1$", "$t = 0$"], rows)


def gradient_table() -> str:
    """Every parameter gradient of the example, (5.8) and (5.15): one row per box, then the output layer."""
    loss, grads = lstm.loss_and_grads(*example())
    rows = [[f"${gate}$", *(_num(grads[f"{k}_{gate}"].item()) for k in ("U", "W", "b"))] for gate in lstm.GATES]
    table = _table(["box $\\ast$", "$\\partial L / \\partial U_\\ast$", "$\\partial L / \\partial W_\\ast$",
                    "$\\partial L / \\partial b_\\ast$"], rows)
    dV = ", ".join(_num(v) for v in grads["V"][:, 0])
    dc = ", ".join(_num(v) for v in grads["c"])
    return table + f"\n\nand for the output layer $\\partial L / \\partial V = ({dV})^\\top$, " \
        f"$\\partial L / \\partial c = ({dc})^\\top$."


# ----------------------------------------------------------------------------------------------------------------
# the figure: how much of a late loss reaches early steps, LSTM cell state versus simple RNN


# --8<-- [start:carousel_data]
def carousel_data(T: int = 60, B: int = 32, D: int = 8, H: int = 32, K: int = 4, seed: int = 0):
    """Gradient norms at every step from a loss at the last step only, for untrained networks.

    Returns ``{key: (lags, ratio)}`` where ratio = mean over the batch of |dL/d state(T - lag)| /
    |dL/d state(T)|: ``"rnn"`` for the simple RNN's h (Part 3), ``"lstm b_f=0"``, ``"lstm b_f=1"``,
    ``"lstm b_f=3"`` for the LSTM's cell state s with those forget-gate biases, and ``"cell path b_f=1"``:
    the cell path alone, the product of the forget gates over the lag (mean over units and batch).
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, B, D))
    dh_out = np.zeros((T, B, H))
    dh_out[-1] = rng.normal(size=(B, H))  # the loss sits at the last step; its gradient at h(T)
    lags = np.arange(T)
    out = {}

    def ratio(g):  # g: (T, B, H), step t at index t - 1
        norms = np.linalg.norm(g, axis=-1)  # (T, B)
        return (norms / norms[-1]).mean(axis=1)[::-1]  # index = lag

    rnn_params = rnn.init_params(D, H, K, rng=seed)
    h = rnn.forward(rnn_params, x, np.zeros((B, H)))
    _, dh = rnn.backward(rnn_params, x, np.zeros((B, H)), h, dh_out)
    out["rnn"] = (lags, ratio(dh))
    zeros = np.zeros((B, H))
    for bias in (0.0, 1.0, 3.0):
        params = lstm.init_params(D, H, K, rng=seed, forget_bias=bias)
        _, _, ds = lstm.backward(params, x, zeros, zeros, dh_out)
        out[f"lstm b_f={bias:g}"] = (lags, ratio(ds))
        if bias == 1.0:
            f = lstm.step_jacobians(params, x, zeros, zeros)["cell_path"]  # (T, B, H)
            # product f(T) f(T-1) ... f(T-lag+1): the cell path from s(T) back to s(T-lag)
            prod = np.concatenate([np.ones((1, B, H)), np.cumprod(f[::-1], axis=0)[:-1]])
            out["cell path b_f=1"] = (lags, prod.mean(axis=(1, 2)))
    return out
# --8<-- [end:carousel_data]


@figure("part-5/carousel.svg")
def carousel():
    import matplotlib.pyplot as plt

    data = carousel_data()
    styles = {
        "rnn": dict(color="#1b7837", lw=2.0, label=r"simple RNN, $\|\partial L/\partial h^{(t)}\|$"),
        "lstm b_f=0": dict(color="#fdae61", lw=1.8, label=r"LSTM, $\|\partial L/\partial s^{(t)}\|$, $b_f = 0$"),
        "lstm b_f=1": dict(color="#d6604d", lw=2.0, label=r"LSTM, $\|\partial L/\partial s^{(t)}\|$, $b_f = 1$"),
        "lstm b_f=3": dict(color="#67001f", lw=1.8, label=r"LSTM, $\|\partial L/\partial s^{(t)}\|$, $b_f = 3$"),
        "cell path b_f=1": dict(color="#d6604d", lw=1.2, ls="--",
                                label=r"cell path alone, $\prod f$, $b_f = 1$"),
    }
    fig, ax = plt.subplots(figsize=(6.9, 4.2), layout="constrained")
    for key, (lags, r) in data.items():
        ax.semilogy(lags, np.maximum(r, 1e-30), **styles[key])
    ax.set_xlabel(r"lag $T - t$ (steps back from the loss)")
    ax.set_ylabel(r"gradient norm at step $t$ / at step $T$")
    ax.set_ylim(1e-16, 3)
    ax.set_xlim(0, lags[-1])
    ax.legend(fontsize=9, frameon=False, loc="lower left")
    ax.grid(True, which="major", color="0.9", lw=0.6)
    ax.set_title("A loss at the last step, carried back (untrained, H = 32, 32 sequences)",
                 loc="left", fontsize=10)
    return fig


if __name__ == "__main__":
    print(parameter_table(), forward_table(), backward_table(), sep="\n\n")
