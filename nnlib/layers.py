"""The dense (fully connected) layer as a forward/backward pair.

Conventions (the same everywhere in nnlib):

- ``X`` has shape ``(N, n_in)``: one example per **row** (as NumPy, scikit-learn and PyTorch do).
- ``W`` has shape ``(n_out, n_in)`` and ``b`` shape ``(n_out,)``, as in the lectures' ``z = W x + b``
  and PyTorch's ``nn.Linear``.
- For a batch the lectures' column-vector ``z = W x + b`` becomes ``Z = X @ W.T + b``: each row of
  ``Z`` is ``W x + b`` for one row ``x`` of ``X``.
"""

from __future__ import annotations

from ._validate import as_float_array

__all__ = ["dense_backward", "dense_forward"]


def dense_forward(X, W, b):
    """Affine layer ``Z = X W^T + b``.

    Parameters
    ----------
    X : array (N, n_in), inputs, one example per row.
    W : array (n_out, n_in), weights.
    b : array (n_out,), biases.

    Returns
    -------
    Z : array (N, n_out).
    cache : ``(X, W)``, what :func:`dense_backward` needs.

    >>> Z, _ = dense_forward(np.array([[1.0, 2.0]]), np.array([[1.0, 1.0], [0.0, -1.0]]),
    ...                      np.array([0.5, 0.0]))
    >>> Z
    array([[ 3.5, -2. ]])
    """
    X = as_float_array(X, "X")
    W = as_float_array(W, "W")
    b = as_float_array(b, "b")
    if X.ndim != 2 or W.ndim != 2 or b.ndim != 1:
        raise ValueError(
            f"expected X (N, n_in), W (n_out, n_in), b (n_out,); "
            f"got X {X.shape}, W {W.shape}, b {b.shape}"
        )
    if X.shape[1] != W.shape[1] or W.shape[0] != b.shape[0]:
        raise ValueError(
            f"shapes do not fit Z = X @ W.T + b: X {X.shape}, W {W.shape}, b {b.shape} "
            f"(need X (N, n_in), W (n_out, n_in), b (n_out,))"
        )
    return X @ W.T + b, (X, W)


def dense_backward(dZ, cache):
    """Back through ``Z = X W^T + b``.

    ``dX = dZ W``, ``dW = dZ^T X`` (a sum of outer products ``delta x^T``, one per example) and
    ``db = sum_n dZ_n``. ``dZ`` is the gradient of the *mean* loss, so it already carries the
    ``1/N``: here we sum over the batch, we do not average again.

    Parameters
    ----------
    dZ : array (N, n_out), gradient of the loss with respect to ``Z``.
    cache : ``(X, W)`` from :func:`dense_forward`.

    Returns
    -------
    dX : array (N, n_in); dW : array (n_out, n_in); db : array (n_out,).
    """
    X, W = cache
    dZ = as_float_array(dZ, "dZ")
    if dZ.shape != (X.shape[0], W.shape[0]):
        raise ValueError(
            f"dZ has shape {dZ.shape} but the layer's output has shape {(X.shape[0], W.shape[0])}"
        )
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)
