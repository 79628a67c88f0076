"""Case generators of notebooks 03 (MLP forward pass), 04 (XOR) and 05 (universal approximation).

Each generator is ``(rng, hidden) -> [(label, args, tags)]``; see :mod:`autograder.checks.cases`."""

from __future__ import annotations

import numpy as np

import nnlib

from .case_tools import F32, TIMING_N, TIMING_N_MLP, layer_params, normal
from .wire import RngSpec


def _dense_forward(rng, hidden):
    out = [("hand-worked", (np.array([[1.0, 2.0]]), np.array([[1.0, 1.0], [0.0, -1.0]]),
                            np.array([0.5, 0.0])), ())]
    for N, n_in, n_out, dt, label in ((1, 3, 4, np.float64, "batch of one"),
                                      (5, 3, 2, np.float64, "non-square layer"),
                                      (3, 3, 3, np.float64, "square layer"),
                                      (7, 4, 6, F32, "non-square layer, float32")):
        out.append((f"{label}: N={N}, n_in={n_in}, n_out={n_out}",
                    (normal(rng, (N, n_in), 1, dt), normal(rng, (n_out, n_in), 1, dt),
                     normal(rng, n_out, 1, dt)), ()))
    out.append(("large batch (timing)", (normal(rng, (TIMING_N, 8)), normal(rng, (4, 8)),
                                         normal(rng, 4)), ("timing",)))
    return out



_MLP_SHAPES = (
    ("tanh hidden, softmax output", [3, 4, 2], 5, "tanh", "softmax", np.float64),
    ("batch of one, relu, sigmoid output", [4, 5, 3, 1], 1, "relu", "sigmoid", np.float64),
    ("sigmoid hidden, identity output, float32", [2, 3, 2], 4, "sigmoid", "identity", F32),
    ("leaky relu, two hidden layers, softmax", [3, 5, 4, 3], 6, "leaky_relu", "softmax",
     np.float64),
)


def _mlp_forward(rng, hidden):
    W1, b1 = np.array([[1.0, 1.0], [1.0, -1.0]]), np.array([0.0, -1.0])
    W2, b2 = np.array([[1.0, 2.0]]), np.array([0.5])
    out = [("hand-worked: 2-2-1, relu, identity output",
            (np.array([[1.0, 2.0], [0.0, 0.0]]), [(W1, b1), (W2, b2)], "relu", "identity"), ())]
    for label, sizes, N, act, outp, dt in _MLP_SHAPES:
        out.append((f"{label}: layers {sizes}, N={N}",
                    (normal(rng, (N, sizes[0]), 1, dt), layer_params(rng, sizes, dt), act, outp), ()))
    for act, outp in (("identity", "sigmoid"), ("step", "identity")):
        out.append((f"{act} hidden activation, {outp} output: layers [3, 4, 2], N=5",
                    (normal(rng, (5, 3)), layer_params(rng, [3, 4, 2]), act, outp), ()))
    X, params = normal(rng, (3, 2)), layer_params(rng, [2, 3, 2])
    out.append(("an unknown output name ('softplus') raises ValueError",
                (X, params, "relu", "softplus"), ("raises:ValueError",)))
    out.append(("an unknown activation name ('swish') raises ValueError",
                (X, params, "swish", "softmax"), ("raises:ValueError",)))
    out.append(("large batch (timing)", (normal(rng, (TIMING_N_MLP, 4)),
                                         layer_params(rng, [4, 8, 3]), "relu", "softmax"), ("timing",)))
    return out


def _count_parameters(rng, hidden):
    out = [("the lecture's 3-4-2 network", ([3, 4, 2],), ()),
           ("the lecture's 3-4-3-2 network", ([3, 4, 3, 2],), ()),
           ("MNIST 784-200-200-10", ([784, 200, 200, 10],), ()),
           ("3-4-2 without biases", ([3, 4, 2], False), ()),
           # 1.2e19 parameters: past 2**63, where NumPy's int64 wraps around (Python ints do not)
           ("a count past 2**63 (4e9-3e9-2): Python ints, not NumPy's int64",
            ([4_000_000_000, 3_000_000_000, 2],), ())]
    for _ in range(4):
        sizes = [int(s) for s in rng.integers(1, 60, size=int(rng.integers(2, 6)))]
        out.append((f"random: {len(sizes)} layer sizes", (sizes,), ()))
    sizes = [int(s) for s in rng.integers(1, 30, size=3)]
    out.append(("random: 3 layer sizes, no biases", (sizes, False), ()))
    return out


_XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_XOR_Y = np.array([0, 1, 1, 0])


def _xor_weights(rng, hidden):
    return [("the four XOR points", (), ())]


def _train_xor(rng, hidden):
    # rng_pair: the runner also trains with a second seed (another rng must give another model)
    # and with the first one again (the same rng the same model), see runner.rng_runs
    seed = int(rng.integers(2**31))
    other = int(rng.integers(2**31))
    which = "hidden seed" if hidden else "seed"
    return [(f"the four XOR points, rng = default_rng({which}); then another rng and the same rng "
             "again", (_XOR_X.copy(), _XOR_Y.copy(), RngSpec(seed)), (f"rng_pair:{other}",))]


def _knots(rng, m):
    return np.sort(rng.uniform(-2, 2, m + 1)) + np.arange(m + 1) * 0.05


def _bump_network(rng, hidden):
    out = [("hand-worked: knots [0, 0.5, 1], heights [1, -0.5], steepness 50",
            (np.array([0.0, 0.5, 1.0]), np.array([1.0, -0.5]), 50.0), ())]
    for m in (1, 3, 6):
        out.append((f"random: {m} bump{'s' * (m > 1)}",
                    (_knots(rng, m), normal(rng, m), float(rng.uniform(5, 100))), ()))
    return out


def _bump_forward(rng, hidden):
    params = nnlib.bump_network(np.array([0.0, 0.5, 1.0]), np.array([1.0, -0.5]), 50.0)
    out = [("hand-worked: 2 bumps", (np.linspace(-0.5, 1.5, 9).reshape(-1, 1), params), ())]
    for N, m in ((1, 2), (7, 3), (12, 5)):
        p = nnlib.bump_network(_knots(rng, m), normal(rng, m), float(rng.uniform(5, 50)))
        out.append((f"{'batch of one' if N == 1 else f'random: N={N}'}, {m} bumps",
                    (rng.uniform(-2.5, 2.5, (N, 1)), p), ()))
    (W1, b1), (W2, b2) = nnlib.bump_network(_knots(rng, 3), normal(rng, 3), 30.0)
    out.append(("3 bumps on a baseline: a non-zero output bias b2",
                (rng.uniform(-2.5, 2.5, (8, 1)), [(W1, b1), (W2, b2 + 0.75)]), ()))
    p = nnlib.bump_network(_knots(rng, 4), normal(rng, 4), 20.0)
    out.append(("large batch (timing)", (rng.uniform(-2.5, 2.5, (TIMING_N, 1)), p), ("timing",)))
    return out


#: exercise name -> generator, for the exercises of notebooks 03, 04 and 05.
GENERATORS = {
    "dense_forward": _dense_forward,
    "mlp_forward": _mlp_forward,
    "count_parameters": _count_parameters,
    "xor_weights": _xor_weights,
    "train_xor": _train_xor,
    "bump_network": _bump_network,
    "bump_forward": _bump_forward,
}
