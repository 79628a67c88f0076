"""Bad input gives a clear ValueError/TypeError naming the shapes or the value; and nothing changes
an array the caller passed in (inputs are passed read-only, so any in-place write raises)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import nnlib


def shape_re(*shapes):
    """A regex matching a message that names every one of ``shapes``, in any order."""
    return "".join(f"(?=.*{re.escape(str(s))})" for s in shapes)


# --- shapes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("X", "W", "b"), [
    ((4, 3), (2, 5), (2,)),   # n_in differs
    ((4, 3), (2, 3), (3,)),   # n_out differs
    ((4,), (2, 4), (2,)),     # X is not a batch
    ((4, 3), (2, 3), (2, 1)), # b is not a vector
])
def test_dense_forward_names_all_shapes(X, W, b):
    with pytest.raises(ValueError, match=shape_re(X, W, b)):
        nnlib.dense_forward(np.zeros(X), np.zeros(W), np.zeros(b))


def test_backward_passes_name_both_shapes():
    _, cache = nnlib.dense_forward(np.zeros((2, 3)), np.zeros((4, 3)), np.zeros(4))
    with pytest.raises(ValueError, match=shape_re((2, 3), (2, 4))):
        nnlib.dense_backward(np.zeros((2, 3)), cache)
    _, cache = nnlib.activation_forward(np.zeros((3, 2)), "relu")
    with pytest.raises(ValueError, match=shape_re((2, 3), (3, 2))):
        nnlib.activation_backward(np.zeros((2, 3)), cache)


@pytest.mark.parametrize(("loss_fn", "a", "y"), [
    (nnlib.squared_error, np.zeros(3), np.zeros(4)),
    (nnlib.squared_error, np.zeros((3, 1)), np.zeros(3)),  # (N, 1) vs (N,) must not broadcast
    (nnlib.binary_cross_entropy, np.full(3, 0.5), np.zeros(4, int)),
    (nnlib.binary_cross_entropy_with_logits, np.zeros((3, 1)), np.zeros(3, int)),
    (nnlib.hinge, np.zeros(3), np.ones(4, int)),
    (nnlib.softmax_cross_entropy, np.zeros((4, 3)), np.zeros(3, int)),
])
def test_losses_name_both_shapes(loss_fn, a, y):
    with pytest.raises(ValueError, match=shape_re(a.shape, y.shape)):
        loss_fn(a, y)


def test_softmax_cross_entropy_needs_a_score_matrix():
    with pytest.raises(ValueError, match=shape_re((4,))):
        nnlib.softmax_cross_entropy(np.zeros(4), np.zeros(4, int))


def test_mlp_params_that_do_not_fit_name_the_shapes():
    rng = np.random.default_rng(0)
    params = nnlib.init_params([3, 4, 2], rng)
    with pytest.raises(ValueError, match=shape_re((4, 3), "width 5")):
        nnlib.mlp_forward(np.zeros((2, 5)), params)
    bad_b = [(params[0][0], np.zeros(5)), params[1]]
    with pytest.raises(ValueError, match=shape_re((4, 3), (5,))):
        nnlib.mlp_loss_and_grads(np.zeros((2, 3)), np.zeros(2, int), bad_b)
    bad_chain = [params[0], (np.zeros((2, 6)), np.zeros(2))]  # layer 1 expects 6 inputs, gets 4
    with pytest.raises(ValueError, match=shape_re("layer 1", (2, 6), "width 4")):
        nnlib.mlp_forward(np.zeros((2, 3)), bad_chain)
    with pytest.raises(ValueError, match=shape_re((3,))):
        nnlib.mlp_forward(np.zeros(3), params)
    with pytest.raises(ValueError, match="empty"):
        nnlib.mlp_forward(np.zeros((2, 3)), [])
    net = nnlib.MLP([3, 4, 2], output="identity", rng=rng)
    with pytest.raises(ValueError, match=shape_re((2, 2), (2, 3))):
        net.loss_and_grads(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=shape_re((4,), (3,))):
        nnlib.MLP([3, 4, 2], rng=rng).loss_and_grads(np.zeros((4, 3)), np.zeros(3, int))


def test_other_shape_errors():
    with pytest.raises(ValueError, match=shape_re((2, 3), (2,))):
        nnlib.perceptron_predict(np.zeros((2, 3)), np.zeros(2), 0.0)
    with pytest.raises(ValueError, match=shape_re((2, 3), (2,))):
        nnlib.neuron_forward(np.zeros((2, 3)), np.zeros(2), 0.0)
    with pytest.raises(ValueError, match=shape_re((3,), (2,))):
        nnlib.neuron_sgd_step(np.zeros(3), 1, np.zeros(2), 0.0, 0.1)
    with pytest.raises(ValueError, match=shape_re((3,), (2,))):
        nnlib.hinge_sgd_update(np.zeros(2), 0.0, np.zeros(3), 1, 0.1)
    with pytest.raises(ValueError, match=r"3 rows.*4"):
        list(nnlib.iterate_minibatches(np.zeros((3, 2)), np.zeros(4), 2, np.random.default_rng(0)))
    with pytest.raises(ValueError, match="shape"):
        nnlib.perceptron_epoch(np.zeros((3, 2)), np.ones(2, int), np.zeros(2), 0.0)


# --- labels ---------------------------------------------------------------------------------------

def _mlp(output, K):
    return nnlib.MLP([2, 3, K], output=output, rng=np.random.default_rng(0))


X2 = np.zeros((3, 2))


@pytest.mark.parametrize(("call", "value"), [
    (lambda: nnlib.binary_cross_entropy(np.full(3, 0.5), np.array([0, 2, 1])), "2"),
    (lambda: nnlib.binary_cross_entropy_with_logits(np.zeros(3), np.array([0, 1, -1])), "-1"),
    (lambda: nnlib.hinge(np.zeros(3), np.array([1, 0, -1])), "0"),
    (lambda: nnlib.softmax_cross_entropy(np.zeros((2, 10)), np.array([3, 10])), "10"),
    (lambda: nnlib.softmax_cross_entropy(np.zeros((2, 10)), np.array([3, -1])), "-1"),
    (lambda: nnlib.softmax_cross_entropy(np.zeros((2, 10)), np.array([3, 0.5])), "0.5"),
    (lambda: nnlib.one_hot(np.array([0, 10]), 10), "10"),
    (lambda: nnlib.one_hot(np.array([0, -1]), 10), "-1"),
    (lambda: _mlp("softmax", 10).loss_and_grads(X2, np.array([0, 10, 1])), "10"),
    (lambda: _mlp("sigmoid", 1).loss_and_grads(X2, np.array([0, 2, 1])), "2"),
    (lambda: nnlib.train(_mlp("sigmoid", 1), X2, np.array([0, 2, 1]), progress=False), "2"),
    (lambda: nnlib.train(_mlp("softmax", 3), X2, np.array([0, 3, 1]), progress=False,
                         batch_size=None), "3"),
    (lambda: nnlib.perceptron_epoch(X2, np.array([1, 0, -1]), np.zeros(2), 0.0), "0"),
    (lambda: nnlib.train_perceptron(X2, np.array([1, 0, -1])), "0"),
    (lambda: nnlib.hinge_sgd_update(np.zeros(2), 0.0, np.zeros(2), 0, 0.1), "0"),
    (lambda: nnlib.neuron_sgd_step(np.zeros(2), 2, np.zeros(2), 0.0, 0.1), "2"),
    (lambda: nnlib.neuron_sgd_step(np.zeros(2), -1, np.zeros(2), 0.0, 0.1), "-1"),
    (lambda: nnlib.train_neuron(X2, np.array([0, 2, 1]), rng=np.random.default_rng(0)), "2"),
])
def test_bad_labels_are_named(call, value):
    with pytest.raises(ValueError) as info:
        call()
    msg = str(info.value)
    assert re.search(rf"found {re.escape(value)}\b", msg), msg
    assert "np.int64" not in msg and "np.float64" not in msg  # a student-readable value


def test_bad_label_messages_say_what_is_allowed():
    with pytest.raises(ValueError, match=r"only \[0, 1\], found 2 \(1 bad label"):
        nnlib.binary_cross_entropy(np.full(3, 0.5), np.array([0, 2, 1]))
    with pytest.raises(ValueError, match=r"only \[-1, 1\], found 0"):
        nnlib.hinge(np.zeros(2), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"0\.\.9, found 10"):
        nnlib.softmax_cross_entropy(np.zeros((1, 10)), np.array([10]))


# --- names ----------------------------------------------------------------------------------------

VALID_ACTIVATIONS = sorted(nnlib.ACTIVATIONS)


@pytest.mark.parametrize("call", [
    lambda: nnlib.get_activation("softplus"),
    lambda: nnlib.activation_forward(np.zeros(2), "softplus"),
    lambda: nnlib.mlp_forward(np.zeros((1, 2)), nnlib.init_params([2, 1], np.random.default_rng(0)),
                              "softplus"),
    lambda: nnlib.MLP([2, 3, 2], activation="softplus", rng=np.random.default_rng(0)),
])
def test_unknown_activation_lists_the_valid_names(call):
    with pytest.raises(ValueError) as info:
        call()
    msg = str(info.value)
    assert "'softplus'" in msg
    assert all(name in msg for name in VALID_ACTIVATIONS), msg


def test_unknown_activation_in_a_cache():
    with pytest.raises(ValueError, match="'swish'"):
        nnlib.activation_backward(np.zeros(2), (np.zeros(2), "swish"))
    with pytest.raises(ValueError, match="valid names"):
        nnlib.get_activation(None)


@pytest.mark.parametrize("call", [
    lambda: nnlib.MLP([2, 3, 2], output="tanh", rng=np.random.default_rng(0)),
    lambda: nnlib.mlp_forward(np.zeros((1, 2)), nnlib.init_params([2, 1], np.random.default_rng(0)),
                              "relu", "tanh"),
])
def test_unknown_output_lists_the_valid_outputs(call):
    with pytest.raises(ValueError) as info:
        call()
    msg = str(info.value)
    assert "'tanh'" in msg and all(o in msg for o in nnlib.OUTPUTS), msg


def test_other_unknown_names():
    with pytest.raises(ValueError, match=r"'hinge'.*squared.*cross_entropy"):
        nnlib.neuron_sgd_step(np.zeros(2), 1, np.zeros(2), 0.0, 0.1, loss="hinge")
    with pytest.raises(ValueError, match=r"'foo'.*sine"):
        nnlib.make_regression_1d("foo", 10, np.random.default_rng(0))
    with pytest.raises(ValueError, match="sigmoid output has 1 unit, got 2"):
        nnlib.MLP([2, 3, 2], output="sigmoid", rng=np.random.default_rng(0))


# --- learning rates -------------------------------------------------------------------------------

def _train_call(lr, n_epochs=1):
    net = _mlp("softmax", 2)
    return lambda: nnlib.train(net, X2, np.array([0, 1, 0]), lr=lr, n_epochs=n_epochs, progress=False,
                               batch_size=None)


LR_CALLS = {
    "perceptron_epoch": lambda lr: nnlib.perceptron_epoch(X2, np.ones(3, int), np.zeros(2), 0.0, lr),
    "train_perceptron": lambda lr: nnlib.train_perceptron(X2, np.ones(3, int), lr=lr),
    "neuron_sgd_step": lambda lr: nnlib.neuron_sgd_step(np.zeros(2), 1, np.zeros(2), 0.0, lr),
    "hinge_sgd_update": lambda lr: nnlib.hinge_sgd_update(np.zeros(2), 0.0, np.zeros(2), 1, lr),
    "train": lambda lr: _train_call(lr)(),
    "sgd_epoch": lambda lr: nnlib.sgd_epoch(nnlib.init_params([2, 2], np.random.default_rng(0)),
                                            lambda p, X, y: (0.0, p), X2, np.zeros(3, int), lr, 2,
                                            np.random.default_rng(0)),
    "constant": lambda lr: nnlib.constant(lr),
    "step_decay": lambda lr: nnlib.step_decay(lr),
    "inverse_time_decay": lambda lr: nnlib.inverse_time_decay(lr),
}


@pytest.mark.parametrize("lr", [0, -0.5, float("nan")])
@pytest.mark.parametrize("where", sorted(LR_CALLS))
def test_non_positive_learning_rate_is_named(where, lr):
    with pytest.raises(ValueError, match=rf"positive.*got {re.escape(repr(lr))}"):
        LR_CALLS[where](lr)


def test_a_schedule_that_reaches_zero_is_caught_at_that_epoch():
    with pytest.raises(ValueError, match=r"learning rate.*got 0\.0"):
        _train_call(lambda epoch: 0.1 if epoch == 0 else 0.0, n_epochs=3)()
    # ... and the first epoch did run with the good rate
    net = _mlp("softmax", 2)
    hist = nnlib.train(net, X2, np.array([0, 1, 0]), lr=lambda e: 0.5, n_epochs=2, progress=False,
                       batch_size=None)
    assert hist.lr == [0.5, 0.5]


def test_other_bad_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"batch_size.*0"):
        list(nnlib.iterate_minibatches(X2, np.zeros(3), 0, rng))
    with pytest.raises(TypeError, match="rng"):
        list(nnlib.iterate_minibatches(X2, np.zeros(3), 2))
    with pytest.raises(TypeError, match="rng"):
        nnlib.MLP([2, 2])
    with pytest.raises(TypeError, match="rng"):
        nnlib.init_params([2, 2], rng=0)
    with pytest.raises(ValueError, match=r"\[3\]"):
        nnlib.init_params([3], rng)
    with pytest.raises(ValueError, match=r"n_epochs.*0"):
        nnlib.train(_mlp("softmax", 2), X2, np.zeros(3, int), n_epochs=0, progress=False)
    with pytest.raises(TypeError, match="rng"):
        nnlib.train(_mlp("softmax", 2), X2, np.zeros(3, int), batch_size=2, progress=False)
    with pytest.raises(ValueError, match=r"n_epochs.*0"):
        nnlib.train_perceptron(X2, np.ones(3, int), n_epochs=0)
    with pytest.raises(TypeError, match="rng"):
        nnlib.train_neuron(X2, np.ones(3, int))
    with pytest.raises(ValueError, match=r"0 in \[3, 0, 2\]"):
        nnlib.count_parameters([3, 0, 2])
    with pytest.raises(ValueError, match=r"\[3\]"):
        nnlib.count_parameters([3])
    with pytest.raises(ValueError, match=r"drop.*0"):
        nnlib.step_decay(0.1, drop=0)
    with pytest.raises(TypeError, match=r"numeric.*<U1"):
        nnlib.sigmoid(np.array(["a"]))
    with pytest.raises(ValueError, match="strictly increasing"):
        nnlib.bump_network(np.array([0.0, 0.0]), np.array([1.0]), 10.0)
    with pytest.raises(ValueError, match=r"steepness.*-1"):
        nnlib.bump_network(np.array([0.0, 1.0]), np.array([1.0]), -1.0)
    with pytest.raises(RuntimeError, match="fit"):
        nnlib.Perceptron().predict(X2)
