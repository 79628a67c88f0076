"""Property tests (hypothesis, derandomized so every run checks the same examples)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import nnlib

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None)

moderate = st.floats(-50, 50, allow_nan=False, allow_infinity=False)
any_finite = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
matrices = arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)), elements=moderate)
vectors = arrays(np.float64, st.integers(1, 20), elements=any_finite)


@SETTINGS
@given(Z=matrices, c=st.floats(-100, 100))
def test_softmax_rows_sum_to_one_and_ignore_a_constant(Z, c):
    P = nnlib.softmax(Z)
    assert np.all((P >= 0) & (P <= 1))
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-13)
    np.testing.assert_allclose(nnlib.softmax(Z + c), P, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(nnlib.log_softmax(Z + c), nnlib.log_softmax(Z), rtol=1e-11, atol=1e-11)
    # each row shifted by its own constant: still the same probabilities
    shifts = np.linspace(-c, c, len(Z))[:, None]
    np.testing.assert_allclose(nnlib.softmax(Z + shifts), P, rtol=1e-9, atol=1e-14)


@SETTINGS
@given(Z=matrices)
def test_log_softmax_is_the_log_of_softmax(Z):
    np.testing.assert_allclose(np.exp(nnlib.log_softmax(Z)), nnlib.softmax(Z), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(np.exp(nnlib.log_softmax(Z)).sum(axis=1), 1, rtol=1e-13)
    assert np.all(nnlib.log_softmax(Z) <= 0)


@SETTINGS
@given(z=vectors)
def test_sigmoid_symmetry_and_range(z):
    s = nnlib.sigmoid(z)
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(nnlib.sigmoid(-z), 1 - s, atol=1e-15)
    order = np.argsort(z)
    assert np.all(np.diff(s[order]) >= 0)  # monotone


@SETTINGS
@given(z=vectors)
def test_tanh_is_a_rescaled_sigmoid(z):
    np.testing.assert_allclose(nnlib.tanh(z), 2 * nnlib.sigmoid(2 * z) - 1, atol=1e-15)
    np.testing.assert_allclose(nnlib.tanh_prime(z), 4 * nnlib.sigmoid_prime(2 * z), atol=1e-15)


@SETTINGS
@given(z=vectors)
def test_relu_family_identities(z):
    np.testing.assert_array_equal(nnlib.relu(z) - nnlib.relu(-z), z)
    np.testing.assert_allclose(nnlib.leaky_relu(z), nnlib.relu(z) - 0.1 * nnlib.relu(-z), rtol=1e-15)
    np.testing.assert_array_equal(nnlib.step(z), nnlib.relu_prime(z))
    np.testing.assert_array_equal(nnlib.identity(z), z)


@SETTINGS
@given(Z=matrices, data=st.data())
def test_softmax_cross_entropy_properties(Z, data):
    N, K = Z.shape
    y = np.array(data.draw(st.lists(st.integers(0, K - 1), min_size=N, max_size=N)))
    loss, dZ = nnlib.softmax_cross_entropy(Z, y)
    assert loss >= 0
    np.testing.assert_allclose(loss, -np.mean(nnlib.log_softmax(Z)[np.arange(N), y]), rtol=1e-13)
    np.testing.assert_allclose(dZ.sum(axis=1), 0, atol=1e-15)  # (p - onehot) / N: rows sum to 0
    np.testing.assert_allclose(dZ, (nnlib.softmax(Z) - nnlib.one_hot(y, K)) / N, atol=1e-16)


@SETTINGS
@given(z=arrays(np.float64, st.integers(1, 10), elements=st.floats(-15, 15)), data=st.data())
def test_bce_on_logits_equals_bce_on_probabilities(z, data):
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=len(z), max_size=len(z))))
    loss_z, dz = nnlib.binary_cross_entropy_with_logits(z, y)
    p = nnlib.sigmoid(z)
    loss_p, dp = nnlib.binary_cross_entropy(p, y)
    np.testing.assert_allclose(loss_z, loss_p, rtol=1e-9)
    np.testing.assert_allclose(dz, dp * p * (1 - p), rtol=1e-7, atol=1e-15)  # chain rule dp/dz


@SETTINGS
@given(sizes=st.lists(st.integers(1, 12), min_size=2, max_size=5), bias=st.booleans())
def test_count_parameters_matches_the_model(sizes, bias):
    params = nnlib.init_params(sizes, np.random.default_rng(0))
    assert nnlib.count_parameters(sizes, bias=bias) == sum(
        W.size + (b.size if bias else 0) for W, b in params)
    assert nnlib.MLP(sizes, output="identity", rng=np.random.default_rng(0)).n_params == \
        nnlib.count_parameters(sizes)
    if len(sizes) == 3:  # UCI's (d + 1) M + (M + 1) for [d, M, 1], generalised to K outputs
        d, M, K = sizes
        assert nnlib.count_parameters(sizes) == (d + 1) * M + (M + 1) * K


@SETTINGS
@given(N=st.integers(1, 40), batch_size=st.integers(1, 50), seed=st.integers(0, 2**32 - 1))
def test_minibatches_partition_the_data(N, batch_size, seed):
    y = np.arange(N)
    batches = [yb for _, yb in nnlib.iterate_minibatches(np.zeros((N, 1)), y, batch_size,
                                                          np.random.default_rng(seed))]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), y)
    assert all(len(b) == batch_size for b in batches[:-1]) and 1 <= len(batches[-1]) <= batch_size


@SETTINGS
@given(X=arrays(np.float64, st.tuples(st.integers(1, 6), st.just(3)), elements=moderate))
def test_dense_forward_treats_rows_independently(X):
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(2, 3)), rng.normal(size=2)
    Z, _ = nnlib.dense_forward(X, W, b)
    for n in range(len(X)):
        np.testing.assert_allclose(Z[n], W @ X[n] + b, rtol=1e-12, atol=1e-12)
