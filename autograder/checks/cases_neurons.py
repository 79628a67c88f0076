"""Case generators of notebooks 01 (perceptron) and 02 (logistic neuron and activations).

Each generator is ``(rng, hidden) -> [(label, args, tags)]``; see :mod:`autograder.checks.cases`."""

from __future__ import annotations

import numpy as np

from .case_tools import F32, TIMING_N, away_from_zero, normal


def _perceptron_predict(rng, hidden):
    X = np.array([[2.0, 1.0], [1.0, 3.0], [-1.0, -2.0], [-3.0, -1.0]])
    out = [("hand-worked: 4 points in 2-D", (X, np.array([1.0, 1.0]), -0.5), ()),
           ("points exactly on the boundary (b + X @ w = 0 gets -1)",
            (np.array([[1.0, 1.0], [2.0, 1.0], [0.0, 1.0], [3.0, 3.0]]), np.array([1.0, -1.0]), 0.0), ())]
    for N, d, dt in ((1, 3, np.float64), (7, 2, np.float64), (20, 5, np.float64), (9, 4, F32)):
        label = "batch of one" if N == 1 else f"random: N={N}, d={d}" + (", float32" * (dt is F32))
        out.append((label, (normal(rng, (N, d), 1, dt), normal(rng, d, 1, dt),
                            float(rng.normal())), ()))
    # a loop over rows of one small dot product costs ~1 us a row: 3 x TIMING_N rows make it
    # clearly slower than runner.SLOW_SECONDS
    out.append(("large batch (timing)", (normal(rng, (3 * TIMING_N, 8)), normal(rng, 8), 0.1),
                ("timing",)))
    return out


def _separable(rng, N, d):
    w = rng.standard_normal(d)
    X = rng.standard_normal((N, d))
    margin = X @ w + 0.3
    X = X[np.abs(margin) > 0.2][:N] if np.sum(np.abs(margin) > 0.2) >= N else X
    y = np.where(X @ w + 0.3 > 0, 1, -1)
    return X, y


def _perceptron_epoch(rng, hidden):
    X = np.array([[2.0, 1.0], [1.0, 3.0], [-1.0, -2.0], [-3.0, -1.0]])
    y = np.array([1, 1, -1, -1])
    out = [("hand-worked: starting from w = 0, b = 0 (a point on the boundary is a mistake)",
            (X, y, np.zeros(2), 0.0, 1.0), ())]
    X1, y1 = _separable(rng, 8, 2)
    out.append(("random separable data, w = 0", (X1, y1, np.zeros(2), 0.0, 1.0), ()))
    X2, y2 = _separable(rng, 12, 3)
    out.append(("random separable data, random start, lr = 0.5",
                (X2, y2, rng.standard_normal(3), float(rng.normal()), 0.5), ()))
    X3 = rng.standard_normal((10, 2))
    y3 = rng.choice([-1, 1], size=10)
    out.append(("random labels (not separable), lr = 0.1",
                (X3, y3, rng.standard_normal(2), float(rng.normal()), 0.1), ()))
    out.append(("batch of one", (rng.standard_normal((1, 3)), np.array([-1]),
                                 rng.standard_normal(3), float(rng.normal()), 1.0), ()))
    return out


def _derivative(extreme: bool):
    def gen(rng, hidden):
        out = [("hand-picked z", (np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0]),), ()),
               ("random z (3, 4)", (away_from_zero(normal(rng, (3, 4), 2)),), ()),
               ("batch of one (1, 5)", (away_from_zero(normal(rng, (1, 5), 2)),), ()),
               ("random z (4, 3), float32", (away_from_zero(normal(rng, (4, 3), 2, F32)),), ()),
               ("random z (6, 2), wide range", (away_from_zero(normal(rng, (6, 2), 5)),), ())]
        if extreme:
            big = np.array([[-1e4, -1e3, -50.0, 0.0, 50.0, 1e3, 1e4]])
            out.append(("extreme values: |z| up to 1e4", (big,), ("extreme",)))
            out.append(("extreme values, float32: |z| up to 1e4", (big.astype(F32),), ("extreme",)))
        out.append(("large batch (timing)", (normal(rng, (TIMING_N, 4), 2),), ("timing",)))
        return out
    return gen


def _neuron_forward(rng, hidden):
    out = [("hand-worked", (np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([1.0, 1.0]), -2.0), ()),
           ("batch of one", (normal(rng, (1, 3)), normal(rng, 3), float(rng.normal())), ()),
           ("random: N=6, d=3", (normal(rng, (6, 3)), normal(rng, 3), float(rng.normal())), ()),
           ("random: N=5, d=4, float32",
            (normal(rng, (5, 4), 1, F32), normal(rng, 4, 1, F32), float(rng.normal())), ())]
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]])
    w = np.array([1e4, -1e4]) * rng.choice([-1, 1])
    out.append(("extreme values: |X @ w + b| up to 1e4", (X, w, 0.0), ("extreme",)))
    out.append(("extreme values, float32", (X.astype(F32), w.astype(F32), 0.0), ("extreme",)))
    out.append(("large batch (timing)", (normal(rng, (TIMING_N, 8)), normal(rng, 8), 0.1),
                ("timing",)))
    return out


def _neuron_sgd_step(rng, hidden):
    out = [("hand-worked: x = (1, 2), y = 1, w = 0, b = 0, lr = 0.5",
            (np.array([1.0, 2.0]), 1, np.zeros(2), 0.0, 0.5), ())]
    for d, y in ((3, 0), (5, 1), (2, 1), (4, 0)):
        out.append((f"random: d={d}, y={y}", (normal(rng, d), y, normal(rng, d),
                                               float(rng.normal()), float(rng.uniform(0.1, 1))), ()))
    return out


#: exercise name -> generator, for the exercises of notebooks 01 and 02.
GENERATORS = {
    "perceptron_predict": _perceptron_predict,
    "perceptron_epoch": _perceptron_epoch,
    "sigmoid_prime": _derivative(extreme=True),
    "tanh_prime": _derivative(extreme=True),
    "relu_prime": _derivative(extreme=True),
    "leaky_relu_prime": _derivative(extreme=True),
    "neuron_forward": _neuron_forward,
    "neuron_sgd_step": _neuron_sgd_step,
}
