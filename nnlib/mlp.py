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
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array
from .activations import LEAKY_SLOPE, get_activation, sigmoid, softmax
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


class MLP:
    """A multilayer perceptron: ``MLP([d, H1, ..., K], activation="relu", output="softmax")``.

    >>> net = MLP([2, 3, 1], activation="tanh", output="identity", rng=np.random.default_rng(0))
    >>> net
    MLP([2, 3, 1], activation='tanh', output='identity', dtype=float64, n_params=13)
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

    def forward(self, X):
        """``(out, caches)``: see :func:`mlp_forward`."""
        return mlp_forward(X, self.params, self.activation, self.output)

    def __call__(self, X):
        return self.forward(X)[0]

    def loss_and_grads(self, X, y):
        """``(loss, grads)``: see :func:`mlp_loss_and_grads`."""
        return mlp_loss_and_grads(X, y, self.params, self.activation, self.output)

    def loss(self, X, y) -> float:
        """Mean loss over the batch."""
        _, caches = self.forward(X)
        return float(_output_loss(caches[-1][1], y, self.output)[0])

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
        allocating some twenty new ones, and it works in place. See :class:`_StepBuffers`.
        """
        if self._fast_path_applies(X):
            return self._fast_train_step(X, y, lr)
        loss, grads = self.loss_and_grads(X, y)
        self.step(grads, lr)
        return float(loss)

    # --- the fast training step -------------------------------------------------------------------
    # Everything below is an optimisation of train_step, not new maths: read mlp_loss_and_grads
    # for the algorithm. Four things make a NumPy training step slow, and each is avoided here:
    #   1. new arrays every step: for arrays above ~128 KiB glibc maps fresh pages from the OS on
    #      each allocation and returns them on each free, so every step pays hundreds of page
    #      faults; arrays allocated once and reused (``out=``) pay nothing;
    #   2. extra passes over memory: in-place ufuncs and folding ``lr`` into the output delta
    #      touch each array fewer times;
    #   3. reductions across short rows: the softmax's max and sum over K = 10 classes and the
    #      bias gradient's sum over the batch are several times slower along a short or strided
    #      axis than along a long contiguous one. So the fast path stores every layer's
    #      activations feature-major, ``(n_out, N)`` (the transpose of the plain path's
    #      ``(N, n_out)``): each layer computes ``Z^T = W A_prev^T + b`` and every reduction runs
    #      along rows of length N. BLAS reads the transposed views without copying;
    #   4. per-call overhead at small batches: argument checks run once per step, not once per
    #      function, and a batch of one uses an outer product (``delta a^T`` with an inner
    #      dimension of 1 is not sent to BLAS by NumPy and is several times slower);
    #   5. slow generic loops: measured on NumPy 2.4 (AVX2), ``np.maximum(Z, 0)`` is 3-4x slower
    #      than ``np.maximum(Z, zeros)`` with an array of zeros (the scalar form misses the
    #      vectorised loop), and a sum over the batch is 3x faster as a matrix-vector product
    #      with a vector of ones (BLAS) than as ``np.sum``; both give the same numbers up to the
    #      order of the additions.

    def _fast_path_applies(self, X) -> bool:
        """Cheap entry check: may :meth:`_fast_train_step` handle this batch?"""
        cls = type(self)
        return (
            # a subclass that overrides loss_and_grads or step must see them called
            cls.loss_and_grads is MLP.loss_and_grads
            and cls.step is MLP.step
            and self.activation in _INPLACE_ACTIVATIONS
            and type(X) is np.ndarray
            and X.dtype == self.dtype
            and X.ndim == 2
            and X.shape[0] > 0
            and len(self.params) > 0
        )

    def _buffers(self, N: int):
        """The :class:`_StepBuffers` for batch size ``N``, or ``None`` if the parameters do not
        fit ``X`` (the slow path then raises the usual error)."""
        params = self.params
        shapes = []
        n_in = None
        for W, b in params:
            if (type(W) is not np.ndarray or type(b) is not np.ndarray or W.dtype != self.dtype
                    or b.dtype != self.dtype or W.ndim != 2 or b.shape != (W.shape[0],)
                    or (n_in is not None and W.shape[1] != n_in)):
                return None
            shapes.append(W.shape)
            n_in = W.shape[0]
        key = (N, tuple(shapes))
        cache = self.__dict__.setdefault("_step_buffers", {})
        bufs = cache.get(key)
        if bufs is None:
            bufs = _StepBuffers(N, shapes, self.dtype)
            if bufs.nbytes <= _MAX_CACHED_BYTES:
                if len(cache) >= _MAX_CACHED_BATCH_SIZES:  # forget the oldest batch size
                    del cache[next(iter(cache))]
                cache[key] = bufs
        return bufs

    def _fast_train_step(self, X, y, lr) -> float:
        """:meth:`train_step` on reused arrays; ``X`` passed :meth:`_fast_path_applies`."""
        N = X.shape[0]
        params = self.params
        bufs = None if X.shape[1] != params[0][0].shape[1] else self._buffers(N)
        if bufs is None:  # shapes that do not fit: let the plain path raise its usual error
            loss, grads = self.loss_and_grads(X, y)
            self.step(grads, lr)
            return float(loss)
        act_forward, act_backward = _INPLACE_ACTIVATIONS[self.activation]
        L = len(params)

        # forward, feature-major: A[i] holds layer i's Z^T = W A_prev^T + b, shape (n_out, N),
        # then (hidden layers) g(Z^T) in place. X.T is a view: BLAS reads X transposed.
        A_prev = X.T
        for i, (W, b) in enumerate(params):
            Z = bufs.A[i]
            np.matmul(W, A_prev, out=Z)
            Z += b[:, None]  # b as a column: added to every example (column)
            if i < L - 1:
                act_forward(Z, bufs.tmp[i], bufs.mask[i], bufs.zeros[i])
            A_prev = Z

        # output delta dL/dZ_out^T, already multiplied by lr: every gradient below is linear in
        # it, so each one comes out as lr * gradient and the update is a plain subtraction
        Z_out = bufs.A[-1]
        if self.output == "softmax" and _labels_ok(y, N, Z_out.shape[0]):
            loss, delta = _fused_softmax_ce_(Z_out, y, bufs, lr)
        else:  # sigmoid and identity outputs (small arrays), or labels the checks must see
            loss, delta = _output_loss(Z_out.T, y, self.output)  # row-major in, row-major out
            delta *= lr  # a new array that we own
            delta = delta.T

        # backward, last layer first; each layer is updated as soon as its W has been used
        for i in range(L - 1, -1, -1):
            W, b = params[i]
            A_prev = X.T if i == 0 else bufs.A[i - 1]
            dW, db = bufs.dW[i], bufs.db[i]
            if N == 1:  # the outer product delta a^T; see point 4 above
                np.multiply(delta, A_prev.T, out=dW)
            else:
                np.matmul(delta, A_prev.T, out=dW)  # dW = delta^T A_prev, in the plain layout
            np.matmul(delta, bufs.ones, out=db)  # db = sum over the batch; see point 5 above
            if i > 0:  # delta_{l-1} = g'(Z_{l-1}) * (delta_l W_l), with W_l before its update
                dA = bufs.dA[i - 1]
                np.matmul(W.T, delta, out=dA)
                act_backward(dA, A_prev, bufs.tmp[i - 1], bufs.mask[i - 1])
                delta = dA
            W -= dW  # dW and db already hold lr * gradient
            b -= db
        return float(loss)


# --- support for MLP's fast training step --------------------------------------------------------

_MAX_CACHED_BATCH_SIZES = 3          # e.g. the batch size, the last partial batch, a full batch
_MAX_CACHED_BYTES = 64 * 2**20       # bigger working sets (huge full batches) are not kept


class _StepBuffers:
    """Arrays for one training step with batch size ``N``, allocated once and reused.

    Feature-major, one column per example: ``A[i]`` (n_out_i, N): layer i's pre-activation,
    overwritten by its activation; ``dA[i]`` (n_out_i, N): the delta of hidden layer i;
    ``dW[i]``, ``db[i]``: lr times the gradients (in the parameters' own shapes); ``tmp[i]``
    and ``mask[i]``: scratch space for the hidden activations; ``zeros[i]``: zeros of the
    same shape, never written (large ones cost no memory: untouched calloc'd pages all map
    the system's one zero page); ``ones`` (N,): for sums over the batch; ``row`` (1, N): each
    example's softmax max, then its sum; ``flat``: scratch for the labels' positions in the
    flattened scores.
    """

    def __init__(self, N: int, shapes, dtype):
        hidden = [n_out for n_out, _ in shapes[:-1]]
        self.A = [np.empty((n_out, N), dtype) for n_out, _ in shapes]
        self.dA = [np.empty((h, N), dtype) for h in hidden]
        self.tmp = [np.empty((h, N), dtype) for h in hidden]
        self.mask = [np.empty((h, N), bool) for h in hidden]
        self.zeros = [np.zeros((h, N), dtype) for h in hidden]
        self.ones = np.ones(N, dtype)
        self.dW = [np.empty(shape, dtype) for shape in shapes]
        self.db = [np.empty(n_out, dtype) for n_out, _ in shapes]
        self.row = np.empty((1, N), dtype)
        self.cols = np.arange(N)
        self.flat = np.empty(N, np.intp)
        self.nbytes = sum(a.nbytes for group in (self.A, self.dA, self.tmp, self.mask, self.zeros, self.dW)
                          for a in group)


def _labels_ok(y, N: int, K: int) -> bool:
    """True for integer labels ``(N,)`` in ``0..K-1`` (anything else goes to the full checks)."""
    if type(y) is not np.ndarray or y.dtype.kind not in "iu" or y.shape != (N,):
        return False
    # one reduction instead of min and max: viewed as unsigned, a negative label is huge
    return int(y.view(y.dtype.str.replace("i", "u")).max()) < K


def _fused_softmax_ce_(Z, y, bufs, lr):
    """Softmax cross-entropy of the scores ``Z`` (K, N) (one column per example) and ``lr``
    times its delta, in place.

    Same arithmetic as :func:`nnlib.softmax_cross_entropy`, transposed; ``Z`` is overwritten
    by the delta ``lr (softmax(Z) - onehot(y)) / N``, which is returned with the loss.
    """
    N = Z.shape[1]
    row, flat = bufs.row, bufs.flat
    np.max(Z, axis=0, keepdims=True, out=row)
    Z -= row  # shift each column by its max: exponents <= 0, so exp cannot overflow
    # Z[y[n], n] is entry y[n] * N + n of the flattened Z: one flat gather instead of a 2-D one
    np.multiply(y, N, out=flat)
    flat += bufs.cols
    Z_flat = Z.reshape(-1)  # a view: Z is contiguous
    picked = Z_flat.take(flat)  # the shifted score of each true class
    np.exp(Z, out=Z)
    np.sum(Z, axis=0, keepdims=True, out=row)
    # loss = -1/N sum_n log softmax(z_n)[y_n] = -1/N sum_n (shifted z_n[y_n] - log sum_k e^{...})
    loss = -(picked - np.log(row[0])).sum() / N
    scale = lr / N
    np.divide(scale, row, out=row)
    Z *= row  # lr/N softmax: one pass for the normalisation and the step size
    Z_flat[flat] -= scale  # the fused delta softmax - onehot, valid for softmax with cross-entropy
    return loss, Z


# In-place hidden activations, name -> (forward, backward):
#   forward(Z, tmp, mask, zeros) overwrites Z with g(Z);
#   backward(dA, A, tmp, mask) multiplies dA by g'(Z) in place, computing g'(Z) from A = g(Z),
#   so Z itself need not be kept. tmp (float) and mask (bool) are scratch arrays shaped like Z;
#   zeros is an array of zeros shaped like Z that must not be written.
# Each computes exactly what nnlib.activations computes, operation for operation.

def _relu_forward(Z, tmp, mask, zeros):
    np.maximum(Z, zeros, out=Z)  # = np.maximum(Z, 0), several times faster (point 5 above)


def _relu_backward(dA, A, tmp, mask):
    np.greater(A, 0, out=mask)  # relu(z) > 0 exactly where z > 0
    np.multiply(dA, mask, out=dA)


def _leaky_relu_forward(Z, tmp, mask, zeros):
    np.multiply(Z, LEAKY_SLOPE, out=tmp)
    np.maximum(Z, tmp, out=Z)  # max(0.1 z, z)


def _leaky_relu_backward(dA, A, tmp, mask):
    np.greater(A, 0, out=mask)  # leaky_relu(z) > 0 exactly where z > 0
    tmp.fill(LEAKY_SLOPE)
    np.copyto(tmp, 1, where=mask)
    dA *= tmp


def _sigmoid_forward(Z, tmp, mask, zeros):
    # as nnlib.sigmoid: e = exp(-|z|); 1 / (1 + e) where z >= 0, e / (1 + e) elsewhere
    np.less(Z, 0, out=mask)
    np.abs(Z, out=tmp)
    np.negative(tmp, out=tmp)
    np.exp(tmp, out=tmp)
    np.add(1, tmp, out=Z)
    np.divide(tmp, Z, out=tmp)
    np.divide(1, Z, out=Z)
    np.copyto(Z, tmp, where=mask)


def _sigmoid_backward(dA, A, tmp, mask):
    np.subtract(1, A, out=tmp)
    tmp *= A  # sigma (1 - sigma)
    dA *= tmp


def _tanh_forward(Z, tmp, mask, zeros):
    np.tanh(Z, out=Z)


def _tanh_backward(dA, A, tmp, mask):
    np.multiply(A, A, out=tmp)
    np.subtract(1, tmp, out=tmp)  # 1 - tanh^2
    dA *= tmp


def _identity_forward(Z, tmp, mask, zeros):
    pass


def _identity_backward(dA, A, tmp, mask):
    pass  # g' = 1


def _step_forward(Z, tmp, mask, zeros):
    np.greater(Z, 0, out=Z)


def _step_backward(dA, A, tmp, mask):
    dA *= 0  # g' = 0: no gradient flows through a step


_INPLACE_ACTIVATIONS = {
    "relu": (_relu_forward, _relu_backward),
    "leaky_relu": (_leaky_relu_forward, _leaky_relu_backward),
    "sigmoid": (_sigmoid_forward, _sigmoid_backward),
    "tanh": (_tanh_forward, _tanh_backward),
    "identity": (_identity_forward, _identity_backward),
    "step": (_step_forward, _step_backward),
}
