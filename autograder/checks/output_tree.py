"""Walking a normalised output along its layout (:data:`autograder.checks.runner.LAYOUTS`).

:func:`leaves` yields every compared leaf with the name messages use for it (``dW2``, ``batch 3's
X_batch``); :func:`seq_lengths` finds a list of the wrong length; :func:`conforms` tells whether an
outcome read from a sandbox has the structure the layout promises, before anything is judged.
"""

from __future__ import annotations

from itertools import permutations

import numpy as np

from .messages import Finding
from .runner import Choice, Leaf, Model, Seq, Tup

__all__ = ["MAX_ENTRIES", "at", "conforms", "layout_words", "leaves", "same", "seq_lengths", "swapped"]

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
        if len(got) == len(expected) - 1 and layout.style == "batch" and all(
                same(e, g) for e, g in zip(expected, got, strict=False)):
            return Finding("last_batch_dropped", f"{name} yields {len(got)} batches, expected "
                           f"{len(expected)}: the last, smaller batch is missing",
                           hint="range(0, N, batch_size) also reaches the last partial batch: "
                                "yield it too")
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


def same(a, b) -> bool:
    """Whether two normalised outputs (or parts) are equal up to float tolerance."""
    if isinstance(a, tuple | list):
        return (isinstance(b, tuple | list) and len(a) == len(b)
                and all(same(x, y) for x, y in zip(a, b, strict=True)))
    if a is None or b is None or isinstance(b, tuple | list):
        return a is b
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.allclose(a.astype(np.float64), b.astype(np.float64),
                                                   rtol=1e-6, atol=1e-9))


def swapped(name, layout, expected, got):
    """A Finding if ``got`` holds the expected outputs in another order (a tuple's values
    permuted, or a list of layers reversed), else None."""
    if not isinstance(layout, Tup):
        return None
    items = layout.items
    n = len(items)
    if 2 <= n <= 4 and not same(expected, got):
        for perm in permutations(range(n)):
            if perm != tuple(range(n)) and all(same(expected[i], got[perm[i]]) for i in range(n)):
                names = [items[i].name if isinstance(items[i], Leaf | Seq) else "?" for i in range(n)]
                order = ", ".join(names[perm.index(i)] for i in range(n))
                return Finding("outputs_swapped", f"{name} returns its values in another order: got "
                               f"({order}), expected ({', '.join(names)})",
                               hint=f"return ({', '.join(names)}) in this order")
    for i, sub in enumerate(items):
        if isinstance(sub, Seq) and len(got[i]) > 1 and not same(expected[i], got[i]) \
                and same(expected[i], list(got[i])[::-1]):
            return Finding("outputs_swapped", f"{name}'s {sub.name} are in reverse order: the "
                           "first entry must be the first layer's",
                           hint=f"fill {sub.name}[l] for layer l, or reverse the list you built "
                                "from the output layer down")
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
    if isinstance(layout, Choice):
        return isinstance(value, str) and value in layout.letters
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
    if isinstance(layout, Choice):
        return "one letter"
    return "a number or an array"
