"""Small helpers shared by the case generators: random arrays, layer parameters, sizes."""

from __future__ import annotations

import numpy as np

__all__ = ["F32", "TIMING_N", "TIMING_N_MLP", "away_from_zero", "layer_params", "normal"]

TIMING_N = 10_000   # rows of the timing case: a per-example Python loop takes 30-100 ms here
TIMING_N_MLP = 2_000  # the same for whole networks (a per-example loop costs ~0.5 ms a row)

F32 = np.float32


def normal(rng, shape, scale=1.0, dtype=np.float64):
    """``scale`` times standard normal entries of ``shape``, cast to ``dtype``."""
    return (scale * rng.standard_normal(shape)).astype(dtype)


def away_from_zero(a, gap=1e-3):
    """Move entries with ``|a| < gap`` out to ``+-gap`` (kinks break finite differences)."""
    a = a.copy()
    small = np.abs(a) < gap
    a[small] = np.where(a[small] >= 0, gap, -gap).astype(a.dtype)
    return a


def layer_params(rng, sizes, dtype=np.float64):
    """``[(W, b), ...]`` of an MLP with layer sizes ``sizes`` (``W (n_out, n_in)``, small ``b``)."""
    return [(normal(rng, (o, i), 1 / np.sqrt(i), dtype), normal(rng, o, 0.1, dtype))
            for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
