"""The usual mistakes of each exercise, written out as code.

A :class:`Mistake` is a wrong implementation of an exercise (``fn``, same signature) together with
the diagnosis code and the sentence that names it. When a student's output differs from the
reference, :mod:`autograder.checks.diagnose` checks whether it equals one of these on the same case: then
it can say *which* mistake it is ("dZ is missing the factor g'(Z)") instead of only *that* the
values differ. Mistakes that a generic test already finds (sign, transpose, factor N) need no
entry here.

:data:`UPDATES` names, for exercises that return updated parameters, where each output started,
so that an update in the wrong direction is reported as ``wrong_sign``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import nnlib

__all__ = ["MISTAKES", "UPDATES", "Mistake"]


@dataclass(frozen=True)
class Mistake:
    code: str
    headline: str            # may use {leaf} (the output's name) and {name} (the exercise)
    fn: Callable
    hint: str = ""
    applies: Callable | None = None   # case -> bool: only try this mistake on some cases


def _sig(z):
    return nnlib.sigmoid(z)


def _mlp_backprop(X, y, params, activation, output, mode):
    """mlp_loss_and_grads with one deliberate mistake in the delta recursion.

    mode "no_gprime": delta_{l-1} = delta_l W_l (no g'); "gprime_of_a": g'(A) instead of g'(Z).
    """
    g, g_prime = nnlib.get_activation(activation)
    _, caches = nnlib.mlp_forward(X, params, activation, output)
    loss, delta = _output_delta(caches[-1][1], y, output)
    grads = [None] * len(params)
    for i in range(len(params) - 1, -1, -1):
        A_prev, _ = caches[i]
        grads[i] = (delta.T @ A_prev, delta.sum(axis=0))
        if i > 0:
            Z = caches[i - 1][1]
            factor = 1 if mode == "no_gprime" else g_prime(g(Z))
            delta = (delta @ params[i][0]) * factor
    return loss, grads


def _output_delta(Z, y, output):
    """The loss and the fused output delta dL/dZ of the last layer (public nnlib losses)."""
    if output == "softmax":
        return nnlib.softmax_cross_entropy(Z, y)
    t = np.asarray(y).reshape(Z.shape)
    if output == "sigmoid":
        return nnlib.binary_cross_entropy_with_logits(Z, t)
    return nnlib.squared_error(Z, t)


def _perceptron_strict(X, y, w, b, lr, strict=True):
    """One perceptron epoch that updates on ``y (w.x + b) < 0`` (or ``<= 0`` with strict=False)."""
    w = w.copy()
    b = float(b)
    m = 0
    for x_n, y_n in zip(X, y, strict=True):
        margin = y_n * (x_n @ w + b)
        if margin < 0 or (not strict and margin == 0):
            w += lr * y_n * x_n
            b += lr * y_n
            m += 1
    return w, b, m


def _mlp_act_on_last(X, params, activation, output):
    g, _ = nnlib.get_activation(activation)
    _, caches = nnlib.mlp_forward(X, params, activation, "identity")
    A = g(caches[-1][1])
    if output == "softmax":
        A = nnlib.softmax(A)
    elif output == "sigmoid":
        A = nnlib.sigmoid(A)
    return A, None


def _forward_difference(f, x, h):
    x = x.copy()
    grad = np.zeros_like(x)
    flat, g = x.reshape(-1), grad.reshape(-1)
    f0 = float(f(x))
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        g[i] = (float(f(x)) - f0) / h
        flat[i] = old
    return grad


def _f_reads_its_argument(case) -> bool:
    """These mistakes work on a copy of x: they say nothing where f reads the caller's x."""
    return getattr(case.args[0], "kind", "") != "cubic_of_caller_x"


def _sgd_epoch(params, loss_and_grads, X, y, lr, batch_size, rng, drop_last=False):
    """sgd_epoch with any signed ``lr``, shuffled with ``rng`` (or not at all when it is None),
    optionally without the last partial batch."""
    order = rng.permutation(len(X)) if rng is not None else np.arange(len(X))
    losses = []
    stop = len(X) - len(X) % batch_size if drop_last else len(X)
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        loss, grads = loss_and_grads(params, X[idx], y[idx])
        params = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads, strict=True)]
        losses.append(float(loss))
    return params, losses



#: notebook 02: the derivatives of the activations
ACTIVATION_MISTAKES: dict[str, list[Mistake]] = {
    "sigmoid_prime": [
        Mistake("derivative_of_wrong_quantity",
                "{leaf} looks like sigma'(a) with a = sigmoid(z): the formula a * (1 - a) was "
                "applied to sigmoid(z), which is already a",
                lambda z: _sig(_sig(z)) * (1 - _sig(_sig(z))),
                hint="sigmoid_prime takes the pre-activation z: a = sigmoid(z), then a * (1 - a)"),
        Mistake("derivative_of_wrong_quantity",
                "{leaf} looks like z * (1 - z): the formula a * (1 - a) needs a = sigmoid(z), "
                "not z itself",
                lambda z: z * (1 - z),
                hint="compute a = sigmoid(z) first, then a * (1 - a)"),
        Mistake("activation_not_derivative", "{leaf} looks like sigmoid(z) itself, not its derivative", _sig,
                hint="sigma'(z) = sigma(z) (1 - sigma(z))"),
    ],
    "tanh_prime": [
        Mistake("derivative_of_wrong_quantity",
                "{leaf} looks like 1 - tanh(tanh(z))^2: tanh was applied twice",
                lambda z: 1 - np.tanh(np.tanh(z)) ** 2,
                hint="tanh_prime takes the pre-activation z: t = tanh(z), then 1 - t**2"),
        Mistake("derivative_of_wrong_quantity",
                "{leaf} looks like 1 - z^2: the formula 1 - t^2 needs t = tanh(z), not z itself",
                lambda z: 1 - z ** 2, hint="compute t = np.tanh(z) first, then 1 - t**2"),
        Mistake("values", "{leaf} looks like 1 - tanh(z): the square is missing",
                lambda z: 1 - np.tanh(z), hint="tanh'(z) = 1 - tanh(z)**2"),
    ],
    "relu_prime": [
        Mistake("activation_not_derivative", "{leaf} looks like relu(z) itself, not its derivative",
                lambda z: np.maximum(z, 0), hint="the derivative is 1 where z > 0 and 0 elsewhere"),
    ],
    "leaky_relu_prime": [
        Mistake("wrong_constant", "{leaf} uses slope 0.01 below zero; the course's leaky ReLU uses 0.1",
                lambda z: np.where(z > 0, 1.0, 0.01).astype(z.dtype),
                hint="leaky_relu(z) = max(0.1 z, z), so the slope below zero is 0.1"),
        Mistake("activation_not_derivative", "{leaf} looks like leaky_relu(z) itself, not its derivative",
                nnlib.leaky_relu, hint="the derivative is 1 where z > 0 and 0.1 elsewhere"),
    ],
}


#: notebooks 01 and 02: the perceptron and the logistic neuron
NEURON_MISTAKES: dict[str, list[Mistake]] = {
    "perceptron_predict": [
        Mistake("wrong_label_values", "{leaf} are 0/1; the perceptron's labels are -1 and +1",
                lambda X, w, b: (X @ w + b > 0).astype(int),
                hint="np.where(X @ w + b > 0, 1, -1)"),
        Mistake("boundary_convention", "{leaf} give +1 to points exactly on the boundary "
                "(b + X @ w = 0); the statement gives them -1",
                lambda X, w, b: np.where(X @ w + b >= 0, 1, -1),
                hint="+1 only where b + X @ w > 0 (strictly)"),
        Mistake("boundary_convention", "{leaf} are 0 for points exactly on the boundary "
                "(np.sign(0) = 0); the statement gives them -1",
                lambda X, w, b: np.sign(X @ w + b).astype(int),
                hint="np.where(X @ w + b > 0, 1, -1) instead of np.sign"),
    ],
    "perceptron_epoch": [
        Mistake("wrong_sign", "{leaf} looks trained with the update subtracted: the boundary "
                "moves away from each mistake",
                lambda X, y, w, b, lr=1.0: _perceptron_strict(X, y, w, b, -lr, strict=False),
                hint="on a mistake w = w + lr y_n x_n and b = b + lr y_n"),
        Mistake("boundary_convention", "{leaf} differs as if a point exactly on the boundary "
                "(y (w.x + b) = 0) did not count as a mistake",
                lambda X, y, w, b, lr=1.0: _perceptron_strict(X, y, w, b, lr),
                hint="update when y_n (w . x_n + b) <= 0, so that training can start from w = 0"),
    ],
    "neuron_forward": [
        Mistake("missing_activation", "{leaf} looks like X @ w + b: the sigmoid is missing",
                lambda X, w, b: X @ w + b, hint="f(x) = sigmoid(X @ w + b)"),
    ],
    "neuron_sgd_step": [
        Mistake("missing_activation_derivative",
                "{leaf} looks updated with delta_0 = y - f: the factor f (1 - f) of the "
                "sigmoid's derivative is missing",
                lambda x, y, w, b, lr: nnlib.neuron_sgd_step(x, y, w, b, lr, "cross_entropy"),
                hint="on squared error delta_0 = (y - f) f (1 - f)"),
    ],
}


#: notebook 03: forward passes and counting
FORWARD_MISTAKES: dict[str, list[Mistake]] = {
    "bump_forward": [
        Mistake("missing_bias", "{leaf} looks computed without the output bias b2",
                lambda X, params: nnlib.bump_forward(X, [params[0], (params[1][0],
                                                                     np.zeros_like(params[1][1]))]),
                hint="y = sigmoid(X @ W1.T + b1) @ W2.T + b2: add b2"),
        Mistake("extra_activation", "{leaf} looks like sigmoid of the expected output: the output "
                "layer of a bump network is the identity",
                lambda X, params: nnlib.sigmoid(nnlib.bump_forward(X, params)),
                hint="y = sigmoid(X @ W1.T + b1) @ W2.T + b2, with no function on the output"),
    ],
    "dense_forward": [
        Mistake("transposed", "{leaf} looks computed as X @ W + b: W is used without its "
                "transpose",
                lambda X, W, b: (X @ W + b, None),
                hint="W has shape (n_out, n_in), so Z = X @ W.T + b"),
        Mistake("missing_bias", "{leaf} looks like X @ W.T without the bias b",
                lambda X, W, b: (X @ W.T, None), hint="Z = X @ W.T + b"),
    ],
    "mlp_forward": [
        Mistake("missing_activation", "{leaf} looks computed without the output function ({name}'s "
                "`output` argument: softmax or sigmoid)",
                lambda X, params, activation, output: nnlib.mlp_forward(
                    X, params, activation, "identity"),
                applies=lambda case: case.args[3] != "identity",
                hint="after the last layer apply softmax (or sigmoid), not the hidden "
                     "activation"),
        Mistake("extra_activation", "{leaf} looks computed with the hidden activation applied to the "
                "last layer too",
                lambda X, params, activation, output: _mlp_act_on_last(X, params, activation,
                                                                       output),
                hint="the last layer's Z goes straight into the output function"),
        Mistake("wrong_axis", "{leaf} looks like a softmax over the batch (axis 0): each row, one "
                "example, should sum to 1",
                lambda X, params, activation, output: (nnlib.softmax(nnlib.mlp_forward(
                    X, params, activation, "identity")[0], axis=0), None),
                applies=lambda case: case.args[3] == "softmax" and len(case.args[0]) > 1,
                hint="the softmax runs over the classes of each example: axis=1, keepdims=True"),
    ],
    "count_parameters": [
        Mistake("missing_bias", "{leaf} looks like the number of weights only: the biases are missing",
                lambda sizes, bias=True: nnlib.count_parameters(sizes, False),
                applies=lambda case: len(case.args) < 2 or case.args[1],
                hint="each non-input unit has one bias: add sum(layer_sizes[1:])"),
        Mistake("extra_bias", "{leaf} includes biases for the input layer too",
                lambda sizes, bias=True: nnlib.count_parameters(sizes, bias) + sizes[0] * bias,
                hint="only the non-input layers have biases"),
        Mistake("option_ignored", "{leaf} counts the biases although bias=False",
                lambda sizes, bias=True: nnlib.count_parameters(sizes, True),
                applies=lambda case: len(case.args) > 1 and not case.args[1],
                hint="with bias=False count the weights only"),
    ],
}


#: notebook 06: backpropagation and gradient checking
BACKPROP_MISTAKES: dict[str, list[Mistake]] = {
    "activation_backward": [
        Mistake("missing_activation_derivative",
                "{leaf} equals dA: the factor g'(Z) of the chain rule is missing",
                lambda dA, cache: dA.copy(),
                hint="dZ = dA * g'(Z), with g' the derivative of the cached activation"),
        Mistake("derivative_of_wrong_quantity",
                "{leaf} looks like dA * g'(g(Z)): the derivative was taken at the activation "
                "A = g(Z) instead of at Z",
                lambda dA, cache: dA * nnlib.get_activation(cache[1])[1](
                    nnlib.get_activation(cache[1])[0](cache[0])),
                hint="the cache holds Z, the pre-activation: dZ = dA * g'(Z)"),
        Mistake("activation_not_derivative", "{leaf} looks like dA * g(Z): the activation was used "
                "instead of its derivative",
                lambda dA, cache: dA * nnlib.get_activation(cache[1])[0](cache[0]),
                hint="dZ = dA * g'(Z)"),
    ],
    "mlp_loss_and_grads": [
        Mistake("missing_activation_derivative",
                "{leaf} looks backpropagated without the activation derivative: "
                "delta_(l-1) = delta_l W_l misses the factor g'(Z_(l-1))",
                lambda X, y, p, a, o: _mlp_backprop(X, y, p, a, o, "no_gprime"),
                hint="delta_(l-1) = (delta_l @ W_l) * g'(Z_(l-1))"),
        Mistake("derivative_of_wrong_quantity",
                "{leaf} looks backpropagated with g'(A) instead of g'(Z): the derivative was "
                "taken at the activation, not the pre-activation",
                lambda X, y, p, a, o: _mlp_backprop(X, y, p, a, o, "gprime_of_a"),
                hint="keep each layer's Z in the cache and use g'(Z)"),
    ],
    "numerical_gradient": [
        Mistake("forward_difference", "{leaf} looks like a forward difference (f(x + h) - f(x)) / h",
                lambda f, x, h=1e-5: _forward_difference(f, x, h),
                hint="use the central difference (f(x + h e_i) - f(x - h e_i)) / (2 h)",
                applies=_f_reads_its_argument),
        Mistake("wrong_scale", "{leaf} is twice the expected value: divide by 2 h, not h",
                lambda f, x, h=1e-5: 2 * nnlib.numerical_gradient(f, x.copy(), h),
                hint="(f(x + h e_i) - f(x - h e_i)) / (2 h)", applies=_f_reads_its_argument),
    ],
    "relative_error": [
        Mistake("missing_normalisation", "{leaf} looks like ||a - b|| without the division by ||a|| + ||b||",
                lambda a, b: float(np.linalg.norm(a - b)),
                hint="relative error = ||a - b|| / (||a|| + ||b||)"),
        Mistake("missing_normalisation", "{leaf} looks like ||a - b|| / ||a||: the denominator is "
                "||a|| + ||b||", lambda a, b: float(np.linalg.norm(a - b) / max(np.linalg.norm(a), 1e-12)),
                hint="relative error = ||a - b|| / (||a|| + ||b||), symmetric in a and b"),
    ],
}


#: notebook 07: softmax and cross-entropy
SOFTMAX_MISTAKES: dict[str, list[Mistake]] = {
    "softmax": [
        Mistake("wrong_axis", "{leaf} looks normalised over the wrong axis: each row (one example) "
                "should sum to 1",
                lambda Z: nnlib.softmax(Z, axis=0),
                applies=lambda case: case.args[0].shape[0] > 1,
                hint="use axis=1 (or axis=-1) with keepdims=True"),
    ],
    "log_softmax": [
        Mistake("wrong_axis", "{leaf} looks normalised over the wrong axis (over examples, not "
                "classes)", lambda Z: nnlib.log_softmax(Z, axis=0),
                applies=lambda case: case.args[0].shape[0] > 1,
                hint="the log-sum-exp runs over each row: axis=1, keepdims=True"),
    ],
    "softmax_cross_entropy": [
        Mistake("missing_onehot", "{leaf} looks like softmax(Z) / N: the one-hot labels were not "
                "subtracted",
                lambda Z, y: (nnlib.softmax_cross_entropy(Z, y)[0], nnlib.softmax(Z) / len(Z)),
                hint="dZ = (softmax(Z) - onehot(y)) / N"),
    ],
}


#: notebook 08: minibatches and SGD
SGD_MISTAKES: dict[str, list[Mistake]] = {
    "iterate_minibatches": [
        Mistake("not_shuffled", "{leaf} holds the examples in their original order: the data were "
                "not shuffled",
                lambda X, y, bs, rng: list(nnlib.iterate_minibatches(X, y, bs, shuffle=False)),
                hint="order = rng.permutation(N) first, then consecutive slices of that order"),
    ],
    "sgd_epoch": [
        Mistake("wrong_sign", "{leaf} moves uphill: the update adds lr * grad instead of "
                "subtracting it",
                lambda params, lag, X, y, lr, bs, rng: _sgd_epoch(params, lag, X, y, -lr, bs, rng),
                hint="gradient descent: W = W - lr * dW, b = b - lr * db"),
        Mistake("not_shuffled", "{leaf} looks trained on the examples in their original order: "
                "the epoch did not shuffle",
                lambda params, lag, X, y, lr, bs, rng: _sgd_epoch(params, lag, X, y, lr, bs, None),
                hint="use rng.permutation(N) (or your iterate_minibatches) for the order"),
        Mistake("last_batch_dropped", "{leaf} looks trained without the last, smaller batch",
                lambda params, lag, X, y, lr, bs, rng: _sgd_epoch(params, lag, X, y, lr, bs, rng,
                                                                  drop_last=True),
                applies=lambda case: len(case.args[2]) % case.args[5] != 0,
                hint="range(0, N, batch_size) includes the last partial batch: keep it"),
    ],
    "hinge_sgd_update": [
        Mistake("boundary_convention", "{leaf} was updated at y z = 1 exactly, where the hinge loss "
                "is flat: the statement updates only when 1 - y z > 0",
                lambda w, b, x, y, lr: ((w + lr * y * x, b + lr * y) if 1 - y * (w @ x + b) >= 0
                                        else (w, b)),
                hint="use 1 - y z > 0 (strictly), not >= 0"),
        Mistake("update_condition", "{leaf} was updated although the example is outside the margin "
                "(1 - y z <= 0)",
                lambda w, b, x, y, lr: (w + lr * y * x, b + lr * y),
                hint="update only when 1 - y (w . x + b) > 0; otherwise return w and b unchanged"),
    ],
}

#: exercise -> mistakes: every table above in one.
MISTAKES: dict[str, list[Mistake]] = {
    **ACTIVATION_MISTAKES, **NEURON_MISTAKES, **FORWARD_MISTAKES, **BACKPROP_MISTAKES,
    **SOFTMAX_MISTAKES, **SGD_MISTAKES,
}


#: exercise -> (case args -> {output path: starting value}) for update rules.
UPDATES: dict[str, Callable] = {
    "perceptron_epoch": lambda a: {(0,): a[2], (1,): a[3]},
    "neuron_sgd_step": lambda a: {(0,): a[2], (1,): a[3]},
    "hinge_sgd_update": lambda a: {(0,): a[0], (1,): a[1]},
    "sgd_epoch": lambda a: {(0, i, j): a[0][i][j] for i in range(len(a[0])) for j in (0, 1)},
}
