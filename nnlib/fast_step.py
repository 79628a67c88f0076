"""The fast training step of :class:`nnlib.MLP`: the same maths on reused arrays.

:meth:`nnlib.MLP.train_step` calls :func:`train_step` here for the common case; it gives the
parameters of ``loss, grads = mlp_loss_and_grads(...); W <- W - lr dW`` to rounding (folding
``lr`` into the output delta changes at most the last bit). Everything here is an optimisation,
not new maths: read :func:`nnlib.mlp_loss_and_grads` for the algorithm.

Five things make a NumPy training step slow, and each is avoided here:
  1. new arrays every step: for arrays above ~128 KiB glibc maps fresh pages from the OS on
     each allocation and returns them on each free, so every step pays hundreds of page
     faults; arrays allocated once and reused (``out=``) pay nothing;
  2. extra passes over memory: in-place ufuncs and folding ``lr`` into the output delta
     touch each array fewer times;
  3. reductions across short rows: the softmax's max and sum over K = 10 classes and the
     bias gradient's sum over the batch are several times slower along a short or strided
     axis than along a long contiguous one. So the fast path stores every layer's
     activations feature-major, ``(n_out, N)`` (the transpose of the plain path's
     ``(N, n_out)``): each layer computes ``Z^T = W A_prev^T + b`` and every reduction runs
     along rows of length N. BLAS reads the transposed views without copying;
  4. per-call overhead at small batches: argument checks run once per step, not once per
     function, and a batch of one uses an outer product (``delta a^T`` with an inner
     dimension of 1 is not sent to BLAS by NumPy and is several times slower);
  5. slow generic loops: measured on NumPy 2.4 (AVX2), ``np.maximum(Z, 0)`` is 3-4x slower
     than ``np.maximum(Z, zeros)`` with an array of zeros (the scalar form misses the
     vectorised loop), and a sum over the batch is 3x faster as a matrix-vector product
     with a vector of ones (BLAS) than as ``np.sum``; both give the same numbers up to the
     order of the additions.
"""

from __future__ import annotations

import numpy as np

from .activations import LEAKY_SLOPE

__all__ = ["INPLACE_ACTIVATIONS", "step_buffers", "train_step"]

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


INPLACE_ACTIVATIONS = {
    "relu": (_relu_forward, _relu_backward),
    "leaky_relu": (_leaky_relu_forward, _leaky_relu_backward),
    "sigmoid": (_sigmoid_forward, _sigmoid_backward),
    "tanh": (_tanh_forward, _tanh_backward),
    "identity": (_identity_forward, _identity_backward),
    "step": (_step_forward, _step_backward),
}


def step_buffers(model, N: int):
    """The :class:`_StepBuffers` for batch size ``N``, or ``None`` if the parameters do not
    fit ``X`` (the slow path then raises the usual error)."""
    params = model.params
    shapes = []
    n_in = None
    for W, b in params:
        if (type(W) is not np.ndarray or type(b) is not np.ndarray or W.dtype != model.dtype
                or b.dtype != model.dtype or W.ndim != 2 or b.shape != (W.shape[0],)
                or (n_in is not None and W.shape[1] != n_in)):
            return None
        shapes.append(W.shape)
        n_in = W.shape[0]
    key = (N, tuple(shapes))
    cache = model.__dict__.setdefault("_step_buffers", {})
    bufs = cache.get(key)
    if bufs is None:
        bufs = _StepBuffers(N, shapes, model.dtype)
        if bufs.nbytes <= _MAX_CACHED_BYTES:
            if len(cache) >= _MAX_CACHED_BATCH_SIZES:  # forget the oldest batch size
                del cache[next(iter(cache))]
            cache[key] = bufs
    return bufs



def train_step(model, X, y, lr) -> float:
    """:meth:`nnlib.MLP.train_step` on reused arrays, for a batch ``X`` that passed
    :meth:`nnlib.MLP._fast_path_applies`."""
    from .mlp import _output_loss

    N = X.shape[0]
    params = model.params
    bufs = None if X.shape[1] != params[0][0].shape[1] else step_buffers(model, N)
    if bufs is None:  # shapes that do not fit: let the plain path raise its usual error
        loss, grads = model.loss_and_grads(X, y)
        model.step(grads, lr)
        return float(loss)
    act_forward, act_backward = INPLACE_ACTIVATIONS[model.activation]
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
    if model.output == "softmax" and _labels_ok(y, N, Z_out.shape[0]):
        loss, delta = _fused_softmax_ce_(Z_out, y, bufs, lr)
    else:  # sigmoid and identity outputs (small arrays), or labels the checks must see
        loss, delta = _output_loss(Z_out.T, y, model.output)  # row-major in, row-major out
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


