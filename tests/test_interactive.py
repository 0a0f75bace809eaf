"""gentle_rnn.interactive, the Python side of the interactive figures, against the rest of the package.

The browser test (tests/test_site_interactive.py) compares the figures with these functions; here the
functions themselves are checked against independent computations of the same quantities.
"""

from __future__ import annotations

import numpy as np
import pytest

from gentle_rnn import interactive, rnn, vanishing
from gentle_rnn.figures.part2 import worked_example_inputs
from gentle_rnn.figures.part3 import worked_example_backward


def test_mulberry32_is_uniform_and_reproducible():
    a, b = interactive.Mulberry32(7), interactive.Mulberry32(7)
    u = np.array([a.uniform() for _ in range(20000)])
    assert np.array_equal(u, [b.uniform() for _ in range(20000)])
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.005
    z = interactive.Mulberry32(1).normals(20000)
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03
    with pytest.raises(ValueError, match="seed"):
        interactive.Mulberry32(-1)


def test_bptt_steps_equal_the_part_3_table_and_the_full_gradient():
    steps = interactive.bptt_steps()
    table = worked_example_backward()
    T = 3
    assert [s["position"] for s in steps] == list(range(T + 2))
    for s in steps[1:T + 1]:
        for key in ("do", "from_output", "from_future", "dh", "delta"):
            np.testing.assert_allclose(s[key], table[key][s["t"] - 1], rtol=1e-12, atol=1e-15, err_msg=key)
    for key in ("W", "U", "b", "V", "c"):
        np.testing.assert_allclose(steps[T][f"d{key}"], table["grads"][key], rtol=1e-12, err_msg=key)
    np.testing.assert_allclose(steps[T + 1]["dh0"], table["grads"]["h0"][0], rtol=1e-12)


@pytest.mark.parametrize("tau", [1, 2])
def test_bptt_steps_truncated_end_at_the_truncated_gradient(tau):
    steps = interactive.bptt_steps(tau)
    _, grads = rnn.loss_and_grads(*worked_example_inputs(), truncate=tau)
    for key in ("W", "U", "b"):
        np.testing.assert_allclose(steps[-1][f"d{key}"], grads[key], rtol=1e-12, err_msg=key)
    np.testing.assert_allclose(steps[-1]["dh0"], grads["h0"][0], rtol=1e-12)


@pytest.mark.parametrize("kind", ["orthogonal", "gaussian"])
def test_lag_data_against_the_rnn_backward_pass_and_the_bound(kind):
    d = interactive.lag_data(3, 5, 12, 1.3, kind, "tanh", 0.5)
    net = interactive.lag_network(3, 5, 12, 1.3, kind, "tanh")
    assert vanishing.largest_singular_value(net["W"]) == pytest.approx(1.3, rel=1e-12)
    if kind == "orthogonal":
        np.testing.assert_allclose(np.linalg.svd(net["W"], compute_uv=False), 1.3, rtol=1e-12)
    # the gradient of W by the package's own BPTT, for the same loss at the last step
    H = 5
    params = {"U": np.eye(H), "W": net["W"], "b": np.zeros(H), "V": np.zeros((1, H)), "c": np.zeros(1)}
    h = rnn.forward(params, net["e"], np.zeros((1, H)))
    dh_out = np.zeros_like(h)
    dh_out[-1, 0] = net["v"]
    grads, _ = rnn.backward(params, net["e"], np.zeros((1, H)), h, dh_out)
    assert d["grad_norm"] == pytest.approx(np.linalg.norm(grads["W"]), rel=1e-12)
    assert d["clipped_norm"] == pytest.approx(min(0.5, d["grad_norm"]), rel=1e-12)
    assert np.all(d["norms"] <= d["bound"] * (1 + 1e-12))
    s = interactive.lag_data(3, 5, 12, 3.0, kind, "sigmoid", None)
    assert s["gamma"] == 0.25 and s["scale"] == 1 and np.all(s["norms"] <= s["bound"] * (1 + 1e-12))


def test_carousel_split_adds_up_and_the_cell_path_is_the_product_of_forget_gates():
    d = interactive.carousel_data(2.0, 9, 4)
    assert d["cell_share"] + d["gates_share"] == pytest.approx(d["total_share"], rel=1e-12)
    assert d["cell_share"] == pytest.approx(np.prod(d["f"][1:]), rel=1e-12)
    assert d["total_share"] == pytest.approx(d["ds"][0] / d["ds"][-1], rel=1e-12)
    assert d["cell"]["s"] == pytest.approx(d["cell"]["f"] * d["cell"]["s_prev"] + d["cell"]["g"] * d["cell"]["z"])
    with pytest.raises(ValueError, match="step"):
        interactive.carousel_data(1.0, 5, 6)
