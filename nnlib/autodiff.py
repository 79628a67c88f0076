"""One node of reverse-mode automatic differentiation, written out (notebook 06, section 4).

In reverse mode every node ``out = op(x)`` hands a share of the output's gradient back to its input:
``x.grad += (d out / d x) * out.grad``. Three parts, each a classic mistake when left out: the
*local derivative* (taken at the node's input), the *upstream gradient* ``out.grad`` it multiplies
(the chain rule), and the ``+=`` (a value used twice receives one share per use, so shares add up).

:func:`exp_backward` is that step for the node ``out = exp(x)``, as a pure function: it returns the
new gradient at ``x`` and changes none of its arguments. It works entry by entry on arrays too.
"""

from __future__ import annotations

import numpy as np

__all__ = ["exp_backward"]


def exp_backward(x, x_grad, out_grad):
    """The backward step of the node ``out = exp(x)``: ``x_grad + exp(x) * out_grad``.

    ``d exp(x) / dx = exp(x)`` (the local derivative), times the upstream gradient ``out_grad``
    (chain rule), added to the gradient ``x`` has already received from its other uses.

    Parameters
    ----------
    x : float or float array, the node's input.
    x_grad : same shape as ``x``: the gradient accumulated at ``x`` so far (0 if none yet).
    out_grad : same shape as ``x``: the gradient of the final output with respect to ``out``.

    Returns
    -------
    The new gradient at ``x``, shaped like ``x`` (same dtype); the arguments are not changed.

    >>> float(exp_backward(0.0, 0.0, 1.0))
    1.0
    >>> exp_backward(np.array([0.0, 1.0]), np.array([0.5, 0.0]), np.array([2.0, -1.0])).round(4)
    array([ 2.5   , -2.7183])
    """
    x = np.asarray(x)
    return x_grad + np.exp(x) * out_grad
