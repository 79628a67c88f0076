"""Mistakes recognised across exercises, wherever an exercise's arguments allow them.

:mod:`autograder.checks.mistakes` writes out the mistakes of one exercise; this module derives
mistakes from the *shape* of an exercise instead, so the same mistake gets the same name
everywhere:

- the reference on a perturbed input: the biases set to zero (``b``, or every ``b`` of
  ``params``, in a forward pass), the upstream gradient ``dA`` set to ones;
- the activation's table entries: for every ``<activation>_prime`` the activation itself, its
  derivative taken at ``g(z)``, and the other convention at the kink ``z = 0``.

Transforms of the reference *output* (negated, transposed, N times, a constant multiple, an update
not made, outputs in another order, a batch dropped) need no reference call: they are in
:mod:`autograder.checks.leaf_findings` and :mod:`autograder.checks.output_tree`.
"""

from __future__ import annotations

import inspect
from functools import cache

import numpy as np

import nnlib

from ..exercises import get_exercise
from .mistakes import Mistake

__all__ = ["general_mistakes"]

#: forward passes whose bias arguments are biases of the prediction (not a starting value)
_FORWARD = ("perceptron_predict", "neuron_forward", "dense_forward", "mlp_forward", "bump_forward")


def _zero_bias(ref, names):
    i = names.index("b") if "b" in names else None
    j = names.index("params") if "params" in names else None

    def fn(*args):
        args = list(args)
        if i is not None:
            b = args[i]
            args[i] = np.zeros_like(b) if isinstance(b, np.ndarray) else 0.0
        if j is not None:
            args[j] = [(W, np.zeros_like(b)) for W, b in args[j]]
        return ref(*args)
    return fn


def _derivative_mistakes(name):
    act = name[:-len("_prime")]
    g, g_prime = nnlib.get_activation(act)
    out = [Mistake("activation_not_derivative", f"{{leaf}} looks like {act}(z) itself, not its "
                   "derivative", g, hint=f"{name}(z) is the slope of {act} at z"),
           Mistake("derivative_of_wrong_quantity", f"{{leaf}} looks like {act}'({act}(z)): the "
                   f"derivative was taken at the activation a = {act}(z) instead of at z",
                   lambda z: g_prime(g(z)), hint=f"{name} takes the pre-activation z")]
    if act in ("relu", "leaky_relu"):
        slope = 0.0 if act == "relu" else nnlib.LEAKY_SLOPE
        out.append(Mistake("boundary_convention", "{leaf} is 1 at z = 0; the course takes the "
                           f"derivative at the kink to be {slope:g}",
                           lambda z: np.where(z >= 0, 1.0, slope).astype(z.dtype),
                           hint=f"use z > 0, not z >= 0: 1 where z > 0, else {slope:g}"))
    return out


@cache
def general_mistakes(name: str) -> tuple:
    """The recognisers that apply to exercise ``name`` (tried after its own mistakes)."""
    ref = get_exercise(name).reference
    if ref is None:
        return ()
    names = tuple(inspect.signature(ref).parameters)
    out = []
    if name.endswith("_prime") and name[:-len("_prime")] in nnlib.ACTIVATIONS:
        out += _derivative_mistakes(name)
    if name in _FORWARD and ("b" in names or "params" in names):
        which = "b" if "b" in names else "the biases b of params"
        out.append(Mistake("missing_bias", f"{{leaf}} looks computed without the bias ({which} "
                           "left out, or taken as 0)", _zero_bias(ref, names),
                           hint="add the bias: z = ... + b (every layer has its own b)"))
    if "dA" in names:
        out.append(Mistake("missing_upstream_gradient", "{leaf} looks like g'(Z) alone: the upstream "
                           "gradient dA is missing from the chain rule",
                           lambda dA, cache: ref(np.ones_like(dA), cache),
                           hint="dZ = dA * g'(Z): multiply by the gradient that flows in from above"))
    return tuple(out)
