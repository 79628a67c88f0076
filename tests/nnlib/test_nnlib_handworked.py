"""Forward passes and counts worked by hand, the arithmetic in the comments."""

from __future__ import annotations

import numpy as np
import pytest

import nnlib

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def test_xor_relu_network_by_hand():
    # Purdue's exact XOR solution y = w . relu(W x + c), W = [[1, 1], [1, 1]], c = [0, -1], w = [1, -2].
    W, c, w = nnlib.xor_relu_weights()
    np.testing.assert_array_equal(W, [[1, 1], [1, 1]])
    np.testing.assert_array_equal(c, [0, -1])
    np.testing.assert_array_equal(w, [1, -2])
    # x = (0,0): W x + c = (0, -1),  relu -> (0, 0),  w . h = 0
    # x = (0,1): W x + c = (1,  0),  relu -> (1, 0),  w . h = 1
    # x = (1,0): W x + c = (1,  0),  relu -> (1, 0),  w . h = 1
    # x = (1,1): W x + c = (2,  1),  relu -> (2, 1),  w . h = 2 - 2 = 0
    np.testing.assert_array_equal(nnlib.xor_network(XOR_X, W, c, w), [0, 1, 1, 0])
    # the same net through the MLP's forward pass: hidden (W, c) with ReLU, linear output (w, 0)
    out, caches = nnlib.mlp_forward(XOR_X, [(W, c), (w[None, :], np.zeros(1))], "relu", "identity")
    np.testing.assert_array_equal(out[:, 0], [0, 1, 1, 0])
    np.testing.assert_array_equal(caches[0][1], [[0, -1], [1, 0], [1, 0], [2, 1]])  # Z1 above
    np.testing.assert_array_equal(caches[1][0], [[0, 0], [1, 0], [1, 0], [2, 1]])   # relu(Z1)
    _, y = nnlib.make_xor()
    np.testing.assert_array_equal(nnlib.xor_network(XOR_X, W, c, w), y)


def test_2_2_1_mlp_forward_and_backward_by_hand():
    X = np.array([[1.0, 2.0]])
    W1, b1 = np.array([[1.0, -1.0], [0.5, 2.0]]), np.array([0.0, -1.0])
    W2, b2 = np.array([[2.0, -1.0]]), np.array([0.5])
    params = [(W1, b1), (W2, b2)]
    # z1 = W1 x + b1 = (1*1 - 1*2 + 0, 0.5*1 + 2*2 - 1) = (-1, 3.5);  h = relu(z1) = (0, 3.5)
    # z2 = W2 h + b2 = 2*0 - 1*3.5 + 0.5 = -3
    out, caches = nnlib.mlp_forward(X, params, "relu", "identity")
    np.testing.assert_array_equal(caches[0][1], [[-1.0, 3.5]])
    np.testing.assert_array_equal(caches[1][0], [[0.0, 3.5]])
    np.testing.assert_array_equal(out, [[-3.0]])
    # sigmoid output: 1 / (1 + e^3) = 0.04742587317756678
    out_s, _ = nnlib.mlp_forward(X, params, "relu", "sigmoid")
    assert out_s[0, 0] == pytest.approx(0.04742587317756678, rel=1e-14)
    # tanh hidden: h = (tanh(-1), tanh(3.5)) = (-0.76159416, 0.99817790)
    # z2 = 2 * (-0.76159416) - 0.99817790 + 0.5 = -2.0213662
    out_t, _ = nnlib.mlp_forward(X, params, "tanh", "identity")
    assert out_t[0, 0] == pytest.approx(2 * np.tanh(-1) - np.tanh(3.5) + 0.5, rel=1e-14)
    assert out_t[0, 0] == pytest.approx(-2.0213662, abs=1e-7)

    # squared error against y = 1: L = (z2 - y)^2 = (-3 - 1)^2 = 16 (batch of one)
    # dL/dz2 = 2 (z2 - y) = -8;  dW2 = -8 * h = (0, -28);  db2 = -8
    # delta1 = (-8 * W2) * relu'(z1) = (-16, 8) * (0, 1) = (0, 8)
    # dW1 = delta1^T x = [[0, 0], [8, 16]];  db1 = (0, 8)
    loss, [(dW1, db1), (dW2, db2)] = nnlib.mlp_loss_and_grads(X, np.array([1.0]), params, "relu",
                                                              "identity")
    assert loss == 16.0
    np.testing.assert_array_equal(dW2, [[0.0, -28.0]])
    np.testing.assert_array_equal(db2, [-8.0])
    np.testing.assert_array_equal(dW1, [[0.0, 0.0], [8.0, 16.0]])
    np.testing.assert_array_equal(db1, [0.0, 8.0])


def test_softmax_and_cross_entropy_by_hand():
    # softmax(0, ln 2, ln 3) = (1, 2, 3) / 6;  -log p[2] = log 2
    Z = np.array([[0.0, np.log(2.0), np.log(3.0)]])
    np.testing.assert_allclose(nnlib.softmax(Z), [[1 / 6, 2 / 6, 3 / 6]], rtol=1e-14)
    loss, dZ = nnlib.softmax_cross_entropy(Z, np.array([2]))
    assert loss == pytest.approx(np.log(2.0), rel=1e-14)
    np.testing.assert_allclose(dZ, [[1 / 6, 2 / 6, 3 / 6 - 1]], rtol=1e-14)  # p - onehot
    # hinge: y = +1, z = 0.25 -> max(0, 1 - 0.25) = 0.75, gradient -1;  y = -1, z = -2 -> 0, gradient 0
    loss, dz = nnlib.hinge(np.array([0.25, -2.0]), np.array([1, -1]))
    assert loss == 0.375  # (0.75 + 0) / 2
    np.testing.assert_array_equal(dz, [-0.5, 0.0])


def test_dense_forward_by_hand():
    # one row x = (1, 2):  z = W x + b = (1*1 + 1*2 + 0.5, 0*1 - 1*2 + 0) = (3.5, -2)
    Z, _ = nnlib.dense_forward(np.array([[1.0, 2.0]]), np.array([[1.0, 1.0], [0.0, -1.0]]),
                               np.array([0.5, 0.0]))
    np.testing.assert_array_equal(Z, [[3.5, -2.0]])


def test_the_lectures_parameter_counts():
    # UMass 3-4-2: (3*4 + 4) + (4*2 + 2) = 16 + 10 = 26
    assert nnlib.count_parameters([3, 4, 2]) == 26
    # UMass 3-4-3-2: (3*4 + 4) + (4*3 + 3) + (3*2 + 2) = 16 + 15 + 8 = 39
    assert nnlib.count_parameters([3, 4, 3, 2]) == 39
    # UCI MNIST 784-200-200-10: 785*200 + 201*200 + 201*10 = 157,000 + 40,200 + 2,010 = 199,210
    assert nnlib.count_parameters([784, 200, 200, 10]) == 199_210
    # without biases: 784*200 + 200*200 + 200*10 = 156,800 + 40,000 + 2,000 = 198,800
    assert nnlib.count_parameters([784, 200, 200, 10], bias=False) == 198_800
    # UCI: d H + (L-1) H^2 + H K with d = 10^4, H = 300, L = 10, K = 1000:
    # 3,000,000 + 9 * 90,000 + 300,000 = 3,000,000 + 810,000 + 300,000 = 4,110,000
    assert nnlib.uci_estimate(10_000, 300, 10, 1000) == 4_110_000
    assert nnlib.count_parameters([10_000] + [300] * 10 + [1000], bias=False) == 4_110_000
    # UCI's [d, M, 1] formula (d + 1) M + (M + 1): d = 3, M = 5 -> 20 + 6 = 26
    assert nnlib.count_parameters([3, 5, 1]) == (3 + 1) * 5 + (5 + 1) == 26


def test_mlp_n_params_agrees_with_count_parameters():
    rng = np.random.default_rng(0)
    assert nnlib.MLP([3, 4, 2], rng=rng).n_params == 26
    assert nnlib.MLP([3, 4, 3, 2], rng=rng).n_params == 39
    assert nnlib.MLP([784, 200, 200, 10], rng=rng).n_params == 199_210


def test_gpt3_memory_and_the_famous_networks_table():
    # 175e9 parameters * 4 bytes (float32) = 700e9 bytes = 700 GB
    assert nnlib.memory_bytes(175_000_000_000, "float32") == 700_000_000_000
    assert nnlib.memory_bytes(175_000_000_000, "float64") == 1_400_000_000_000
    assert nnlib.memory_bytes(10, "float16") == 20
    assert nnlib.BYTES_PER_PARAMETER["float32"] == 4
    table = {net.n_params: net for net in nnlib.FAMOUS_NETWORKS}
    for n in (26, 39, 199_210, 4_110_000, 60_000_000, 4_000_000, 175_000_000_000):
        assert n in table, f"{n:,} missing from FAMOUS_NETWORKS"
    assert table[175_000_000_000].float32_bytes == 700 * 10**9
    assert "700 GB" in table[175_000_000_000].note
    with pytest.raises(ValueError, match="bfloat8"):
        nnlib.memory_bytes(1, "bfloat8")


def test_bump_network_by_hand():
    # One bump of height 2 on [0, 1], steepness 50: 2 (sigmoid(50 x) - sigmoid(50 (x - 1))).
    # at x = 0.5: 2 (sigmoid(25) - sigmoid(-25)) = 2 (1 - 2 sigmoid(-25)) ~ 2 - 5.6e-11
    params = nnlib.bump_network(np.array([0.0, 1.0]), np.array([2.0]), 50.0)
    (W1, b1), (W2, _) = params
    np.testing.assert_array_equal(W1, [[50.0], [50.0]])
    np.testing.assert_array_equal(b1, [0.0, -50.0])  # bias -s t for the edges t = 0 and t = 1
    np.testing.assert_array_equal(W2, [[2.0, -2.0]])
    y = nnlib.bump_forward(np.array([[0.5], [-1.0], [2.0]]), params)
    s = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    np.testing.assert_allclose(y, [2 * (s(25) - s(-25)), 2 * (s(-50) - s(-100)), 2 * (s(100) - s(50))],
                               rtol=1e-12, atol=1e-300)
    # far from the knots a sum of bumps is close to the target function (universal approximation)
    f = nnlib.TARGET_FUNCTIONS["sine"]
    x = np.linspace(-0.9, 0.9, 50)[:, None]
    approx = nnlib.bump_forward(x, nnlib.fit_bumps(f, 40, 2000.0))
    assert np.max(np.abs(approx - f(x[:, 0]))) < 0.1  # midpoint heights: error <= pi * (1/40) ~ 0.08
