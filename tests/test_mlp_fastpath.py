"""MLP.train_step's fast path (reused buffers, in-place work) computes what the plain functions do.

The reference for one step is the readable path: ``loss, grads = mlp_loss_and_grads(...)`` and
``W <- W - lr dW``. The fast path folds ``lr`` into the output delta, so the two may differ in the
last bit of a parameter, never more: the tolerances below are a few units in the last place.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import nnlib
import nnlib.fast_step as fast_step
import nnlib.mlp as mlp_module

ACTIVATIONS = sorted(nnlib.ACTIVATIONS)
WIDTH = {"softmax": 3, "sigmoid": 1, "identity": 2}
DTYPES = [np.float32, np.float64]


def _targets(output, N, rng, dtype):
    if output == "softmax":
        return rng.integers(0, WIDTH[output], N)
    if output == "sigmoid":
        return rng.integers(0, 2, N)
    return rng.normal(size=(N, WIDTH[output])).astype(dtype)


def _reference_step(params, X, y, lr, activation, output):
    """One SGD step through the plain functions; returns ``(loss, new_params)``."""
    loss, grads = nnlib.mlp_loss_and_grads(X, y, params, activation, output)
    new = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads, strict=True)]
    return loss, new


def _assert_close(actual, expected, dtype, what):
    eps = np.finfo(dtype).eps
    scale = max(float(np.max(np.abs(expected))), 1.0)
    np.testing.assert_allclose(actual, expected, rtol=16 * eps, atol=16 * eps * scale, err_msg=what)


@pytest.fixture
def no_plain_path(monkeypatch):
    """Make the plain functional path unusable, to prove that train_step did not take it."""

    def refuse(*args, **kwargs):
        raise AssertionError("train_step fell back to mlp_loss_and_grads")

    monkeypatch.setattr(mlp_module, "mlp_loss_and_grads", refuse)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("N", [1, 7])
@pytest.mark.parametrize("output", nnlib.OUTPUTS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_train_step_equals_the_plain_step(activation, output, N, dtype, no_plain_path):
    rng = np.random.default_rng(zlib.crc32(f"{activation}-{output}-{N}".encode()))
    net = nnlib.MLP([4, 5, 3, WIDTH[output]], activation=activation, output=output, rng=rng,
                    dtype=dtype)
    lr = 0.3
    for step in range(3):  # several steps: the second and third reuse the first one's buffers
        X = rng.normal(size=(N, 4)).astype(dtype)
        y = _targets(output, N, rng, dtype)
        X0, y0 = X.copy(), y.copy()
        before = [(W.copy(), b.copy()) for W, b in net.params]
        loss_ref, params_ref = _reference_step(before, X, y, lr, activation, output)
        loss = net.train_step(X, y, lr)
        assert isinstance(loss, float)
        _assert_close(loss, float(loss_ref), dtype, f"loss at step {step}")
        for i, ((W, b), (W_ref, b_ref)) in enumerate(zip(net.params, params_ref, strict=True)):
            assert W.dtype == dtype and b.dtype == dtype
            _assert_close(W, W_ref, dtype, f"W of layer {i} after step {step}")
            _assert_close(b, b_ref, dtype, f"b of layer {i} after step {step}")
        np.testing.assert_array_equal(X, X0)  # the caller's arrays are untouched
        np.testing.assert_array_equal(y, y0)
    assert (N, ((5, 4), (3, 5), (WIDTH[output], 3))) in net._step_buffers


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_changing_batch_sizes_keeps_a_bounded_cache(dtype, no_plain_path):
    rng = np.random.default_rng(3)
    net = nnlib.MLP([6, 8, 4], activation="relu", rng=rng, dtype=dtype)
    for N in [5, 1, 5, 2, 9, 3, 5, 1]:
        X = rng.normal(size=(N, 6)).astype(dtype)
        y = rng.integers(0, 4, N)
        before = [(W.copy(), b.copy()) for W, b in net.params]
        loss_ref, params_ref = _reference_step(before, X, y, 0.1, "relu", "softmax")
        _assert_close(net.train_step(X, y, 0.1), float(loss_ref), dtype, f"loss, N={N}")
        for (W, _), (W_ref, _) in zip(net.params, params_ref, strict=True):
            _assert_close(W, W_ref, dtype, f"W, N={N}")
        assert len(net._step_buffers) <= fast_step._MAX_CACHED_BATCH_SIZES


def test_buffers_are_reused_not_reallocated(no_plain_path):
    rng = np.random.default_rng(4)
    net = nnlib.MLP([3, 4, 2], rng=rng, dtype=np.float32)
    X, y = rng.normal(size=(6, 3)).astype(np.float32), rng.integers(0, 2, 6)
    net.train_step(X, y, 0.1)
    (bufs,) = net._step_buffers.values()
    ids = [id(a) for a in bufs.A + bufs.dW]
    net.train_step(X, y, 0.1)
    (again,) = net._step_buffers.values()
    assert again is bufs and [id(a) for a in again.A + again.dW] == ids


def test_non_contiguous_input_and_numpy_float_lr(no_plain_path):
    rng = np.random.default_rng(5)
    net = nnlib.MLP([4, 6, 3], activation="tanh", rng=rng)
    X = np.asfortranarray(rng.normal(size=(8, 4)))
    y = rng.integers(0, 3, 8)
    before = [(W.copy(), b.copy()) for W, b in net.params]
    loss_ref, params_ref = _reference_step(before, X, y, 0.05, "tanh", "softmax")
    _assert_close(net.train_step(X, y, np.float64(0.05)), float(loss_ref), np.float64, "loss")
    for (W, _), (W_ref, _) in zip(net.params, params_ref, strict=True):
        _assert_close(W, W_ref, np.float64, "W")


def test_inputs_the_fast_path_does_not_take_still_train():
    """Lists, integer arrays and float labels on a float32 model use the plain path."""
    rng = np.random.default_rng(6)
    net = nnlib.MLP([2, 3, 2], rng=rng, dtype=np.float32)
    ref = [(W.astype(np.float64), b.astype(np.float64)) for W, b in net.params]
    X = [[0.0, 1.0], [1.0, 0.0]]
    y = [0.0, 1.0]
    loss_ref, params_ref = _reference_step(ref, np.array(X), np.array(y), 0.1, "relu", "softmax")
    loss = net.train_step(X, y, 0.1)
    assert loss == pytest.approx(float(loss_ref), rel=1e-6)
    for (W, _), (W_ref, _) in zip(net.params, params_ref, strict=True):
        assert W.dtype == np.float32
        np.testing.assert_allclose(W, W_ref, rtol=1e-6, atol=1e-6)
    with pytest.raises(TypeError, match="X has dtype float64 but this MLP has float32 parameters"):
        net.train_step(np.zeros((3, 2)), np.array([0, 1, 1]), 0.1)  # never mixed silently
    assert all(W.dtype == np.float32 for W, _ in net.params)


@pytest.mark.parametrize("labels, message", [
    (np.array([0, 3]), "found 3"),
    (np.array([-1, 0]), "found -1"),
    (np.array([0, 1, 1]), r"shape \(2,\)"),
])
def test_bad_labels_raise_the_usual_error_and_change_nothing(labels, message):
    rng = np.random.default_rng(7)
    net = nnlib.MLP([2, 3, 2], rng=rng)
    before = [(W.copy(), b.copy()) for W, b in net.params]
    with pytest.raises(ValueError, match=message):
        net.train_step(rng.normal(size=(2, 2)), labels, 0.1)
    for (W, b), (W0, b0) in zip(net.params, before, strict=True):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)


def test_mismatched_input_width_raises_naming_the_shapes():
    net = nnlib.MLP([3, 4, 2], rng=np.random.default_rng(8))
    with pytest.raises(ValueError, match=r"W \(4, 3\).*width 5"):
        net.train_step(np.zeros((2, 5)), np.array([0, 1]), 0.1)


def test_replaced_params_are_used():
    """A notebook may set ``net.params`` by hand, even with other shapes: train_step follows."""
    rng = np.random.default_rng(9)
    net = nnlib.MLP([2, 2, 1], activation="relu", output="identity", rng=rng)
    X, y = rng.normal(size=(4, 2)), rng.normal(size=4)
    net.train_step(X, y, 0.1)  # builds buffers for the old shapes
    net.params = nnlib.init_params([2, 5, 1], rng)
    before = [(W.copy(), b.copy()) for W, b in net.params]
    loss_ref, params_ref = _reference_step(before, X, y, 0.1, "relu", "identity")
    _assert_close(net.train_step(X, y, 0.1), float(loss_ref), np.float64, "loss")
    for (W, _), (W_ref, _) in zip(net.params, params_ref, strict=True):
        _assert_close(W, W_ref, np.float64, "W")


def test_a_subclass_overriding_loss_and_grads_is_respected():
    calls = []

    class Halved(nnlib.MLP):
        def loss_and_grads(self, X, y):
            calls.append(len(X))
            loss, grads = super().loss_and_grads(X, y)
            return loss, [(dW / 2, db / 2) for dW, db in grads]

    rng = np.random.default_rng(10)
    net = Halved([3, 4, 2], rng=rng)
    X, y = rng.normal(size=(5, 3)), rng.integers(0, 2, 5)
    before = [(W.copy(), b.copy()) for W, b in net.params]
    _, params_ref = _reference_step(before, X, y, 0.05, "relu", "softmax")  # lr / 2
    net.train_step(X, y, 0.1)
    assert calls == [5]
    for (W, _), (W_ref, _) in zip(net.params, params_ref, strict=True):
        np.testing.assert_allclose(W, W_ref, rtol=1e-14, atol=1e-15)


def test_a_huge_batch_is_not_cached(monkeypatch):
    monkeypatch.setattr(fast_step, "_MAX_CACHED_BYTES", 4096)
    rng = np.random.default_rng(11)
    net = nnlib.MLP([2, 4, 2], rng=rng, dtype=np.float32)
    N = 4096 // (4 * 4) + 1  # A[0], (N, 4) float32, alone exceeds the cap
    X = np.zeros((N, 2), np.float32)
    net.train_step(X, np.zeros(N, dtype=np.int64), 0.1)
    assert net._step_buffers == {}
    net.train_step(X[:10], np.zeros(10, dtype=np.int64), 0.1)
    assert len(net._step_buffers) == 1


def test_training_with_the_fast_path_learns_xor():
    rng = np.random.default_rng(12)
    X, y = nnlib.make_xor()
    net = nnlib.MLP([2, 8, 2], activation="tanh", rng=rng)
    for _ in range(2000):
        net.train_step(X, y, 0.5)
    assert net.accuracy(X, y) == 1.0
