"""Small argument checks shared by nnlib's public entry points.

Each raises ``ValueError`` or ``TypeError`` with a message that names the offending
shapes or values, so a student sees *what* is wrong, not just *that* something is.
"""

from __future__ import annotations

import numpy as np

__all__ = ["as_float_array", "check_labels", "check_positive", "check_same_shape"]


def as_float_array(a, name: str) -> np.ndarray:
    """Return ``a`` as a floating-point array (float64 unless it already is float32/float64)."""
    arr = np.asarray(a)
    if arr.dtype == np.float32 or arr.dtype == np.float64:
        return arr
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    try:
        return arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}") from exc


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise ``ValueError`` naming both shapes when ``a`` and ``b`` differ in shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}; they must match"
        )


def check_positive(value: float, name: str) -> None:
    """Raise ``ValueError`` unless ``value`` is a finite number greater than zero."""
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def check_labels(y, allowed: tuple, name: str = "y") -> np.ndarray:
    """Return ``y`` as an array after checking that every entry is one of ``allowed``."""
    y = np.asarray(y)
    bad = ~np.isin(y, allowed)
    if bad.any():
        first = y[bad].ravel()[0].item()  # a plain Python value: "found 2", not "np.int64(2)"
        raise ValueError(
            f"{name} must contain only {list(allowed)}, found {first!r} "
            f"({int(bad.sum())} bad label(s))"
        )
    return y
