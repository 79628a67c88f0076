"""The test cases of every exercise: fixed small ones first, then random ones drawn from a seed.

:func:`make_cases` ``(name, seed, hidden)`` returns a list of :class:`~autograder.checks.wire.Case`:
plain data only, so the list can be sent to a sandbox (see :mod:`autograder.checks.wire`). The random
cases cover a batch of one, non-square layers (``n_in != n_out != N``, so a transpose cannot
hide), float32 as well as float64, and extreme values (``|z|`` up to 1e3) where the exercise
claims stability. Vectorised exercises end with one large ``"timing"`` case.

Visible checks draw from :data:`PUBLIC_SEED`; hidden checks from a fresh seed, so a function that
memorises the visible answers fails them.
"""

from __future__ import annotations

import inspect
import zlib

import numpy as np

from ..exercises import EXERCISES, get_exercise
from . import cases_autodiff, cases_backprop, cases_networks, cases_neurons, cases_softmax_sgd
from .case_tools import TIMING_N, TIMING_N_MLP
from .choices import CHOICES
from .mistakes import MISTAKES
from .wire import Case, FnSpec, RngSpec, cases_from_wire, cases_to_wire, resolve

__all__ = [
    "GENERATORS",
    "PUBLIC_SEED",
    "TIMING_N",
    "TIMING_N_MLP",
    "Case",
    "FnSpec",
    "RngSpec",
    "arg_names",
    "cases_from_wire",
    "cases_to_wire",
    "make_cases",
    "resolve",
]

#: Seed of the visible checks (it is in the notebooks; hidden checks use another one).
PUBLIC_SEED = 2026

#: exercise name -> generator ``(rng, hidden) -> [(label, args, tags)]``, one module per topic.
GENERATORS = {
    **cases_neurons.GENERATORS,
    **cases_networks.GENERATORS,
    **cases_backprop.GENERATORS,
    **cases_autodiff.GENERATORS,
    **cases_softmax_sgd.GENERATORS,
    **{name: (lambda rng, hidden: [("your answer", (), set())]) for name in CHOICES},
}

# The autodiff exercise keeps its known mistakes beside its cases (one module for the exercise).
MISTAKES.update(cases_autodiff.MISTAKES)


def arg_names(name: str) -> tuple:
    """Parameter names of the student function (those of its nnlib twin)."""
    if name == "train_xor":
        return ("X", "y", "rng")
    if get_exercise(name).kind == "choice":
        return ()
    ref = get_exercise(name).reference
    return tuple(inspect.signature(ref).parameters)


def make_cases(name: str, seed: int, hidden: bool = False) -> list[Case]:
    """The cases of exercise ``name`` drawn from ``seed`` (trusted: runs no student code)."""
    get_exercise(name)
    if name not in GENERATORS:  # pragma: no cover - a test checks the tables agree
        raise ValueError(f"exercise {name!r} has no case generator")
    rng = np.random.default_rng([int(seed), zlib.crc32(name.encode())])
    names = arg_names(name)
    vectorised = EXERCISES[name].options.get("vectorised", False)
    cases = []
    for label, args, tags in GENERATORS[name](rng, hidden):
        if "timing" in tags and not vectorised:
            continue
        cases.append(Case(label=label, args=tuple(args), names=names[:len(args)],
                          tags=frozenset(tags), hidden=bool(hidden)))
    return cases
