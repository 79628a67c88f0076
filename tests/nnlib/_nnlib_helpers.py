"""Helpers shared by the nnlib tests, written independently of nnlib.gradcheck.

The gradient tests compare nnlib's analytic gradients with *these* central differences, so a bug in
``nnlib.numerical_gradient`` or ``nnlib.relative_error`` cannot hide a bug in a backward pass.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np

H = 1e-5          # central-difference step (float64)
GRAD_TOL = 1e-7   # whole-array relative error that a correct float64 gradient stays below


def central_difference(f, x, h: float = H) -> np.ndarray:
    """``df/dx`` by central differences; ``f`` gets fresh perturbed copies, ``x`` is never written."""
    x = np.array(x, dtype=np.float64)  # a private copy
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        grad[i] = (float(f(xp)) - float(f(xm))) / (2 * h)
    return grad


def rel_err(a, b) -> float:
    """Whole-array relative error ``||a - b|| / (||a|| + ||b||)`` (0 when both are zero)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"shapes differ: {a.shape} vs {b.shape}"
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def frozen(a) -> np.ndarray:
    """A read-only copy of ``a``: any in-place write to it raises ``ValueError``."""
    a = np.array(a)
    a.flags.writeable = False
    return a


@contextlib.contextmanager
def strict_fp():
    """Every warning is an error; overflow, division by zero and invalid operations raise.

    Underflow is left at NumPy's default (ignored, no warning): ``exp(-1e4)`` rounding to 0 is the
    correctly rounded answer, and it is exactly what a stable sigmoid/softmax relies on.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            yield
