"""Case generators and known mistakes of notebook 06's autodiff exercise (``exp_backward``).

``exp_backward(x, x_grad, out_grad)`` is the backward step of the node ``out = exp(x)``: it returns
``x_grad + exp(x) * out_grad``. The cases start with one scalar node (as in the notebook's ``Value``
class), then arrays, where each entry is its own node: ``x_grad`` is never zero there (the input was
used before, so a gradient that overwrites instead of adding shows) and ``out_grad`` is never one (so
a chain rule without the upstream gradient shows).

Each generator is ``(rng, hidden) -> [(label, args, tags)]``; see :mod:`autograder.checks.cases`.
:data:`MISTAKES` has the same form as :data:`autograder.checks.mistakes.MISTAKES` and is merged into
it by :mod:`autograder.checks.cases`.
"""

from __future__ import annotations

import numpy as np

from .case_tools import F32, TIMING_N, normal
from .mistakes import Mistake


def _grads(rng, shape, dtype=np.float64):
    """``x_grad`` and ``out_grad`` of ``shape``: entries of size 0.2 to 2, either sign (never 0 or 1)."""
    def one():
        return (rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.0, shape)).astype(dtype)
    x_grad, out_grad = one(), one()
    out_grad[np.isclose(out_grad, 1.0, atol=0.05)] = 1.5
    return x_grad, out_grad


def _exp_backward(rng, hidden):
    out = [("one scalar node: x = 0.5, x_grad = 0.25, out_grad = 2.0", (0.5, 0.25, 2.0), ()),
           ("hand-worked: x = [0, 1, -1], x_grad = [0.5, 0, 1], out_grad = [2, -1, 3]",
            (np.array([0.0, 1.0, -1.0]), np.array([0.5, 0.0, 1.0]), np.array([2.0, -1.0, 3.0])), ())]
    for shape, label in (((3, 4), "x (3, 4) used before: x_grad is not 0, out_grad is not 1"),
                         ((1, 5), "batch of one (1, 5)"),
                         ((6,), "x (6,) with large and negative entries")):
        x = normal(rng, shape, 3 if len(shape) == 1 else 1)
        out.append((label, (x, *_grads(rng, shape)), ()))
    x = normal(rng, (4, 3), 1, F32)
    out.append(("float32 x (4, 3)", (x, *_grads(rng, (4, 3), F32)), ()))
    x = normal(rng, (TIMING_N, 4))
    out.append(("large array (timing)", (x, *_grads(rng, (TIMING_N, 4))), ("timing",)))
    return out


#: exercise name -> generator, for the autodiff exercise of notebook 06.
GENERATORS = {"exp_backward": _exp_backward}

#: exercise name -> its usual mistakes (see :class:`autograder.checks.mistakes.Mistake`).
MISTAKES = {
    "exp_backward": [
        Mistake("missing_upstream_gradient",
                "{leaf} looks like x_grad + exp(x): the upstream gradient out_grad is missing from the "
                "chain rule",
                lambda x, x_grad, out_grad: x_grad + np.exp(x),
                hint="the node passes back (local derivative) * out_grad: x_grad + exp(x) * out_grad"),
        Mistake("values",
                "{leaf} looks like exp(x) * out_grad alone: the gradient x_grad already held was "
                "overwritten instead of added to",
                lambda x, x_grad, out_grad: np.exp(x) * out_grad,
                hint="a value used twice gets a share from each use: return x_grad + exp(x) * out_grad "
                     "(the += of backward())"),
        Mistake("missing_activation_derivative",
                "{leaf} looks like x_grad + out_grad: the local derivative exp(x) is missing (the "
                "gradient was passed through as by an addition node)",
                lambda x, x_grad, out_grad: x_grad + out_grad,
                hint="d exp(x) / dx = exp(x): x_grad + exp(x) * out_grad"),
        Mistake("derivative_of_wrong_quantity",
                "{leaf} looks like x_grad + exp(exp(x)) * out_grad: the derivative was taken at the "
                "node's output exp(x) instead of at its input x",
                lambda x, x_grad, out_grad: x_grad + np.exp(np.exp(x)) * out_grad,
                hint="the local derivative of exp at x is exp(x), the output itself: "
                     "x_grad + np.exp(x) * out_grad"),
    ],
}
