"""The test cases of every exercise: fixed small ones first, then random ones drawn from a seed.

:func:`make_cases` ``(name, seed, hidden)`` returns a list of :class:`~autograder.checks.wire.Case`:
plain data only, so the list can be sent to a sandbox (see :mod:`autograder.checks.wire`). The random
cases cover a batch of one, non-square layers (``n_in != n_out != N``, so a transpose cannot
hide), float32 as well as float64, and extreme values (``|z|`` up to 1e3) where the exercise
claims stability. Vectorised exercises end with one large ``"timing"`` case.

Visible checks draw from :data:`PUBLIC_SEED`; hidden checks from a fresh seed, so a function that
memorises the visible answers fails them.
"""

from __future__ import annotations

import inspect
import zlib

import numpy as np

import nnlib

from ..exercises import EXERCISES, get_exercise
from .wire import Case, FnSpec, RngSpec, cases_from_wire, cases_to_wire, resolve

__all__ = [
    "GENERATORS",
    "PUBLIC_SEED",
    "Case",
    "FnSpec",
    "RngSpec",
    "arg_names",
    "cases_from_wire",
    "cases_to_wire",
    "make_cases",
    "resolve",
]

#: Seed of the visible checks (it is in the notebooks; hidden checks use another one).
PUBLIC_SEED = 2026

TIMING_N = 10_000   # rows of the timing case: a per-example Python loop takes 30-100 ms here
TIMING_N_MLP = 2_000  # the same for whole networks (a per-example loop costs ~0.5 ms a row)

F32 = np.float32


def arg_names(name: str) -> tuple:
    """Parameter names of the student function (those of its nnlib twin)."""
    if name == "train_xor":
        return ("X", "y", "rng")
    ref = get_exercise(name).reference
    return tuple(inspect.signature(ref).parameters)


def _normal(rng, shape, scale=1.0, dtype=np.float64):
    return (scale * rng.standard_normal(shape)).astype(dtype)


def _away_from_zero(a, gap=1e-3):
    """Move entries with ``|a| < gap`` out to ``+-gap`` (kinks break finite differences)."""
    a = a.copy()
    small = np.abs(a) < gap
    a[small] = np.where(a[small] >= 0, gap, -gap).astype(a.dtype)
    return a


# --- per-exercise generators: (rng, hidden) -> list of (label, args, tags) ----------------------

def _perceptron_predict(rng, hidden):
    X = np.array([[2.0, 1.0], [1.0, 3.0], [-1.0, -2.0], [-3.0, -1.0]])
    out = [("hand-worked: 4 points in 2-D", (X, np.array([1.0, 1.0]), -0.5), ())]
    for N, d, dt in ((1, 3, np.float64), (7, 2, np.float64), (20, 5, np.float64), (9, 4, F32)):
        label = "batch of one" if N == 1 else f"random: N={N}, d={d}" + (", float32" * (dt is F32))
        out.append((label, (_normal(rng, (N, d), 1, dt), _normal(rng, d, 1, dt),
                            float(rng.normal())), ()))
    out.append(("large batch (timing)", (_normal(rng, (TIMING_N, 8)), _normal(rng, 8), 0.1),
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
               ("random z (3, 4)", (_away_from_zero(_normal(rng, (3, 4), 2)),), ()),
               ("batch of one (1, 5)", (_away_from_zero(_normal(rng, (1, 5), 2)),), ()),
               ("random z (4, 3), float32", (_away_from_zero(_normal(rng, (4, 3), 2, F32)),), ()),
               ("random z (6, 2), wide range", (_away_from_zero(_normal(rng, (6, 2), 5)),), ())]
        if extreme:
            big = np.array([[-1e3, -500.0, -50.0, 0.0, 50.0, 500.0, 1e3]])
            out.append(("extreme values: |z| up to 1e3", (big,), ("extreme",)))
            out.append(("extreme values, float32: |z| up to 1e3", (big.astype(F32),), ("extreme",)))
        out.append(("large batch (timing)", (_normal(rng, (TIMING_N, 4), 2),), ("timing",)))
        return out
    return gen


def _neuron_forward(rng, hidden):
    out = [("hand-worked", (np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([1.0, 1.0]), -2.0), ()),
           ("batch of one", (_normal(rng, (1, 3)), _normal(rng, 3), float(rng.normal())), ()),
           ("random: N=6, d=3", (_normal(rng, (6, 3)), _normal(rng, 3), float(rng.normal())), ()),
           ("random: N=5, d=4, float32",
            (_normal(rng, (5, 4), 1, F32), _normal(rng, 4, 1, F32), float(rng.normal())), ())]
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]])
    w = np.array([1e3, -1e3]) * rng.choice([-1, 1])
    out.append(("extreme values: |X @ w + b| up to 1e3", (X, w, 0.0), ("extreme",)))
    out.append(("extreme values, float32", (X.astype(F32), w.astype(F32), 0.0), ("extreme",)))
    out.append(("large batch (timing)", (_normal(rng, (TIMING_N, 8)), _normal(rng, 8), 0.1),
                ("timing",)))
    return out


def _neuron_sgd_step(rng, hidden):
    out = [("hand-worked: x = (1, 2), y = 1, w = 0, b = 0, lr = 0.5",
            (np.array([1.0, 2.0]), 1, np.zeros(2), 0.0, 0.5), ())]
    for d, y in ((3, 0), (5, 1), (2, 1), (4, 0)):
        out.append((f"random: d={d}, y={y}", (_normal(rng, d), y, _normal(rng, d),
                                               float(rng.normal()), float(rng.uniform(0.1, 1))), ()))
    return out


def _dense_forward(rng, hidden):
    out = [("hand-worked", (np.array([[1.0, 2.0]]), np.array([[1.0, 1.0], [0.0, -1.0]]),
                            np.array([0.5, 0.0])), ())]
    for N, n_in, n_out, dt, label in ((1, 3, 4, np.float64, "batch of one"),
                                      (5, 3, 2, np.float64, "non-square layer"),
                                      (3, 3, 3, np.float64, "square layer"),
                                      (7, 4, 6, F32, "non-square layer, float32")):
        out.append((f"{label}: N={N}, n_in={n_in}, n_out={n_out}",
                    (_normal(rng, (N, n_in), 1, dt), _normal(rng, (n_out, n_in), 1, dt),
                     _normal(rng, n_out, 1, dt)), ()))
    out.append(("large batch (timing)", (_normal(rng, (TIMING_N, 8)), _normal(rng, (4, 8)),
                                         _normal(rng, 4)), ("timing",)))
    return out


def _params(rng, sizes, dtype=np.float64):
    return [(_normal(rng, (o, i), 1 / np.sqrt(i), dtype), _normal(rng, o, 0.1, dtype))
            for i, o in zip(sizes[:-1], sizes[1:], strict=True)]


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
                    (_normal(rng, (N, sizes[0]), 1, dt), _params(rng, sizes, dt), act, outp), ()))
    out.append(("large batch (timing)", (_normal(rng, (TIMING_N_MLP, 4)),
                                         _params(rng, [4, 8, 3]), "relu", "softmax"), ("timing",)))
    return out


def _count_parameters(rng, hidden):
    out = [("the lecture's 3-4-2 network", ([3, 4, 2],), ()),
           ("the lecture's 3-4-3-2 network", ([3, 4, 3, 2],), ()),
           ("MNIST 784-200-200-10", ([784, 200, 200, 10],), ()),
           ("3-4-2 without biases", ([3, 4, 2], False), ())]
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
    return [(f"the four XOR points, rng = default_rng({'hidden seed' if hidden else 'seed'})",
             (_XOR_X.copy(), _XOR_Y.copy(), RngSpec(int(rng.integers(2**31)))), ())]


def _knots(rng, m):
    return np.sort(rng.uniform(-2, 2, m + 1)) + np.arange(m + 1) * 0.05


def _bump_network(rng, hidden):
    out = [("hand-worked: knots [0, 0.5, 1], heights [1, -0.5], steepness 50",
            (np.array([0.0, 0.5, 1.0]), np.array([1.0, -0.5]), 50.0), ())]
    for m in (1, 3, 6):
        out.append((f"random: {m} bump{'s' * (m > 1)}",
                    (_knots(rng, m), _normal(rng, m), float(rng.uniform(5, 100))), ()))
    return out


def _bump_forward(rng, hidden):
    params = nnlib.bump_network(np.array([0.0, 0.5, 1.0]), np.array([1.0, -0.5]), 50.0)
    out = [("hand-worked: 2 bumps", (np.linspace(-0.5, 1.5, 9).reshape(-1, 1), params), ())]
    for N, m in ((1, 2), (7, 3), (12, 5)):
        p = nnlib.bump_network(_knots(rng, m), _normal(rng, m), float(rng.uniform(5, 50)))
        out.append((f"{'batch of one' if N == 1 else f'random: N={N}'}, {m} bumps",
                    (rng.uniform(-2.5, 2.5, (N, 1)), p), ()))
    p = nnlib.bump_network(_knots(rng, 4), _normal(rng, 4), 20.0)
    out.append(("large batch (timing)", (rng.uniform(-2.5, 2.5, (TIMING_N, 1)), p), ("timing",)))
    return out


def _dense_backward(rng, hidden):
    out = []
    for N, n_in, n_out, dt, label in ((2, 3, 4, np.float64, "small non-square layer"),
                                      (1, 3, 4, np.float64, "batch of one"),
                                      (5, 3, 2, np.float64, "non-square layer"),
                                      (32, 6, 4, np.float64, "a batch of 32"),
                                      (4, 4, 4, np.float64, "square layer"),
                                      (7, 5, 3, F32, "float32")):
        X, W = _normal(rng, (N, n_in), 1, dt), _normal(rng, (n_out, n_in), 1, dt)
        dZ = _normal(rng, (N, n_out), 1 / N, dt)
        out.append((f"{label}: N={N}, n_in={n_in}, n_out={n_out}", (dZ, (X, W)), ()))
    X, W = _normal(rng, (TIMING_N, 8)), _normal(rng, (4, 8))
    out.append(("large batch (timing)", (_normal(rng, (TIMING_N, 4)), (X, W)), ("timing",)))
    return out


def _activation_backward(rng, hidden):
    out = []
    for (N, n), name in zip(((3, 4), (1, 5), (6, 2), (4, 3), (5, 5)),
                            ("sigmoid", "tanh", "relu", "leaky_relu", "sigmoid"), strict=True):
        Z = _away_from_zero(_normal(rng, (N, n), 2))
        out.append((f"{name}: N={N}, n={n}", (_normal(rng, (N, n)), (Z, name)), ()))
    Z = _away_from_zero(_normal(rng, (4, 3), 2, F32))
    out.append(("tanh, float32", (_normal(rng, (4, 3), 1, F32), (Z, "tanh")), ()))
    Z = _normal(rng, (TIMING_N, 4))
    out.append(("large batch (timing)", (_normal(rng, (TIMING_N, 4)), (Z, "sigmoid")), ("timing",)))
    return out


def _targets(rng, N, K, output):
    if output == "softmax":
        return rng.integers(0, K, N)
    if output == "sigmoid":
        return rng.integers(0, 2, N)
    return _normal(rng, (N, K)) if K > 1 else _normal(rng, N)


def _kink_free(rng, sizes, N, act, dtype=np.float64):
    """Inputs and params whose hidden pre-activations are all >= 1e-3 away from 0 (ReLU kinks)."""
    for _ in range(100):
        X, params = _normal(rng, (N, sizes[0]), 1, dtype), _params(rng, sizes, dtype)
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
    X, params = _normal(rng, (TIMING_N_MLP, 4)), _params(rng, [4, 8, 3])
    out.append(("large batch (timing)", (X, rng.integers(0, 3, len(X)), params, "tanh", "softmax"),
                ("timing",)))
    return out


def _cubic(rng, n):
    A = rng.standard_normal((n, n))
    return FnSpec("cubic", {"A": A, "c": rng.standard_normal(n)})


def _numerical_gradient(rng, hidden):
    out = [("f(x) = 1/2 x.A x + sum(c x^3) at x of shape (3,)", (_cubic(rng, 3), _normal(rng, 3)), ()),
           ("f at x of shape (2, 3)", (_cubic(rng, 6), _normal(rng, (2, 3))), ()),
           ("f at x of shape (1,)", (_cubic(rng, 1), _normal(rng, 1)), ()),
           ("f at x of shape (4,), h = 1e-4", (_cubic(rng, 4), _normal(rng, 4), 1e-4), ())]
    return out


def _relative_error(rng, hidden):
    a = _normal(rng, (3, 4))
    out = [("identical arrays", (np.array([1.0, 2.0]), np.array([1.0, 2.0])), ()),
           ("hand-worked: (3, 4) vs (0, 0)", (np.array([3.0, 4.0]), np.array([0.0, 0.0])), ()),
           ("nearly equal (3, 4) arrays", (a, a + 1e-6 * _normal(rng, (3, 4))), ()),
           ("unrelated vectors of 5", (_normal(rng, 5), _normal(rng, 5)), ()),
           ("a gradient and a scaled copy", (a, 2 * a), ())]
    return out


def _scores(extreme_rows: bool):
    def gen(rng, hidden):
        out = [("hand-worked", (np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]),), ()),
               ("random: N=5, K=4", (_normal(rng, (5, 4), 2),), ()),
               ("batch of one, K=3", (_normal(rng, (1, 3), 2),), ()),
               ("random: N=4, K=6, float32", (_normal(rng, (4, 6), 2, F32),), ())]
        big = np.array([[1e3, 0.0, -1e3], [1e3, 999.0, 998.0], [-1e3, -1e3, -999.0]])
        out.append(("extreme scores: |z| up to 1e3", (big,), ("extreme",)))
        out.append(("extreme scores, float32", (big.astype(F32),), ("extreme",)))
        out.append(("large batch (timing)", (_normal(rng, (TIMING_N, 8)),), ("timing",)))
        return out
    return gen


def _softmax_cross_entropy(rng, hidden):
    out = []
    for label, args, tags in _scores(True)(rng, hidden):
        Z = args[0]
        y = rng.integers(0, Z.shape[1], Z.shape[0])
        out.append((label, (Z, y), tags))
    return out


def _iterate_minibatches(rng, hidden):
    out = []
    for N, d, bs in ((5, 1, 2), (8, 2, 4), (10, 3, 3), (1, 2, 4), (6, 2, 6), (7, 3, 1)):
        X = _normal(rng, (N, d))
        out.append((f"N={N}, batch_size={bs}", (X, rng.integers(0, 3, N), bs,
                                                 RngSpec(int(rng.integers(2**31)))), ()))
    return out


def _sgd_epoch(rng, hidden):
    out = []
    for sizes, N, bs, lr in (([2, 5, 1], 8, 8, 0.2), ([3, 4, 1], 10, 4, 0.1), ([2, 3, 2], 6, 1, 0.05)):
        X = _normal(rng, (N, sizes[0]))
        y = _normal(rng, (N, sizes[-1])) if sizes[-1] > 1 else _normal(rng, N)
        out.append((f"layers {sizes}, N={N}, batch_size={bs}, lr={lr}",
                    (_params(rng, sizes), FnSpec("tanh_mlp_loss", {}), X, y, lr, bs,
                     RngSpec(int(rng.integers(2**31)))), ()))
    return out


def _hinge_sgd_update(rng, hidden):
    out = [("hand-worked: inside the margin", (np.zeros(2), 0.0, np.array([1.0, 2.0]), -1, 0.5), ()),
           ("hand-worked: outside the margin (no update)",
            (np.array([1.0, 1.0]), 0.0, np.array([2.0, 2.0]), 1, 0.5), ())]
    for d in (3, 5, 2, 4):
        w, x = _normal(rng, d), _normal(rng, d)
        y = int(rng.choice([-1, 1]))
        out.append((f"random: d={d}", (w, float(rng.normal()), x, y,
                                                 float(rng.uniform(0.05, 1))), ()))
    return out


#: exercise name -> generator ``(rng, hidden) -> [(label, args, tags)]``.
GENERATORS = {
    "perceptron_predict": _perceptron_predict,
    "perceptron_epoch": _perceptron_epoch,
    "sigmoid_prime": _derivative(extreme=True),
    "tanh_prime": _derivative(extreme=False),
    "relu_prime": _derivative(extreme=False),
    "leaky_relu_prime": _derivative(extreme=False),
    "neuron_forward": _neuron_forward,
    "neuron_sgd_step": _neuron_sgd_step,
    "dense_forward": _dense_forward,
    "mlp_forward": _mlp_forward,
    "count_parameters": _count_parameters,
    "xor_weights": _xor_weights,
    "train_xor": _train_xor,
    "bump_network": _bump_network,
    "bump_forward": _bump_forward,
    "dense_backward": _dense_backward,
    "activation_backward": _activation_backward,
    "mlp_loss_and_grads": _mlp_loss_and_grads,
    "numerical_gradient": _numerical_gradient,
    "relative_error": _relative_error,
    "softmax": _scores(True),
    "log_softmax": _scores(True),
    "softmax_cross_entropy": _softmax_cross_entropy,
    "iterate_minibatches": _iterate_minibatches,
    "sgd_epoch": _sgd_epoch,
    "hinge_sgd_update": _hinge_sgd_update,
}


def make_cases(name: str, seed: int, hidden: bool = False) -> list[Case]:
    """The cases of exercise ``name`` drawn from ``seed`` (trusted: runs no student code)."""
    get_exercise(name)
    if name not in GENERATORS:  # pragma: no cover - a test checks the tables agree
        raise ValueError(f"exercise {name!r} has no case generator")
    rng = np.random.default_rng([int(seed), zlib.crc32(name.encode())])
    names = arg_names(name)
    vectorised = EXERCISES[name].options.get("vectorised", False)
    cases = []
    for label, args, tags in GENERATORS[name](rng, hidden):
        if "timing" in tags and not vectorised:
            continue
        cases.append(Case(label=label, args=tuple(args), names=names[:len(args)],
                          tags=frozenset(tags), hidden=bool(hidden)))
    return cases
