"""Rosenblatt's perceptron, with labels in ``{-1, +1}``.

The model is a single neuron with a step activation: it predicts ``+1`` where
``b + w . x > 0`` and ``-1`` elsewhere, so its decision boundary is the line (plane)
``b + w . x = 0`` (the Purdue lecture's ``b + w1 x + w2 y``).

Learning rule, one example at a time: if ``x_n`` is misclassified (``y_n (b + w . x_n) <= 0``),
move the boundary towards it: ``w <- w + lr y_n x_n``, ``b <- b + lr y_n``. If the data are linearly
separable the algorithm stops making mistakes after finitely many updates; if they are not (XOR),
it never does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validate import as_float_array, check_labels, check_positive

__all__ = ["Perceptron", "PerceptronResult", "perceptron_epoch", "perceptron_predict",
           "train_perceptron"]


def _check_xwb(X, w, b):
    X = as_float_array(X, "X")
    w = as_float_array(w, "w")
    if X.ndim != 2 or w.ndim != 1 or X.shape[1] != w.shape[0]:
        raise ValueError(f"need X (N, d) and w (d,), got X {X.shape} and w {w.shape}")
    if np.ndim(b) != 0:
        raise ValueError(f"b must be a scalar, got shape {np.shape(b)}")
    return X, w


def perceptron_predict(X, w, b):
    """Predicted labels in ``{-1, +1}``: ``+1`` where ``b + X @ w > 0``.

    Parameters
    ----------
    X : array (N, d); w : array (d,); b : float.

    Returns
    -------
    int array (N,).

    >>> perceptron_predict(np.array([[1.0, 1.0], [-1.0, 0.0]]), np.array([1.0, 1.0]), -0.5)
    array([ 1, -1])
    """
    X, w = _check_xwb(X, w, b)
    return np.where(X @ w + b > 0, 1, -1)


def perceptron_epoch(X, y, w, b, lr: float = 1.0):
    """One pass over the data in the given order, updating on every mistake.

    Returns new ``(w, b, n_mistakes)``; the caller's ``w`` is not changed.
    """
    X, w = _check_xwb(X, w, b)
    y = check_labels(y, (-1, 1))
    check_positive(lr, "lr")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X {X.shape}, got {y.shape}")
    w = w.copy()
    b = float(b)
    mistakes = 0
    for x_n, y_n in zip(X, y, strict=True):
        # A point exactly on the boundary counts as a mistake, so training can start from w = 0.
        if y_n * (x_n @ w + b) <= 0:
            w += lr * y_n * x_n
            b += lr * y_n
            mistakes += 1
    return w, b, mistakes


@dataclass
class PerceptronResult:
    """What :func:`train_perceptron` returns."""

    w: np.ndarray
    b: float
    mistakes: list[int] = field(default_factory=list)  # mistakes in each epoch
    converged: bool = False  # True when an epoch made no mistake


def train_perceptron(X, y, n_epochs: int = 100, lr: float = 1.0, rng=None,
                     w0=None, b0: float = 0.0) -> PerceptronResult:
    """Run the perceptron algorithm until an epoch makes no mistake or ``n_epochs`` pass.

    With ``rng`` the examples are visited in a fresh random order each epoch; without it, in order.
    Starts from ``w0`` (zeros by default) and ``b0``.

    >>> X = np.array([[2.0, 1.0], [1.0, 3.0], [-1.0, -2.0], [-3.0, -1.0]])
    >>> res = train_perceptron(X, np.array([1, 1, -1, -1]))
    >>> res.converged, res.mistakes[-1]
    (True, 0)
    """
    X = as_float_array(X, "X")
    if int(n_epochs) < 1:
        raise ValueError(f"n_epochs must be at least 1, got {n_epochs!r}")
    w = np.zeros(X.shape[1], dtype=X.dtype) if w0 is None else as_float_array(w0, "w0").copy()
    b = float(b0)
    result = PerceptronResult(w=w, b=b)
    y = np.asarray(y)
    for _ in range(int(n_epochs)):
        order = np.arange(len(X)) if rng is None else rng.permutation(len(X))
        w, b, m = perceptron_epoch(X[order], y[order], w, b, lr)
        result.mistakes.append(m)
        if m == 0:
            result.converged = True
            break
    result.w, result.b = w, b
    return result


class Perceptron:
    """A thin class over :func:`train_perceptron` and :func:`perceptron_predict`."""

    def __init__(self, n_epochs: int = 100, lr: float = 1.0, rng=None):
        self.n_epochs, self.lr, self.rng = n_epochs, lr, rng
        self.w, self.b, self.result = None, 0.0, None

    def __repr__(self) -> str:
        return f"Perceptron(w={self.w}, b={self.b})"

    def fit(self, X, y) -> Perceptron:
        self.result = train_perceptron(X, y, self.n_epochs, self.lr, self.rng)
        self.w, self.b = self.result.w, self.result.b
        return self

    def predict(self, X):
        if self.w is None:
            raise RuntimeError("call fit before predict")
        return perceptron_predict(X, self.w, self.b)
