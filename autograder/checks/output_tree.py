"""Walking a normalised output along its layout (:data:`autograder.checks.runner.LAYOUTS`).

:func:`leaves` yields every compared leaf with the name messages use for it (``dW2``, ``batch 3's
X_batch``); :func:`seq_lengths` finds a list of the wrong length; :func:`conforms` tells whether an
outcome read from a sandbox has the structure the layout promises, before anything is judged.
"""

from __future__ import annotations

import numpy as np

from .messages import Finding
from .runner import Leaf, Model, Seq, Tup

__all__ = ["MAX_ENTRIES", "at", "conforms", "layout_words", "leaves", "seq_lengths"]

MAX_ENTRIES = 10_000_000  # larger outputs are not compared (a sandboxed student could send any size)


def leaves(layout, value, path=(), label="the result"):
    """(path, label, leaf value) for every compared leaf of a normalised output."""
    if isinstance(layout, Leaf):
        if not layout.ignore:
            yield path, label if label != "the result" else layout.name, value
    elif isinstance(layout, Tup):
        for i, (sub, v) in enumerate(zip(layout.items, value, strict=True)):
            sub_label = sub.name if isinstance(sub, Leaf | Seq) else label
            yield from leaves(sub, v, (*path, i), sub_label)
    elif isinstance(layout, Seq):
        for i, v in enumerate(value):
            yield from leaves(_relabel(layout, i), v, (*path, i), f"{layout.name}[{i}]")
    elif isinstance(layout, Model):
        yield path, "model.predict(X)", value


def _relabel(seq: Seq, i: int):
    """The item layout of ``seq`` with its leaves named for entry ``i`` (dW1, X_batch of batch 2)."""
    item = seq.item
    if isinstance(item, Tup):
        def name(leaf):
            if seq.style == "layer":
                return Leaf(f"{leaf.name}{i + 1}", leaf.ignore)
            if seq.style == "batch":
                return Leaf(f"batch {i + 1}'s {leaf.name}", leaf.ignore)
            return Leaf(f"{leaf.name}[{i}]", leaf.ignore)
        return Tup(tuple(name(s) if isinstance(s, Leaf) else s for s in item.items), item.name)
    if isinstance(item, Leaf):
        return Leaf(f"{seq.name}[{i}]", item.ignore)
    return item


def seq_lengths(name, layout, expected, got, path=()):
    """A Finding if a sequence inside ``got`` has a different length than in ``expected``."""
    if isinstance(layout, Tup):
        for i, sub in enumerate(layout.items):
            f = seq_lengths(name, sub, expected[i], got[i], (*path, i))
            if f:
                return f
    elif isinstance(layout, Seq):
        if len(got) != len(expected):
            what = {"batch": "batches", "layer": "layers"}.get(layout.style, "entries")
            verb = "yields" if layout.style == "batch" else "has"
            return Finding("wrong_shape", f"{name if path == () else layout.name} {verb} "
                           f"{len(got)} {what}, expected {len(expected)}")
        for i in range(len(got)):
            f = seq_lengths(name, layout.item, expected[i], got[i], (*path, i))
            if f:
                return f
    return None


def at(value, path):
    """The part of ``value`` at ``path`` (a tuple of indices)."""
    for i in path:
        value = value[i]
    return value


def conforms(layout, value) -> bool:
    """Whether ``value`` has the structure :func:`~autograder.checks.runner.normalize_output` gives for
    ``layout``. Outcomes read from a sandbox are checked with this before they are judged."""
    if isinstance(layout, Leaf):
        if layout.ignore:
            return value is None
        return (isinstance(value, np.ndarray) and value.dtype.kind in "biuf"
                and value.size <= MAX_ENTRIES)
    if isinstance(layout, Model):
        return conforms(Leaf("p"), value)
    if isinstance(layout, Tup):
        return (isinstance(value, tuple) and len(value) == len(layout.items)
                and all(conforms(sub, v) for sub, v in zip(layout.items, value, strict=True)))
    if isinstance(layout, Seq):
        return isinstance(value, list) and len(value) <= 100_000 and all(
            conforms(layout.item, v) for v in value)
    return False


def layout_words(layout) -> str:
    """What ``layout`` is, in a few words: '3 values', 'a list', 'a number or an array'."""
    if isinstance(layout, Tup):
        return f"{len(layout.items)} values"
    if isinstance(layout, Seq):
        return "a list"
    return "a number or an array"
