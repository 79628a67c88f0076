"""A multilayer perceptron of any depth, as plain functions and a thin class around them.

Parameters are a list of ``(W, b)`` pairs, first layer first, with ``W (n_out, n_in)`` and
``b (n_out,)``; gradients have exactly the same structure. Data has one example per row,
``X (N, d)``, so each layer computes ``Z = X @ W.T + b`` (the lectures' ``z = W x + b`` for a batch).

The output layer and its loss come as a pair:

============  =====================  =========================  ==================================
``output``    output ``a = g(z)``    labels ``y``               loss (mean over the batch)
============  =====================  =========================  ==================================
softmax       class probabilities    ints ``0..K-1``, ``(N,)``  cross-entropy
sigmoid       ``P(y = 1 | x)``       ``{0, 1}``, ``(N,)``       binary cross-entropy (1 output)
identity      ``z``                  reals, ``(N,)``/``(N, K)`` squared error
============  =====================  =========================  ==================================

For each pairing the output delta ``dL/dz`` of the last layer is ``(a - y) / N`` for softmax and
sigmoid (the fused form: valid only because the loss matches the output), and ``2 (a - y) / N``
for squared error.

An :class:`MLP` computes in one dtype, its parameters' (``dtype=``, float64 by default). Data in
another floating dtype is refused with a ``TypeError`` naming both, as PyTorch refuses it: NumPy
would silently compute a float64 model on float32 data in float64, about four times slower than
float32. Lists and integer or boolean arrays carry no precision of their own and are converted
to the model's dtype.
"""

from __future__ import annotations

import numpy as np

from . import fast_step
from ._validate import as_float_array
from .activations import get_activation, sigmoid, softmax
from .fast_step import INPLACE_ACTIVATIONS
from .layers import dense_forward
from .losses import binary_cross_entropy_with_logits, softmax_cross_entropy, squared_error

__all__ = ["MLP", "OUTPUTS", "init_params", "mlp_forward", "mlp_loss_and_grads"]

OUTPUTS = ("softmax", "sigmoid", "identity")


def _check_output(output: str) -> None:
    if output not in OUTPUTS:
        raise ValueError(f"unknown output {output!r}; valid outputs: {', '.join(OUTPUTS)}")


def init_params(layer_sizes, rng: np.random.Generator, dtype=np.float64, scale=None):
    """Random weights for ``layer_sizes = [d, H1, ..., K]``: Gaussian, zero biases.

    ``scale=None`` uses He scaling ``sqrt(2 / n_in)``, a good default for ReLU-like units;
    pass a number (e.g. the Michigan recipe's small ``0.01``) for a fixed standard deviation.
    """
    sizes = [int(s) for s in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"layer_sizes needs at least two positive sizes, got {list(layer_sizes)}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        std = np.sqrt(2.0 / n_in) if scale is None else float(scale)
        W = (rng.standard_normal((n_out, n_in)) * std).astype(dtype)
        params.append((W, np.zeros(n_out, dtype=dtype)))
    return params


def _check_params(X: np.ndarray, params) -> None:
    if len(params) == 0:
        raise ValueError("params is empty: an MLP needs at least one (W, b) layer")
    n_in = X.shape[1]
    for i, (W, b) in enumerate(params):
        if W.ndim != 2 or b.shape != (W.shape[0],) or W.shape[1] != n_in:
            raise ValueError(
                f"layer {i}: W {np.shape(W)} and b {np.shape(b)} do not fit an input of width "
                f"{n_in} (need W ({'n_out'}, {n_in}) and b (n_out,))"
            )
        n_in = W.shape[0]


def mlp_forward(X, params, activation: str = "relu", output: str = "softmax"):
    """Forward pass through every layer.

    Parameters
    ----------
    X : array (N, d).
    params : list of ``(W, b)``, first layer first.
    activation : hidden activation name (see :data:`nnlib.ACTIVATIONS`).
    output : ``"softmax"``, ``"sigmoid"`` or ``"identity"``.

    Returns
    -------
    out : array (N, K), the output activation (probabilities for softmax/sigmoid).
    caches : list, per layer ``(A_prev, Z)``: the layer's input and pre-activation.
    """
    g, _ = get_activation(activation)
    _check_output(output)
    A = as_float_array(X, "X")
    if A.ndim != 2:
        raise ValueError(f"X must have shape (N, d), got {A.shape}")
    _check_params(A, params)
    caches = []
    for i, (W, b) in enumerate(params):
        Z, _ = dense_forward(A, W, b)
        caches.append((A, Z))
        A = g(Z) if i < len(params) - 1 else Z
    if output == "softmax":
        A = softmax(A)
    elif output == "sigmoid":
        A = sigmoid(A)
    return A, caches


def _output_loss(Z_out, y, output: str):
    """Loss of the last layer's pre-activation and the fused delta ``dL/dZ_out``."""
    if output == "softmax":
        return softmax_cross_entropy(Z_out, y)
    given = np.asarray(y)
    y = given.reshape(-1, 1) if given.ndim == 1 else given
    if y.shape != Z_out.shape:
        raise ValueError(f"targets have shape {given.shape} but the outputs have {Z_out.shape}")
    if output == "sigmoid":
        return binary_cross_entropy_with_logits(Z_out, y)
    return squared_error(Z_out, y)


def mlp_loss_and_grads(X, y, params, activation: str = "relu", output: str = "softmax"):
    """Mean loss over the batch and its gradient for every parameter (backpropagation).

    The delta recursion, for layers ``l = L, ..., 1``::

        dW_l = delta_l^T A_{l-1}            (sum over the batch of outer products delta a^T)
        db_l = sum_n delta_l
        delta_{l-1} = g'(Z_{l-1}) * (delta_l W_l)

    Returns
    -------
    loss : float, mean over the batch.
    grads : list of ``(dW, db)``, the same structure and shapes as ``params``.
    """
    _, g_prime = get_activation(activation)
    _, caches = mlp_forward(X, params, activation, output)
    loss, delta = _output_loss(caches[-1][1], y, output)
    grads = [None] * len(params)
    for i in range(len(params) - 1, -1, -1):
        A_prev, _ = caches[i]
        W, _ = params[i]
        grads[i] = (delta.T @ A_prev, delta.sum(axis=0))
        if i > 0:
            delta = (delta @ W) * g_prime(caches[i - 1][1])
    return loss, grads


def _in_dtype(a, dtype: np.dtype, name: str, what: str):
    """``a`` as an array of ``dtype``: a floating array must already be of it (``TypeError``
    otherwise, naming both dtypes); anything else (lists, integer arrays) is converted."""
    if type(a) is np.ndarray and a.dtype == dtype:
        return a
    arr = np.asarray(a)
    if arr.dtype.kind in "fc" and isinstance(a, (np.ndarray, np.generic)):
        fix = f"convert the data ({name}.astype(np.{dtype}))"
        if arr.dtype in (np.float32, np.float64):
            fix += f" or build the model with dtype=np.{arr.dtype}"
        raise TypeError(
            f"{name} has dtype {arr.dtype} but this {what} has {dtype} parameters; NumPy would "
            f"silently compute in the wider dtype (float64 on float32 data is about 4x slower): {fix}"
        )
    try:
        return arr.astype(dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}") from exc


class MLP:
    """A multilayer perceptron: ``MLP([d, H1, ..., K], activation="relu", output="softmax")``.

    Every method computes in the model's ``dtype`` (float64 unless ``dtype=`` says otherwise):
    ``X``, and the targets of an ``identity`` output, must be arrays of that dtype, or lists or
    integer arrays (converted); a floating array of another dtype raises ``TypeError``.

    >>> net = MLP([2, 3, 1], activation="tanh", output="identity", rng=np.random.default_rng(0))
    >>> net
    MLP([2, 3, 1], activation='tanh', output='identity', dtype=float64, n_params=13)
    >>> net(np.zeros((1, 2), dtype=np.float32))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: X has dtype float32 but this MLP has float64 parameters; NumPy would silently ...
    """

    def __init__(
        self,
        layer_sizes,
        activation: str = "relu",
        output: str = "softmax",
        rng: np.random.Generator | None = None,
        dtype=np.float64,
        init_scale=None,
    ):
        get_activation(activation)
        _check_output(output)
        if rng is None:
            raise TypeError("MLP needs an explicit rng, e.g. rng=np.random.default_rng(0)")
        self.layer_sizes = [int(s) for s in layer_sizes]
        if output == "sigmoid" and self.layer_sizes[-1] != 1:
            raise ValueError(f"a sigmoid output has 1 unit, got {self.layer_sizes[-1]}")
        self.activation = activation
        self.output = output
        self.dtype = np.dtype(dtype)
        self.params = init_params(self.layer_sizes, rng, self.dtype, init_scale)

    def __repr__(self) -> str:
        return (
            f"MLP({self.layer_sizes}, activation={self.activation!r}, output={self.output!r}, "
            f"dtype={self.dtype}, n_params={self.n_params})"
        )

    @property
    def n_params(self) -> int:
        """Number of weights and biases."""
        return sum(W.size + b.size for W, b in self.params)

    def _X(self, X):
        return _in_dtype(X, self.dtype, "X", "MLP")

    def _y(self, y):
        """Regression targets in the model's dtype (labels of softmax and sigmoid are left alone:
        they are class indices, and the losses turn them into the outputs' dtype exactly)."""
        return _in_dtype(y, self.dtype, "y", "MLP (identity output)") if self.output == "identity" else y

    def forward(self, X):
        """``(out, caches)``: see :func:`mlp_forward`; ``X`` in the model's dtype (see the class)."""
        return mlp_forward(self._X(X), self.params, self.activation, self.output)

    def __call__(self, X):
        return self.forward(X)[0]

    def loss_and_grads(self, X, y):
        """``(loss, grads)``: see :func:`mlp_loss_and_grads`; dtypes as for the class."""
        return mlp_loss_and_grads(self._X(X), self._y(y), self.params, self.activation, self.output)

    def loss(self, X, y) -> float:
        """Mean loss over the batch."""
        _, caches = self.forward(X)
        return float(_output_loss(caches[-1][1], self._y(y), self.output)[0])

    def predict(self, X):
        """Class labels (softmax: argmax; sigmoid: ``p > 0.5``) or values (identity)."""
        out = self(X)
        if self.output == "softmax":
            return out.argmax(axis=1)
        if self.output == "sigmoid":
            return (out[:, 0] > 0.5).astype(int)
        return out

    def accuracy(self, X, y) -> float:
        """Fraction of correct class predictions."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def step(self, grads, lr: float) -> None:
        """Gradient-descent update of the model's own parameters: ``p <- p - lr dp``."""
        for (W, b), (dW, db) in zip(self.params, grads, strict=True):
            W -= lr * dW
            b -= lr * db

    def train_step(self, X, y, lr: float) -> float:
        """One gradient step on a batch; returns the batch loss before the step.

        Mathematically ``loss, grads = self.loss_and_grads(X, y); self.step(grads, lr)``, and that
        is what runs for unusual inputs. For the common case (``X`` an array of the model's dtype,
        a hidden activation and output nnlib knows) a faster path gives the same parameters to
        rounding: it reuses arrays kept from the previous step with the same batch size instead of
        allocating some twenty new ones, and it works in place. See :mod:`nnlib.fast_step`.
        ``X`` (and an ``identity`` output's ``y``) in the model's dtype, as for the class.
        """
        X, y = self._X(X), self._y(y)
        if self._fast_path_applies(X):
            return fast_step.train_step(self, X, y, lr)
        loss, grads = self.loss_and_grads(X, y)
        self.step(grads, lr)
        return float(loss)

    def _fast_path_applies(self, X) -> bool:
        """Cheap entry check: may :func:`nnlib.fast_step.train_step` handle this batch?"""
        cls = type(self)
        return (
            # a subclass that overrides loss_and_grads or step must see them called
            cls.loss_and_grads is MLP.loss_and_grads
            and cls.step is MLP.step
            and self.activation in INPLACE_ACTIVATIONS
            and type(X) is np.ndarray
            and X.dtype == self.dtype
            and X.ndim == 2
            and X.shape[0] > 0
            and len(self.params) > 0
        )
