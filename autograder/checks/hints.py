"""The hints the judge adds under a diagnosis, by exercise (``None``: any other exercise)."""

from __future__ import annotations

__all__ = ["BATCH_HINTS", "STABILITY_HINTS", "TRANSPOSE_HINTS", "exception_hint"]

TRANSPOSE_HINTS = {
    None: "check the order of the factors of each matrix product and the shapes in the docstring",
    "dense_backward": "dW must have W's shape (n_out, n_in): dW = dZ.T @ X, not X.T @ dZ",
    "mlp_loss_and_grads": "each dW must have W's shape (n_out, n_in): dW = delta.T @ A_prev",
    "dense_forward": "Z has one row per example: Z = X @ W.T + b has shape (N, n_out)",
}

BATCH_HINTS = {
    (None, "large"): "the loss is a mean over the batch, so its gradient carries a 1/N",
    (None, "small"): "a gradient flowing in from above (dZ, dA) already carries the 1/N of "
                     "the mean loss: sum over the batch, do not divide by N again",
    ("softmax_cross_entropy", "large"): "the loss is the mean over the N examples, and "
                                        "dZ = (softmax(Z) - onehot(y)) / N",
    ("mlp_loss_and_grads", "large"): "the loss is a mean: the output delta is (a - y) / N, "
                                     "and the layers below sum over the batch",
}

STABILITY_HINTS = {
    None: "exp of a large number overflows: rewrite the formula so that only exp of numbers "
          "<= 0 is taken",
    "sigmoid_prime": "compute a = sigmoid(z) with a stable sigmoid (exp(-|z|) only), then "
                     "a * (1 - a)",
    "neuron_forward": "use a stable sigmoid: exp(-|z|), with the two forms for z >= 0 and z < 0",
    "softmax": "subtract each row's maximum before exp: it cancels in the ratio but keeps every "
               "exponent <= 0",
    "log_softmax": "use z - max - log(sum(exp(z - max))) (log-sum-exp), never log(softmax(z))",
    "softmax_cross_entropy": "compute the loss from log_softmax (log-sum-exp with the max "
                             "subtracted), not log(softmax)",
}


def exception_hint(e: dict) -> str:
    """A hint for an exception raised by student code (``e`` as from runner.error_info)."""
    msg = e.get("message", "")
    if e.get("type") == "ValueError" and "matmul" in msg:
        return "check the shapes: X (N, n_in), W (n_out, n_in), so Z = X @ W.T + b"
    if e.get("type") == "NameError":
        return "a name used in the function is not defined (run the set-up cell; spelling?)"
    return ""
