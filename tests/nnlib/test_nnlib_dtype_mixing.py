"""An MLP computes in its own dtype and never mixes dtypes silently (issue 16).

A float64 model fed float32 data used to compute in float64 at about a quarter of the float32
speed, without a word; PyTorch refuses the mix. Now every entry point of ``nnlib.MLP`` raises a
``TypeError`` naming both dtypes for floating data of the other dtype, and converts lists and
integer arrays (which carry no precision of their own) to the model's dtype.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnlib

F32, F64 = np.float32, np.float64
OTHER = {F32: F64, F64: F32}


def _net(dtype, output="softmax", seed=0):
    K = {"softmax": 3, "sigmoid": 1, "identity": 2}[output]
    return nnlib.MLP([4, 5, K], activation="relu", output=output, rng=np.random.default_rng(seed),
                     dtype=dtype)


def _data(dtype, output="softmax", N=6, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, 4)).astype(dtype)
    y = {"softmax": rng.integers(0, 3, N), "sigmoid": rng.integers(0, 2, N),
         "identity": rng.normal(size=(N, 2)).astype(dtype)}[output]
    return X, y


CALLS = {
    "forward": lambda net, X, y: net.forward(X),
    "__call__": lambda net, X, y: net(X),
    "predict": lambda net, X, y: net.predict(X),
    "accuracy": lambda net, X, y: net.accuracy(X, y),
    "loss": lambda net, X, y: net.loss(X, y),
    "loss_and_grads": lambda net, X, y: net.loss_and_grads(X, y),
    "train_step": lambda net, X, y: net.train_step(X, y, 0.1),
    "nnlib.train": lambda net, X, y: nnlib.train(net, X, y, lr=0.1, n_epochs=1, batch_size=None,
                                                 progress=False),
}


@pytest.mark.parametrize("call", CALLS, ids=list(CALLS))
@pytest.mark.parametrize("model_dtype", [F64, F32], ids=["float64 model", "float32 model"])
def test_floating_data_of_the_other_dtype_raises_naming_both(call, model_dtype):
    net = _net(model_dtype)
    X, y = _data(OTHER[model_dtype])
    before = [(W.copy(), b.copy()) for W, b in net.params]
    data, model = np.dtype(OTHER[model_dtype]).name, np.dtype(model_dtype).name
    with pytest.raises(TypeError, match=f"X has dtype {data} but this MLP has {model} parameters"):
        CALLS[call](net, X, y)
    for (W, b), (W0, b0) in zip(net.params, before, strict=True):  # a refused step changes nothing
        assert W.dtype == model_dtype
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)


def test_the_message_says_how_to_fix_it():
    net = _net(F64)
    X, _ = _data(F32)
    with pytest.raises(TypeError) as err:
        net(X)
    assert "X.astype(np.float64)" in str(err.value) and "dtype=np.float32" in str(err.value)


@pytest.mark.parametrize("model_dtype", [F64, F32], ids=["float64 model", "float32 model"])
def test_regression_targets_of_the_other_dtype_raise(model_dtype):
    net = _net(model_dtype, "identity")
    X, _ = _data(model_dtype, "identity")
    _, y_other = _data(OTHER[model_dtype], "identity")
    for call in ("loss", "loss_and_grads", "train_step"):
        with pytest.raises(TypeError, match=f"y has dtype {np.dtype(OTHER[model_dtype]).name}"):
            CALLS[call](net, X, y_other)


@pytest.mark.parametrize("output", nnlib.OUTPUTS)
@pytest.mark.parametrize("model_dtype", [F64, F32], ids=["float64 model", "float32 model"])
def test_matching_data_computes_in_the_models_dtype(output, model_dtype):
    net = _net(model_dtype, output)
    X, y = _data(model_dtype, output)
    out, caches = net.forward(X)
    assert out.dtype == model_dtype and all(Z.dtype == model_dtype for _, Z in caches)
    _, grads = net.loss_and_grads(X, y)
    assert all(dW.dtype == model_dtype and db.dtype == model_dtype for dW, db in grads)
    net.train_step(X, y, 0.1)
    nnlib.train(net, X, y, lr=0.1, n_epochs=2, batch_size=None, progress=False)
    assert all(W.dtype == model_dtype and b.dtype == model_dtype for W, b in net.params)


@pytest.mark.parametrize("model_dtype", [F64, F32], ids=["float64 model", "float32 model"])
def test_lists_and_integer_arrays_are_converted_to_the_models_dtype(model_dtype):
    net = _net(model_dtype)
    X_int = np.arange(12).reshape(3, 4) % 3
    y = np.array([0, 1, 2])
    for X in (X_int, X_int.tolist(), X_int.astype(bool), X_int.astype(float).tolist()):
        out, caches = net.forward(X)
        assert out.dtype == model_dtype and all(A.dtype == model_dtype for A, _ in caches)
        _, grads = net.loss_and_grads(X, y)
        assert all(dW.dtype == model_dtype for dW, _ in grads)
        net.train_step(X, y, 0.1)
        assert all(W.dtype == model_dtype for W, _ in net.params)
    nnlib.train(net, X_int, y, lr=0.1, n_epochs=2, batch_size=None, progress=False)
    assert all(W.dtype == model_dtype for W, _ in net.params)


def test_sigmoid_labels_of_any_numeric_dtype_are_labels_not_data():
    """0/1 labels are class indices: float64 labels on a float32 model are exact, not a mix."""
    net = _net(F32, "sigmoid")
    X, y = _data(F32, "sigmoid")
    _, grads = net.loss_and_grads(X, y.astype(F64))
    assert all(dW.dtype == F32 for dW, _ in grads)
    assert net.loss(X, y.astype(F64)) == pytest.approx(net.loss(X, y))


def test_non_numeric_data_raises_a_type_error():
    with pytest.raises(TypeError, match="X must be numeric"):
        _net(F64)(np.array([["a", "b", "c", "d"]]))
