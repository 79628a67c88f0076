"""Mistakes recognised across exercises, wherever an exercise's arguments allow them.

:mod:`autograder.checks.mistakes` writes out the mistakes of one exercise; this module derives
mistakes from the *shape* of an exercise instead, so the same mistake gets the same name
everywhere:

- the reference on a perturbed input: the biases set to zero (``b``, or every ``b`` of
  ``params``, in a forward pass), the upstream gradient ``dA`` set to ones;
- the activation's table entries: for every ``<activation>_prime`` the activation itself, its
  derivative taken at ``g(z)``, and the other convention at the kink ``z = 0``;
- one-hot targets built wrongly, wherever integer labels meet a softmax (``softmax_cross_entropy``,
  ``mlp_loss_and_grads`` with ``output="softmax"``): whole columns set (``Y[:, y] = 1``), classes
  counted from 1 (``np.eye(K)[y - 1]``), a one-hot of ``y.max() + 1`` classes that broadcasts,
  the transposed one-hot; each with the loss taken right or from that same one-hot (``wrong_onehot``);
- a loss on an (N, N) table, where the output column Z (N, 1) met the labels y (N,)
  (``mlp_loss_and_grads``, identity or sigmoid output with one unit: ``broadcast_column``);
- a generator of one's own (``np.random.default_rng(42)``) instead of the ``rng`` argument, where
  the output shows the order (``iterate_minibatches``, ``sgd_epoch``: ``rng_ignored``);
- a count computed in NumPy's int64, which wraps around past 2**63, where the statement asks for
  Python ints (``wrong_dtype``);
- a gradient estimated on a copy of ``x`` where ``f`` reads the caller's ``x`` (``perturbs_copy``).

:func:`shape_mistake` names an output of the wrong shape the same way everywhere: a column
``(n, 1)`` broadcast against a vector ``(n,)`` into an ``(n, n)`` table whose diagonal is the expected
vector (``broadcast_column``).

Transforms of the reference *output* (negated, transposed, N times, a constant multiple, an update
not made, outputs in another order, a batch dropped) need no reference call: they are in
:mod:`autograder.checks.leaf_findings` and :mod:`autograder.checks.output_tree`.
"""

from __future__ import annotations

import inspect
from functools import cache

import numpy as np

import nnlib

from ..exercises import get_exercise
from .compare import allclose
from .messages import Finding
from .mistakes import Mistake

__all__ = ["PYTHON_INTS", "general_mistakes", "shape_mistake"]

#: forward passes whose bias arguments are biases of the prediction (not a starting value)
_FORWARD = ("perceptron_predict", "neuron_forward", "dense_forward", "mlp_forward", "bump_forward")


def _zero_bias(ref, names):
    i = names.index("b") if "b" in names else None
    j = names.index("params") if "params" in names else None

    def fn(*args):
        args = list(args)
        if i is not None:
            b = args[i]
            args[i] = np.zeros_like(b) if isinstance(b, np.ndarray) else 0.0
        if j is not None:
            args[j] = [(W, np.zeros_like(b)) for W, b in args[j]]
        return ref(*args)
    return fn


def _derivative_mistakes(name):
    act = name[:-len("_prime")]
    g, g_prime = nnlib.get_activation(act)
    out = [Mistake("activation_not_derivative", f"{{leaf}} looks like {act}(z) itself, not its "
                   "derivative", g, hint=f"{name}(z) is the slope of {act} at z"),
           Mistake("derivative_of_wrong_quantity", f"{{leaf}} looks like {act}'({act}(z)): the "
                   f"derivative was taken at the activation a = {act}(z) instead of at z",
                   lambda z: g_prime(g(z)), hint=f"{name} takes the pre-activation z")]
    if act in ("relu", "leaky_relu"):
        slope = 0.0 if act == "relu" else nnlib.LEAKY_SLOPE
        out.append(Mistake("boundary_convention", "{leaf} is 1 at z = 0; the course takes the "
                           f"derivative at the kink to be {slope:g}",
                           lambda z: np.where(z >= 0, 1.0, slope).astype(z.dtype),
                           hint=f"use z > 0, not z >= 0: 1 where z > 0, else {slope:g}"))
    return out


# --- one-hot targets -----------------------------------------------------------------------

def _columns(y, K):
    T = np.zeros((len(y), K))
    T[:, y] = 1
    return T


#: (how the one-hot was built, as a student writes it; the wrong targets (N, K') from y and K)
_ONEHOTS = (
    ("Y[:, y] = 1, which sets whole columns (every row gets a 1 in every class that occurs in y); "
     "the one-hot needs Y[np.arange(N), y] = 1", _columns),
    ("the classes counted from 1 (np.eye(K)[y - 1]); the course's classes are 0..K-1, so "
     "onehot(y) is np.eye(K)[y]", lambda y, K: np.eye(K)[y - 1]),
    ("a one-hot of y.max() + 1 classes, fewer than K; onehot(y) needs all K = Z.shape[1] columns",
     lambda y, K: np.eye(int(y.max()) + 1)[y]),
    ("the one-hot transposed (np.eye(K)[:, y], one column per example); onehot(y) has one row per "
     "example: np.eye(K)[y]", lambda y, K: np.eye(K)[:, y]),
)


def _targets(build, y, Z):
    T = np.asarray(build(np.asarray(y), Z.shape[1]), dtype=np.float64)
    if T.shape == Z.shape and np.array_equal(T, np.eye(Z.shape[1])[np.asarray(y)]):
        raise ValueError("this one-hot is right on this case")
    return np.broadcast_to(T, Z.shape)   # ValueError where NumPy would raise for the student too


def _loss(Z, y, T, from_targets):
    logp = nnlib.log_softmax(np.asarray(Z, dtype=np.float64))
    if from_targets:
        return float(-(T * logp).sum() / len(Z))
    return float(-logp[np.arange(len(Z)), np.asarray(y)].mean())


def _sce_with(build, from_targets):
    def fn(Z, y):
        T = _targets(build, y, Z)
        return _loss(Z, y, T, from_targets), ((nnlib.softmax(Z) - T) / len(Z)).astype(Z.dtype)
    return fn


def _mlp_with(build, from_targets):
    def fn(X, y, params, activation, output):
        _, g_prime = nnlib.get_activation(activation)
        _, caches = nnlib.mlp_forward(X, params, activation, "identity")
        Z = caches[-1][1]
        T = _targets(build, y, Z)
        delta = (nnlib.softmax(Z) - T) / len(X)
        grads = [None] * len(params)
        for i in range(len(params) - 1, -1, -1):
            grads[i] = (delta.T @ caches[i][0], delta.sum(axis=0))
            if i > 0:
                delta = (delta @ params[i][0]) * g_prime(caches[i - 1][1])
        return _loss(Z, y, T, from_targets), grads
    return fn


def _onehot_mistakes(name):
    with_targets = _sce_with if name == "softmax_cross_entropy" else _mlp_with
    applies = None if name == "softmax_cross_entropy" else (lambda case: case.args[4] == "softmax")
    out = []
    for how, build in _ONEHOTS:
        for from_targets in (False, True):
            which = "the gradient and the loss look" if from_targets else "{leaf} looks"
            out.append(Mistake("wrong_onehot", f"{which} computed with {how}",
                               with_targets(build, from_targets), applies=applies,
                               hint="onehot(y) is (N, K) with a 1 in column y[n] of row n: "
                                    "Y = np.zeros_like(Z); Y[np.arange(N), y] = 1, or np.eye(K)[y]"))
    return out


# --- a loss on a broadcast (N, N) table -------------------------------------------------------

def _table_losses():
    """(words, loss of the (N, N) table Z (N, 1) against y (N,)) as students write them."""
    return (
        ("np.sum((Z - y) ** 2) / N", "identity", lambda Z, y: float(np.sum((Z - y) ** 2) / len(Z))),
        ("np.mean((Z - y) ** 2)", "identity", lambda Z, y: float(np.mean((Z - y) ** 2))),
        ("the mean of y log p + (1 - y) log(1 - p)", "sigmoid",
         lambda Z, y: float(np.mean(np.logaddexp(0, Z) - y * Z))),
        ("the sum of y log p + (1 - y) log(1 - p), divided by N", "sigmoid",
         lambda Z, y: float(np.sum(np.logaddexp(0, Z) - y * Z) / len(Z))),
    )


def _broadcast_loss(ref, loss):
    def fn(X, y, params, activation, output):
        _, caches = nnlib.mlp_forward(X, params, activation, "identity")
        Z = caches[-1][1].astype(np.float64)
        return loss(Z, np.asarray(y, dtype=np.float64)), ref(X, y, params, activation, output)[1]
    return fn


def _column_against_labels(output):
    def applies(case):
        X, y, params = case.args[0], case.args[1], case.args[2]
        return (case.args[4] == output and np.ndim(y) == 1 and len(X) > 1
                and np.shape(params[-1][0])[0] == 1)
    return applies


def _broadcast_loss_mistakes(ref):
    return [Mistake("broadcast_column", f"{{leaf}} looks computed as {words} on an (N, N) table: the "
                    "output Z is a column (N, 1) and y a vector (N,), so Z - y (or y * log p) "
                    "broadcast into every pair of examples",
                    _broadcast_loss(ref, loss), applies=_column_against_labels(output),
                    hint="make the two the same shape before combining them: t = y.reshape(Z.shape) "
                         "(or Z[:, 0] against y)")
            for words, output, loss in _table_losses()]


# --- an rng of one's own instead of the rng argument ----------------------------------------------

#: seeds students write into a generator of their own
_OWN_SEEDS = (0, 1, 42, 123, 1234, 2024, 2025, 2026)


def _own_rng(ref, position, seed):
    def fn(*args):
        args = list(args)
        args[position] = np.random.default_rng(seed)
        out = ref(*args)
        return list(out) if hasattr(out, "__next__") else out
    return fn


def _rng_mistakes(ref, names):
    position = names.index("rng")
    what = "looks trained on an order drawn" if "params" in names else "looks shuffled"
    return [Mistake("rng_ignored", f"{{leaf}} {what} with np.random.default_rng({seed}), not with "
                    "the rng passed in: every rng gives the same order", _own_rng(ref, position, seed),
                    hint="use the rng argument, order = rng.permutation(N); a generator made inside "
                         "the function ignores the caller's")
            for seed in _OWN_SEEDS]


# --- counts as NumPy ints ------------------------------------------------------------------------

def _int64(ref):
    """The reference's count as NumPy's int64 arithmetic gives it: wrapped around modulo 2**64."""
    def fn(*args):
        v = ref(*args)
        if not isinstance(v, int) or -2**63 <= v < 2**63:
            raise ValueError("fits in an int64: no wrap-around")
        return np.int64((v + 2**63) % 2**64 - 2**63)
    return fn


#: Exercises whose statement promises a Python int (the whole output is that number) -> what the
#: number is called in messages; NumPy's int64 can overflow there (also read by diagnose's
#: quality stage, which names a right count of the wrong type).
PYTHON_INTS = {"count_parameters": "the count"}


# --- a gradient on a copy of x -----------------------------------------------------------------

def _reads_caller_x(case) -> bool:
    f = case.args[0] if case.args else None
    return getattr(f, "kind", "") in ("cubic_of_caller_x",)


@cache
def general_mistakes(name: str) -> tuple:
    """The recognisers that apply to exercise ``name`` (tried after its own mistakes)."""
    ref = get_exercise(name).reference
    if ref is None:
        return ()
    names = tuple(inspect.signature(ref).parameters)
    out = []
    if name.endswith("_prime") and name[:-len("_prime")] in nnlib.ACTIVATIONS:
        out += _derivative_mistakes(name)
    if name in _FORWARD and ("b" in names or "params" in names):
        which = "b" if "b" in names else "the biases b of params"
        out.append(Mistake("missing_bias", f"{{leaf}} looks computed without the bias ({which} "
                           "left out, or taken as 0)", _zero_bias(ref, names),
                           hint="add the bias: z = ... + b (every layer has its own b)"))
    if name in ("softmax_cross_entropy", "mlp_loss_and_grads"):
        out += _onehot_mistakes(name)
    if name == "mlp_loss_and_grads":
        out += _broadcast_loss_mistakes(ref)
    if "rng" in names and name in ("iterate_minibatches", "sgd_epoch"):
        out += _rng_mistakes(ref, names)
    if name in PYTHON_INTS:
        out.append(Mistake("wrong_dtype", "{leaf} wrapped around: it was computed with NumPy's int64, "
                           "which overflows past 2**63 (about 9.2e18) and gives a wrong count",
                           _int64(ref), hint="count with Python ints, e.g. sum(a * b for a, b in "
                           "zip(sizes[:-1], sizes[1:])); int(...) of a NumPy result comes too late, "
                           "it has already wrapped"))
    if name == "numerical_gradient":
        out.append(Mistake("perturbs_copy", "{leaf} is 0 everywhere: the steps were made on a copy of "
                           "x, and this f reads the caller's x (as a loss reads a model's weights), "
                           "so it never saw them", lambda f, x, h=1e-5: np.zeros_like(x),
                           applies=_reads_caller_x,
                           hint="change x itself: old = x[i]; x[i] = old + h; ...; x[i] = old - h; "
                                "...; x[i] = old (no x.copy())"))
    if "dA" in names:
        out.append(Mistake("missing_upstream_gradient", "{leaf} looks like g'(Z) alone: the upstream "
                           "gradient dA is missing from the chain rule",
                           lambda dA, cache: ref(np.ones_like(dA), cache),
                           hint="dZ = dA * g'(Z): multiply by the gradient that flows in from above"))
    return tuple(out)


def shape_mistake(name, label, E, G, low, case):
    """A Finding for an output ``G`` of the wrong shape that a broadcast explains, else None:
    a column (n, 1) met a vector (n,), giving an (n, n) table whose diagonal is the expected
    vector."""
    E, G = np.asarray(E), np.asarray(G)
    n = E.shape[0] if E.ndim == 1 else 0
    if n < 2 or G.shape != (n, n) or G.dtype.kind not in "biuf":
        return None
    diagonal = np.diagonal(G)
    if not allclose(E.astype(np.float64), diagonal.astype(np.float64), low):
        return None
    return Finding("broadcast_column", f"{label} has shape {G.shape}, expected {E.shape}: a column "
                   f"({n}, 1) met a vector ({n},), and NumPy broadcast them into a ({n}, {n}) table "
                   "(its diagonal holds the expected values)",
                   hint="keep vectors 1-D, as the statement's shapes are: no .reshape(-1, 1), "
                        "[:, None] or np.newaxis, and take [:, 0] of a one-column matrix product")
