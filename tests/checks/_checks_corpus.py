"""A corpus of wrong implementations, each with the diagnosis the checks must give it.

Each entry's ``source`` is the text of a student's answer cell: it defines the exercise's function
(same name) using only ``np`` (and, where a student might, ``nnlib``). The grading driver's tests
reuse these sources to build partly-wrong submissions, so keep them self-contained.

``hidden=True`` entries pass the visible check and must fail the hidden one.
"""

from __future__ import annotations

import linecache
import textwrap
from dataclasses import dataclass

import numpy as np

import nnlib


@dataclass(frozen=True)
class Wrong:
    exercise: str
    code: str          # the diagnosis the checks must give
    what: str          # the mistake, in a few words (also the test id)
    source: str
    hidden: bool = False

    def function(self):
        """The function defined by ``source`` (executed with ``np`` and ``nnlib`` in scope)."""
        namespace = {"np": np, "nnlib": nnlib}
        filename = f"<answer cell: {self.what}>"
        # as IPython does for a cell, so that tracebacks can show the student's line
        linecache.cache[filename] = (len(self.source), None, self.source.splitlines(True), filename)
        exec(compile(self.source, filename, "exec"), namespace)
        return namespace[self.exercise]


def W(exercise, code, what, source, hidden=False):
    return Wrong(exercise, code, what, textwrap.dedent(source).strip() + "\n", hidden)


CORPUS = [
    # --- not_implemented ---------------------------------------------------------------------
    W("dense_forward", "not_implemented", "the unmodified stub", """
        def dense_forward(X, W, b):
            raise NotImplementedError()
    """),
    W("softmax", "not_implemented", "forgot return", """
        def softmax(Z):
            E = np.exp(Z - Z.max(axis=1, keepdims=True))
            E / E.sum(axis=1, keepdims=True)
    """),
    # --- calls_reference -----------------------------------------------------------------------
    W("dense_backward", "calls_reference", "returns nnlib's own dense_backward", """
        def dense_backward(dZ, cache):
            return nnlib.dense_backward(dZ, cache)
    """),
    W("log_softmax", "calls_reference", "log of nnlib's softmax (an exercise of the same notebook)", """
        def log_softmax(Z):
            return np.log(nnlib.softmax(Z))
    """),
    # --- missing_error -------------------------------------------------------------------------
    W("mlp_forward", "missing_error", "an unknown output name falls through to identity", """
        def mlp_forward(X, params, activation, output):
            g, _ = nnlib.get_activation(activation)
            A, caches = X, []
            for i, (W, b) in enumerate(params):
                Z = A @ W.T + b
                caches.append((A, Z))
                A = g(Z) if i < len(params) - 1 else Z
            if output == "softmax":
                A = nnlib.softmax(A)
            elif output == "sigmoid":
                A = nnlib.sigmoid(A)
            return A, caches
    """),
    # --- exception ---------------------------------------------------------------------------
    W("softmax", "exception", "max without keepdims", """
        def softmax(Z):
            E = np.exp(Z - Z.max(axis=1))
            return E / E.sum(axis=1, keepdims=True)
    """),
    W("mlp_forward", "exception", "undefined name", """
        def mlp_forward(X, params, activation, output):
            A = X
            for W, b in params:
                A = nnlib.relu(A @ W.T + b)
            return softmax(A), []
    """),
    # --- wrong_type ----------------------------------------------------------------------------
    W("dense_backward", "wrong_type", "returns only dW and db", """
        def dense_backward(dZ, cache):
            X, W = cache
            return dZ.T @ X, dZ.sum(axis=0)
    """),
    W("mlp_forward", "wrong_type", "returns out without the caches", """
        def mlp_forward(X, params, activation, output):
            g, _ = nnlib.get_activation(activation)
            A = X
            for i, (W, b) in enumerate(params):
                Z = A @ W.T + b
                A = g(Z) if i < len(params) - 1 else Z
            if output == "softmax":
                A = nnlib.softmax(A)
            elif output == "sigmoid":
                A = nnlib.sigmoid(A)
            return A
    """),
    W("train_xor", "wrong_type", "returns weights instead of a model", """
        def train_xor(X, y, rng):
            return rng.standard_normal((2, 2)), np.zeros(2)
    """),
    # --- wrong_shape ---------------------------------------------------------------------------
    W("neuron_forward", "wrong_shape", "returns a column (N, 1)", """
        def neuron_forward(X, w, b):
            z = X @ w.reshape(-1, 1) + b
            return 0.5 * (1 + np.tanh(z / 2))
    """),
    W("iterate_minibatches", "last_batch_dropped", "drops the last partial batch", """
        def iterate_minibatches(X, y, batch_size, rng):
            order = rng.permutation(len(X))
            for start in range(0, len(X) - batch_size + 1, batch_size):
                idx = order[start:start + batch_size]
                yield X[idx], y[idx]
    """),
    # --- transposed ----------------------------------------------------------------------------
    W("dense_backward", "transposed", "dW = X.T @ dZ", """
        def dense_backward(dZ, cache):
            X, W = cache
            return dZ @ W, X.T @ dZ, dZ.sum(axis=0)
    """),
    W("dense_forward", "transposed", "Z = X @ W + b", """
        def dense_forward(X, W, b):
            return X @ W + b, (X, W)
    """),
    W("bump_network", "transposed", "W1 as a row (1, 2m)", """
        def bump_network(knots, heights, steepness):
            edges = np.repeat(knots, 2)[1:-1]
            W1 = np.full((1, edges.size), float(steepness))
            b1 = -steepness * edges
            W2 = np.stack([heights, -heights], axis=1).reshape(1, -1)
            return [(W1, b1), (W2, np.zeros(1))]
    """),
    # --- bias_grad_not_reduced -------------------------------------------------------------------
    W("dense_backward", "bias_grad_not_reduced", "db = dZ", """
        def dense_backward(dZ, cache):
            X, W = cache
            return dZ @ W, dZ.T @ X, dZ
    """),
    # --- off_by_batch_size -----------------------------------------------------------------------
    W("dense_backward", "off_by_batch_size", "db averaged (dZ already has the 1/N)", """
        def dense_backward(dZ, cache):
            X, W = cache
            return dZ @ W, dZ.T @ X, dZ.mean(axis=0)
    """),
    W("softmax_cross_entropy", "off_by_batch_size", "dZ not divided by N", """
        def softmax_cross_entropy(Z, y):
            N = len(Z)
            shifted = Z - Z.max(axis=1, keepdims=True)
            logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            dZ = np.exp(logp)
            dZ[np.arange(N), y] -= 1
            return -logp[np.arange(N), y].mean(), dZ
    """),
    W("mlp_loss_and_grads", "off_by_batch_size", "loss and gradients summed over the batch", """
        def mlp_loss_and_grads(X, y, params, activation, output):
            g, g_prime = nnlib.get_activation(activation)
            out, caches = nnlib.mlp_forward(X, params, activation, output)
            Z = caches[-1][1]
            N = len(X)
            if output == "softmax":
                loss, delta = nnlib.softmax_cross_entropy(Z, y)
            elif output == "sigmoid":
                loss, delta = nnlib.binary_cross_entropy_with_logits(Z, y.reshape(Z.shape))
            else:
                loss, delta = nnlib.squared_error(Z, y.reshape(Z.shape))
            delta = N * delta   # summed, not averaged, over the batch
            grads = [None] * len(params)
            for i in range(len(params) - 1, -1, -1):
                A_prev, _ = caches[i]
                grads[i] = (delta.T @ A_prev, delta.sum(axis=0))
                if i > 0:
                    delta = (delta @ params[i][0]) * g_prime(caches[i - 1][1])
            return loss, grads
    """),
    # --- wrong_sign ----------------------------------------------------------------------------
    W("dense_backward", "wrong_sign", "every gradient negated", """
        def dense_backward(dZ, cache):
            X, W = cache
            return -(dZ @ W), -(dZ.T @ X), -dZ.sum(axis=0)
    """),
    W("hinge_sgd_update", "wrong_sign", "update goes the wrong way", """
        def hinge_sgd_update(w, b, x, y, lr):
            if 1 - y * (x @ w + b) > 0:
                return w - lr * y * x, b - lr * y
            return w.copy(), b
    """),
    W("xor_weights", "wrong_sign", "output weights negated", """
        def xor_weights():
            return np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0.0, -1.0]), np.array([-1.0, 2.0])
    """),
    W("sgd_epoch", "wrong_sign", "params + lr * grads", """
        def sgd_epoch(params, loss_and_grads, X, y, lr, batch_size, rng):
            losses = []
            order = rng.permutation(len(X))
            for start in range(0, len(X), batch_size):
                idx = order[start:start + batch_size]
                loss, grads = loss_and_grads(params, X[idx], y[idx])
                params = [(W + lr * dW, b + lr * db) for (W, b), (dW, db) in zip(params, grads)]
                losses.append(float(loss))
            return params, losses
    """),
    # --- missing_activation_derivative -----------------------------------------------------------
    W("mlp_loss_and_grads", "missing_activation_derivative", "backprop without g'(z)", """
        def mlp_loss_and_grads(X, y, params, activation, output):
            g = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0),
                 "sigmoid": lambda z: 0.5 * (1 + np.tanh(z / 2)),
                 "leaky_relu": lambda z: np.where(z > 0, z, 0.1 * z)}[activation]
            N = len(X)
            As, A = [X], X
            for i, (W, b) in enumerate(params):
                Z = A @ W.T + b
                A = g(Z) if i < len(params) - 1 else Z
                As.append(A)
            Z = As[-1]
            if output == "softmax":
                P = np.exp(Z - Z.max(axis=1, keepdims=True))
                P /= P.sum(axis=1, keepdims=True)
                loss = -np.log(P[np.arange(N), y]).mean()
                delta = P.copy()
                delta[np.arange(N), y] -= 1
                delta /= N
            elif output == "sigmoid":
                t = y.reshape(Z.shape)
                P = 0.5 * (1 + np.tanh(Z / 2))
                loss = np.mean(np.logaddexp(0, Z) - t * Z)
                delta = (P - t) / N
            else:
                t = y.reshape(Z.shape)
                loss = np.sum((Z - t) ** 2) / N
                delta = 2 * (Z - t) / N
            grads = [None] * len(params)
            for i in range(len(params) - 1, -1, -1):
                grads[i] = (delta.T @ As[i], delta.sum(axis=0))
                delta = delta @ params[i][0]          # forgot * g'(Z)
            return loss, grads
    """),
    W("activation_backward", "missing_activation_derivative", "returns dA", """
        def activation_backward(dA, cache):
            Z, name = cache
            return dA.copy()
    """),
    W("neuron_sgd_step", "missing_activation_derivative", "delta_0 = y - f on squared error", """
        def neuron_sgd_step(x, y, w, b, lr):
            f = 1 / (1 + np.exp(-(x @ w + b)))
            delta = y - f
            return w + lr * delta * x, b + lr * delta
    """),
    # --- derivative_of_wrong_quantity ------------------------------------------------------------
    W("sigmoid_prime", "derivative_of_wrong_quantity", "a*(1-a) of a = sigmoid(sigmoid(z))", """
        def sigmoid(z):
            return 0.5 * (1 + np.tanh(z / 2))

        def sigmoid_prime(z):
            a = sigmoid(z)
            return sigmoid(a) * (1 - sigmoid(a))
    """),
    W("mlp_loss_and_grads", "derivative_of_wrong_quantity", "g'(A) instead of g'(Z)", """
        def mlp_loss_and_grads(X, y, params, activation, output):
            g, g_prime = nnlib.get_activation(activation)
            _, caches = nnlib.mlp_forward(X, params, activation, output)
            Z = caches[-1][1]
            N = len(X)
            if output == "softmax":
                loss, delta = nnlib.softmax_cross_entropy(Z, y)
            elif output == "sigmoid":
                loss, delta = nnlib.binary_cross_entropy_with_logits(Z, y.reshape(Z.shape))
            else:
                loss, delta = nnlib.squared_error(Z, y.reshape(Z.shape))
            grads = [None] * len(params)
            for i in range(len(params) - 1, -1, -1):
                A_prev = caches[i][0]
                grads[i] = (delta.T @ A_prev, delta.sum(axis=0))
                if i > 0:
                    delta = (delta @ params[i][0]) * g_prime(A_prev)   # A, not Z
            return loss, grads
    """),
    W("tanh_prime", "derivative_of_wrong_quantity", "1 - z**2", """
        def tanh_prime(z):
            return 1 - z ** 2
    """),
    W("activation_backward", "derivative_of_wrong_quantity", "g'(g(Z)) instead of g'(Z)", """
        def activation_backward(dA, cache):
            Z, name = cache
            g, g_prime = nnlib.get_activation(name)
            return dA * g_prime(g(Z))
    """),
    # --- mutates_input -------------------------------------------------------------------------
    W("softmax", "mutates_input", "Z -= max in place", """
        def softmax(Z):
            Z -= Z.max(axis=1, keepdims=True)
            E = np.exp(Z)
            return E / E.sum(axis=1, keepdims=True)
    """),
    W("perceptron_epoch", "mutates_input", "w += in place", """
        def perceptron_epoch(X, y, w, b, lr=1.0):
            mistakes = 0
            for x_n, y_n in zip(X, y):
                if y_n * (x_n @ w + b) <= 0:
                    w += lr * y_n * x_n
                    b += lr * y_n
                    mistakes += 1
            return w, b, mistakes
    """),
    W("numerical_gradient", "mutates_input", "never restores x", """
        def numerical_gradient(f, x, h=1e-5):
            grad = np.zeros_like(x)
            flat, g = x.reshape(-1), grad.reshape(-1)
            for i in range(flat.size):
                flat[i] += h
                up = f(x)
                flat[i] -= 2 * h
                down = f(x)
                g[i] = (up - down) / (2 * h)
            return grad
    """),
    # --- not_finite ----------------------------------------------------------------------------
    W("relative_error", "not_finite", "minus in the denominator", """
        def relative_error(a, b):
            return np.linalg.norm(a - b) / (np.linalg.norm(a) - np.linalg.norm(b))
    """),
    # --- unstable ------------------------------------------------------------------------------
    W("softmax", "unstable", "naive exp overflows at 1e3", """
        def softmax(Z):
            E = np.exp(Z)
            return E / E.sum(axis=1, keepdims=True)
    """),
    W("sigmoid_prime", "unstable", "exp(-z) overflows (right values, warnings)", """
        def sigmoid_prime(z):
            s = 1 / (1 + np.exp(-z))
            return s * (1 - s)
    """),
    W("log_softmax", "unstable", "log of softmax gives -inf", """
        def log_softmax(Z):
            E = np.exp(Z - Z.max(axis=1, keepdims=True))
            return np.log(E / E.sum(axis=1, keepdims=True))
    """),
    W("softmax_cross_entropy", "unstable", "naive loss overflows", """
        def softmax_cross_entropy(Z, y):
            N = len(Z)
            P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
            dZ = P.copy()
            dZ[np.arange(N), y] -= 1
            return -np.log(P[np.arange(N), y]).mean(), dZ / N
    """),
    W("neuron_forward", "unstable", "1 / (1 + exp(-z)) overflows for z = -1e3", """
        def neuron_forward(X, w, b):
            return 1 / (1 + np.exp(-(X @ w + b)))
    """),
    # --- wrong_dtype ---------------------------------------------------------------------------
    W("sigmoid_prime", "wrong_dtype", "casts to float64", """
        def sigmoid_prime(z):
            z = np.asarray(z, dtype=np.float64)
            a = 0.5 * (1 + np.tanh(z / 2))
            return a * (1 - a)
    """),
    W("dense_forward", "wrong_dtype", "np.zeros without dtype", """
        def dense_forward(X, W, b):
            Z = np.zeros((X.shape[0], W.shape[0]))
            Z[:] = X @ W.T + b
            return Z, (X, W)
    """),
    # --- too_slow ------------------------------------------------------------------------------
    W("dense_forward", "too_slow", "a Python loop over the examples", """
        def dense_forward(X, W, b):
            Z = np.zeros((X.shape[0], W.shape[0]), dtype=X.dtype)
            for n in range(X.shape[0]):
                for j in range(W.shape[0]):
                    Z[n, j] = X[n] @ W[j] + b[j]
            return Z, (X, W)
    """),
    W("sigmoid_prime", "too_slow", "a Python loop over the rows", """
        def sigmoid_prime(z):
            z = np.asarray(z)
            out = np.empty_like(z)
            for i in range(z.shape[0]):
                a = 0.5 * (1 + np.tanh(z[i] / 2))
                out[i] = a * (1 - a)
            return out
    """),
    # --- values --------------------------------------------------------------------------------
    W("relu_prime", "values", "threshold at 1 instead of 0", """
        def relu_prime(z):
            return (z > 1).astype(z.dtype)
    """),
    W("relu_prime", "boundary_convention", "derivative 1 at z = 0", """
        def relu_prime(z):
            return (z >= 0).astype(z.dtype)
    """),
    W("count_parameters", "missing_bias", "forgets the biases", """
        def count_parameters(layer_sizes, bias=True):
            return sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
    """),
    W("perceptron_predict", "wrong_label_values", "labels 0/1 instead of -1/+1", """
        def perceptron_predict(X, w, b):
            return (X @ w + b > 0).astype(int)
    """),
    W("iterate_minibatches", "not_shuffled", "no shuffling", """
        def iterate_minibatches(X, y, batch_size, rng):
            for start in range(0, len(X), batch_size):
                yield X[start:start + batch_size], y[start:start + batch_size]
    """),
    W("bump_forward", "values", "forgets the output bias", """
        def bump_forward(X, params):
            (W1, b1), (W2, b2) = params
            H = 0.5 * (1 + np.tanh((X @ W1.T + b1) / 2))
            return (H @ W2.T)[:, 0] + 0.1
    """),
    W("hinge_sgd_update", "update_condition", "updates even outside the margin", """
        def hinge_sgd_update(w, b, x, y, lr):
            return w + lr * y * x, b + lr * y
    """),
    W("count_parameters", "extra_bias", "a bias for the input layer too", """
        def count_parameters(layer_sizes, bias=True):
            weights = sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
            return weights + (sum(layer_sizes) if bias else 0)
    """),
    W("train_xor", "values", "a linear model cannot learn XOR", """
        class Linear:
            def __init__(self, w, b):
                self.w, self.b = w, b
            def predict(self, X):
                return (X @ self.w + self.b > 0).astype(int)

        def train_xor(X, y, rng):
            return Linear(np.array([1.0, 1.0]), -0.5)
    """),
]


def hard_coded(exercise: str, seed: int):
    """A function that memorised the answers of the visible cases (seed ``seed``) and returns
    zeros for anything else: it passes the visible check and must fail the hidden one."""
    from autograder.checks.cases import make_cases
    from autograder.checks.wire import resolve

    reference = getattr(nnlib, exercise)
    table = {_key(resolve(c.args)): reference(*resolve(c.args))
             for c in make_cases(exercise, seed, hidden=False)}

    def memorised(*args):
        return table.get(_key(args), np.zeros_like(args[0]))

    memorised.__name__ = exercise
    return memorised


def _key(args) -> bytes:
    if isinstance(args, list | tuple):
        return b"(" + b"|".join(_key(a) for a in args) + b")"
    return np.asarray(args).tobytes() + str(np.shape(args)).encode()
