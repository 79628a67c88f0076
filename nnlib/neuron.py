"""The logistic (sigmoidal) neuron: ``f(x) = sigmoid(b + w . x)``, i.e. logistic regression as a
one-layer network, trained by stochastic gradient descent.

On squared error the lecture (Purdue) uses ``E = 1/2 (y - f)^2`` for one example, whose gradient is
``dE/dw_j = -(y - f) f (1 - f) x_j``. The factor ``delta_0 = (y - f) f (1 - f)`` is the same for
every weight, so it is computed once and reused: ``w <- w + lr delta_0 x`` and ``b <- b + lr delta_0``.

On cross-entropy the ``f (1 - f)`` cancels and ``delta_0 = y - f``: no saturation slow-down.
Labels are ``{0, 1}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validate import as_float_array, check_labels, check_positive
from .activations import sigmoid

__all__ = ["NEURON_LOSSES", "NeuronResult", "neuron_forward", "neuron_sgd_step", "train_neuron"]

NEURON_LOSSES = ("squared", "cross_entropy")


def neuron_forward(X, w, b):
    """Output ``sigmoid(X @ w + b)`` of one logistic neuron for every row of ``X``.

    Parameters
    ----------
    X : array (N, d); w : array (d,); b : float.

    Returns
    -------
    array (N,), each entry in (0, 1).

    >>> neuron_forward(np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([1.0, 1.0]), -2.0)
    array([0.11920292, 0.5       ])
    """
    X = as_float_array(X, "X")
    w = as_float_array(w, "w")
    if X.ndim != 2 or w.ndim != 1 or X.shape[1] != w.shape[0]:
        raise ValueError(f"need X (N, d) and w (d,), got X {X.shape} and w {w.shape}")
    return sigmoid(X @ w + b)


def neuron_sgd_step(x, y, w, b, lr: float, loss: str = "squared"):
    """One SGD step on a single example ``(x, y)``; returns new ``(w, b)``, inputs unchanged.

    Parameters
    ----------
    x : array (d,), one example; y : 0 or 1; w : array (d,); b : float; lr : learning rate.
    loss : ``"squared"`` (the delta rule, ``delta_0 = (y - f) f (1 - f)``) or
        ``"cross_entropy"`` (``delta_0 = y - f``).
    """
    x = as_float_array(x, "x")
    w = as_float_array(w, "w")
    if x.shape != w.shape or x.ndim != 1:
        raise ValueError(f"x and w must both have shape (d,), got x {x.shape} and w {w.shape}")
    check_labels(np.asarray([y]), (0, 1))
    check_positive(lr, "lr")
    if loss not in NEURON_LOSSES:
        raise ValueError(f"unknown loss {loss!r}; valid: {', '.join(NEURON_LOSSES)}")
    f = sigmoid(x @ w + b)
    delta_0 = (y - f) * f * (1 - f) if loss == "squared" else (y - f)
    return w + lr * delta_0 * x, b + lr * delta_0


@dataclass
class NeuronResult:
    """What :func:`train_neuron` returns: the weights and the mean loss after each epoch."""

    w: np.ndarray
    b: float
    losses: list[float] = field(default_factory=list)


def _mean_loss(X, y, w, b, loss: str) -> float:
    f = neuron_forward(X, w, b)
    if loss == "squared":
        return float(np.mean(0.5 * (y - f) ** 2))
    eps = np.finfo(f.dtype).eps
    f = np.clip(f, eps, 1 - eps)  # keep log finite at saturated outputs
    return float(-np.mean(y * np.log(f) + (1 - y) * np.log1p(-f)))


def train_neuron(X, y, lr: float = 0.5, n_epochs: int = 50, loss: str = "squared",
                 rng: np.random.Generator | None = None) -> NeuronResult:
    """Train a logistic neuron by SGD, one example at a time, shuffling each epoch with ``rng``."""
    X = as_float_array(X, "X")
    y = check_labels(y, (0, 1)).astype(X.dtype)
    if rng is None:
        raise TypeError("train_neuron needs an explicit rng, e.g. rng=np.random.default_rng(0)")
    w = rng.standard_normal(X.shape[1]).astype(X.dtype) * 0.01
    b = 0.0
    result = NeuronResult(w=w, b=b)
    for _ in range(int(n_epochs)):
        for n in rng.permutation(len(X)):
            w, b = neuron_sgd_step(X[n], y[n], w, b, lr, loss)
        result.losses.append(_mean_loss(X, y, w, b, loss))
    result.w, result.b = w, float(b)
    return result
