"""Part 6's computed content: the worked example's tables and the "why the gradient survives" figure.

The tables on ``docs/part-6-gru.md`` are pasted from :func:`parameter_table`, :func:`forward_table` and
:func:`backward_table`; ``tests/test_gru.py`` checks that the page still shows exactly what the code computes.
The figure is rendered twice, for the light and the dark scheme (Material's ``#only-light`` / ``#only-dark``).
``python -m gentle_rnn.figures.part6`` prints the tables.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import gru, lstm, readout, rnn
from . import figure

# ----------------------------------------------------------------------------------------------------------------
# the worked example: one unit (D = H = 1), two classes, three steps, Cho et al.'s convention

#: The scalar GRU of the worked example, gate by gate: (U_*, W_*, b_*).
EXAMPLE_GATES = {"zeta": (0.5, -0.4, 0.2), "rho": (-0.6, 0.8, 0.3), "h": (1.2, 0.7, 0.0)}
EXAMPLE_V = (1.5, -1.0)
EXAMPLE_C = (0.0, 0.2)
EXAMPLE_X = (1.0, -0.5, 0.8)
EXAMPLE_Y = (0, 1, 0)  # class indices as in the code (the page counts classes from 1)
EXAMPLE_H0 = 0.5
LETTER = {"zeta": r"\zeta", "rho": r"\rho", "h": "h"}


def example():
    """The worked example as arrays: ``params, x (3, 1, 1), y (3, 1), h0 (1, 1)``."""
    params = {}
    for g, (u, w, b) in EXAMPLE_GATES.items():
        params[f"U_{g}"], params[f"W_{g}"], params[f"b_{g}"] = np.array([[u]]), np.array([[w]]), np.array([b])
    params["V"] = np.array(EXAMPLE_V).reshape(2, 1)
    params["c"] = np.array(EXAMPLE_C)
    x = np.array(EXAMPLE_X).reshape(3, 1, 1)
    y = np.array(EXAMPLE_Y).reshape(3, 1)
    return {k: params[k] for k in gru.PARAM_KEYS}, x, y, np.full((1, 1), EXAMPLE_H0)


def _num(v: float) -> str:
    if round(v, 4) == 0:
        v = 0.0
    return f"{v:.4f}".replace("-", "−")  # a typographic minus


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def parameter_table() -> str:
    """The example's parameters, one row per gate."""
    rows = [[f"${LETTER[g]}$" if g != "h" else r"$\tilde h$", *(_num(v) for v in EXAMPLE_GATES[g])]
            for g in gru.GATES]
    return _table(["gate", "$U_\\ast$", "$W_\\ast$", "$b_\\ast$"], rows)


def _run():
    params, x, y, h0 = example()
    L, grads, dh, da, tr = gru._run(params, x, y, h0, "keep", "before")
    return params, x, y, h0, L, grads, dh, da, tr


def forward_table() -> str:
    """Every forward quantity of the example, step by step: equations (6.1)-(6.5) (x and y are in the prose)."""
    params, x, y, h0, L, grads, dh, da, tr = _run()
    o = tr.hs[1:] @ params["V"].T + params["c"]
    logp = o - np.log(np.exp(o).sum(axis=-1, keepdims=True))
    rows = []
    for t in range(1, 4):
        i = t - 1
        rows.append([str(t), _num(tr.zeta[i, 0, 0]), _num(tr.rho[i, 0, 0]), _num(tr.h_tilde[i, 0, 0]),
                     _num(tr.hs[t, 0, 0]), _num(-logp[i, 0, y[i, 0]])])
    return _table(["$t$", r"$\zeta^{(t)}$", r"$\rho^{(t)}$", r"$\tilde h^{(t)}$", "$h^{(t)}$", "$L^{(t)}$"], rows)


def backward_table() -> str:
    """The backward pass of the example, step by step: (6.7)-(6.11), with the direct path of (6.11)."""
    params, x, y, h0, L, grads, dh, da, tr = _run()
    rows = []
    for t in range(3, 0, -1):
        i = t - 1
        direct = tr.zeta[i, 0, 0] * dh[i, 0, 0]  # mu(t) dL/dh(t), the direct path to h(t-1)
        rows.append([str(t), _num(dh[i, 0, 0]), _num(da["zeta"][i, 0, 0]), _num(da["h"][i, 0, 0]),
                     _num(da["rho"][i, 0, 0]), _num(direct)])
    rows.append(["0", _num(grads["h0"][0, 0]), "", "", "", ""])
    return _table(["$t$", r"$\frac{\partial L}{\partial h^{(t)}}$", r"$\delta_\zeta^{(t)}$", r"$\delta_h^{(t)}$",
                   r"$\delta_\rho^{(t)}$", r"direct: $\mu^{(t)} \frac{\partial L}{\partial h^{(t)}}$"], rows)


# ----------------------------------------------------------------------------------------------------------------
# the figure: how much of a late loss reaches early steps, GRU vs LSTM vs simple RNN


# --8<-- [start:survival_data]
def survival_data(T: int = 60, B: int = 32, D: int = 8, H: int = 32, K: int = 4, seed: int = 0):
    """Gradient norms at every step from a loss at the last step only, for untrained networks.

    Returns ``{key: (lags, ratio)}``, ratio = mean over the batch of |dL/d state(T - lag)| / |dL/d state(T)|:
    ``"rnn"`` the simple RNN's h; ``"lstm"`` the LSTM's cell state s (forget bias 1, as in Part 5);
    ``"gru"`` the GRU's h (Cho et al.'s convention, zero biases); ``"gru b=2"`` the same with the update-gate
    bias b_zeta = 2 (mu = zeta starts near 0.88: the gate keeps more); ``"gru direct"`` the direct path alone,
    the product of mu over the lag (mean over units and batch), for b_zeta = 0.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, B, D))
    dh_out = np.zeros((T, B, H))
    dh_out[-1] = rng.normal(size=(B, H))  # the loss sits at the last step; its gradient at h(T)
    lags, zeros = np.arange(T), np.zeros((B, H))

    def ratio(g):  # g: (T, B, H), step t at index t - 1
        norms = np.linalg.norm(g, axis=-1)
        return (norms / norms[-1]).mean(axis=1)[::-1]  # index = lag

    p_rnn = rnn.init_params(D, H, K, rng=seed)
    _, dh = rnn.backward(p_rnn, x, zeros, rnn.forward(p_rnn, x, zeros), dh_out)
    out = {"rnn": (lags, ratio(dh))}
    _, _, ds = lstm.backward(lstm.init_params(D, H, K, rng=seed, forget_bias=1.0), x, zeros, zeros, dh_out)
    out["lstm"] = (lags, ratio(ds))
    for key, bias in (("gru", 0.0), ("gru b=2", 2.0)):
        p = gru.init_params(D, H, K, rng=seed)
        p["b_zeta"] = np.full(H, bias)
        _, dh = gru.backward(p, x, zeros, dh_out)
        out[key] = (lags, ratio(dh))
        if bias == 0.0:
            mu = gru.step_jacobians(p, x, zeros)["direct"]  # (T, B, H)
            prod = np.concatenate([np.ones((1, B, H)), np.cumprod(mu[::-1], axis=0)[:-1]])  # mu(T) ... mu(T-lag+1)
            out["gru direct"] = (lags, prod.mean(axis=(1, 2)))
    return out
# --8<-- [end:survival_data]


@functools.cache
def _survival_curves():
    """:func:`survival_data` at its defaults, computed once for both renders (the light and the dark twin)."""
    return survival_data()


def _survival(dark: bool):
    import matplotlib.pyplot as plt

    fg, grid = ("#e0e0e0", "#4a4a4a") if dark else ("#222222", "#e6e6e6")
    colours = {"rnn": "#5aae61" if dark else "#1b7837", "lstm": "#f4a582" if dark else "#b2182b",
               "gru": "#92c5de" if dark else "#2166ac", "gru b=2": "#c2a5cf" if dark else "#762a83"}
    styles = {
        "rnn": dict(color=colours["rnn"], lw=2.0, label=r"simple RNN, $\|\partial L/\partial h^{(t)}\|$"),
        "lstm": dict(color=colours["lstm"], lw=2.0, label=r"LSTM cell state, $\|\partial L/\partial s^{(t)}\|$, $b_f = 1$"),
        "gru": dict(color=colours["gru"], lw=2.0, label=r"GRU, $\|\partial L/\partial h^{(t)}\|$, $b_\zeta = 0$"),
        "gru b=2": dict(color=colours["gru b=2"], lw=1.8, label=r"GRU, $b_\zeta = 2$"),
        "gru direct": dict(color=colours["gru"], lw=1.2, ls="--", label=r"GRU direct path alone, $\prod \mu$, $b_\zeta = 0$"),
    }
    data = _survival_curves()
    with plt.rc_context({"text.color": fg, "axes.labelcolor": fg, "xtick.color": fg, "ytick.color": fg,
                         "axes.edgecolor": fg}):
        fig, ax = plt.subplots(figsize=(7.2, 3.8), layout="constrained")
        fig.patch.set_alpha(0.0)
        ax.set_facecolor("none")
        for key, (lags, r) in data.items():
            ax.semilogy(lags, np.maximum(r, 1e-30), **styles[key])
        ax.set_xlabel(r"lag $T - t$ (steps back from the loss)", fontsize=11)
        ax.set_ylabel("gradient norm at $t$ / at $T$", fontsize=11)
        ax.set_ylim(1e-16, 3)
        ax.set_xlim(0, lags[-1])
        ax.tick_params(labelsize=10)
        ax.legend(fontsize=9, frameon=False, loc="lower left", labelcolor=fg)
        ax.grid(True, which="major", color=grid, lw=0.6)
    return fig


@figure("part-6/survival.svg")
def survival_light():
    return _survival(dark=False)


@figure("part-6/survival-dark.svg")
def survival_dark():
    return _survival(dark=True)


if __name__ == "__main__":
    print(parameter_table(), forward_table(), backward_table(), sep="\n\n")
    for k, (lags, r) in survival_data().items():
        print(k, " ".join(f"{r[j]:.2e}" for j in (1, 5, 10, 20, 40, 59)))
