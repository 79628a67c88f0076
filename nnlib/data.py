"""Small, seeded data sets: XOR, blobs, moons, spirals, 1-D target functions and the digits
bundled with scikit-learn (nothing is downloaded).

Every generator takes an explicit ``rng`` (a ``numpy.random.Generator``). Class labels are
``0..K-1``; use :func:`to_pm1` for the perceptron's and the hinge loss's ``{-1, +1}``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["TARGET_FUNCTIONS", "load_digits_split", "make_blobs", "make_moons",
           "make_regression_1d", "make_spirals", "make_xor", "to_pm1"]


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def to_pm1(y) -> np.ndarray:
    """Labels ``{0, 1}`` to ``{-1, +1}``."""
    return 2 * np.asarray(y, dtype=int) - 1


def make_xor(n_per_corner: int = 0, noise: float = 0.1, rng=None):
    """The XOR truth table ``X = [[0,0],[0,1],[1,0],[1,1]]``, ``y = [0,1,1,0]``.

    With ``n_per_corner > 0``, that many noisy copies of each corner (needs ``rng``).
    """
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    if n_per_corner == 0:
        return X, y
    rng = _check_rng(rng)
    X = np.repeat(X, n_per_corner, axis=0)
    y = np.repeat(y, n_per_corner)
    return X + noise * rng.standard_normal(X.shape), y


def make_blobs(n: int, rng, centers=((-1.5, -1.0), (1.5, 1.0)), std: float = 0.6):
    """``n`` points split evenly among Gaussian blobs around ``centers``; labels are blob indices."""
    rng = _check_rng(rng)
    centers = np.asarray(centers, dtype=float)
    k = len(centers)
    y = np.arange(n) % k
    X = centers[y] + std * rng.standard_normal((n, centers.shape[1]))
    order = rng.permutation(n)
    return X[order], y[order]


def make_moons(n: int, rng, noise: float = 0.1):
    """Two interleaving half circles (as scikit-learn's ``make_moons``), shuffled."""
    rng = _check_rng(rng)
    n0 = n // 2
    t0 = np.linspace(0, np.pi, n0)
    t1 = np.linspace(0, np.pi, n - n0)
    X = np.vstack([np.c_[np.cos(t0), np.sin(t0)], np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]])
    y = np.r_[np.zeros(n0, int), np.ones(n - n0, int)]
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(n)
    return X[order], y[order]


def make_spirals(n: int, rng, n_classes: int = 2, noise: float = 0.2, turns: float = 1.5):
    """``n_classes`` interleaved spiral arms, ``n`` points in all."""
    rng = _check_rng(rng)
    y = np.arange(n) % n_classes
    r = rng.uniform(0.05, 1.0, n)
    theta = 2 * np.pi * (turns * r + y / n_classes) + noise * rng.standard_normal(n)
    X = np.c_[r * np.cos(theta), r * np.sin(theta)]
    return X, y


#: Named 1-D functions on [-1, 1] for regression and universal approximation.
TARGET_FUNCTIONS = {
    "sine": lambda x: np.sin(np.pi * x),
    "abs": np.abs,
    "step": lambda x: (x > 0).astype(float),
    "wiggle": lambda x: np.sin(3 * np.pi * x) * np.exp(-x * x),
    "cubic": lambda x: x ** 3 - 0.5 * x,
}


def make_regression_1d(name: str, n: int, rng, noise: float = 0.0, low=-1.0, high=1.0):
    """``x`` uniform on ``[low, high]`` as ``(n, 1)`` and ``y = f(x) + noise`` as ``(n,)``."""
    if name not in TARGET_FUNCTIONS:
        raise ValueError(f"unknown target {name!r}; valid: {', '.join(TARGET_FUNCTIONS)}")
    rng = _check_rng(rng)
    x = np.sort(rng.uniform(low, high, n))
    y = TARGET_FUNCTIONS[name](x) + noise * rng.standard_normal(n)
    return x[:, None], y


def load_digits_split(rng, test_fraction: float = 0.25, dtype=np.float64):
    """scikit-learn's bundled 8x8 digits (1,797 images, shipped with the package), pixels scaled
    to [0, 1], split at random into ``X_train, X_test, y_train, y_test``."""
    from sklearn.datasets import load_digits

    rng = _check_rng(rng)
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    digits = load_digits()
    X = (digits.data / 16.0).astype(dtype)
    y = digits.target.astype(np.int64)
    order = rng.permutation(len(X))
    n_test = int(round(test_fraction * len(X)))
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]
