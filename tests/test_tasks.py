"""Toy sequence tasks (gentle_rnn.tasks): layout, labels, seeding, and the dependence Part 1 relies on."""

from __future__ import annotations

import numpy as np
import pytest

from gentle_rnn import tasks


def test_running_parity_layout():
    x, y = tasks.running_parity(np.random.default_rng(0), 7, 5)
    assert x.shape == (7, 5, 2) and x.dtype == np.float64
    assert y.shape == (7, 5) and y.dtype == np.int64
    np.testing.assert_array_equal(x.sum(axis=-1), 1.0)  # one-hot: exactly one symbol per step
    assert set(np.unique(y)) <= {0, 1}


def test_running_parity_labels_are_the_xor_of_all_bits_so_far():
    x, y = tasks.running_parity(np.random.default_rng(1), 12, 9)
    bits = x.argmax(axis=-1)  # (T, B)
    for b in range(9):
        acc = 0
        for t in range(12):
            acc ^= int(bits[t, b])
            assert y[t, b] == acc, f"y(t={t + 1}) of sequence {b} is not the parity of x(1..t)"


@pytest.mark.parametrize("num_symbols, modulus, symbol", [(3, 3, 0), (4, 5, 2), (2, 4, 1)])
def test_running_count_counts_one_symbol_modulo(num_symbols, modulus, symbol):
    x, y = tasks.running_count(np.random.default_rng(2), 10, 6, num_symbols=num_symbols, modulus=modulus,
                               symbol=symbol)
    assert x.shape == (10, 6, num_symbols)
    s = x.argmax(axis=-1)
    for b in range(6):
        for t in range(10):
            assert y[t, b] == np.sum(s[: t + 1, b] == symbol) % modulus


def test_the_first_input_decides_every_later_label():
    """Flipping x(1) flips y(t) for every t: the target depends on an input arbitrarily far back."""
    x, y = tasks.running_parity(np.random.default_rng(3), 30, 4)
    bits = x.argmax(axis=-1)
    bits[0] ^= 1
    y_flipped = np.cumsum(bits, axis=0) % 2
    assert np.all(y_flipped != y)


def test_same_seed_same_batch_and_a_new_seed_a_new_one():
    a = tasks.running_parity(np.random.default_rng(5), 8, 3)
    b = tasks.running_parity(np.random.default_rng(5), 8, 3)
    c = tasks.running_parity(np.random.default_rng(6), 8, 3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_bits_and_labels_are_balanced():
    x, y = tasks.running_parity(np.random.default_rng(7), 50, 400)
    assert abs(x[..., 1].mean() - 0.5) < 0.01
    assert abs(y.mean() - 0.5) < 0.01


@pytest.mark.parametrize("call, name", [
    (lambda: tasks.running_parity(0, 3, 2), "rng"),
    (lambda: tasks.running_parity(np.random.default_rng(0), 0, 2), "T"),
    (lambda: tasks.running_parity(np.random.default_rng(0), 3, 2.0), "B"),
    (lambda: tasks.running_count(np.random.default_rng(0), 3, 2, modulus=1), "modulus"),
    (lambda: tasks.running_count(np.random.default_rng(0), 3, 2, num_symbols=3, symbol=3), "symbol"),
])
def test_bad_arguments_name_themselves(call, name):
    with pytest.raises(ValueError, match=name):
        call()
