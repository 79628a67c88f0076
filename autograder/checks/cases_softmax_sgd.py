"""Case generators of notebooks 07 (softmax) and 08 (SGD against GD).

Each generator is ``(rng, hidden) -> [(label, args, tags)]``; see :mod:`autograder.checks.cases`."""

from __future__ import annotations

import numpy as np

from .case_tools import F32, TIMING_N, layer_params, normal
from .wire import FnSpec, RngSpec


def _scores(extreme_rows: bool):
    def gen(rng, hidden):
        out = [("hand-worked", (np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]),), ()),
               ("random: N=5, K=4", (normal(rng, (5, 4), 2),), ()),
               ("batch of one, K=3", (normal(rng, (1, 3), 2),), ()),
               ("random: N=4, K=6, float32", (normal(rng, (4, 6), 2, F32),), ())]
        big = np.array([[1e4, 0.0, -1e4], [1e4, 9999.0, 9998.0], [-1e4, -1e4, -9999.0]])
        out.append(("extreme scores: |z| up to 1e4", (big,), ("extreme",)))
        out.append(("extreme scores, float32", (big.astype(F32),), ("extreme",)))
        out.append(("large batch (timing)", (normal(rng, (TIMING_N, 8)),), ("timing",)))
        return out
    return gen


def _softmax_cross_entropy(rng, hidden):
    out = []
    for label, args, tags in _scores(True)(rng, hidden):
        Z = args[0]
        y = rng.integers(0, Z.shape[1], Z.shape[0])
        if "extreme" in tags:
            # fixed labels, the same for visible and hidden checks, on the hardest entries: a
            # probability of exp(-2e4), and a log-probability that loses its digits when the
            # log-sum-exp is subtracted from scores of 1e4 (float32)
            y = np.array([2, 2, 0])
            label += ", labels [2, 2, 0]"
        out.append((label, (Z, y), tags))
    return out


def _iterate_minibatches(rng, hidden):
    out = []
    for N, d, bs in ((5, 1, 2), (8, 2, 4), (10, 3, 3), (1, 2, 4), (6, 2, 6), (7, 3, 1)):
        X = normal(rng, (N, d))
        out.append((f"N={N}, batch_size={bs}", (X, rng.integers(0, 3, N), bs,
                                                 RngSpec(int(rng.integers(2**31)))), ()))
    return out


def _sgd_epoch(rng, hidden):
    out = []
    for sizes, N, bs, lr in (([2, 5, 1], 8, 8, 0.2), ([3, 4, 1], 10, 4, 0.1), ([2, 3, 2], 6, 1, 0.05)):
        X = normal(rng, (N, sizes[0]))
        y = normal(rng, (N, sizes[-1])) if sizes[-1] > 1 else normal(rng, N)
        out.append((f"layers {sizes}, N={N}, batch_size={bs}, lr={lr}",
                    (layer_params(rng, sizes), FnSpec("tanh_mlp_loss", {}), X, y, lr, bs,
                     RngSpec(int(rng.integers(2**31)))), ()))
    return out


def _hinge_sgd_update(rng, hidden):
    out = [("hand-worked: inside the margin", (np.zeros(2), 0.0, np.array([1.0, 2.0]), -1, 0.5), ()),
           ("hand-worked: outside the margin (no update)",
            (np.array([1.0, 1.0]), 0.0, np.array([2.0, 2.0]), 1, 0.5), ()),
           ("exactly on the margin: y z = 1 (no update)",
            (np.array([0.5, -1.0]), 0.5, np.array([1.0, 0.0]), 1, 0.5), ()),
           ("a wrong prediction, y = -1 (an update)",
            (np.array([1.0, 0.5]), 0.25, np.array([1.0, 1.0]), -1, 0.1), ())]
    for d in (3, 5, 2, 4):
        w, x = normal(rng, d), normal(rng, d)
        y = int(rng.choice([-1, 1]))
        out.append((f"random: d={d}", (w, float(rng.normal()), x, y,
                                                 float(rng.uniform(0.05, 1))), ()))
    return out


#: exercise name -> generator, for the exercises of notebooks 07 and 08.
GENERATORS = {
    "softmax": _scores(True),
    "log_softmax": _scores(True),
    "softmax_cross_entropy": _softmax_cross_entropy,
    "iterate_minibatches": _iterate_minibatches,
    "sgd_epoch": _sgd_epoch,
    "hinge_sgd_update": _hinge_sgd_update,
}
