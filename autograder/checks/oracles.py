"""Expected outputs that do not trust nnlib's backward passes.

For every exercise that is a derivative or a gradient, :func:`oracle_output` computes the expected
result independently of the nnlib twin: by central differences (float64, ``h = 1e-5``) of the
*forward* pass, or analytically where the function is known. The judge requires a student's
answer to match both the twin and this oracle, so a bug in an nnlib backward pass cannot bless the
same bug in a student's code.

Only float64, non-extreme, non-timing cases get an oracle (central differences in float32 are too
coarse, and the large cases would be slow).
"""

from __future__ import annotations

import numpy as np

import nnlib

from .wire import GRADIENTS, Case, resolve

__all__ = ["central_differences", "oracle_output"]

H = 1e-5


def central_differences(f, x: np.ndarray, h: float = H) -> np.ndarray:
    """Gradient of the scalar ``f`` at ``x`` by central differences (``x`` is not changed)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    flat, g = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        up = f(x)
        flat[i] = old - h
        down = f(x)
        flat[i] = old
        g[i] = (up - down) / (2 * h)
    return grad


def _elementwise(g):
    """Derivative of an element-wise ``g`` by central differences, all entries at once."""
    def derivative(z):
        z = np.asarray(z, dtype=np.float64)
        d = (g(z + H) - g(z - H)) / (2 * H)
        # at a kink (|z| < h) the difference quotient is meaningless: use the twin's convention
        return d
    return derivative


def _kinks(name, z, d):
    if name in ("relu", "leaky_relu", "step"):
        twin = nnlib.get_activation(name)[1](z)
        return np.where(np.abs(z) < 10 * H, twin, d)
    return d


def _derivative(activation):
    g = nnlib.get_activation(activation)[0]

    def oracle(z):
        z = np.asarray(z, dtype=np.float64)
        return _kinks(activation, z, _elementwise(g)(z))
    return oracle


def _dense_backward(dZ, cache):
    X, W = cache
    b = np.zeros(W.shape[0])

    def loss(X_, W_, b_):
        return float(np.sum(dZ * nnlib.dense_forward(X_, W_, b_)[0]))

    return (central_differences(lambda v: loss(v, W, b), X),
            central_differences(lambda v: loss(X, v, b), W),
            central_differences(lambda v: loss(X, W, v), b))


def _activation_backward(dA, cache):
    Z, name = cache
    return dA * _derivative(name)(Z)


def _mlp_loss(X, y, params, activation, output):
    """The mean loss from nnlib's forward pass, with the losses written out here."""
    _, caches = nnlib.mlp_forward(X, params, activation, output)
    Z = caches[-1][1]
    N = len(X)
    if output == "softmax":
        shifted = Z - Z.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(N), np.asarray(y)].sum() / N)
    t = np.asarray(y, dtype=np.float64).reshape(Z.shape)
    if output == "sigmoid":
        return float(np.sum(np.logaddexp(0, Z) - t * Z) / N)
    return float(np.sum((Z - t) ** 2) / N)


def _mlp_loss_and_grads(X, y, params, activation, output):
    params = [(np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)) for W, b in params]
    grads = []
    for i, (W, b) in enumerate(params):
        def with_layer(W_, b_, i=i):
            p = list(params)
            p[i] = (W_, b_)
            return _mlp_loss(X, y, p, activation, output)
        grads.append((central_differences(lambda v, b=b, f=with_layer: f(v, b), W),
                      central_differences(lambda v, W=W, f=with_layer: f(W, v), b)))
    return _mlp_loss(X, y, params, activation, output), grads


def _softmax_cross_entropy(Z, y):
    N = len(Z)

    def loss(Z_):
        shifted = Z_ - Z_.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(N), y].sum() / N)
    return loss(np.asarray(Z, dtype=np.float64)), central_differences(loss, Z)


def _exp_backward(x, x_grad, out_grad):
    """x_grad plus out_grad times d exp / dx by central differences (not exp(x) itself)."""
    x = np.asarray(x, dtype=np.float64)
    return x_grad + out_grad * (np.exp(x + H) - np.exp(x - H)) / (2 * H)


_ORACLES = {
    "sigmoid_prime": _derivative("sigmoid"),
    "tanh_prime": _derivative("tanh"),
    "relu_prime": _derivative("relu"),
    "leaky_relu_prime": _derivative("leaky_relu"),
    "dense_backward": _dense_backward,
    "activation_backward": _activation_backward,
    "mlp_loss_and_grads": _mlp_loss_and_grads,
    "exp_backward": _exp_backward,
    "softmax_cross_entropy": _softmax_cross_entropy,
}


def _all_float64(value) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype != np.float32
    if isinstance(value, list | tuple):
        return all(_all_float64(v) for v in value)
    return True


def oracle_output(name: str, case: Case):
    """The independent expected output of ``name`` on ``case`` (same layout), or None."""
    if case.extreme or case.timing or not _all_float64(case.args):
        return None
    if name == "numerical_gradient":
        spec, x = case.args[0], case.args[1]
        return GRADIENTS[spec.kind](**resolve(spec.params), x=x)
    fn = _ORACLES.get(name)
    if fn is None:
        return None
    with np.errstate(all="ignore"):
        return fn(*resolve(tuple(case.args)))
