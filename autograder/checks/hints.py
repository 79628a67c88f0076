"""The hints the judge adds under a diagnosis, by exercise (``None``: any other exercise)."""

from __future__ import annotations

import re

import numpy as np

import nnlib

from .shape_hints import column_vector_note, shape_hint

__all__ = ["BATCH_HINTS", "FORMULAS", "NO_BATCH", "SCALE_HINTS", "STABILITY_HINTS",
           "TRANSPOSE_HINTS", "exception_hint"]

#: exercises whose inputs have no batch axis (no "mean over the batch" hint may name one)
NO_BATCH = frozenset({"relative_error", "numerical_gradient", "count_parameters", "bump_network",
                      "xor_weights", "train_xor", "neuron_sgd_step", "hinge_sgd_update"})

SCALE_HINTS = {
    None: "compare each constant of your formula with the statement's (a 2, a 1/2, an h, an lr)",
    "numerical_gradient": "the central difference divides by 2 h: (f(x + h) - f(x - h)) / (2 * h), "
                          "with the parentheses",
}

#: the formula each exercise's statement gives, for messages about errors and shapes
FORMULAS = {
    "perceptron_predict": "+1 where b + X @ w > 0, else -1; X (N, d), w (d,)",
    "neuron_forward": "f = sigmoid(X @ w + b); X (N, d), w (d,)",
    "dense_forward": "Z = X @ W.T + b; X (N, n_in), W (n_out, n_in), b (n_out,)",
    "mlp_forward": "per layer Z = A @ W.T + b with W (n_out, n_in); A (N, n_in)",
    "bump_forward": "y = sigmoid(X @ W1.T + b1) @ W2.T + b2; X (N, 1), W1 (2m, 1), W2 (1, 2m)",
    "dense_backward": "dX = dZ @ W, dW = dZ.T @ X, db = dZ.sum(axis=0); dZ (N, n_out), "
                      "X (N, n_in), W (n_out, n_in)",
    "activation_backward": "dZ = dA * g'(Z), element-wise; dA and Z (N, n)",
    "mlp_loss_and_grads": "dW_l = delta_l.T @ A_(l-1), db_l = delta_l.sum(axis=0), "
                          "delta_(l-1) = (delta_l @ W_l) * g'(Z_(l-1)); W_l (n_l, n_(l-1))",
    "softmax": "exp(Z - max) / sum(exp(Z - max)) over axis=1 with keepdims=True; Z (N, K)",
    "log_softmax": "Z - max - log(sum(exp(Z - max))) over axis=1 with keepdims=True; Z (N, K)",
    "softmax_cross_entropy": "loss = -mean(log_softmax(Z)[arange(N), y]), "
                             "dZ = (softmax(Z) - onehot(y)) / N; Z (N, K), y (N,)",
    "neuron_sgd_step": "delta = (y - f) f (1 - f), w + lr delta x, b + lr delta; x, w (d,)",
    "hinge_sgd_update": "z = w . x + b; if 1 - y z > 0: w + lr y x, b + lr y; x, w (d,)",
}

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


def exception_hint(e: dict, name: str = "", case=None) -> str:
    """A hint for an exception raised by student code (``e`` as from runner.error_info) in the
    exercise ``name``: only that exercise's formula, never another's. With the ``case``, a NumPy
    shape error is explained in the exercise's names (:func:`.shape_hints.shape_hint`) when that
    can be done with certainty."""
    msg = e.get("message", "")
    if e.get("type") == "ValueError" and ("matmul" in msg or "broadcast" in msg or "shape" in msg):
        specific = shape_hint(e, name, case)
        if specific:
            return specific
        formula = FORMULAS.get(name)
        note = column_vector_note(msg)
        if note:
            return note + (f"; the formula: {formula}" if formula else "")
        return (f"compare the shapes of the inputs above with the formula: {formula}" if formula
                else "compare the shapes of the inputs above with the statement's formula")
    if e.get("type") == "ValueError" and "truth value of an array with more than one element" in msg:
        return ("an `if` (or `and`, `or`, `while`) needs one number, and this condition is an array of "
                "several entries: keep every vector 1-D, as the statement's shapes are, so that a "
                "product such as x @ w is a number (a column (d, 1) somewhere turns it into an array)")
    if e.get("type") == "TypeError" and ("only 0-dimensional arrays" in msg or "only length-1" in msg
                                         or "only size-1" in msg):
        m = re.search(r"\bmath\.(\w+)\(", str(e.get("line", "")))
        if m and hasattr(np, m.group(1)):
            return (f"math.{m.group(1)} takes a single number; np.{m.group(1)} works on arrays, entry "
                    "by entry")
        return ("float(), int() and the math module take a single number, not an array: use NumPy's "
                "functions (np.exp, np.log, ...), which work entry by entry, and keep vectors 1-D "
                "so that a product such as w @ x is a number")
    if e.get("type") == "KeyError" and case is not None:
        key = msg.strip().strip("'\"")
        names = _strings(case.args)
        if key in names and key in nnlib.ACTIVATIONS:
            return (f"{key!r} is one of the statement's activation names, and your table has no entry "
                    f"for it: cover all of {', '.join(nnlib.ACTIVATIONS)} (nnlib.get_activation "
                    "knows every one)")
    if e.get("type") == "NameError":
        return "a name used in the function is not defined (run the set-up cell; spelling?)"
    return ""


def _strings(value) -> set:
    """Every string inside a case's arguments (activation and output names)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, list | tuple):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()
