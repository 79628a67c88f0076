"""Every promise of every exercise statement has a visible case, and the visible case catches the
answer that breaks it (so a student never passes the check cell and then fails grading for it)."""

from __future__ import annotations

import pytest
from _checks_corpus import W

from autograder.checks import PUBLIC_SEED, check
from autograder.checks.cases import make_cases
from autograder.checks.promises import PROMISES
from autograder.exercises import EXERCISES


def test_every_exercise_lists_its_promises():
    assert set(PROMISES) == set(EXERCISES)
    assert all(len(promises) >= 1 for promises in PROMISES.values())


@pytest.mark.parametrize("name", sorted(PROMISES))
def test_every_promise_has_a_visible_case(name):
    labels = [c.label for c in make_cases(name, PUBLIC_SEED, hidden=False)]
    missing = [(promise, fragment) for promise, fragment in PROMISES[name]
               if not any(fragment in label for label in labels)]
    assert not missing, f"{name}: promises without a visible case: {missing}; cases: {labels}"


#: answers that break exactly one promise: (the promise's label fragment, the diagnosis).
BREAKERS = [
    (W("perceptron_predict", "boundary_convention", ">= 0 puts boundary points on +1", """
        def perceptron_predict(X, w, b):
            return np.where(X @ w + b >= 0, 1, -1)
    """), "exactly on the boundary"),
    (W("perceptron_predict", "wrong_dtype", "float labels", """
        def perceptron_predict(X, w, b):
            return np.where(X @ w + b > 0, 1.0, -1.0)
    """), "hand-worked"),
    (W("relu_prime", "wrong_dtype", "a boolean mask", """
        def relu_prime(z):
            return z > 0
    """), "hand-picked z"),
    (W("leaky_relu_prime", "wrong_dtype", "np.where gives float64 for float32 z", """
        def leaky_relu_prime(z):
            return np.where(z > 0, 1.0, 0.1)
    """), "float32"),
    (W("tanh_prime", "unstable", "tanh written with exponentials", """
        def tanh_prime(z):
            t = (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))
            return 1 - t ** 2
    """), "up to 1e4"),
    (W("mlp_forward", "exception", "an own activation table without identity and step", """
        def mlp_forward(X, params, activation, output):
            g = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh,
                 "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
                 "leaky_relu": lambda z: np.maximum(0.1 * z, z)}[activation]
            A, caches = X, []
            for i, (W, b) in enumerate(params):
                Z = A @ W.T + b
                caches.append((A, Z))
                A = g(Z) if i < len(params) - 1 else Z
            if output == "softmax":
                E = np.exp(A - A.max(axis=1, keepdims=True))
                A = E / E.sum(axis=1, keepdims=True)
            elif output == "sigmoid":
                A = 1 / (1 + np.exp(-A))
            elif output != "identity":
                raise ValueError(output)
            return A, caches
    """), "identity hidden activation"),
    (W("activation_backward", "exception", "a derivative table without identity and step", """
        def activation_backward(dA, cache):
            Z, name = cache
            s = 1 / (1 + np.exp(-Z))
            d = {"sigmoid": s * (1 - s), "tanh": 1 - np.tanh(Z) ** 2,
                 "relu": (Z > 0).astype(Z.dtype),
                 "leaky_relu": np.where(Z > 0, 1, 0.1).astype(Z.dtype)}[name]
            return dA * d
    """), "identity: N=3"),
    (W("bump_forward", "missing_bias", "the output bias forgotten", """
        def bump_forward(X, params):
            (W1, b1), (W2, b2) = params
            A = 1 / (1 + np.exp(-(X @ W1.T + b1)))
            return (A @ W2.T)[:, 0]
    """), "non-zero output bias b2"),
    (W("relative_error", "not_finite", "no floor under the denominator", """
        def relative_error(a, b):
            return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))
    """), "two all-zero arrays"),
    (W("hinge_sgd_update", "boundary_convention", "updates at y z = 1 too", """
        def hinge_sgd_update(w, b, x, y, lr):
            if 1 - y * (w @ x + b) >= 0:
                return w + lr * y * x, b + lr * y
            return w, b
    """), "exactly on the margin"),
    (W("iterate_minibatches", "wrong_type", "a list of batches instead of a generator", """
        def iterate_minibatches(X, y, batch_size, rng):
            order = rng.permutation(len(X))
            return [(X[order[i:i + batch_size]], y[order[i:i + batch_size]])
                    for i in range(0, len(X), batch_size)]
    """), "N=5, batch_size=2"),
    (W("count_parameters", "wrong_dtype", "a float count", """
        def count_parameters(layer_sizes, bias=True):
            total = 0.0
            for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
                total += n_in * n_out + (n_out if bias else 0)
            return total
    """), "the lecture's 3-4-2 network"),
    (W("softmax_cross_entropy", "unstable", "log-sum-exp subtracted from the raw scores", """
        def softmax_cross_entropy(Z, y):
            N = len(Z)
            logp = Z - np.logaddexp.reduce(Z, axis=1, keepdims=True)
            dZ = np.exp(logp)
            dZ[np.arange(N), y] -= 1
            return -logp[np.arange(N), y].mean(), dZ / N
    """), "float32, labels [2, 2, 0]"),
    (W("numerical_gradient", "perturbs_copy", "steps on a copy of x", """
        def numerical_gradient(f, x, h=1e-5):
            x = x.copy()
            grad = np.zeros_like(x)
            for i in np.ndindex(x.shape):
                old = x[i]
                x[i] = old + h
                up = f(x)
                x[i] = old - h
                down = f(x)
                x[i] = old
                grad[i] = (up - down) / (2 * h)
            return grad
    """), "f reads the caller's x"),
    (W("count_parameters", "wrong_dtype", "NumPy's int64 arithmetic, then int()", """
        def count_parameters(layer_sizes, bias=True):
            n = np.array(layer_sizes)
            return int(n[:-1] @ n[1:] + (n[1:].sum() if bias else 0))
    """), "a count past 2**63"),
    (W("count_parameters", "wrong_dtype", "NumPy's int64 returned as it is", """
        def count_parameters(layer_sizes, bias=True):
            n = np.array(layer_sizes)
            return n[:-1] @ n[1:] + (n[1:].sum() if bias else 0)
    """), "the lecture's 3-4-2 network"),
    (W("train_xor", "rng_ignored", "a seeded generator of its own instead of rng", """
        def train_xor(X, y, rng):
            model = nnlib.MLP([2, 8, 2], activation="tanh", output="softmax",
                              rng=np.random.default_rng(1))
            nnlib.train(model, X, y, lr=1.0, n_epochs=200, batch_size=None, progress=False)
            return model
    """), "another rng and the same rng again"),
    (W("mlp_forward", "missing_error", "any unknown output is treated as identity", """
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
    """), "unknown output name"),
]


@pytest.mark.parametrize("breaker, fragment", BREAKERS, ids=lambda b: getattr(b, "what", None))
def test_the_visible_case_catches_the_broken_promise(breaker, fragment):
    assert any(fragment == f for _, f in PROMISES[breaker.exercise]), fragment
    result = check(breaker.exercise, breaker.function())
    assert not result.passed
    assert fragment in result.case.label, result.message
    assert result.diagnosis == breaker.code, result.message
