"""Loss functions: each returns ``(loss, gradient)`` where ``loss`` is the mean over the batch.

The gradient is of that mean, with respect to the loss's first argument, and has its shape.
So a gradient already carries the ``1/N``; the layers below must *sum* over the batch, never
average again.

Labels follow the lectures: ``{0, 1}`` for logistic units, ``{-1, +1}`` for the perceptron and the
hinge loss, integers ``0..K-1`` for softmax classification.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, check_labels, check_same_shape
from .activations import log_softmax, sigmoid, softmax

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "hinge",
    "one_hot",
    "softmax_cross_entropy",
    "squared_error",
]


def _batch_size(a: np.ndarray) -> int:
    return a.shape[0] if a.ndim else 1


def squared_error(A, Y):
    """Squared error ``L = 1/N sum_n sum_k (a_nk - y_nk)^2`` and ``dL/dA = 2 (A - Y) / N``.

    Parameters
    ----------
    A : array (N,) or (N, K), predictions.
    Y : array of the same shape, targets.

    >>> squared_error(np.array([1.0, 3.0]), np.array([0.0, 1.0]))
    (np.float64(2.5), array([1., 2.]))
    """
    A = as_float_array(A, "A")
    Y = np.asarray(Y, dtype=A.dtype)
    check_same_shape(A, Y, "predictions", "targets")
    diff = A - Y
    N = _batch_size(A)
    return (diff * diff).sum() / N, (2 / N) * diff


def binary_cross_entropy(P, y):
    """Binary cross-entropy on probabilities: ``L = -1/N sum [y log p + (1-y) log(1-p)]``.

    ``p`` is clipped to ``[eps, 1 - eps]`` of its dtype so that ``log(0)`` cannot occur; prefer
    :func:`binary_cross_entropy_with_logits`, which needs no clipping.

    Returns ``(loss, dL/dP)``, ``dL/dP = (p - y) / (p (1 - p)) / N``.
    """
    P = as_float_array(P, "P")
    y = check_labels(y, (0, 1)).astype(P.dtype)
    check_same_shape(P, y, "probabilities", "labels")
    eps = np.finfo(P.dtype).eps
    # Clipping keeps log and the division finite when a probability is exactly 0 or 1.
    Pc = np.clip(P, eps, 1 - eps)
    N = _batch_size(P)
    loss = -(y * np.log(Pc) + (1 - y) * np.log1p(-Pc)).sum() / N
    return loss, (Pc - y) / (Pc * (1 - Pc)) / N


def binary_cross_entropy_with_logits(Z, y):
    """Binary cross-entropy of ``sigmoid(z)``, computed from the logit ``z``.

    ``L = 1/N sum [log(1 + e^z) - y z]``, written as ``max(z, 0) - y z + log(1 + e^-|z|)`` so that
    no exponent is positive. The gradient is the fused ``dL/dZ = (sigmoid(z) - y) / N``.

    >>> binary_cross_entropy_with_logits(np.array([0.0]), np.array([1]))[0]
    np.float64(0.6931471805599453)
    """
    Z = as_float_array(Z, "Z")
    y = check_labels(y, (0, 1)).astype(Z.dtype)
    check_same_shape(Z, y, "logits", "labels")
    N = _batch_size(Z)
    loss = (np.maximum(Z, 0) - y * Z + np.log1p(np.exp(-np.abs(Z)))).sum() / N
    return loss, (sigmoid(Z) - y) / N


def one_hot(y, K: int, dtype=np.float64) -> np.ndarray:
    """Integer labels ``(N,)`` in ``0..K-1`` to a one-hot matrix ``(N, K)``.

    >>> one_hot(np.array([2, 0]), 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"labels must have shape (N,), got {y.shape}")
    # a label of -1 would silently index the last column: check the range first
    y = _check_class_labels(y, y.shape[0], int(K))
    Y = np.zeros((y.shape[0], K), dtype=dtype)
    Y[np.arange(y.shape[0]), y] = 1
    return Y


def _check_class_labels(y, N: int, K: int, scores_shape=None) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != N:
        of = f" {scores_shape}" if scores_shape is not None else ""
        raise ValueError(f"labels must have shape ({N},) to match the scores{of}, got {y.shape}")
    if y.dtype.kind not in "iu":
        if y.dtype.kind == "f" and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        elif y.dtype.kind == "f":
            bad = y[y != np.round(y)][0].item()
            raise ValueError(f"labels must be integers 0..{K - 1}, found {bad!r}")
        else:
            raise ValueError(f"labels must be integers 0..{K - 1}, got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= K):
        bad = y[(y < 0) | (y >= K)][0].item()
        raise ValueError(f"labels must be integers 0..{K - 1}, found {bad}")
    return y


def softmax_cross_entropy(Z, y):
    """Softmax cross-entropy with integer labels, from the scores (logits) ``Z``.

    ``L = -1/N sum_n log softmax(z_n)[y_n]``: the mean negative log-probability of the true class.

    The gradient is the fused ``dL/dZ = (softmax(Z) - onehot(y)) / N``. It is valid only because
    softmax and cross-entropy are taken together; neither factor alone has that form.

    Parameters
    ----------
    Z : array (N, K), scores.
    y : int array (N,), labels in ``0..K-1``.

    >>> loss, dZ = softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    >>> round(float(loss), 6) == round(float(np.log(4)), 6)
    True
    """
    Z = as_float_array(Z, "Z")
    if Z.ndim != 2:
        raise ValueError(f"scores must have shape (N, K), got {Z.shape}")
    N, K = Z.shape
    y = _check_class_labels(y, N, K, Z.shape)
    rows = np.arange(N)
    loss = -log_softmax(Z)[rows, y].sum() / N
    dZ = softmax(Z)
    dZ[rows, y] -= 1
    return loss, dZ / N


def hinge(z, y):
    """Hinge loss ``L = 1/N sum max(0, 1 - y z)`` with labels in ``{-1, +1}``.

    Returns ``(loss, dL/dz)`` with ``dL/dz = -y 1[1 - y z > 0] / N`` (0 at the kink).
    """
    z = as_float_array(z, "z")
    y = check_labels(y, (-1, 1)).astype(z.dtype)
    check_same_shape(z, y, "scores", "labels")
    N = _batch_size(z)
    margin = 1 - y * z
    active = margin > 0
    return np.where(active, margin, 0).sum() / N, np.where(active, -y, 0).astype(z.dtype) / N
