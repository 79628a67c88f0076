"""Case generators of notebook 06 (backpropagation, numerical gradients, relative error).

Each generator is ``(rng, hidden) -> [(label, args, tags)]``; see :mod:`autograder.checks.cases`."""

from __future__ import annotations

import numpy as np

import nnlib

from .case_tools import F32, TIMING_N, TIMING_N_MLP, away_from_zero, layer_params, normal
from .wire import FnSpec


def _dense_backward(rng, hidden):
    out = []
    for N, n_in, n_out, dt, label in ((2, 3, 4, np.float64, "small non-square layer"),
                                      (1, 3, 4, np.float64, "batch of one"),
                                      (5, 3, 2, np.float64, "non-square layer"),
                                      (32, 6, 4, np.float64, "a batch of 32"),
                                      (4, 4, 4, np.float64, "square layer"),
                                      (7, 5, 3, F32, "float32")):
        X, W = normal(rng, (N, n_in), 1, dt), normal(rng, (n_out, n_in), 1, dt)
        dZ = normal(rng, (N, n_out), 1 / N, dt)
        out.append((f"{label}: N={N}, n_in={n_in}, n_out={n_out}", (dZ, (X, W)), ()))
    X, W = normal(rng, (TIMING_N, 8)), normal(rng, (4, 8))
    out.append(("large batch (timing)", (normal(rng, (TIMING_N, 4)), (X, W)), ("timing",)))
    return out


def _activation_backward(rng, hidden):
    out = []
    for (N, n), name in zip(((3, 4), (1, 5), (6, 2), (4, 3), (5, 5)),
                            ("sigmoid", "tanh", "relu", "leaky_relu", "sigmoid"), strict=True):
        Z = away_from_zero(normal(rng, (N, n), 2))
        out.append((f"{name}: N={N}, n={n}", (normal(rng, (N, n)), (Z, name)), ()))
    Z = away_from_zero(normal(rng, (4, 3), 2, F32))
    out.append(("tanh, float32", (normal(rng, (4, 3), 1, F32), (Z, "tanh")), ()))
    for name in ("identity", "step"):
        Z = away_from_zero(normal(rng, (3, 4), 2))
        out.append((f"{name}: N=3, n=4", (normal(rng, (3, 4)), (Z, name)), ()))
    Z = np.array([[-1e4, -1e3, -50.0, 50.0, 1e3, 1e4]])
    out.append(("sigmoid, extreme values: |z| up to 1e4", (normal(rng, Z.shape), (Z, "sigmoid")),
                ("extreme",)))
    Z = normal(rng, (TIMING_N, 4))
    out.append(("large batch (timing)", (normal(rng, (TIMING_N, 4)), (Z, "sigmoid")), ("timing",)))
    return out


def _targets(rng, N, K, output):
    if output == "softmax":
        return rng.integers(0, K, N)
    if output == "sigmoid":
        return rng.integers(0, 2, N)
    return normal(rng, (N, K)) if K > 1 else normal(rng, N)


def _kink_free(rng, sizes, N, act, dtype=np.float64):
    """Inputs and params whose hidden pre-activations are all >= 1e-3 away from 0 (ReLU kinks)."""
    for _ in range(100):
        X, params = normal(rng, (N, sizes[0]), 1, dtype), layer_params(rng, sizes, dtype)
        _, caches = nnlib.mlp_forward(X, params, act, "identity")
        if all(np.min(np.abs(Z)) > 1e-3 for _, Z in caches[:-1]):
            break
    return X, params


def _mlp_loss_and_grads(rng, hidden):
    out = []
    for label, sizes, N, act, outp in (
            ("tanh hidden, softmax output", [3, 4, 2], 5, "tanh", "softmax"),
            ("batch of one, sigmoid hidden, sigmoid output", [2, 3, 1], 1, "sigmoid", "sigmoid"),
            ("relu, identity output with 2 targets", [3, 5, 4, 2], 6, "relu", "identity"),
            ("sigmoid hidden and output", [4, 3, 1], 8, "sigmoid", "sigmoid"),
            ("leaky relu, softmax output", [3, 6, 3], 7, "leaky_relu", "softmax"),
            ("tanh, identity output with 1 target", [2, 4, 1], 4, "tanh", "identity")):
        X, params = _kink_free(rng, sizes, N, act)
        out.append((f"{label}: layers {sizes}, N={N}",
                    (X, _targets(rng, N, sizes[-1], outp), params, act, outp), ()))
    X, params = _kink_free(rng, [3, 4, 3], 5, "tanh", F32)
    out.append(("float32, tanh hidden, softmax output: layers [3, 4, 3], N=5",
                (X, _targets(rng, 5, 3, "softmax"), params, "tanh", "softmax"), ()))
    X, params = normal(rng, (TIMING_N_MLP, 4)), layer_params(rng, [4, 8, 3])
    out.append(("large batch (timing)", (X, rng.integers(0, 3, len(X)), params, "tanh", "softmax"),
                ("timing",)))
    return out


def _cubic(rng, n):
    A = rng.standard_normal((n, n))
    return FnSpec("cubic", {"A": A, "c": rng.standard_normal(n)})


def _numerical_gradient(rng, hidden):
    out = [("f(x) = 1/2 x.A x + sum(c x^3) at x of shape (3,)", (_cubic(rng, 3), normal(rng, 3)), ()),
           ("f at x of shape (2, 3)", (_cubic(rng, 6), normal(rng, (2, 3))), ()),
           ("f at x of shape (1,)", (_cubic(rng, 1), normal(rng, 1)), ()),
           ("f at x of shape (4,), h = 1e-4", (_cubic(rng, 4), normal(rng, 4), 1e-4), ())]
    # f ignores its argument and reads the caller's x, as a loss reads a model's weights: steps
    # made on a copy of x never reach it
    A = rng.standard_normal((6, 6))
    out.append(("f reads the caller's x (a model's weights), not its argument: x (2, 3) changed in "
                "place", (FnSpec("cubic_of_caller_x", {"A": A, "c": rng.standard_normal(6)}),
                          normal(rng, (2, 3))), ()))
    return out


def _relative_error(rng, hidden):
    a = normal(rng, (3, 4))
    out = [("identical arrays", (np.array([1.0, 2.0]), np.array([1.0, 2.0])), ()),
           ("hand-worked: (3, 4) vs (0, 0)", (np.array([3.0, 4.0]), np.array([0.0, 0.0])), ()),
           ("nearly equal (3, 4) arrays", (a, a + 1e-6 * normal(rng, (3, 4))), ()),
           ("unrelated vectors of 5", (normal(rng, 5), normal(rng, 5)), ()),
           ("a gradient and a scaled copy", (a, 2 * a), ()),
           ("two all-zero arrays (0: they are identical)", (np.zeros(3), np.zeros(3)), ())]
    return out


#: exercise name -> generator, for the exercises of notebook 06.
GENERATORS = {
    "dense_backward": _dense_backward,
    "activation_backward": _activation_backward,
    "mlp_loss_and_grads": _mlp_loss_and_grads,
    "numerical_gradient": _numerical_gradient,
    "relative_error": _relative_error,
}
