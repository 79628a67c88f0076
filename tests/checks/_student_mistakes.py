"""Wrong answers written as students write them (office hours, forums), independently of the
checker's own mistake tables: each with the diagnosis a tutor would give. And, per exercise, a
correct answer written differently from nnlib's (einsum, another stable form, another order),
which must never be rejected.

Each source is an answer cell: it may use ``np`` and ``nnlib`` (but, by the course's rule, not
nnlib's twin of an exercise of its own notebook).
"""

from __future__ import annotations

from _checks_corpus import W

M = []  # the wrong answers


def m(exercise, code, what, source, hidden=False):
    M.append(W(exercise, code, what, source, hidden))


# ============================== 01 perceptron ================================================
m("perceptron_predict", "boundary_convention", "np.sign gives 0 on the boundary", """
    def perceptron_predict(X, w, b):
        return np.sign(X @ w + b).astype(int)
""")
m("perceptron_predict", "boundary_convention", ">= 0", """
    def perceptron_predict(X, w, b):
        scores = X @ w + b
        return np.where(scores >= 0, 1, -1)
""")
m("perceptron_predict", "wrong_label_values", "returns the comparison", """
    def perceptron_predict(X, w, b):
        return (X.dot(w) + b > 0).astype(int)
""")
m("perceptron_predict", "missing_bias", "forgot b", """
    def perceptron_predict(X, w, b):
        return np.where(X @ w > 0, 1, -1)
""")
m("perceptron_predict", "too_slow", "one row at a time", """
    def perceptron_predict(X, w, b):
        out = []
        for x in X:
            out.append(1 if x @ w + b > 0 else -1)
        return np.array(out)
""")
m("perceptron_predict", "wrong_dtype", "float labels from np.where", """
    def perceptron_predict(X, w, b):
        return np.where(X @ w + b > 0, 1.0, -1.0)
""")
m("perceptron_epoch", "boundary_convention", "strict < 0 never starts from w = 0", """
    def perceptron_epoch(X, y, w, b, lr=1.0):
        w = w.copy()
        n = 0
        for x_n, y_n in zip(X, y):
            if y_n * (x_n @ w + b) < 0:
                w = w + lr * y_n * x_n
                b = b + lr * y_n
                n += 1
        return w, b, n
""")
m("perceptron_epoch", "mutates_input", "w += without a copy", """
    def perceptron_epoch(X, y, w, b, lr=1.0):
        n = 0
        for i in range(len(X)):
            if y[i] * (X[i] @ w + b) <= 0:
                w += lr * y[i] * X[i]
                b += lr * y[i]
                n += 1
        return w, b, n
""")
m("perceptron_epoch", "wrong_sign", "subtracts the update", """
    def perceptron_epoch(X, y, w, b, lr=1.0):
        w = w.copy()
        n = 0
        for x_n, y_n in zip(X, y):
            if y_n * (x_n @ w + b) <= 0:
                w = w - lr * y_n * x_n
                b = b - lr * y_n
                n += 1
        return w, b, n
""")
m("perceptron_epoch", "not_updated", "forgets to update b", """
    def perceptron_epoch(X, y, w, b, lr=1.0):
        w = w.copy()
        n = 0
        for x_n, y_n in zip(X, y):
            if y_n * (x_n @ w + b) <= 0:
                w = w + lr * y_n * x_n
                n += 1
        return w, b, n
""")
m("perceptron_epoch", "wrong_type", "returns (w, b) only", """
    def perceptron_epoch(X, y, w, b, lr=1.0):
        w = w.copy()
        for x_n, y_n in zip(X, y):
            if y_n * (x_n @ w + b) <= 0:
                w = w + lr * y_n * x_n
                b = b + lr * y_n
        return w, b
""")
m("perceptron_epoch", "wrong_dtype", "counts mistakes as a float", """
    def perceptron_epoch(X, y, w, b, lr=1.0):
        w = w.copy()
        mistakes = 0.0
        for x_n, y_n in zip(X, y):
            if y_n * (x_n @ w + b) <= 0:
                w = w + lr * y_n * x_n
                b = b + lr * y_n
                mistakes += 1
        return w, b, mistakes
""")

# ============================== 02 activations' derivatives ==================================
m("sigmoid_prime", "unstable", "textbook sigmoid inside", """
    def sigmoid_prime(z):
        s = 1 / (1 + np.exp(-z))
        return s * (1 - s)
""")
m("sigmoid_prime", "unstable", "the quotient form e^-z / (1 + e^-z)^2", """
    def sigmoid_prime(z):
        e = np.exp(-z)
        return e / (1 + e) ** 2
""")
m("sigmoid_prime", "derivative_of_wrong_quantity", "z (1 - z)", """
    def sigmoid_prime(z):
        return z * (1 - z)
""")
m("sigmoid_prime", "activation_not_derivative", "returns sigma(z)", """
    def sigmoid_prime(z):
        return nnlib.sigmoid(z)
""")
m("sigmoid_prime", "derivative_of_wrong_quantity", "sigmoid applied twice", """
    def sigmoid_prime(z):
        a = nnlib.sigmoid(z)
        return nnlib.sigmoid(a) * (1 - nnlib.sigmoid(a))
""")
m("sigmoid_prime", "wrong_dtype", "np.float64 constant", """
    def sigmoid_prime(z):
        s = nnlib.sigmoid(z)
        return s * (np.float64(1.0) - s)
""")
m("tanh_prime", "derivative_of_wrong_quantity", "1 - z^2", """
    def tanh_prime(z):
        return 1 - z ** 2
""")
m("tanh_prime", "unstable", "1 / cosh^2 overflows", """
    def tanh_prime(z):
        return 1 / np.cosh(z) ** 2
""")
m("tanh_prime", "activation_not_derivative", "returns tanh(z)", """
    def tanh_prime(z):
        return np.tanh(z)
""")
m("tanh_prime", "derivative_of_wrong_quantity", "tanh of tanh", """
    def tanh_prime(z):
        t = np.tanh(z)
        return 1 - np.tanh(t) ** 2
""")
m("tanh_prime", "unstable", "tanh from exponentials", """
    def tanh_prime(z):
        t = (np.exp(2 * z) - 1) / (np.exp(2 * z) + 1)
        return 1 - t * t
""")
m("relu_prime", "wrong_dtype", "a boolean array", """
    def relu_prime(z):
        return z > 0
""")
m("relu_prime", "activation_not_derivative", "returns relu(z)", """
    def relu_prime(z):
        return np.maximum(0, z)
""")
m("relu_prime", "boundary_convention", ">= 0 gives 1 at the kink", """
    def relu_prime(z):
        return (z >= 0).astype(z.dtype)
""")
m("relu_prime", "wrong_dtype", "int ones and zeros", """
    def relu_prime(z):
        return np.where(z > 0, 1, 0)
""")
m("relu_prime", "boundary_convention", "heaviside with 1 at 0", """
    def relu_prime(z):
        return np.heaviside(z, 1.0).astype(z.dtype)
""")
m("leaky_relu_prime", "wrong_constant", "slope 0.01 from the internet", """
    def leaky_relu_prime(z):
        return np.where(z > 0, 1.0, 0.01).astype(z.dtype)
""")
m("leaky_relu_prime", "wrong_dtype", "np.where without astype", """
    def leaky_relu_prime(z):
        return np.where(z > 0, 1.0, 0.1)
""")
m("leaky_relu_prime", "boundary_convention", "1 at z = 0", """
    def leaky_relu_prime(z):
        return np.where(z >= 0, 1.0, 0.1).astype(z.dtype)
""")
m("leaky_relu_prime", "activation_not_derivative", "returns leaky_relu(z)", """
    def leaky_relu_prime(z):
        return np.where(z > 0, z, 0.1 * z)
""")
m("leaky_relu_prime", "wrong_dtype", "np.maximum of a float and a mask", """
    def leaky_relu_prime(z):
        return np.maximum(0.1, z > 0)
""")

# ============================== 02 neuron ======================================================
m("neuron_forward", "missing_activation", "forgot the sigmoid", """
    def neuron_forward(X, w, b):
        return X @ w + b
""")
m("neuron_forward", "unstable", "textbook sigmoid", """
    def neuron_forward(X, w, b):
        return 1.0 / (1.0 + np.exp(-(X @ w + b)))
""")
m("neuron_forward", "missing_bias", "no bias", """
    def neuron_forward(X, w, b):
        return nnlib.sigmoid(X @ w)
""")
m("neuron_forward", "wrong_shape", "w as a column", """
    def neuron_forward(X, w, b):
        return nnlib.sigmoid(X @ w.reshape(-1, 1) + b)
""")
m("neuron_forward", "wrong_dtype", "computes in float64", """
    def neuron_forward(X, w, b):
        z = X.astype(np.float64) @ w.astype(np.float64) + b
        return nnlib.sigmoid(z)
""")
m("neuron_sgd_step", "missing_activation_derivative", "cross-entropy delta on squared error", """
    def neuron_sgd_step(x, y, w, b, lr):
        f = nnlib.sigmoid(x @ w + b)
        delta = y - f
        return w + lr * delta * x, b + lr * delta
""")
m("neuron_sgd_step", "wrong_sign", "f - y with a plus", """
    def neuron_sgd_step(x, y, w, b, lr):
        f = nnlib.sigmoid(x @ w + b)
        delta = (f - y) * f * (1 - f)
        return w + lr * delta * x, b + lr * delta
""")
m("neuron_sgd_step", "not_updated", "bias left alone", """
    def neuron_sgd_step(x, y, w, b, lr):
        f = nnlib.sigmoid(x @ w + b)
        delta = (y - f) * f * (1 - f)
        return w + lr * delta * x, b
""")
m("neuron_sgd_step", "mutates_input", "w += in place", """
    def neuron_sgd_step(x, y, w, b, lr):
        f = nnlib.sigmoid(np.dot(w, x) + b)
        delta = (y - f) * f * (1 - f)
        w += lr * delta * x
        return w, b + lr * delta
""")
m("neuron_sgd_step", "wrong_scale", "the 2 of the square kept", """
    def neuron_sgd_step(x, y, w, b, lr):
        f = nnlib.sigmoid(x @ w + b)
        delta = 2 * (y - f) * f * (1 - f)
        return w + lr * delta * x, b + lr * delta
""")

# ============================== 03 forward passes ============================================
m("dense_forward", "transposed", "X @ W + b", """
    def dense_forward(X, W, b):
        return X @ W + b, (X, W)
""")
m("dense_forward", "missing_bias", "forgot b", """
    def dense_forward(X, W, b):
        Z = X @ W.T
        return Z, (X, W)
""")
m("dense_forward", "transposed", "W @ X.T + b[:, None]", """
    def dense_forward(X, W, b):
        Z = W @ X.T + b[:, None]
        return Z, (X, W)
""")
m("dense_forward", "wrong_type", "returns Z alone", """
    def dense_forward(X, W, b):
        return X @ W.T + b
""")
m("dense_forward", "wrong_dtype", "astype(float)", """
    def dense_forward(X, W, b):
        Z = X.astype(float) @ W.T.astype(float) + b
        return Z, (X, W)
""")
m("dense_forward", "too_slow", "row by row", """
    def dense_forward(X, W, b):
        Z = np.zeros((X.shape[0], W.shape[0]), dtype=X.dtype)
        for n in range(X.shape[0]):
            Z[n] = W @ X[n] + b
        return Z, (X, W)
""")
m("mlp_forward", "extra_activation", "hidden activation on the last layer too", """
    def mlp_forward(X, params, activation, output):
        g, _ = nnlib.get_activation(activation)
        A, caches = X, []
        for W, b in params:
            Z = A @ W.T + b
            caches.append((A, Z))
            A = g(Z)
        if output == "softmax":
            A = nnlib.softmax(A)
        elif output == "sigmoid":
            A = nnlib.sigmoid(A)
        elif output != "identity":
            raise ValueError(output)
        return A, caches
""")
m("mlp_forward", "wrong_axis", "softmax over the batch axis", """
    def mlp_forward(X, params, activation, output):
        if output not in ("softmax", "sigmoid", "identity"):
            raise ValueError(output)
        g, _ = nnlib.get_activation(activation)
        A, caches = X, []
        for i, (W, b) in enumerate(params):
            Z = A @ W.T + b
            caches.append((A, Z))
            A = g(Z) if i < len(params) - 1 else Z
        if output == "softmax":
            E = np.exp(A - A.max(axis=0, keepdims=True))
            A = E / E.sum(axis=0, keepdims=True)
        elif output == "sigmoid":
            A = nnlib.sigmoid(A)
        return A, caches
""")
m("mlp_forward", "missing_activation", "output function never applied", """
    def mlp_forward(X, params, activation, output):
        if output not in ("softmax", "sigmoid", "identity"):
            raise ValueError(output)
        g, _ = nnlib.get_activation(activation)
        A, caches = X, []
        for i, (W, b) in enumerate(params):
            Z = A @ W.T + b
            caches.append((A, Z))
            A = g(Z) if i < len(params) - 1 else Z
        return A, caches
""")
m("mlp_forward", "missing_bias", "biases forgotten", """
    def mlp_forward(X, params, activation, output):
        if output not in ("softmax", "sigmoid", "identity"):
            raise ValueError(output)
        g, _ = nnlib.get_activation(activation)
        A, caches = X, []
        for i, (W, b) in enumerate(params):
            Z = A @ W.T
            caches.append((A, Z))
            A = g(Z) if i < len(params) - 1 else Z
        if output == "softmax":
            A = nnlib.softmax(A)
        elif output == "sigmoid":
            A = nnlib.sigmoid(A)
        return A, caches
""")
m("mlp_forward", "too_slow", "one example at a time", """
    def mlp_forward(X, params, activation, output):
        if output not in ("softmax", "sigmoid", "identity"):
            raise ValueError(output)
        g, _ = nnlib.get_activation(activation)
        rows = []
        for x in X:
            a = x[None, :]
            for i, (W, b) in enumerate(params):
                z = a @ W.T + b
                a = g(z) if i < len(params) - 1 else z
            if output == "softmax":
                a = nnlib.softmax(a)
            elif output == "sigmoid":
                a = nnlib.sigmoid(a)
            rows.append(a[0])
        return np.array(rows, dtype=X.dtype), []
""")
m("mlp_forward", "missing_error", "else branch returns the scores", """
    def mlp_forward(X, params, activation, output):
        g, _ = nnlib.get_activation(activation)
        A, caches = X, []
        for i, (W, b) in enumerate(params):
            Z = A @ W.T + b
            caches.append((A, Z))
            A = g(Z) if i < len(params) - 1 else Z
        if output == "softmax":
            return nnlib.softmax(A), caches
        if output == "sigmoid":
            return nnlib.sigmoid(A), caches
        return A, caches
""")
m("count_parameters", "missing_bias", "weights only", """
    def count_parameters(layer_sizes, bias=True):
        return sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
""")
m("count_parameters", "option_ignored", "bias flag ignored", """
    def count_parameters(layer_sizes, bias=True):
        total = 0
        for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
            total += n_in * n_out + n_out
        return total
""")
m("count_parameters", "wrong_dtype", "np.prod of floats", """
    def count_parameters(layer_sizes, bias=True):
        s = np.array(layer_sizes, dtype=float)
        return float(np.sum(s[:-1] * s[1:]) + (np.sum(s[1:]) if bias else 0))
""")
m("count_parameters", "extra_bias", "a bias for every layer, input too", """
    def count_parameters(layer_sizes, bias=True):
        weights = sum(layer_sizes[i] * layer_sizes[i + 1] for i in range(len(layer_sizes) - 1))
        return weights + (sum(layer_sizes) if bias else 0)
""")
m("count_parameters", "wrong_shape", "returns a list per layer", """
    def count_parameters(layer_sizes, bias=True):
        return [n_in * n_out + n_out * bias for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:])]
""")

# ============================== 04 XOR, 05 bumps =============================================
m("xor_weights", "wrong_sign", "output weights the wrong way", """
    def xor_weights():
        return np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0.0, -1.0]), np.array([-1.0, 2.0])
""")
m("xor_weights", "values", "c of the wrong sign", """
    def xor_weights():
        return np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0.0, 1.0]), np.array([1.0, -2.0])
""")
m("xor_weights", "wrong_shape", "w as a column", """
    def xor_weights():
        return np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0.0, -1.0]), np.array([[1.0], [-2.0]])
""")
m("train_xor", "values", "too short training", """
    def train_xor(X, y, rng):
        model = nnlib.MLP([2, 2, 2], activation="tanh", output="softmax", rng=rng)
        nnlib.train(model, X, y, lr=0.01, n_epochs=2, batch_size=None, progress=False)
        return model
""")
m("train_xor", "wrong_type", "returns the predictions", """
    def train_xor(X, y, rng):
        model = nnlib.MLP([2, 8, 2], activation="tanh", output="softmax", rng=rng)
        nnlib.train(model, X, y, lr=1.0, n_epochs=200, batch_size=None, progress=False)
        return model.predict(X)
""")
m("bump_network", "transposed", "W2 as a column", """
    def bump_network(knots, heights, steepness):
        t = np.repeat(knots, 2)[1:-1]
        W1 = np.full((len(t), 1), float(steepness))
        b1 = -steepness * t
        W2 = np.stack([heights, -heights], axis=1).reshape(-1, 1)
        return [(W1, b1), (W2, np.zeros(1))]
""")
m("bump_network", "values", "bias +s t", """
    def bump_network(knots, heights, steepness):
        t = np.repeat(knots, 2)[1:-1]
        W1 = np.full((len(t), 1), float(steepness))
        b1 = steepness * t
        W2 = np.stack([heights, -heights], axis=1).reshape(1, -1)
        return [(W1, b1), (W2, np.zeros(1))]
""")
m("bump_network", "wrong_sign", "falling edge first", """
    def bump_network(knots, heights, steepness):
        t = np.repeat(knots, 2)[1:-1]
        W1 = np.full((len(t), 1), float(steepness))
        b1 = -steepness * t
        W2 = np.stack([-heights, heights], axis=1).reshape(1, -1)
        return [(W1, b1), (W2, np.zeros(1))]
""")
m("bump_forward", "missing_bias", "no output bias", """
    def bump_forward(X, params):
        (W1, b1), (W2, b2) = params
        H = nnlib.sigmoid(X @ W1.T + b1)
        return (H @ W2.T).ravel()
""")
m("bump_forward", "wrong_shape", "returns the column", """
    def bump_forward(X, params):
        (W1, b1), (W2, b2) = params
        return nnlib.sigmoid(X @ W1.T + b1) @ W2.T + b2
""")
m("bump_forward", "extra_activation", "sigmoid on the output too", """
    def bump_forward(X, params):
        (W1, b1), (W2, b2) = params
        return nnlib.sigmoid(nnlib.sigmoid(X @ W1.T + b1) @ W2.T + b2)[:, 0]
""")
m("bump_forward", "too_slow", "per point", """
    def bump_forward(X, params):
        (W1, b1), (W2, b2) = params
        return np.array([float(nnlib.sigmoid(x @ W1.T + b1) @ W2[0] + b2[0]) for x in X])
""")

# ============================== 06 backprop ===================================================
m("dense_backward", "transposed", "dW = X.T @ dZ", """
    def dense_backward(dZ, cache):
        X, W = cache
        return dZ @ W, X.T @ dZ, dZ.sum(axis=0)
""")
m("dense_backward", "bias_grad_not_reduced", "db = dZ", """
    def dense_backward(dZ, cache):
        X, W = cache
        return dZ @ W, dZ.T @ X, dZ
""")
m("dense_backward", "off_by_batch_size", "db averaged", """
    def dense_backward(dZ, cache):
        X, W = cache
        return dZ @ W, dZ.T @ X, dZ.mean(axis=0)
""")
m("dense_backward", "off_by_batch_size", "dW divided by N again", """
    def dense_backward(dZ, cache):
        X, W = cache
        N = X.shape[0]
        return dZ @ W, dZ.T @ X / N, np.sum(dZ, axis=0)
""")
m("dense_backward", "exception", "dX = dZ @ W.T", """
    def dense_backward(dZ, cache):
        X, W = cache
        dX = dZ @ W.T
        return dX, dZ.T @ X, dZ.sum(axis=0)
""")
m("dense_backward", "outputs_swapped", "(dW, dX, db)", """
    def dense_backward(dZ, cache):
        X, W = cache
        return dZ.T @ X, dZ @ W, dZ.sum(axis=0)
""")
m("dense_backward", "wrong_shape", "db summed over the units", """
    def dense_backward(dZ, cache):
        X, W = cache
        return dZ @ W, dZ.T @ X, dZ.sum(axis=1)
""")
m("dense_backward", "too_slow", "a sum of outer products in a loop", """
    def dense_backward(dZ, cache):
        X, W = cache
        dW = np.zeros_like(W)
        for n in range(X.shape[0]):
            dW += np.outer(dZ[n], X[n])
        return dZ @ W, dW, dZ.sum(axis=0)
""")
m("activation_backward", "missing_activation_derivative", "returns dA", """
    def activation_backward(dA, cache):
        Z, name = cache
        return dA
""")
m("activation_backward", "derivative_of_wrong_quantity", "g' of g(Z)", """
    def activation_backward(dA, cache):
        Z, name = cache
        g, g_prime = nnlib.get_activation(name)
        return dA * g_prime(g(Z))
""")
m("activation_backward", "activation_not_derivative", "dA * g(Z)", """
    def activation_backward(dA, cache):
        Z, name = cache
        g, _ = nnlib.get_activation(name)
        return dA * g(Z)
""")
m("activation_backward", "missing_upstream_gradient", "g'(Z) alone", """
    def activation_backward(dA, cache):
        Z, name = cache
        _, g_prime = nnlib.get_activation(name)
        return g_prime(Z)
""")
m("activation_backward", "wrong_shape", "a matrix product instead of element-wise", """
    def activation_backward(dA, cache):
        Z, name = cache
        _, g_prime = nnlib.get_activation(name)
        return dA @ g_prime(Z).T
""")
m("activation_backward", "mutates_input", "dA *= in place", """
    def activation_backward(dA, cache):
        Z, name = cache
        _, g_prime = nnlib.get_activation(name)
        dA *= g_prime(Z)
        return dA
""")

_MLP = """
    def mlp_loss_and_grads(X, y, params, activation, output):
        g, g_prime = nnlib.get_activation(activation)
        out, caches = nnlib.mlp_forward(X, params, activation, output)
        Z = caches[-1][1]
        N = X.shape[0]
        if output == "softmax":
            loss, delta = nnlib.softmax_cross_entropy(Z, y)
        elif output == "sigmoid":
            loss, delta = nnlib.binary_cross_entropy_with_logits(Z, Y_SHAPE)
        else:
            loss, delta = nnlib.squared_error(Z, Y_SHAPE)
        DELTA_EXTRA
        grads = [None] * len(params)
        for l in range(len(params) - 1, -1, -1):
            A_prev = caches[l][0]
            grads[l] = (DW, DB)
            if l > 0:
                delta = RECURSION
        return loss, GRADS
"""


def mlp(code, what, y_shape="y.reshape(Z.shape)", delta_extra="pass", dW="delta.T @ A_prev",
        db="delta.sum(axis=0)", recursion="(delta @ params[l][0]) * g_prime(caches[l - 1][1])",
        grads="grads"):
    source = (_MLP.replace("Y_SHAPE", y_shape).replace("DELTA_EXTRA", delta_extra)
              .replace("DW", dW).replace("DB", db).replace("RECURSION", recursion)
              .replace("GRADS", grads))
    m("mlp_loss_and_grads", code, what, source)


mlp("missing_activation_derivative", "no g' in the recursion", recursion="delta @ params[l][0]")
mlp("derivative_of_wrong_quantity", "g' of the activations",
    recursion="(delta @ params[l][0]) * g_prime(g(caches[l - 1][1]))")
mlp("transposed", "dW = A_prev.T @ delta", dW="A_prev.T @ delta")
mlp("bias_grad_not_reduced", "db keeps the batch", db="delta")
mlp("off_by_batch_size", "delta divided by N again", delta_extra="delta = delta / N")
mlp("exception", "y (N,) against Z (N, 1) in nnlib's loss", y_shape="y")
mlp("outputs_swapped", "grads returned output layer first", grads="grads[::-1]")
mlp("exception", "delta @ W.T in the recursion", recursion="(delta @ params[l][0].T) * g_prime(caches[l - 1][1])")

m("numerical_gradient", "forward_difference", "one-sided difference", """
    def numerical_gradient(f, x, h=1e-5):
        grad = np.zeros_like(x)
        fx = f(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + h
            grad[i] = (f(x) - fx) / h
            x[i] = old
        return grad
""")
m("numerical_gradient", "wrong_scale", "divides by h, not 2h", """
    def numerical_gradient(f, x, h=1e-5):
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + h
            up = f(x)
            x[i] = old - h
            down = f(x)
            x[i] = old
            grad[i] = (up - down) / h
        return grad
""")
m("numerical_gradient", "wrong_scale", "/ 2 * h precedence", """
    def numerical_gradient(f, x, h=1e-5):
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + h
            up = f(x)
            x[i] = old - h
            down = f(x)
            x[i] = old
            grad[i] = (up - down) / 2 * h
        return grad
""")
m("numerical_gradient", "mutates_input", "never puts x back", """
    def numerical_gradient(f, x, h=1e-5):
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            x[i] += h
            up = f(x)
            x[i] -= 2 * h
            down = f(x)
            grad[i] = (up - down) / (2 * h)
        return grad
""")
m("numerical_gradient", "wrong_shape", "returns a flat gradient", """
    def numerical_gradient(f, x, h=1e-5):
        flat = x.reshape(-1)
        grad = []
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + h
            up = f(x)
            flat[i] = old - h
            down = f(x)
            flat[i] = old
            grad.append((up - down) / (2 * h))
        return np.array(grad)
""")
m("relative_error", "missing_normalisation", "just the norm of the difference", """
    def relative_error(a, b):
        return float(np.linalg.norm(a - b))
""")
m("relative_error", "not_finite", "no floor", """
    def relative_error(a, b):
        return np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))
""")
m("relative_error", "missing_normalisation", "divides by ||a|| only", """
    def relative_error(a, b):
        return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), 1e-12))
""")
m("relative_error", "wrong_shape", "element-wise relative error", """
    def relative_error(a, b):
        return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)
""")
m("relative_error", "values", "max of the differences", """
    def relative_error(a, b):
        return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)) + np.max(np.abs(b)), 1e-12))
""")

# ============================== 07 softmax ====================================================
m("softmax", "unstable", "no max subtracted", """
    def softmax(Z):
        E = np.exp(Z)
        return E / E.sum(axis=1, keepdims=True)
""")
m("softmax", "wrong_axis", "normalised over the batch", """
    def softmax(Z):
        E = np.exp(Z - Z.max(axis=0, keepdims=True))
        return E / E.sum(axis=0, keepdims=True)
""")
m("softmax", "unstable", "subtracts the global max", """
    def softmax(Z):
        E = np.exp(Z - np.max(Z))
        return E / np.sum(E, axis=1, keepdims=True)
""")
m("softmax", "exception", "sum without keepdims", """
    def softmax(Z):
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        return E / E.sum(axis=1)
""")
m("softmax", "wrong_dtype", "float64 constant in the shift", """
    def softmax(Z):
        E = np.exp(Z - np.max(Z, axis=1, keepdims=True).astype(np.float64))
        return E / E.sum(axis=1, keepdims=True)
""")
m("softmax", "mutates_input", "Z -= max", """
    def softmax(Z):
        Z -= Z.max(axis=1, keepdims=True)
        E = np.exp(Z)
        return E / E.sum(axis=1, keepdims=True)
""")
m("softmax", "wrong_axis", "axis=0 everywhere, no keepdims issue on square", """
    def softmax(Z):
        shifted = Z - np.max(Z, axis=-1, keepdims=True)
        E = np.exp(shifted)
        return E / np.sum(E, axis=0, keepdims=True)
""")
m("log_softmax", "unstable", "log of an own softmax", """
    def log_softmax(Z):
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        return np.log(E / E.sum(axis=1, keepdims=True))
""")
m("log_softmax", "wrong_axis", "log-sum-exp over the batch", """
    def log_softmax(Z):
        m_ = Z.max(axis=0, keepdims=True)
        return Z - m_ - np.log(np.exp(Z - m_).sum(axis=0, keepdims=True))
""")
m("log_softmax", "unstable", "log-sum-exp without the max", """
    def log_softmax(Z):
        return Z - np.log(np.sum(np.exp(Z), axis=1, keepdims=True))
""")
m("log_softmax", "values", "forgets to subtract the max back", """
    def log_softmax(Z):
        m_ = Z.max(axis=1, keepdims=True)
        return Z - np.log(np.exp(Z - m_).sum(axis=1, keepdims=True))
""")
m("log_softmax", "wrong_sign", "log-sum-exp minus z", """
    def log_softmax(Z):
        m_ = Z.max(axis=1, keepdims=True)
        return m_ + np.log(np.exp(Z - m_).sum(axis=1, keepdims=True)) - Z
""")

_SCE = """
    def softmax_cross_entropy(Z, y):
        N = Z.shape[0]
        m_ = Z.max(axis=1, keepdims=True)
        logp = Z - m_ - np.log(np.exp(Z - m_).sum(axis=1, keepdims=True))
        P = np.exp(logp)
        onehot = np.zeros_like(Z)
        onehot[np.arange(N), y] = 1
        LOSS_AND_GRAD
"""


def sce(code, what, body):
    m("softmax_cross_entropy", code, what, _SCE.replace("LOSS_AND_GRAD", body))


sce("off_by_batch_size", "dZ not divided by N", "return -logp[np.arange(N), y].mean(), P - onehot")
sce("missing_onehot", "dZ = softmax / N", "return -logp[np.arange(N), y].mean(), P / N")
sce("off_by_batch_size", "loss summed", "return -logp[np.arange(N), y].sum(), (P - onehot) / N")
sce("wrong_sign", "dZ = (onehot - P) / N", "return -logp[np.arange(N), y].mean(), (onehot - P) / N")
sce("wrong_sign", "loss without the minus", "return logp[np.arange(N), y].mean(), (P - onehot) / N")
sce("values", "logp[:, y] picks a whole column per label",
    "return -logp[:, y].mean(), (P - onehot) / N")
m("softmax_cross_entropy", "unstable", "loss as log of softmax", """
    def softmax_cross_entropy(Z, y):
        N = len(y)
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        P = E / E.sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(P[np.arange(N), y]))
        P[np.arange(N), y] -= 1
        return loss, P / N
""")
m("softmax_cross_entropy", "wrong_dtype", "one-hot from np.eye in float64", """
    def softmax_cross_entropy(Z, y):
        N, K = Z.shape
        m_ = Z.max(axis=1, keepdims=True)
        logp = Z - m_ - np.log(np.exp(Z - m_).sum(axis=1, keepdims=True))
        return -logp[np.arange(N), y].mean(), (np.exp(logp) - np.eye(K)[y]) / N
""")

# ============================== 08 SGD ========================================================
m("iterate_minibatches", "not_shuffled", "never shuffles", """
    def iterate_minibatches(X, y, batch_size, rng):
        for start in range(0, len(X), batch_size):
            yield X[start:start + batch_size], y[start:start + batch_size]
""")
m("iterate_minibatches", "last_batch_dropped", "only full batches", """
    def iterate_minibatches(X, y, batch_size, rng):
        order = rng.permutation(len(X))
        for k in range(len(X) // batch_size):
            idx = order[k * batch_size:(k + 1) * batch_size]
            yield X[idx], y[idx]
""")
m("iterate_minibatches", "wrong_type", "returns a list", """
    def iterate_minibatches(X, y, batch_size, rng):
        order = rng.permutation(len(X))
        batches = []
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            batches.append((X[idx], y[idx]))
        return batches
""")
m("iterate_minibatches", "values", "X and y shuffled separately", """
    def iterate_minibatches(X, y, batch_size, rng):
        Xs, ys = X[rng.permutation(len(X))], y[rng.permutation(len(y))]
        for start in range(0, len(X), batch_size):
            yield Xs[start:start + batch_size], ys[start:start + batch_size]
""")
m("iterate_minibatches", "mutates_input", "rng.shuffle(X) in place", """
    def iterate_minibatches(X, y, batch_size, rng):
        order = rng.permutation(len(X))
        X[:] = X[order]
        y[:] = y[order]
        for start in range(0, len(X), batch_size):
            yield X[start:start + batch_size], y[start:start + batch_size]
""")

_SGD = """
    def sgd_epoch(params, loss_and_grads, X, y, lr, batch_size, rng):
        ORDER
        losses = []
        for start in range(0, STOP, batch_size):
            idx = order[start:start + batch_size]
            loss, grads = loss_and_grads(params, X[idx], y[idx])
            UPDATE
            losses.append(float(loss))
        return params, RESULT
"""


def sgd(code, what, order="order = rng.permutation(len(X))", stop="len(X)",
        update="params = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]",
        result="losses"):
    m("sgd_epoch", code, what, _SGD.replace("ORDER", order).replace("STOP", stop)
      .replace("UPDATE", update).replace("RESULT", result))


sgd("wrong_sign", "climbs the gradient",
    update="params = [(W + lr * dW, b + lr * db) for (W, b), (dW, db) in zip(params, grads)]")
sgd("not_shuffled", "no shuffle", order="order = np.arange(len(X))")
sgd("wrong_shape", "returns the mean loss", result="float(np.mean(losses))")
sgd("mutates_input", "updates W in place",
    update="for (W, b), (dW, db) in zip(params, grads):\n                W -= lr * dW\n                b -= lr * db")
sgd("last_batch_dropped", "skips the partial batch", stop="len(X) - len(X) % batch_size")
sgd("not_updated", "biases never updated",
    update="params = [(W - lr * dW, b) for (W, b), (dW, db) in zip(params, grads)]")

_HINGE = """
    def hinge_sgd_update(w, b, x, y, lr):
        z = w @ x + b
        if CONDITION:
            return UPDATE
        return w, b
"""


def hinge(code, what, condition="1 - y * z > 0", update="w + lr * y * x, b + lr * y"):
    m("hinge_sgd_update", code, what, _HINGE.replace("CONDITION", condition).replace("UPDATE", update))


hinge("boundary_convention", "updates at y z = 1", condition="1 - y * z >= 0")
hinge("not_updated", "the perceptron's condition y z < 0", condition="y * z < 0")
hinge("wrong_sign", "descends the wrong way", update="w - lr * y * x, b - lr * y")
hinge("not_updated", "bias not updated", update="w + lr * y * x, b")
hinge("update_condition", "always updates", condition="True")

# ============================== correct, written differently =================================
RIGHT = []


def r(exercise, what, source):
    RIGHT.append(W(exercise, "passed", what, source))


r("perceptron_predict", "w @ X.T and a where", """
    def perceptron_predict(X, w, b):
        return np.where(np.einsum("nd,d->n", X, w) + b > 0, 1, -1)
""")
r("perceptron_epoch", "index loop, explicit floats", """
    def perceptron_epoch(X, y, w, b, lr=1.0):
        w, b, count = np.array(w, copy=True), float(b), 0
        for n in range(X.shape[0]):
            if y[n] * (np.dot(w, X[n]) + b) <= 0:
                w = w + lr * y[n] * X[n]
                b = b + lr * y[n]
                count += 1
        return w, b, count
""")
r("sigmoid_prime", "via tanh", """
    def sigmoid_prime(z):
        s = 0.5 * (1 + np.tanh(z / 2))
        return s * (1 - s)
""")
r("tanh_prime", "via sech from exp(-2|z|)", """
    def tanh_prime(z):
        e = np.exp(-2 * np.abs(z))
        return (4 * e / (1 + e) ** 2).astype(z.dtype)
""")
r("relu_prime", "heaviside at 0", """
    def relu_prime(z):
        return np.heaviside(z, 0).astype(z.dtype)
""")
r("leaky_relu_prime", "0.1 plus 0.9 times a mask", """
    def leaky_relu_prime(z):
        return (0.1 + 0.9 * (z > 0)).astype(z.dtype)
""")
r("neuron_forward", "stable sigmoid by cases", """
    def neuron_forward(X, w, b):
        z = X @ w + b
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
""")
r("neuron_sgd_step", "gradient of the loss, then descent", """
    def neuron_sgd_step(x, y, w, b, lr):
        f = nnlib.sigmoid(np.dot(x, w) + b)
        grad_z = -(y - f) * f * (1 - f)
        return w - lr * grad_z * x, b - lr * grad_z
""")
r("dense_forward", "einsum", """
    def dense_forward(X, W, b):
        return np.einsum("ni,oi->no", X, W) + b, (X, W)
""")
r("mlp_forward", "a dict of outputs", """
    OUTPUTS = {"softmax": nnlib.softmax, "sigmoid": nnlib.sigmoid, "identity": lambda a: a}

    def mlp_forward(X, params, activation="relu", output="softmax"):
        if output not in OUTPUTS:
            raise ValueError(f"unknown output {output!r}")
        g, _ = nnlib.get_activation(activation)
        A, caches = X, []
        *hidden, (W_last, b_last) = params
        for W, b in hidden:
            Z = np.dot(A, W.T) + b
            caches.append((A, Z))
            A = g(Z)
        Z = A @ W_last.T + b_last
        caches.append((A, Z))
        return OUTPUTS[output](Z), caches
""")
r("count_parameters", "a generator expression", """
    def count_parameters(layer_sizes, bias=True):
        pairs = list(zip(layer_sizes, layer_sizes[1:]))
        return sum(i * o for i, o in pairs) + (sum(o for _, o in pairs) if bias else 0)
""")
r("xor_weights", "another exact solution", """
    def xor_weights():
        W = np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
        c = np.array([0.0, -1.0, -2.0])
        w = np.array([1.0, -2.0, 0.0])
        return W, c, w
""")
r("train_xor", "relu, more units", """
    def train_xor(X, y, rng):
        model = nnlib.MLP([2, 16, 2], activation="tanh", output="softmax", rng=rng)
        nnlib.train(model, X, y, lr=0.5, n_epochs=400, batch_size=None, progress=False)
        return model
""")
r("bump_network", "units in another order", """
    def bump_network(knots, heights, steepness):
        m_ = len(heights)
        t = np.concatenate([knots[:-1], knots[1:]])
        W1 = np.full((2 * m_, 1), float(steepness))
        b1 = -steepness * t
        W2 = np.concatenate([heights, -heights]).reshape(1, -1)
        return [(W1, b1), (W2, np.zeros(1))]
""")
r("bump_forward", "einsum and a stable sigmoid", """
    def bump_forward(X, params):
        (W1, b1), (W2, b2) = params
        H = 0.5 * (1 + np.tanh((X @ W1.T + b1) / 2))
        return np.einsum("nh,h->n", H, W2[0]) + b2[0]
""")
r("dense_backward", "einsum", """
    def dense_backward(dZ, cache):
        X, W = cache
        return np.einsum("no,oi->ni", dZ, W), np.einsum("no,ni->oi", dZ, X), dZ.sum(0)
""")
r("activation_backward", "own derivative table", """
    def activation_backward(dA, cache):
        Z, name = cache
        if name in ("relu", "leaky_relu", "step", "identity"):
            slope = {"relu": 0.0, "leaky_relu": 0.1, "step": 0.0, "identity": 1.0}[name]
            above = 0.0 if name == "step" else 1.0
            return dA * np.where(Z > 0, above, slope).astype(Z.dtype)
        _, g_prime = nnlib.get_activation(name)
        return dA * g_prime(Z)
""")
r("mlp_loss_and_grads", "layer list built forwards then reversed", """
    def mlp_loss_and_grads(X, y, params, activation="relu", output="softmax"):
        g, g_prime = nnlib.get_activation(activation)
        As, Zs, A = [X], [], X
        for i, (W, b) in enumerate(params):
            Z = A @ W.T + b
            Zs.append(Z)
            A = g(Z) if i < len(params) - 1 else Z
            As.append(A)
        if output == "softmax":
            loss, delta = nnlib.softmax_cross_entropy(Zs[-1], y)
        elif output == "sigmoid":
            loss, delta = nnlib.binary_cross_entropy_with_logits(Zs[-1], y.reshape(Zs[-1].shape))
        else:
            loss, delta = nnlib.squared_error(Zs[-1], y.reshape(Zs[-1].shape))
        grads = []
        for i in reversed(range(len(params))):
            grads.append((np.einsum("no,ni->oi", delta, As[i]), delta.sum(axis=0)))
            if i:
                delta = (delta @ params[i][0]) * g_prime(Zs[i - 1])
        return float(loss), grads[::-1]
""")
r("numerical_gradient", "nditer with a copy of each entry", """
    def numerical_gradient(f, x, h=1e-5):
        grad = np.zeros_like(x)
        for idx in np.ndindex(*x.shape):
            keep = float(x[idx])
            x[idx] = keep + h
            f_plus = f(x)
            x[idx] = keep - h
            f_minus = f(x)
            x[idx] = keep
            grad[idx] = (f_plus - f_minus) / (2 * h)
        return grad
""")
r("relative_error", "with np.sqrt of sums", """
    def relative_error(a, b):
        num = np.sqrt(np.sum((a - b) ** 2))
        den = np.sqrt(np.sum(a ** 2)) + np.sqrt(np.sum(b ** 2))
        return float(num / max(den, 1e-12))
""")
r("softmax", "exp of z minus the row max, -1 axis", """
    def softmax(Z):
        E = np.exp(Z - Z.max(axis=-1)[:, None])
        return E / E.sum(axis=-1)[:, None]
""")
r("log_softmax", "logaddexp.reduce", """
    def log_softmax(Z):
        return Z - np.logaddexp.reduce(Z, axis=1, keepdims=True)
""")
r("softmax_cross_entropy", "own log_softmax and take_along_axis", """
    def softmax_cross_entropy(Z, y):
        N = len(Z)
        shift = Z - np.max(Z, axis=1, keepdims=True)
        logp = shift - np.log(np.sum(np.exp(shift), axis=1, keepdims=True))
        loss = -np.take_along_axis(logp, y[:, None], axis=1).mean()
        dZ = np.exp(logp)
        dZ[np.arange(N), y] -= 1
        return loss, dZ / N
""")
r("iterate_minibatches", "array_split of the order", """
    def iterate_minibatches(X, y, batch_size, rng):
        order = rng.permutation(X.shape[0])
        starts = range(batch_size, X.shape[0], batch_size)
        for idx in np.split(order, list(starts)):
            yield X[idx], y[idx]
""")
r("sgd_epoch", "indexing each batch, list of new pairs", """
    def sgd_epoch(params, loss_and_grads, X, y, lr, batch_size, rng):
        order = rng.permutation(len(X))
        losses = []
        for k in range(0, len(order), batch_size):
            batch = order[k:k + batch_size]
            loss, grads = loss_and_grads(params, X[batch], y[batch])
            new = []
            for (W, b), (dW, db) in zip(params, grads):
                new.append((W - lr * dW, b - lr * db))
            params = new
            losses.append(float(loss))
        return params, losses
""")
r("hinge_sgd_update", "max(0, margin) test", """
    def hinge_sgd_update(w, b, x, y, lr):
        if max(0.0, 1.0 - y * (np.dot(w, x) + b)) > 0:
            w, b = w + lr * y * x, b + lr * y
        return w, b
""")

# ============================== more, from office hours =======================================
m("dense_backward", "off_by_batch_size", "dX divided by N", """
    def dense_backward(dZ, cache):
        X, W = cache
        N = len(X)
        return dZ @ W / N, dZ.T @ X, dZ.sum(axis=0)
""")
m("dense_backward", "wrong_shape", "db summed to a number", """
    def dense_backward(dZ, cache):
        X, W = cache
        return dZ @ W, dZ.T @ X, np.sum(dZ)
""")
m("dense_backward", "exception", "dW = dZ @ X", """
    def dense_backward(dZ, cache):
        X, W = cache
        return dZ @ W, dZ @ X, dZ.sum(axis=0)
""")
m("activation_backward", "exception", "np.dot instead of *", """
    def activation_backward(dA, cache):
        Z, name = cache
        _, g_prime = nnlib.get_activation(name)
        return np.dot(dA, g_prime(Z))
""")
m("activation_backward", "wrong_dtype", "float64 derivative table", """
    def activation_backward(dA, cache):
        Z, name = cache
        _, g_prime = nnlib.get_activation(name)
        return (dA * g_prime(Z)).astype(np.float64)
""")
mlp("off_by_batch_size", "loss summed over the batch", delta_extra="loss = loss * N")
mlp("exception", "g'(Z) of the layer itself", recursion="(delta @ params[l][0]) * g_prime(caches[l][1])")
m("mlp_loss_and_grads", "exception", "own squared error with y (N,)", """
    def mlp_loss_and_grads(X, y, params, activation, output):
        g, g_prime = nnlib.get_activation(activation)
        out, caches = nnlib.mlp_forward(X, params, activation, "identity")
        Z = caches[-1][1]
        N = len(X)
        if output == "softmax":
            loss, delta = nnlib.softmax_cross_entropy(Z, y)
        elif output == "sigmoid":
            loss, delta = nnlib.binary_cross_entropy_with_logits(Z, y.reshape(Z.shape))
        else:
            T = y if y.ndim == 1 else y
            loss = float(np.sum((Z - T) ** 2) / N)
            delta = 2 * (Z - T) / N
        grads = [None] * len(params)
        for l in range(len(params) - 1, -1, -1):
            A_prev = caches[l][0]
            grads[l] = (delta.T @ A_prev, delta.sum(axis=0))
            if l > 0:
                delta = (delta @ params[l][0]) * g_prime(caches[l - 1][1])
        return loss, grads
""")
m("softmax", "wrong_axis", "divides by the sum of everything", """
    def softmax(Z):
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        return E / E.sum()
""")
m("softmax_cross_entropy", "exception", "labels used as if one-hot", """
    def softmax_cross_entropy(Z, y):
        N = len(Z)
        shifted = Z - Z.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return -logp[np.arange(N), y].mean(), (np.exp(logp) - y) / N
""")
m("iterate_minibatches", "wrong_type", "yields the index arrays", """
    def iterate_minibatches(X, y, batch_size, rng):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            yield order[start:start + batch_size]
""")
m("perceptron_predict", "exception", "w @ X", """
    def perceptron_predict(X, w, b):
        return np.where(w @ X + b > 0, 1, -1)
""")
m("relu_prime", "wrong_dtype", "times 1.0", """
    def relu_prime(z):
        return (z > 0) * 1.0
""")
m("sigmoid_prime", "too_slow", "np.vectorize of a scalar formula", """
    import math

    def _one(v):
        s = 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
        return s * (1 - s)

    def sigmoid_prime(z):
        out = np.empty_like(z)
        for idx in np.ndindex(z.shape):
            out[idx] = _one(float(z[idx]))
        return out
""")
m("log_softmax", "wrong_scale", "log base 10", """
    def log_softmax(Z):
        m_ = Z.max(axis=1, keepdims=True)
        return (Z - m_ - np.log(np.exp(Z - m_).sum(axis=1, keepdims=True))) / np.log(10)
""")
m("hinge_sgd_update", "mutates_input", "w += in place", """
    def hinge_sgd_update(w, b, x, y, lr):
        if 1 - y * (w @ x + b) > 0:
            w += lr * y * x
            b = b + lr * y
        return w, b
""")

# ============================== one-hot, broadcasts, copies, ints, shape errors ===============
m("numerical_gradient", "perturbs_copy", "a fresh copy of x for each step", """
    def numerical_gradient(f, x, h=1e-5):
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            x_plus = x.copy()
            x_plus[i] += h
            x_minus = x.copy()
            x_minus[i] -= h
            grad[i] = (f(x_plus) - f(x_minus)) / (2 * h)
        return grad
""")
m("numerical_gradient", "perturbs_copy", "x = x.copy() first, to be safe", """
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
""")
m("count_parameters", "wrong_dtype", "np.dot of the layer sizes (int64)", """
    def count_parameters(layer_sizes, bias=True):
        n = np.array(layer_sizes)
        total = np.dot(n[:-1], n[1:])
        if bias:
            total += n[1:].sum()
        return total
""")
m("count_parameters", "wrong_dtype", "int() of a NumPy sum, after it wrapped", """
    def count_parameters(layer_sizes, bias=True):
        n = np.array(layer_sizes)
        weights = np.sum(n[:-1] * n[1:])
        return int(weights + n[1:].sum()) if bias else int(weights)
""")
sce("wrong_onehot", "Y[:, y] = 1 sets whole columns", """
        Y = np.zeros_like(Z)
        Y[:, y] = 1
        return -logp[np.arange(N), y].mean(), (P - Y) / N""")
sce("wrong_onehot", "classes counted from 1, as in the lecture", """
        Y = np.zeros_like(Z)
        Y[np.arange(N), y - 1] = 1
        return -logp[np.arange(N), y].mean(), (P - Y) / N""")
sce("wrong_onehot", "the loss from a one-hot with whole columns", """
        Y = np.zeros_like(Z)
        Y[:, y] = 1
        return -np.sum(Y * logp) / N, (P - Y) / N""")
sce("exception", "np.eye(len(y)) for the one-hot", """
        Y = np.eye(len(y))[y]
        return -logp[np.arange(N), y].mean(), (P - Y) / N""")
mlp("wrong_onehot", "own softmax delta with Y[:, y] = 1",
    delta_extra="""if output == "softmax":
            Y = np.zeros_like(Z)
            Y[:, y] = 1
            delta = (nnlib.softmax(Z) - Y) / N""")
m("neuron_sgd_step", "broadcast_column", "x as a column vector, as in the lecture", """
    def neuron_sgd_step(x, y, w, b, lr):
        x = x.reshape(-1, 1)
        f = 1 / (1 + np.exp(-(w @ x + b)))
        delta = (y - f) * f * (1 - f)
        return w + lr * delta * x, b + lr * delta
""")
m("hinge_sgd_update", "broadcast_column", "x[:, None] for the update", """
    def hinge_sgd_update(w, b, x, y, lr):
        x = x[:, None]
        z = w @ x + b
        if 1 - y * z > 0:
            return w + lr * y * x, b + lr * y
        return w, b
""")
m("bump_forward", "exception", "X @ W1 without the transpose", """
    def bump_forward(X, params):
        (W1, b1), (W2, b2) = params
        A = 1 / (1 + np.exp(-(X @ W1 + b1)))
        return (A @ W2.T + b2)[:, 0]
""")
m("log_softmax", "exception", "log-sum-exp without keepdims", """
    def log_softmax(Z):
        m_ = Z.max(axis=1, keepdims=True)
        return Z - m_ - np.log(np.sum(np.exp(Z - m_), axis=1))
""")
m("dense_forward", "exception", "Z = W @ X + b, as in z = W x + b", """
    def dense_forward(X, W, b):
        Z = W @ X + b
        return Z, (X, W)
""")
m("mlp_loss_and_grads", "broadcast_column", "binary cross-entropy of p (N, 1) against y (N,)", """
    def mlp_loss_and_grads(X, y, params, activation, output):
        g, g_prime = nnlib.get_activation(activation)
        out, caches = nnlib.mlp_forward(X, params, activation, output)
        Z = caches[-1][1]
        N = len(X)
        if output == "softmax":
            loss, delta = nnlib.softmax_cross_entropy(Z, y)
        elif output == "sigmoid":
            p = out
            loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
            delta = (p - y.reshape(p.shape)) / N
        else:
            loss = np.sum((Z - y) ** 2) / N
            delta = 2 * (Z - y.reshape(Z.shape)) / N
        grads = [None] * len(params)
        for l in range(len(params) - 1, -1, -1):
            grads[l] = (delta.T @ caches[l][0], delta.sum(axis=0))
            if l > 0:
                delta = (delta @ params[l][0]) * g_prime(caches[l - 1][1])
        return loss, grads
""")
m("mlp_loss_and_grads", "broadcast_column", "squared error of Z (N, 1) against y (N,)", """
    def mlp_loss_and_grads(X, y, params, activation, output):
        g, g_prime = nnlib.get_activation(activation)
        out, caches = nnlib.mlp_forward(X, params, activation, output)
        Z = caches[-1][1]
        N = len(X)
        if output == "identity":
            loss = np.sum((Z - y) ** 2) / N
            delta = 2 * (Z - y.reshape(Z.shape)) / N
        elif output == "sigmoid":
            loss, delta = nnlib.binary_cross_entropy_with_logits(Z, y.reshape(Z.shape))
        else:
            loss, delta = nnlib.softmax_cross_entropy(Z, y)
        grads = [None] * len(params)
        for l in reversed(range(len(params))):
            grads[l] = (delta.T @ caches[l][0], delta.sum(axis=0))
            if l > 0:
                delta = (delta @ params[l][0]) * g_prime(caches[l - 1][1])
        return loss, grads
""")
m("activation_backward", "exception", "an own table of derivatives without identity", """
    def activation_backward(dA, cache):
        Z, name = cache
        s = 1 / (1 + np.exp(-Z))
        derivative = {
            "sigmoid": lambda: s * (1 - s),
            "tanh": lambda: 1 - np.tanh(Z) ** 2,
            "relu": lambda: (Z > 0).astype(Z.dtype),
            "leaky_relu": lambda: np.where(Z > 0, 1.0, 0.1).astype(Z.dtype),
            "step": lambda: np.zeros_like(Z),
        }
        return dA * derivative[name]()
""")
m("perceptron_epoch", "exception", "the update as a column, as in the lecture's w + y x", """
    def perceptron_epoch(X, y, w, b, lr=1.0):
        w = w.copy()
        mistakes = 0
        for n in range(len(X)):
            x_n = X[n].reshape(-1, 1)
            if y[n] * (w @ x_n + b) <= 0:
                w = w + lr * y[n] * x_n
                b = b + lr * y[n]
                mistakes += 1
        return w, b, mistakes
""")
m("iterate_minibatches", "rng_ignored", "a seeded generator of its own", """
    def iterate_minibatches(X, y, batch_size, rng):
        rng = np.random.default_rng(42)   # reproducible
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            yield X[idx], y[idx]
""")
sgd("rng_ignored", "default_rng(0) for the order", order="order = np.random.default_rng(0).permutation(len(X))")

# ============================== the rng contract of train_xor; counts as NumPy numbers =========
m("train_xor", "rng_ignored", "np.random.seed for reproducibility, rng never passed on", """
    def train_xor(X, y, rng):
        np.random.seed(0)   # so that it always works
        model = nnlib.MLP([2, 8, 2], activation="tanh", output="softmax",
                          rng=np.random.default_rng(np.random.randint(1000)))
        nnlib.train(model, X, y, lr=1.0, n_epochs=200, batch_size=None, progress=False)
        return model
""")
m("train_xor", "rng_ignored", "a generator of its own: default_rng(0)", """
    def train_xor(X, y, rng):
        model = nnlib.MLP([2, 8, 2], activation="tanh", output="softmax", rng=np.random.default_rng(0))
        nnlib.train(model, X, y, lr=1.0, n_epochs=200, batch_size=None, progress=False)
        return model
""")
m("train_xor", "rng_ignored", "a fresh np.random.default_rng() inside", """
    def train_xor(X, y, rng):
        gen = np.random.default_rng()
        model = nnlib.MLP([2, 8, 2], activation="tanh", output="softmax", rng=gen)
        nnlib.train(model, X, y, lr=1.0, n_epochs=200, batch_size=None, progress=False)
        return model
""")
m("train_xor", "rng_ignored", "initial weights drawn with np.random.randn", """
    def train_xor(X, y, rng):
        H = 16
        model = nnlib.MLP([2, H, 2], activation="tanh", output="softmax", rng=rng)
        model.params = [(np.random.randn(H, 2), np.zeros(H)),
                        (np.random.randn(2, H) * 0.3, np.zeros(2))]
        nnlib.train(model, X, y, lr=1.0, n_epochs=300, batch_size=None, progress=False)
        return model
""")
m("count_parameters", "wrong_dtype", "np.sum of a list of products (NumPy's int64)", """
    def count_parameters(layer_sizes, bias=True):
        weights = np.sum([a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:])])
        biases = np.sum(layer_sizes[1:]) if bias else 0
        return weights + biases
""")
m("count_parameters", "wrong_dtype", "np.dot of float arrays (a np.float64 holding the count)", """
    def count_parameters(layer_sizes, bias=True):
        n = np.asarray(layer_sizes, dtype=float)
        return np.dot(n[:-1], n[1:]) + (n[1:].sum() if bias else 0.0)
""")
r("train_xor", "own initial weights drawn from rng.normal", """
    def train_xor(X, y, rng):
        model = nnlib.MLP([2, 8, 2], activation="tanh", output="softmax", rng=rng)
        model.params = [(rng.normal(0.0, 1.0, size=(8, 2)), np.zeros(8)),
                        (rng.normal(0.0, 0.5, size=(2, 8)), np.zeros(2))]
        nnlib.train(model, X, y, lr=1.0, n_epochs=300, batch_size=None, progress=False)
        return model
""")

# ============================== multiple choice (issue 15): a wrong letter, not a letter =========
m("choice_dead_relu", "wrong_choice", "trusts gradient descent to move the biases back", """
    def choice_dead_relu():
        return "a"
""")
m("choice_dead_relu", "wrong_type", "the choice's text instead of its letter", """
    def choice_dead_relu():
        return "Every unit is dead from the start"
""")
m("choice_batch_noise", "wrong_choice", "the variance's quarter taken for the noise", """
    def choice_batch_noise():
        return "a"
""")
m("choice_batch_noise", "wrong_choice", "the cost put on the epoch, not the update", """
    def choice_batch_noise():
        return "d"
""")
m("choice_batch_noise", "wrong_type", "the letter's position as a number", """
    def choice_batch_noise():
        return 2
""")
r("choice_dead_relu", "upper case with a space", """
    def choice_dead_relu():
        return " D"
""")
r("choice_batch_noise", "the letter kept in a variable", """
    def choice_batch_noise():
        answer = "b"
        return answer
""")
