"""Gradient checking: compare an analytic gradient with central differences.

``df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2 h)``, with error ``O(h^2)`` from the Taylor series
and ``O(eps / h)`` from rounding. In float64 (``eps ~ 1e-16``) the two balance near ``h ~ 1e-5``,
giving relative errors around ``1e-10``. Rules of thumb for the relative error:
below ``1e-7`` the gradient is right; around ``1e-4`` look closer (kinks such as ReLU's can cause it);
``1e-2`` or more means a bug. Do not gradient-check in float32: its rounding error alone is ~1e-3.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_mlp_gradients", "numerical_gradient", "relative_error"]


def numerical_gradient(f, x, h: float = 1e-5):
    """Central-difference gradient of the scalar function ``f`` at ``x``.

    ``x`` is perturbed one entry at a time and restored, so the caller sees it unchanged after the
    call (``f`` may read ``x``, as when ``x`` is a weight matrix inside a model).

    Parameters
    ----------
    f : callable taking an array shaped like ``x`` and returning a scalar.
    x : float array, any shape.
    h : step.

    Returns
    -------
    array shaped like ``x``.

    >>> numerical_gradient(lambda v: float(np.sum(v ** 2)), np.array([1.0, -2.0]))
    array([ 2., -4.])
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        raise TypeError(f"x must be a float array to be perturbed, got dtype {x.dtype}")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("x must be contiguous so that it can be perturbed in place")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = float(f(x))
        flat[i] = old - h
        f_minus = float(f(x))
        flat[i] = old  # restore exactly
        gflat[i] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a, b, floor: float = 1e-12) -> float:
    """Whole-array relative error ``||a - b|| / max(||a|| + ||b||, floor)``.

    0 for identical arrays, 1 when one of them is zero, about 1e-10 for a correct gradient vs
    central differences in float64.

    >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    0.0
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), floor))


def check_mlp_gradients(model, X, y, h: float = 1e-5) -> float:
    """Largest relative error between ``model.loss_and_grads`` and central differences of
    ``model.loss`` over every weight and bias (use float64 and a small model)."""
    _, grads = model.loss_and_grads(X, y)
    worst = 0.0
    for (W, b), (dW, db) in zip(model.params, grads, strict=True):
        for p, dp in ((W, dW), (b, db)):
            num = numerical_gradient(lambda _: model.loss(X, y), p, h)
            worst = max(worst, relative_error(dp, num))
    return worst
