"""Helpers for notebook 06 (backpropagation and gradient checking).

A backward pass assembled from swappable pieces (so that the notebook can plant a bug in one piece and
watch a gradient check catch it), a whole-model gradient check that reports one relative error per
parameter, and the error-against-step-size experiment. Everything uses the nnlib reference.
"""

from __future__ import annotations

import numpy as np

from ..activations import activation_backward as _activation_backward
from ..activations import get_activation
from ..gradcheck import numerical_gradient, relative_error
from ..layers import dense_backward as _dense_backward
from ..layers import dense_forward
from ..mlp import _check_output, _output_loss, mlp_forward, mlp_loss_and_grads

__all__ = ["error_vs_step", "gradient_errors", "mlp_grads_from_pieces", "mlp_loss"]


def mlp_loss(X, y, params, activation: str = "relu", output: str = "softmax") -> float:
    """Mean loss of the MLP ``params`` on ``(X, y)`` (the reference forward pass and loss)."""
    _, caches = mlp_forward(X, params, activation, output)
    return float(_output_loss(caches[-1][1], y, output)[0])


def mlp_grads_from_pieces(X, y, params, activation: str = "relu", output: str = "softmax",
                          dense_backward=_dense_backward, activation_backward=_activation_backward,
                          mean: bool = True):
    """``(loss, grads)`` of an MLP by backpropagation through the layer pieces given.

    With the default pieces this equals :func:`nnlib.mlp_loss_and_grads`. Pass a faulty
    ``dense_backward(dZ, (X, W)) -> (dX, dW, db)`` or ``activation_backward(dA, (Z, name)) -> dZ`` to
    see what a bug in one piece does to the whole gradient; ``mean=False`` forgets the ``1/N`` of the
    mean loss (the gradient of the *summed* loss, while the loss reported is still the mean).
    """
    _check_output(output)
    g, _ = get_activation(activation)
    A = np.asarray(X, dtype=float)
    dense_caches, act_caches = [], []
    for i, (W, b) in enumerate(params):
        Z, cache = dense_forward(A, W, b)
        dense_caches.append(cache)
        if i < len(params) - 1:
            act_caches.append((Z, activation))
            A = g(Z)
    # Loss and output delta dL/dZ_out from the reference (the fused form); the delta carries the 1/N.
    loss, delta = _output_loss(Z, y, output)
    if not mean:
        delta = delta * A.shape[0]
    grads = [None] * len(params)
    for i in range(len(params) - 1, -1, -1):
        dA, dW, db = dense_backward(delta, dense_caches[i])
        grads[i] = (dW, db)
        if i > 0:
            delta = activation_backward(dA, act_caches[i - 1])
    return float(loss), grads


def gradient_errors(grads, X, y, params, activation: str = "relu", output: str = "softmax",
                    h: float = 1e-5) -> dict[str, float]:
    """Relative error of each gradient in ``grads`` against central differences of the reference loss.

    Returns ``{"W1": err, "b1": err, "W2": err, ...}``. A shape mismatch (e.g. a transposed ``dW`` of a
    non-square layer) is reported as ``nan``.
    """
    params = [(np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in params]
    out = {}
    for i, ((W, b), (dW, db)) in enumerate(zip(params, grads, strict=True)):
        for name, p, dp in ((f"W{i + 1}", W, dW), (f"b{i + 1}", b, db)):
            num = numerical_gradient(lambda _: mlp_loss(X, y, params, activation, output), p, h)
            dp = np.asarray(dp)
            out[name] = relative_error(dp, num) if dp.shape == num.shape else float("nan")
    return out


def error_vs_step(X, y, params, activation: str = "tanh", output: str = "softmax", steps=None):
    """Whole-gradient relative error of central and forward differences against backprop, per step h.

    Returns ``steps, central_errors, forward_errors`` (arrays of the same length).
    """
    steps = np.logspace(-12, -1, 12) if steps is None else np.asarray(steps, dtype=float)
    params = [(np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in params]
    _, grads = mlp_loss_and_grads(X, y, params, activation, output)
    exact = np.concatenate([np.concatenate([dW.ravel(), db.ravel()]) for dW, db in grads])
    central, forward = [], []
    for h in steps:
        c_parts, f_parts = [], []
        f0 = mlp_loss(X, y, params, activation, output)
        for W, b in params:
            for p in (W, b):
                c_parts.append(numerical_gradient(lambda _: mlp_loss(X, y, params, activation,
                                                                     output), p, h).ravel())
                fwd = np.zeros(p.size)
                flat = p.reshape(-1)
                for k in range(flat.size):
                    old = flat[k]
                    flat[k] = old + h
                    fwd[k] = (mlp_loss(X, y, params, activation, output) - f0) / h
                    flat[k] = old
                f_parts.append(fwd)
        central.append(relative_error(exact, np.concatenate(c_parts)))
        forward.append(relative_error(exact, np.concatenate(f_parts)))
    return steps, np.array(central), np.array(forward)
