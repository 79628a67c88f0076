"""Activation functions, their derivatives, and softmax.

Every activation ``g`` comes with its derivative ``g_prime``, both element-wise and both taking the
pre-activation ``z`` (not the activation ``a = g(z)``): the chain rule needs ``g'(z)``.
The table :data:`ACTIVATIONS` maps a name to the pair ``(g, g_prime)``.

The output has the dtype of the input (float32 stays float32). Nothing here changes its input.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._validate import as_float_array

__all__ = [
    "ACTIVATIONS",
    "LEAKY_SLOPE",
    "activation_backward",
    "activation_forward",
    "get_activation",
    "identity",
    "identity_prime",
    "leaky_relu",
    "leaky_relu_prime",
    "log_softmax",
    "relu",
    "relu_prime",
    "sigmoid",
    "sigmoid_prime",
    "softmax",
    "step",
    "step_prime",
    "tanh",
    "tanh_prime",
]

#: Slope of leaky ReLU below zero: ``max(0.1 z, z)`` as in the Purdue lecture.
LEAKY_SLOPE = 0.1


def step(z):
    """Heaviside step: 1 where ``z > 0``, else 0 (the perceptron's activation).

    >>> step(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 1.])
    """
    z = as_float_array(z, "z")
    return (z > 0).astype(z.dtype)


def step_prime(z):
    """Derivative of the step: 0 everywhere (undefined at 0), which is why it cannot be trained
    by gradient descent."""
    z = as_float_array(z, "z")
    return np.zeros_like(z)


def sigmoid(z):
    """Logistic sigmoid ``1 / (1 + exp(-z))``, stable for any ``z``.

    >>> sigmoid(np.array([0.0, 1e4, -1e4]))
    array([0.5, 1. , 0. ])
    """
    z = as_float_array(z, "z")
    # exp of a large positive number overflows, so only ever exponentiate -|z| <= 0:
    # for z >= 0 use 1 / (1 + e^-z), for z < 0 the equal form e^z / (1 + e^z).
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_prime(z):
    """``sigma'(z) = sigma(z) (1 - sigma(z))``."""
    s = sigmoid(z)
    return s * (1 - s)


def tanh(z):
    """Hyperbolic tangent, ``tanh(z) = 2 sigma(2z) - 1``: a zero-centred sigmoid."""
    z = as_float_array(z, "z")
    return np.tanh(z)


def tanh_prime(z):
    """``tanh'(z) = 1 - tanh(z)^2``."""
    t = tanh(z)
    return 1 - t * t


def relu(z):
    """Rectified linear unit ``max(0, z)``."""
    z = as_float_array(z, "z")
    return np.maximum(z, 0)


def relu_prime(z):
    """1 where ``z > 0``, else 0 (we take the derivative at the kink to be 0)."""
    z = as_float_array(z, "z")
    return (z > 0).astype(z.dtype)


def leaky_relu(z):
    """Leaky ReLU ``max(0.1 z, z)``: a small slope below zero keeps the unit from dying."""
    z = as_float_array(z, "z")
    return np.where(z > 0, z, LEAKY_SLOPE * z)


def leaky_relu_prime(z):
    """1 where ``z > 0``, else 0.1."""
    z = as_float_array(z, "z")
    return np.where(z > 0, 1, LEAKY_SLOPE).astype(z.dtype)


def identity(z):
    """The identity, used by regression outputs."""
    z = as_float_array(z, "z")
    return z.copy()


def identity_prime(z):
    """1 everywhere."""
    z = as_float_array(z, "z")
    return np.ones_like(z)


#: name -> (function, derivative). Both take the pre-activation ``z``.
ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "step": (step, step_prime),
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "leaky_relu": (leaky_relu, leaky_relu_prime),
    "identity": (identity, identity_prime),
}


def get_activation(name: str) -> tuple[Callable, Callable]:
    """Return ``(g, g_prime)`` for an activation name.

    >>> get_activation("softplus")
    Traceback (most recent call last):
    ...
    ValueError: unknown activation 'softplus'; valid names: identity, leaky_relu, relu, \
sigmoid, step, tanh
    """
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        valid = ", ".join(sorted(ACTIVATIONS))
        raise ValueError(f"unknown activation {name!r}; valid names: {valid}") from None


def activation_forward(Z, name: str):
    """Apply activation ``name`` element-wise.

    Parameters
    ----------
    Z : array (N, n) of pre-activations.
    name : a key of :data:`ACTIVATIONS`.

    Returns
    -------
    A : array (N, n), ``g(Z)``.
    cache : ``(Z, name)``, what :func:`activation_backward` needs.
    """
    g, _ = get_activation(name)
    Z = as_float_array(Z, "Z")
    return g(Z), (Z, name)


def activation_backward(dA, cache):
    """Back through an activation: ``dZ = dA * g'(Z)`` (element-wise, chain rule).

    Parameters
    ----------
    dA : array (N, n), gradient of the loss with respect to the activation ``A``.
    cache : ``(Z, name)`` from :func:`activation_forward`.

    Returns
    -------
    dZ : array (N, n), gradient of the loss with respect to ``Z``.
    """
    Z, name = cache
    _, g_prime = get_activation(name)
    dA = as_float_array(dA, "dA")
    if dA.shape != Z.shape:
        raise ValueError(f"dA has shape {dA.shape} but the cached Z has shape {Z.shape}")
    return dA * g_prime(Z)


def softmax(Z, axis: int = -1):
    """Softmax along ``axis``: ``exp(z_k) / sum_j exp(z_j)``, stable for any ``z``.

    >>> softmax(np.array([[1e4, 0.0]]))
    array([[1., 0.]])
    """
    Z = as_float_array(Z, "Z")
    # Subtracting the row maximum changes nothing mathematically (it cancels in the ratio)
    # but makes every exponent <= 0, so exp cannot overflow.
    E = np.exp(Z - Z.max(axis=axis, keepdims=True))
    return E / E.sum(axis=axis, keepdims=True)


def log_softmax(Z, axis: int = -1):
    """``log softmax(z)_k = z_k - log sum_j exp(z_j)``, computed without overflow or log(0)."""
    Z = as_float_array(Z, "Z")
    # Same max shift as softmax; the log-sum-exp of shifted values is >= 0, never log(0).
    shifted = Z - Z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
