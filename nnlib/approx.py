"""Universal approximation by construction, and the XOR network of the Purdue lecture.

A *bump* of height ``h`` on ``[t_left, t_right]`` is the difference of two steep sigmoids,
``h (sigmoid(s (x - t_left)) - sigmoid(s (x - t_right)))``: about ``h`` between the knots and about 0
outside, the steeper the sharper. Summing one bump per interval gives a one-hidden-layer network
(two sigmoid units per bump, identity output) that approximates any continuous 1-D function as
closely as we like with enough bumps: universal approximation made concrete.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, check_positive
from .activations import relu, sigmoid

__all__ = ["bump_forward", "bump_network", "fit_bumps", "xor_network", "xor_relu_weights"]


def bump_network(knots, heights, steepness: float):
    """Parameters of the bump network for ``knots (m+1,)`` (increasing) and ``heights (m,)``.

    Bump ``i`` uses hidden units ``2i`` (rising edge at ``knots[i]``, output weight ``+heights[i]``)
    and ``2i+1`` (falling edge at ``knots[i+1]``, output weight ``-heights[i]``); every hidden unit
    computes ``sigmoid(s x - s t)``, so its weight is ``s`` and its bias ``-s t``.

    Returns
    -------
    ``[(W1 (2m, 1), b1 (2m,)), (W2 (1, 2m), b2 (1,))]``.
    """
    knots = as_float_array(knots, "knots")
    heights = as_float_array(heights, "heights")
    check_positive(steepness, "steepness")
    if knots.ndim != 1 or heights.shape != (knots.shape[0] - 1,):
        raise ValueError(
            f"need knots (m+1,) and heights (m,), got knots {knots.shape} and heights "
            f"{heights.shape}"
        )
    if np.any(np.diff(knots) <= 0):
        raise ValueError("knots must be strictly increasing")
    edges = np.repeat(knots, 2)[1:-1]              # t0, t1, t1, t2, t2, t3, ...
    W1 = np.full((edges.size, 1), float(steepness))
    b1 = -steepness * edges
    W2 = np.stack([heights, -heights], axis=1).reshape(1, -1)
    return [(W1, b1), (W2, np.zeros(1))]


def bump_forward(X, params):
    """Output ``(N,)`` of a one-hidden-layer sigmoid network with identity output on ``X (N, 1)``."""
    X = as_float_array(X, "X")
    if X.ndim != 2 or X.shape[1] != 1:
        raise ValueError(f"X must have shape (N, 1), got {X.shape}")
    (W1, b1), (W2, b2) = params
    H = sigmoid(X @ W1.T + b1)
    return (H @ W2.T + b2)[:, 0]


def fit_bumps(f, n_bumps: int, steepness: float, low: float = -1.0, high: float = 1.0):
    """Bump network for ``f`` on ``[low, high]``: ``n_bumps`` equal intervals, each bump as high
    as ``f`` at the interval's midpoint."""
    if int(n_bumps) < 1:
        raise ValueError(f"n_bumps must be at least 1, got {n_bumps!r}")
    knots = np.linspace(low, high, int(n_bumps) + 1)
    mids = (knots[:-1] + knots[1:]) / 2
    return bump_network(knots, f(mids), steepness)


def xor_relu_weights():
    """The Purdue lecture's exact XOR solution ``y = w . relu(W x + c)``:
    ``W = [[1, 1], [1, 1]]``, ``c = [0, -1]``, ``w = [1, -2]``."""
    return np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0.0, -1.0]), np.array([1.0, -2.0])


def xor_network(X, W, c, w):
    """``relu(X @ W.T + c) @ w``: the two-layer ReLU network of the XOR example, ``(N,)``.

    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> xor_network(X, *xor_relu_weights())
    array([0., 1., 1., 0.])
    """
    X = as_float_array(X, "X")
    return relu(X @ np.asarray(W).T + c) @ np.asarray(w)
