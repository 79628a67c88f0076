"""Comparing a student's array with the expected one: tolerances, the first differing entry,
and the lines that show it.

Tolerances: float64 ``|got - expected| <= 1e-9 * scale + 1e-6 * |expected|`` (``scale`` the largest
expected magnitude, at least 1); float32 inputs or outputs ``1e-5 * scale + 1e-4 * |expected|``;
integers exactly.
"""

from __future__ import annotations

import numpy as np

from .messages import index_text, num
from .wire import Case

__all__ = ["allclose", "batch_size", "close", "first_diff", "low_precision", "max_rel",
           "value_lines"]


def low_precision(case: Case, *arrays) -> bool:
    def has32(v):
        if isinstance(v, np.ndarray):
            return v.dtype == np.float32
        if isinstance(v, list | tuple):
            return any(has32(x) for x in v)
        return False
    return has32(case.args) or any(np.asarray(a).dtype == np.float32 for a in arrays)


def close(E: np.ndarray, G: np.ndarray, low: bool, loose: float = 1.0):
    """Element-wise closeness mask of ``G`` to ``E`` (same shape)."""
    if E.dtype.kind in "biu" and G.dtype.kind in "biu":
        return E == G
    E = E.astype(np.float64)
    G = G.astype(np.float64)
    rtol, atol = (1e-4, 1e-5) if low else (1e-6, 1e-9)
    rtol, atol = rtol * loose, atol * loose
    finite = np.isfinite(E)
    scale = max(1.0, float(np.max(np.abs(E[finite]), initial=0.0)))
    with np.errstate(invalid="ignore", over="ignore"):
        ok = np.abs(G - E) <= atol * scale + rtol * np.abs(E)
    return ok | ((E == G) & ~finite)  # equal infinities count as equal


def allclose(E, G, low, loose=1.0) -> bool:
    E, G = np.asarray(E), np.asarray(G)
    return E.shape == G.shape and bool(np.all(close(E, G, low, loose)))


def max_rel(E, G) -> float:
    E = np.asarray(E, dtype=np.float64)
    G = np.asarray(G, dtype=np.float64)
    # relative to each entry, but not to entries far below the array's scale (a 0 would give inf)
    floor = 1e-3 * float(np.max(np.abs(E[np.isfinite(E)]), initial=0.0)) or 1e-12
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        rel = np.abs(G - E) / np.maximum(np.abs(E), floor)
    rel = rel[np.isfinite(rel)]
    return float(rel.max()) if rel.size else float("inf")


def first_diff(E, G, low):
    bad = ~close(E, G, low)
    index = tuple(np.argwhere(bad)[0]) if E.ndim else ()
    return index


def value_lines(label, E, G, low):
    if E.shape != G.shape:
        return []
    index = first_diff(E, G, low)
    e, g = (E[index], G[index]) if E.ndim else (E[()], G[()])
    n_bad = int(np.sum(~close(E, G, low)))
    where = f"{label}{index_text(index)}"
    lines = [f"{where}: expected {num(e)}, got {num(g)}"]
    if E.size > 1:
        lines[0] += f" ({n_bad} of {E.size} entries differ; max relative error {max_rel(E, G):.2g})"
    return lines


def batch_size(case: Case) -> int | None:
    for v in case.args:
        arrs = [v] if isinstance(v, np.ndarray) else [x for x in v if isinstance(x, np.ndarray)] \
            if isinstance(v, tuple) else []
        for a in arrs:
            if a.ndim == 2:
                return a.shape[0]
    return None

