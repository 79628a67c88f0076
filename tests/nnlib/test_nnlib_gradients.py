"""Every backward pass against float64 central differences (h = 1e-5), whole-array relative error
below 1e-7, computed with this suite's own finite-difference code (``_nnlib_helpers``), not nnlib's.

ReLU-like kinks are kept away from: inputs are pushed at least 0.1 from 0 for the element-wise tests,
and the MLP tests pick the first seed whose hidden pre-activations all stay 1e-3 away from 0.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _nnlib_helpers import GRAD_TOL, central_difference, rel_err

import nnlib

ACTIVATION_NAMES = sorted(nnlib.ACTIVATIONS)
KINKED = {"step", "relu", "leaky_relu"}


def away_from_zero(z, margin=0.1):
    """``z`` with every entry moved at least ``margin`` from 0, keeping its sign."""
    return np.where(z >= 0, 1.0, -1.0) * np.maximum(np.abs(z), margin)


# --- activations ----------------------------------------------------------------------------------

def test_activation_table_is_complete():
    assert set(nnlib.ACTIVATIONS) == {"step", "sigmoid", "tanh", "relu", "leaky_relu", "identity"}
    assert nnlib.ACTIVATIONS["sigmoid"] == (nnlib.sigmoid, nnlib.sigmoid_prime)
    assert nnlib.get_activation("leaky_relu") == (nnlib.leaky_relu, nnlib.leaky_relu_prime)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_derivative_matches_central_differences(name):
    g, g_prime = nnlib.get_activation(name)
    z = away_from_zero(np.random.default_rng(1).normal(scale=3.0, size=(4, 5)))
    h = 1e-5
    numeric = (g(z + h) - g(z - h)) / (2 * h)  # element-wise: each output depends on one input
    assert rel_err(g_prime(z), numeric) < GRAD_TOL


def test_derivatives_have_the_textbook_values():
    z = np.array([-2.0, -0.5, 0.5, 2.0])
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(nnlib.sigmoid_prime(z), s * (1 - s), rtol=1e-14)
    np.testing.assert_allclose(nnlib.tanh_prime(z), 1 / np.cosh(z) ** 2, rtol=1e-14)
    np.testing.assert_array_equal(nnlib.relu_prime(z), [0, 0, 1, 1])
    np.testing.assert_array_equal(nnlib.leaky_relu_prime(z), [0.1, 0.1, 1, 1])
    np.testing.assert_array_equal(nnlib.leaky_relu(z), [-0.2, -0.05, 0.5, 2.0])
    np.testing.assert_array_equal(nnlib.step_prime(z), 0)
    np.testing.assert_array_equal(nnlib.identity_prime(z), 1)
    assert nnlib.LEAKY_SLOPE == 0.1
    # the kink: ReLU's derivative at 0 is taken to be 0, leaky ReLU's to be the slope 0.1
    assert nnlib.relu_prime(np.array([0.0]))[0] == 0
    assert nnlib.leaky_relu_prime(np.array([0.0]))[0] == 0.1


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_backward_matches_central_differences(name):
    rng = np.random.default_rng(2)
    Z = away_from_zero(rng.normal(scale=2.0, size=(3, 4)))
    G = rng.normal(size=(3, 4))  # upstream gradient dL/dA of L = sum(G * A)
    A, cache = nnlib.activation_forward(Z, name)
    np.testing.assert_array_equal(A, nnlib.get_activation(name)[0](Z))
    dZ = nnlib.activation_backward(G, cache)
    numeric = central_difference(lambda z: np.sum(G * nnlib.activation_forward(z, name)[0]), Z)
    assert dZ.shape == Z.shape
    assert rel_err(dZ, numeric) < GRAD_TOL


# --- dense layer ----------------------------------------------------------------------------------

def test_dense_backward_matches_central_differences():
    rng = np.random.default_rng(3)
    X, W, b = rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), rng.normal(size=4)
    G = rng.normal(size=(5, 4))  # dL/dZ of L = sum(G * Z)
    _, cache = nnlib.dense_forward(X, W, b)
    dX, dW, db = nnlib.dense_backward(G, cache)
    assert (dX.shape, dW.shape, db.shape) == (X.shape, W.shape, b.shape)
    loss = lambda X_, W_, b_: np.sum(G * nnlib.dense_forward(X_, W_, b_)[0])  # noqa: E731
    assert rel_err(dX, central_difference(lambda x: loss(x, W, b), X)) < GRAD_TOL
    assert rel_err(dW, central_difference(lambda w: loss(X, w, b), W)) < GRAD_TOL
    assert rel_err(db, central_difference(lambda c: loss(X, W, c), b)) < GRAD_TOL


def test_dense_backward_sums_over_the_batch_and_does_not_average():
    # Two identical examples give exactly twice the one-example dW and db.
    X1, W, b = np.array([[1.0, 2.0]]), np.array([[0.5, -1.0]]), np.array([0.25])
    dZ1 = np.array([[3.0]])
    _, dW1, db1 = nnlib.dense_backward(dZ1, nnlib.dense_forward(X1, W, b)[1])
    _, dW2, db2 = nnlib.dense_backward(np.vstack([dZ1, dZ1]),
                                       nnlib.dense_forward(np.vstack([X1, X1]), W, b)[1])
    np.testing.assert_array_equal(dW1, [[3.0, 6.0]])  # dZ^T X = 3 * [1, 2]
    np.testing.assert_array_equal(dW2, 2 * dW1)
    np.testing.assert_array_equal(db2, 2 * db1)


# --- losses ---------------------------------------------------------------------------------------

def _loss_cases():
    rng = np.random.default_rng(4)
    hinge_y = rng.choice([-1, 1], size=7)
    hinge_z = rng.normal(scale=2.0, size=7)
    # keep 1 - y z at least 0.05 from the kink
    margin = 1 - hinge_y * hinge_z
    hinge_z = np.where(np.abs(margin) < 0.05, hinge_z + 0.2 * hinge_y, hinge_z)
    return {
        "squared_error_1d": (nnlib.squared_error, rng.normal(size=6), rng.normal(size=6)),
        "squared_error_2d": (nnlib.squared_error, rng.normal(size=(4, 3)), rng.normal(size=(4, 3))),
        "binary_cross_entropy": (nnlib.binary_cross_entropy, rng.uniform(0.05, 0.95, size=6),
                                 rng.integers(0, 2, size=6)),
        "binary_cross_entropy_2d": (nnlib.binary_cross_entropy, rng.uniform(0.05, 0.95, (5, 1)),
                                    rng.integers(0, 2, size=(5, 1))),
        "binary_cross_entropy_with_logits": (nnlib.binary_cross_entropy_with_logits,
                                             rng.normal(scale=3.0, size=6), rng.integers(0, 2, 6)),
        "softmax_cross_entropy": (nnlib.softmax_cross_entropy, rng.normal(scale=2.0, size=(5, 4)),
                                  rng.integers(0, 4, size=5)),
        "hinge": (nnlib.hinge, hinge_z, hinge_y),
    }


LOSS_CASES = _loss_cases()


@pytest.mark.parametrize("case", sorted(LOSS_CASES))
def test_loss_gradient_matches_central_differences(case):
    loss_fn, A, y = LOSS_CASES[case]
    loss, grad = loss_fn(A, y)
    assert grad.shape == A.shape
    numeric = central_difference(lambda a: loss_fn(a, y)[0], A)
    assert rel_err(grad, numeric) < GRAD_TOL
    assert np.isclose(loss, loss_fn(A, y)[0])


def test_losses_are_means_over_the_batch():
    # Repeating the batch twice leaves the mean loss unchanged and halves each gradient entry.
    for loss_fn, A, y in LOSS_CASES.values():
        loss1, g1 = loss_fn(A, y)
        loss2, g2 = loss_fn(np.concatenate([A, A]), np.concatenate([y, y]))
        np.testing.assert_allclose(loss2, loss1, rtol=1e-13)
        np.testing.assert_allclose(g2[: len(A)], g1 / 2, rtol=1e-13)


# --- whole MLP ------------------------------------------------------------------------------------

OUTPUT_WIDTH = {"softmax": 3, "sigmoid": 1, "identity": 2}
DEPTH_SIZES = {0: [3], 1: [3, 4], 2: [3, 4, 5], 3: [3, 4, 5, 4]}  # input + hidden widths


def _targets(output, N, rng):
    if output == "softmax":
        return rng.integers(0, OUTPUT_WIDTH["softmax"], size=N)
    if output == "sigmoid":
        return rng.integers(0, 2, size=N)
    return rng.normal(size=(N, OUTPUT_WIDTH["identity"]))


def _params(sizes, rng):
    # random (non-zero) biases so that db is tested too
    return [(rng.normal(scale=0.8, size=(n_out, n_in)), rng.normal(scale=0.5, size=n_out))
            for n_in, n_out in itertools.pairwise(sizes)]


def mlp_case(activation, output, depth, N=5):
    """``(X, y, params)`` for the first seed whose hidden pre-activations are all >= 1e-3 from 0
    (so that no central difference straddles a ReLU/step kink)."""
    sizes = [*DEPTH_SIZES[depth], OUTPUT_WIDTH[output]]
    for seed in range(100):
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(N, sizes[0]))
        params = _params(sizes, rng)
        y = _targets(output, N, rng)
        _, caches = nnlib.mlp_forward(X, params, activation, output)
        hidden_Z = [Z for _, Z in caches[:-1]]
        if activation not in KINKED or all(np.abs(Z).min() > 1e-3 for Z in hidden_Z):
            return X, y, params
    raise AssertionError("no seed in 0..99 keeps the pre-activations away from the kink")


def _replace(params, i, j, value):
    new = [list(p) for p in params]
    new[i][j] = value
    return [tuple(p) for p in new]


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("output", nnlib.OUTPUTS)
@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_mlp_gradients_match_central_differences(activation, output, depth):
    X, y, params = mlp_case(activation, output, depth)
    _, grads = nnlib.mlp_loss_and_grads(X, y, params, activation, output)
    assert len(grads) == len(params) == depth + 1
    for i, ((W, b), (dW, db)) in enumerate(zip(params, grads, strict=True)):
        assert dW.shape == W.shape and db.shape == b.shape
        for j, (p, dp) in enumerate(((W, dW), (b, db))):
            numeric = central_difference(
                lambda v, i=i, j=j: nnlib.mlp_loss_and_grads(X, y, _replace(params, i, j, v),
                                                            activation, output)[0], p)
            err = rel_err(dp, numeric)
            assert err < GRAD_TOL, f"layer {i} {'Wb'[j]}: relative error {err:.2e}"
    # the dead step units pass no gradient back: every layer below the last has zero gradient
    if activation == "step":
        assert all(not dW.any() and not db.any() for dW, db in grads[:-1])
    else:
        assert all(dW.any() for dW, _ in grads)


@pytest.mark.parametrize("output", nnlib.OUTPUTS)
def test_mlp_without_hidden_layer_matches_central_differences(output):
    # depth 0: softmax / logistic / linear regression
    X, y, params = mlp_case("relu", output, 0)
    _, [(dW, db)] = nnlib.mlp_loss_and_grads(X, y, params, "relu", output)
    (W, b), = params
    num_W = central_difference(lambda v: nnlib.mlp_loss_and_grads(X, y, [(v, b)], "relu", output)[0], W)
    num_b = central_difference(lambda v: nnlib.mlp_loss_and_grads(X, y, [(W, v)], "relu", output)[0], b)
    assert rel_err(dW, num_W) < GRAD_TOL and rel_err(db, num_b) < GRAD_TOL


def test_mlp_loss_is_the_matching_loss_of_the_output():
    for output in nnlib.OUTPUTS:
        X, y, params = mlp_case("tanh", output, 2)
        loss, _ = nnlib.mlp_loss_and_grads(X, y, params, "tanh", output)
        out, caches = nnlib.mlp_forward(X, params, "tanh", output)
        Z = caches[-1][1]
        if output == "softmax":
            expected = -np.mean(np.log(out[np.arange(len(y)), y]))
        elif output == "sigmoid":
            p = out[:, 0]
            expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        else:
            expected = np.sum((Z - y) ** 2) / len(X)
        np.testing.assert_allclose(loss, expected, rtol=1e-12)


def test_mlp_class_agrees_with_the_functions():
    rng = np.random.default_rng(6)
    net = nnlib.MLP([3, 5, 4, 2], activation="tanh", output="softmax", rng=rng)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 2, size=6)
    loss, grads = net.loss_and_grads(X, y)
    loss_f, grads_f = nnlib.mlp_loss_and_grads(X, y, net.params, "tanh", "softmax")
    assert loss == loss_f and net.loss(X, y) == pytest.approx(float(loss), rel=1e-15)
    for (a, b), (c, d) in zip(grads, grads_f, strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    np.testing.assert_array_equal(net(X), nnlib.mlp_forward(X, net.params, "tanh", "softmax")[0])


# --- nnlib.gradcheck itself -----------------------------------------------------------------------

def test_numerical_gradient_matches_an_analytic_gradient_and_restores_x():
    x = np.random.default_rng(7).normal(size=(3, 4))
    before = x.copy()
    f = lambda v: np.sum(np.sin(v) * v**2)  # noqa: E731
    exact = np.cos(x) * x**2 + 2 * x * np.sin(x)
    num = nnlib.numerical_gradient(f, x)
    assert rel_err(num, exact) < 1e-9
    np.testing.assert_array_equal(x, before)  # restored bit for bit
    np.testing.assert_allclose(num, central_difference(f, x), rtol=1e-12, atol=1e-14)


def test_numerical_gradient_rejects_what_it_cannot_perturb():
    with pytest.raises(TypeError, match="int64"):
        nnlib.numerical_gradient(np.sum, np.arange(3))
    with pytest.raises(ValueError, match="contiguous"):
        nnlib.numerical_gradient(np.sum, np.zeros((3, 4))[:, :2])  # no flat view of it exists
    # a strided view that *can* be flattened in place is fine, and is restored afterwards
    base = np.arange(12.0).reshape(3, 4)
    view = base[:, ::2]
    np.testing.assert_allclose(nnlib.numerical_gradient(lambda v: np.sum(v**2), view), 2 * view)
    np.testing.assert_array_equal(base, np.arange(12.0).reshape(3, 4))


def test_relative_error_values():
    a = np.array([3.0, 4.0])
    assert nnlib.relative_error(a, a) == 0.0
    assert nnlib.relative_error(a, np.zeros(2)) == 1.0
    assert nnlib.relative_error(np.zeros(2), np.zeros(2)) == 0.0   # the floor avoids 0/0
    # ||(0, 0.5)|| / (||(3, 4)|| + ||(3, 4.5)||) = 0.5 / (5 + sqrt(29.25))
    assert nnlib.relative_error(a, [3.0, 4.5]) == pytest.approx(0.5 / (5 + np.sqrt(29.25)), rel=1e-14)
    b = np.random.default_rng(8).normal(size=(2, 3))
    assert nnlib.relative_error(b, 1.001 * b) == pytest.approx(rel_err(b, 1.001 * b), rel=1e-12)
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        nnlib.relative_error(np.zeros(2), np.zeros(3))


@pytest.mark.parametrize("output", nnlib.OUTPUTS)
def test_check_mlp_gradients_passes_a_correct_model(output):
    rng = np.random.default_rng(9)
    net = nnlib.MLP([3, 4, 3, OUTPUT_WIDTH[output]], activation="tanh", output=output, rng=rng)
    X = rng.normal(size=(6, 3))
    y = _targets(output, 6, rng)
    before = [(W.copy(), b.copy()) for W, b in net.params]
    assert nnlib.check_mlp_gradients(net, X, y) < GRAD_TOL
    for (W, b), (W0, b0) in zip(net.params, before, strict=True):  # weights restored exactly
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)


class _ForgetsTheDerivative(nnlib.MLP):
    """A classic student bug: backpropagates through the hidden layer without the g'(z) factor."""

    def loss_and_grads(self, X, y):
        _, (W2, _) = self.params
        out, caches = self.forward(X)
        delta = (out - nnlib.one_hot(y, out.shape[1])) / len(X)  # softmax output, fused delta
        A1 = caches[1][0]
        delta1 = delta @ W2  # missing * g'(Z1)
        return self.loss(X, y), [(delta1.T @ X, delta1.sum(0)), (delta.T @ A1, delta.sum(0))]


class _ScalesOneGradient(nnlib.MLP):
    """A subtle bug: one bias gradient 1% too large."""

    def loss_and_grads(self, X, y):
        loss, grads = super().loss_and_grads(X, y)
        dW, db = grads[0]
        grads[0] = (dW, 1.01 * db)
        return loss, grads


@pytest.mark.parametrize("buggy", [_ForgetsTheDerivative, _ScalesOneGradient])
def test_check_mlp_gradients_catches_a_wrong_gradient(buggy):
    rng = np.random.default_rng(10)
    net = buggy([3, 4, 3], activation="sigmoid", output="softmax", rng=rng)
    net.params = [(W, rng.normal(size=b.shape)) for W, b in net.params]
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 3, size=6)
    assert nnlib.check_mlp_gradients(net, X, y) > 1e-3
