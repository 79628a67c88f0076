"""Comparing one leaf of an output (an array or a number) with the expected one, and naming how it
differs: shape, NaN/inf, a known mistake of the exercise, a transform of the expected values (sign,
transpose, a factor N), or plain wrong values.

:func:`compare_leaf` is called by :func:`autograder.checks.diagnose.judge` for each leaf in turn.
"""

from __future__ import annotations

import numpy as np

from .compare import allclose, batch_size, close, low_precision, value_lines
from .hints import BATCH_HINTS, NO_BATCH, SCALE_HINTS, STABILITY_HINTS, TRANSPOSE_HINTS
from .messages import Finding, index_text, num
from .output_tree import at
from .recognisers import shape_mistake

__all__ = ["comparable", "compare_leaf", "shape_finding"]


def shape_finding(name, label, E, G, low, case):
    """The Finding for a leaf ``G`` whose shape differs from the expected ``E``."""
    f = shape_mistake(name, label, E, G, low, case)  # a broadcast that explains the shape
    if f:
        return f
    N = batch_size(case) if name not in NO_BATCH else None
    if E.ndim == 2 and G.shape == E.shape[::-1]:
        if allclose(E, G.T, low):
            return Finding("transposed", f"{label} is the transpose of the expected result: "
                           f"got shape {G.shape}, expected {E.shape}",
                           hint=TRANSPOSE_HINTS.get(name, TRANSPOSE_HINTS[None]))
        return Finding("wrong_shape", f"{label} has shape {G.shape}, expected {E.shape} "
                       "(the transposed shape, and the values differ too)")
    if (G.ndim == E.ndim + 1 and G.shape[1:] == E.shape and N is not None and G.shape[0] == N
            and label.startswith("db")):
        return Finding("bias_grad_not_reduced",
                       f"{label} has shape {G.shape}, expected {E.shape}: it still has the batch "
                       f"axis (N={N})",
                       hint="the bias is shared by every example, so its gradient sums the "
                            "per-example gradients over the batch: db = dZ.sum(axis=0)")
    hint = ""
    if G.ndim == E.ndim + 1 and G.shape[-1] == 1 and G.shape[:-1] == E.shape:
        hint = "drop the trailing axis of length 1 (index it with [:, 0], or .ravel())"
    elif E.ndim == 0 and G.size == 1:
        hint = "return a number, e.g. float(...)"
    elif G.ndim == E.ndim + 1 and G.shape[1:] == E.shape:
        hint = "it has an extra leading axis: did you forget to sum or average over the batch?"
    return Finding("wrong_shape", f"{label} has shape {G.shape}, expected {E.shape}", hint=hint)


def comparable(E, G):
    """``E`` and ``G`` as arrays in a form that can be compared entry by entry."""
    E, G = np.asarray(E), np.asarray(G)
    if E.ndim == 0 and G.shape == (1,):
        G = G.reshape(())
    if G.shape != E.shape:
        return E, G
    if G.dtype.kind == "b":
        G = G.astype(np.int64) if E.dtype.kind in "iu" else G.astype(E.dtype)
    if E.dtype.kind in "iu" and G.dtype.kind == "f" and np.all(np.isfinite(G)):
        G = G.astype(np.float64)
    return E, G


def _not_finite_finding(name, case, label, E, G):
    """A Finding if ``G`` has NaN or inf where ``E`` is finite, else None."""
    finite_E = np.isfinite(E.astype(np.float64))
    bad = finite_E & ~np.isfinite(G.astype(np.float64))
    if not bad.any():
        return None
    index = tuple(np.argwhere(bad)[0]) if E.ndim else ()
    kinds = sorted({"NaN" if np.isnan(v) else "inf" for v in np.atleast_1d(G[bad])})
    what = " and ".join(kinds)
    lines = ([f"first at {label}{index_text(index)}; {int(bad.sum())} of {E.size} entries are not "
              "finite"] if E.ndim else [])
    if case.extreme:
        return Finding("unstable", f"{label} has {what} on large inputs, where the "
                       "expected values are finite", lines,
                       hint=STABILITY_HINTS.get(name, STABILITY_HINTS[None]))
    if E.ndim == 0:
        return Finding("not_finite", f"{label} is {what} where a finite number is expected",
                       hint="look for a division by zero or the log of zero")
    return Finding("not_finite", f"{label} contains {what} where the expected values are "
                   "finite", lines)


def _known_mistake(name, path, label, E, G, low, variants):
    """A Finding if ``G`` equals one of the exercise's known mistakes on this case, else None."""
    for mistake, variant in variants:
        try:
            V = np.asarray(at(variant, path))
        except (IndexError, TypeError, KeyError):
            continue
        if V.shape == G.shape and not allclose(E, V, low) and allclose(V, G, low):
            return Finding(mistake.code, mistake.headline.format(leaf=label, name=name),
                           value_lines=value_lines(label, E, G, low), hint=mistake.hint)
    return None


def _softmax_output(name, case) -> bool:
    return name == "softmax" or (name == "mlp_forward" and len(case.args) > 3
                                 and case.args[3] == "softmax")


def _normalised_elsewhere(name, case, label, E, G, low):
    """Probabilities that sum to 1 over the wrong axis (or over the whole array)."""
    if not _softmax_output(name, case) or E.ndim != 2 or E.shape[0] < 2:
        return None
    G = G.astype(np.float64)
    tol = 1e-4 if low else 1e-8
    if np.allclose(G.sum(axis=1), 1, atol=tol):
        return None
    rows = G.sum(axis=1, keepdims=True)
    whole = (abs(G.sum() - 1) < tol and np.all(rows > 0)
             and allclose(E, G / np.where(rows > 0, rows, 1), low))  # each row right up to a factor
    where = ("over the batch (each column sums to 1)" if np.allclose(G.sum(axis=0), 1, atol=tol)
             else "over the whole array" if whole else None)
    if where is None:
        return None
    return Finding("wrong_axis", f"{label} is normalised {where}: each row, one example, should sum "
                   "to 1", value_lines=value_lines(label, E, G, low),
                   hint="sum (and take the max) over the classes: axis=1, keepdims=True")


def _transformed(name, case, path, label, E, G, low, starts):
    """A Finding if ``G`` is a simple transform of ``E`` (negated, transposed, N times), else None."""
    if path in starts:
        S = np.asarray(starts[path], dtype=np.float64)
        step_e, step_g = E.astype(np.float64) - S, G.astype(np.float64) - S
        if np.any(np.abs(step_e) > 1e-12) and allclose(S, G.astype(np.float64), low):
            return Finding("not_updated", f"{label} is returned as it came in: its update is missing",
                           value_lines=value_lines(label, E, G, low),
                           hint=f"every parameter moves in an update step, {label} too; check the "
                                "condition for updating and that each new value is returned")
        if np.any(np.abs(step_e) > 1e-12) and allclose(-step_e, step_g, low):
            return Finding("wrong_sign", f"{label} moves the wrong way: the update has the wrong "
                           "sign", value_lines=value_lines(label, E, G, low),
                           hint="gradient descent subtracts lr times the gradient of the loss; "
                                "check the sign of each term of the update")
    f = _normalised_elsewhere(name, case, label, E, G, low)
    if f:
        return f
    nz = np.abs(E.astype(np.float64)) > 1e-12
    if nz.any() and allclose(-E, G, low):
        return Finding("wrong_sign", f"{label} has the wrong sign: it is the negative of the "
                       "expected result", value_lines=value_lines(label, E, G, low))
    if E.ndim == 2 and E.shape[0] == E.shape[1] and E.shape[0] > 1 and allclose(E.T, G, low) \
            and not allclose(E, E.T, low):
        return Finding("transposed", f"{label} is the transpose of the expected result",
                       value_lines=value_lines(label, E, G, low),
                       hint=TRANSPOSE_HINTS.get(name, TRANSPOSE_HINTS[None]))
    N = batch_size(case) if name not in NO_BATCH else None
    if N and N > 1 and nz.any():
        for ratio, word in ((N, "large"), (1 / N, "small")):
            if allclose(ratio * E.astype(np.float64), G.astype(np.float64), low):
                how = ("summed over the batch instead of averaged" if word == "large"
                       else "averaged over the batch instead of summed")
                return Finding("off_by_batch_size", f"{label} looks {how}: it is {N}x too {word}",
                               value_lines=value_lines(label, E, G, low),
                               hint=BATCH_HINTS.get((name, word), BATCH_HINTS[(None, word)]))
    if E.size >= 2 and np.count_nonzero(nz) >= 2:
        e, g = E.astype(np.float64).ravel(), G.astype(np.float64).ravel()
        c = float(e @ g / (e @ e))
        if np.isfinite(c) and c != 0 and min(abs(c - 1), abs(c + 1)) > 1e-3 \
                and allclose(E, G / c, low):
            return Finding("wrong_scale", f"{label} is {num(c)} times the expected values: a "
                           "constant factor is wrong", value_lines=value_lines(label, E, G, low),
                           hint=SCALE_HINTS.get(name, SCALE_HINTS[None]))
    return None


def compare_leaf(name, case, path, label, E, G, variants, starts):
    """A Finding for one leaf (expected E, got G), or None when it is right."""
    low = low_precision(case, E)
    E, G = comparable(E, G)
    if G.shape != E.shape:
        return shape_finding(name, label, E, G, low, case)
    f = _not_finite_finding(name, case, label, E, G)
    if f:
        return f
    if np.all(close(E, G, low)):
        return None
    f = (_known_mistake(name, path, label, E, G, low, variants)
         or _transformed(name, case, path, label, E, G, low, starts))
    if f:
        return f
    if case.extreme:
        return Finding("unstable", f"{label} is wrong on large inputs (|z| up to 1e4) although "
                       "smaller inputs were fine", value_lines=value_lines(label, E, G, low),
                       hint=STABILITY_HINTS.get(name, STABILITY_HINTS[None]))
    return Finding("values", f"{label} has wrong values", where_lines(case, label, E, G, low),
                   value_lines=value_lines(label, E, G, low))


def _listed(indices) -> str:
    indices = [int(i) for i in indices]
    return ", ".join(map(str, indices[:6])) + (", ..." if len(indices) > 6 else "")


def where_lines(case, label, E, G, low) -> list:
    """Which entries differ, in words a student can act on: every entry, whole rows, whole
    columns, or only where the input z is <= 0 (or > 0)."""
    if E.shape != G.shape or E.size < 2:
        return []
    bad = ~close(E, G, low)
    n = int(bad.sum())
    if n == bad.size:
        return [f"every entry of {label} differs"]
    elementwise = tuple(case.names) == ("z",) and isinstance(case.args[0], np.ndarray)
    z = case.args[0] if elementwise else None
    if z is not None and z.shape == E.shape:
        for mask, words in ((z <= 0, "z <= 0"), (z > 0, "z > 0"), (z == 0, "z = 0")):
            if mask.any() and np.array_equal(bad, mask):
                return [f"{label} differs exactly where {words} (and is right elsewhere)"]
    if E.ndim == 2:
        rows, cols = np.flatnonzero(bad.all(axis=1)), np.flatnonzero(bad.all(axis=0))
        if len(rows) and np.array_equal(bad.any(axis=1), bad.all(axis=1)):
            which = f"rows {_listed(rows)}" if len(rows) > 1 else f"row {int(rows[0])}"
            return [f"whole rows of {label} differ ({which}; one row is one example), the other "
                    "rows are right"]
        if len(cols) and np.array_equal(bad.any(axis=0), bad.all(axis=0)):
            which = f"columns {_listed(cols)}" if len(cols) > 1 else f"column {int(cols[0])}"
            return [f"whole columns of {label} differ ({which}), the other columns are right"]
    if E.ndim == 1:
        return [f"{n} of {E.size} entries of {label} differ, at indices {_listed(np.flatnonzero(bad))}"]
    return []
