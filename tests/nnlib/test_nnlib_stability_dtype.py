"""Numerical stability at |z| = 1e4 and dtype preservation (float32 in, float32 out)."""

from __future__ import annotations

import numpy as np
import pytest
from _nnlib_helpers import strict_fp

import nnlib

DTYPES = [np.float32, np.float64]
BIG = 1e4


def extreme(dtype):
    return np.array([[-BIG, 0.0, BIG], [BIG, BIG, -BIG], [-BIG, -BIG, 1.0]], dtype=dtype)


def all_finite(*arrays):
    return all(np.all(np.isfinite(a)) for a in arrays)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_and_tanh_at_1e4(dtype):
    z = extreme(dtype)
    with strict_fp():
        s, ds, th, dth = nnlib.sigmoid(z), nnlib.sigmoid_prime(z), nnlib.tanh(z), nnlib.tanh_prime(z)
    assert all_finite(s, ds, th, dth)
    assert s[0, 2] == 1 and s[0, 0] == 0 and s[0, 1] == 0.5
    assert th[0, 2] == 1 and th[0, 0] == -1
    assert ds[0, 0] == 0 and dth[0, 0] == 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_and_log_softmax_at_1e4(dtype):
    z = extreme(dtype)
    with strict_fp():
        p, logp = nnlib.softmax(z), nnlib.log_softmax(z)
    assert all_finite(p, logp)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(p[0], [0, 0, 1])
    np.testing.assert_array_equal(p[1], [0.5, 0.5, 0])
    # log softmax(-1e4, 0, 1e4) = (-2e4, -1e4, 0): exact, no log(0) = -inf
    np.testing.assert_array_equal(logp[0], [-2 * BIG, -BIG, 0])
    np.testing.assert_allclose(logp[1], [-np.log(2), -np.log(2), -2 * BIG - np.log(2)], rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_with_logits_at_1e4(dtype):
    z = np.array([-BIG, -BIG, BIG, BIG, 0.0], dtype=dtype)
    y = np.array([0, 1, 0, 1, 1])
    with strict_fp():
        loss, dz = nnlib.binary_cross_entropy_with_logits(z, y)
    assert all_finite(loss, dz)
    # per-example losses: 0, 1e4, 1e4, 0, log 2  -> mean (2e4 + log 2) / 5
    assert loss == pytest.approx((2 * BIG + np.log(2)) / 5, rel=1e-6)
    np.testing.assert_allclose(dz, np.array([0, -1, 1, 0, -0.5]) / 5, atol=1e-7)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_at_1e4(dtype):
    z = extreme(dtype)
    with strict_fp():
        loss, dz = nnlib.softmax_cross_entropy(z, np.array([2, 0, 0]))
    assert all_finite(loss, dz)
    # -log p: row 0 predicts class 2 with p = 1 -> 0;  row 1: log 2;
    # row 2: 1e4 + 1 + log(1 + 2 e^-10001) = 1e4 + 1 in floating point
    assert loss == pytest.approx((0 + np.log(2) + BIG + 1) / 3, rel=1e-6)
    np.testing.assert_allclose(dz.sum(axis=1), 0, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_on_saturated_probabilities(dtype):
    P = np.array([0.0, 1.0, 0.0, 1.0], dtype=dtype)
    with strict_fp():
        loss, dP = nnlib.binary_cross_entropy(P, np.array([0, 1, 1, 0]))
    assert all_finite(loss, dP)  # clipped to [eps, 1 - eps]: large, but finite
    # two right (loss ~eps each) and two wrong, each -log(eps): mean ~ -log(eps) / 2
    assert loss == pytest.approx(-np.log(np.finfo(dtype).eps) / 2, rel=1e-3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mlp_with_huge_scores_stays_finite(dtype):
    X = np.array([[1.0, -1.0], [-1.0, 1.0]], dtype=dtype)
    for output, y in (("softmax", np.array([0, 1])), ("sigmoid", np.array([1, 0]))):
        K = 2 if output == "softmax" else 1
        params = [(np.full((3, 2), 100.0, dtype) * [[1, -1]], np.zeros(3, dtype)),
                  (np.full((K, 3), 50.0, dtype), np.zeros(K, dtype))]  # output scores ~ 3e4
        with strict_fp():
            out, _ = nnlib.mlp_forward(X, params, "relu", output)
            loss, grads = nnlib.mlp_loss_and_grads(X, y, params, "relu", output)
        assert all_finite(out, loss, *[a for pair in grads for a in pair])


# --- dtype follows the input ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(nnlib.ACTIVATIONS))
def test_activations_keep_the_dtype(name, dtype):
    g, g_prime = nnlib.get_activation(name)
    z = np.linspace(-3, 3, 12, dtype=dtype).reshape(3, 4)
    assert g(z).dtype == dtype and g_prime(z).dtype == dtype
    A, cache = nnlib.activation_forward(z, name)
    assert A.dtype == dtype
    assert nnlib.activation_backward(np.ones_like(z), cache).dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_losses_and_dense_keep_the_dtype(dtype):
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(4, 3)).astype(dtype)
    assert nnlib.softmax(Z).dtype == dtype and nnlib.log_softmax(Z).dtype == dtype
    y01, ypm, yK = np.array([0, 1, 1, 0]), np.array([1, -1, 1, -1]), np.array([0, 2, 1, 2])
    cases = [
        nnlib.squared_error(Z, np.zeros((4, 3))),
        nnlib.binary_cross_entropy(np.full(4, 0.3, dtype), y01),
        nnlib.binary_cross_entropy_with_logits(Z[:, 0], y01),
        nnlib.softmax_cross_entropy(Z, yK),
        nnlib.hinge(Z[:, 0], ypm),
    ]
    for loss, grad in cases:
        assert np.asarray(loss).dtype == dtype and grad.dtype == dtype
    W, b = rng.normal(size=(2, 3)).astype(dtype), np.zeros(2, dtype)
    out, cache = nnlib.dense_forward(Z, W, b)
    assert out.dtype == dtype
    assert all(a.dtype == dtype for a in nnlib.dense_backward(np.ones((4, 2), dtype), cache))


@pytest.mark.parametrize("output", nnlib.OUTPUTS)
def test_float32_mlp_end_to_end(output):
    rng = np.random.default_rng(1)
    K = {"softmax": 3, "sigmoid": 1, "identity": 2}[output]
    net = nnlib.MLP([4, 8, 6, K], activation="tanh", output=output, rng=rng, dtype=np.float32)
    X = rng.normal(size=(10, 4)).astype(np.float32)
    y = {"softmax": rng.integers(0, 3, 10), "sigmoid": rng.integers(0, 2, 10),
         "identity": rng.normal(size=(10, 2)).astype(np.float32)}[output]
    assert all(W.dtype == np.float32 and b.dtype == np.float32 for W, b in net.params)
    out, caches = net.forward(X)
    assert out.dtype == np.float32 and all(Z.dtype == np.float32 for _, Z in caches)
    loss, grads = net.loss_and_grads(X, y)
    assert np.asarray(loss).dtype == np.float32
    assert all(dW.dtype == np.float32 and db.dtype == np.float32 for dW, db in grads)
    # and the float32 gradient is the float64 one, to float32 accuracy
    params64 = [(W.astype(np.float64), b.astype(np.float64)) for W, b in net.params]
    _, grads64 = nnlib.mlp_loss_and_grads(X.astype(np.float64), y, params64, "tanh", output)
    for (dW, _), (dW64, _) in zip(grads, grads64, strict=True):
        assert np.linalg.norm(dW - dW64) / np.linalg.norm(dW64) < 1e-5
    net.train_step(X, y, 0.1)  # the update keeps float32 parameters
    assert all(W.dtype == np.float32 and b.dtype == np.float32 for W, b in net.params)
    hist = nnlib.train(net, X, y, lr=0.1, n_epochs=2, batch_size=4, rng=rng, progress=False)
    assert all(W.dtype == np.float32 for W, _ in net.params) and len(hist.epoch_loss) == 2


def test_integer_input_becomes_float64():
    assert nnlib.sigmoid(np.array([0, 1])).dtype == np.float64
    assert nnlib.relu([1, -2]).dtype == np.float64
    assert nnlib.softmax([[1, 2]]).dtype == np.float64
