"""What each exercise statement promises, and the visible case that tests each promise.

Every sentence of a statement that a student could get wrong is listed here with a fragment of the
label of the visible case (public seed) that fails when the promise is broken. A test walks this
table against :func:`autograder.checks.cases.make_cases`, so a promise added without a case fails,
and a table of promise-breaking answers (tests/checks/test_checks_promises.py) shows each case
does catch its mistake in the visible check, not only in the hidden one.
"""

from __future__ import annotations

__all__ = ["PROMISES"]

_DERIVATIVE = [
    ("same shape and dtype as z (float32 in, float32 out; not bool or int)", "float32"),
    ("the hand-picked points include z = 0, where the course's convention applies", "hand-picked z"),
    ("finite and right for |z| up to 1e4", "up to 1e4"),
    ("vectorised (no loop over the entries)", "timing"),
]

_SCORES = [
    ("row-wise over the classes of each example", "random: N=5, K=4"),
    ("a batch of one", "batch of one"),
    ("the dtype of Z (float32 in, float32 out)", "float32"),
    ("finite for scores up to +-1e4", "up to 1e4"),
    ("vectorised", "timing"),
]

#: exercise -> [(promise of the statement, fragment of the label of the visible case testing it)].
PROMISES: dict[str, list[tuple[str, str]]] = {
    "perceptron_predict": [
        ("+1 where b + X @ w > 0 and -1 otherwise: a point exactly on the boundary gets -1",
         "exactly on the boundary"),
        ("an integer array (N,) with entries in {-1, +1}", "hand-worked"),
        ("float32 inputs work", "float32"),
        ("vectorised", "timing"),
    ],
    "perceptron_epoch": [
        ("a point exactly on the boundary counts as a mistake", "a point on the boundary is a mistake"),
        ("starts from the given w and b, with the given lr", "random start"),
        ("not separable data: still one pass in order", "not separable"),
        ("a batch of one", "batch of one"),
    ],
    "sigmoid_prime": _DERIVATIVE,
    "tanh_prime": _DERIVATIVE,
    "relu_prime": _DERIVATIVE,
    "leaky_relu_prime": _DERIVATIVE,
    "neuron_forward": [
        ("f = sigmoid(X @ w + b) with a non-zero b", "hand-worked"),
        ("stable for |X @ w + b| up to 1e4", "up to 1e4"),
        ("the dtype follows X (float32 in, float32 out)", "float32"),
        ("vectorised", "timing"),
    ],
    "neuron_sgd_step": [
        ("the delta rule on squared error, for y = 1", "y=1"),
        ("and for y = 0", "y=0"),
        ("from a non-zero start", "random: d=3"),
    ],
    "dense_forward": [
        ("W is (n_out, n_in): Z = X @ W.T + b", "non-square layer"),
        ("a batch of one", "batch of one"),
        ("the dtype of the inputs", "float32"),
        ("vectorised", "timing"),
    ],
    "mlp_forward": [
        ("output 'identity'", "identity output"),
        ("output 'sigmoid'", "sigmoid output"),
        ("output 'softmax'", "softmax output"),
        ("hidden activation relu", "relu"),
        ("hidden activation tanh", "tanh hidden"),
        ("hidden activation sigmoid", "sigmoid hidden"),
        ("hidden activation leaky_relu", "leaky relu"),
        ("hidden activation identity", "identity hidden activation"),
        ("hidden activation step", "step hidden activation"),
        ("any other output name raises ValueError", "unknown output name"),
        ("an unknown activation name raises ValueError", "unknown activation name"),
        ("float32 inputs", "float32"),
        ("loops over layers, not examples", "timing"),
    ],
    "count_parameters": [
        ("weights and biases of the lecture's network, as Python ints", "the lecture's 3-4-2 network"),
        ("bias=False counts weights only", "without biases"),
        ("large networks", "MNIST"),
        ("Python ints, which never overflow (NumPy's int64 wraps past 2**63)", "a count past 2**63"),
    ],
    "xor_weights": [("relu(X @ W.T + c) @ w is exactly [0, 1, 1, 0]", "the four XOR points")],
    "train_xor": [
        ("trains with the given rng and predicts XOR", "rng = default_rng"),
        ("the rng is used for the initial weights: another rng gives another model (still XOR), "
         "the same rng the same model (no np.random.* nor a generator of its own)",
         "another rng and the same rng again"),
    ],
    "bump_network": [
        ("the hand-worked knots, heights and steepness", "hand-worked"),
        ("one bump", "1 bump"),
        ("many bumps", "6 bumps"),
    ],
    "bump_forward": [
        ("the output bias b2 is added (it is not always 0)", "non-zero output bias b2"),
        ("a batch of one", "batch of one"),
        ("vectorised", "timing"),
    ],
    "dense_backward": [
        ("dW has W's shape (n_out, n_in)", "non-square layer"),
        ("dZ already carries the 1/N: sum over the batch", "a batch of 32"),
        ("a batch of one", "batch of one"),
        ("the dtype of the inputs", "float32"),
        ("vectorised", "timing"),
    ],
    "activation_backward": [
        ("sigmoid", "sigmoid: N=3"),
        ("tanh", "tanh: N=1"),
        ("relu", "relu: N=6"),
        ("leaky_relu", "leaky_relu: N=4"),
        ("identity", "identity: N=3"),
        ("step", "step: N=3"),
        ("the dtype of dA and Z", "float32"),
        ("|z| up to 1e4", "up to 1e4"),
        ("vectorised", "timing"),
    ],
    "mlp_loss_and_grads": [
        ("softmax output with cross-entropy", "softmax output"),
        ("sigmoid output with binary cross-entropy", "sigmoid output"),
        ("identity output with squared error, y (N, K)", "identity output with 2 targets"),
        ("identity output with one target, y (N,)", "identity output with 1 target"),
        ("a batch of one", "batch of one"),
        ("float32", "float32"),
        ("vectorised", "timing"),
    ],
    "numerical_gradient": [
        ("central differences for x of shape (d,)", "at x of shape (3,)"),
        ("any shape of x", "(2, 3)"),
        ("the step h is an argument", "h = 1e-4"),
        ("x is perturbed in place and restored, so f may read x through another name",
         "f reads the caller's x"),
    ],
    "relative_error": [
        ("0 for identical arrays", "identical arrays"),
        ("1 when one of them is zero", "(3, 4) vs (0, 0)"),
        ("two all-zero arrays give 0, not NaN (the floor)", "two all-zero arrays"),
        ("tiny for nearly equal arrays", "nearly equal"),
    ],
    "exp_backward": [
        ("a scalar node works (plain floats in, a number out)", "one scalar node"),
        ("the local derivative exp(x) times the upstream gradient out_grad", "hand-worked"),
        ("added to the gradient x_grad already holds (+=), not overwriting it", "used before"),
        ("x_grad and out_grad are not changed in place", "used before"),
        ("a batch of one", "batch of one"),
        ("the dtype of x (float32 in, float32 out)", "float32"),
        ("entry by entry on arrays, vectorised", "timing"),
    ],
    "softmax": _SCORES,
    "log_softmax": _SCORES,
    "softmax_cross_entropy": [*_SCORES, ("mean loss and dZ = (softmax(Z) - onehot(y)) / N", "hand-worked"),
                              ("the loss keeps its digits for scores of 1e4, also in float32",
                               "float32, labels [2, 2, 0]")],
    "iterate_minibatches": [
        ("a generator of (X_batch, y_batch), order = rng.permutation(N)", "N=5, batch_size=2"),
        ("the last batch is smaller when batch_size does not divide N", "N=10, batch_size=3"),
        ("batch_size larger than N gives one batch", "N=1, batch_size=4"),
        ("batch_size 1", "batch_size=1"),
    ],
    "sgd_epoch": [
        ("one batch of all N (batch_size = N)", "N=8, batch_size=8"),
        ("a smaller last batch", "N=10, batch_size=4"),
        ("batch_size 1", "batch_size=1"),
    ],
    "hinge_sgd_update": [
        ("an update inside the margin (1 - y z > 0)", "inside the margin"),
        ("no update outside the margin", "outside the margin"),
        ("no update exactly at y z = 1", "exactly on the margin"),
        ("an update for a wrong prediction with y = -1", "a wrong prediction"),
    ],
    "choice_dead_relu": [("one of the letters, as a string", "your answer")],
    "choice_batch_noise": [("one of the letters, as a string", "your answer")],
}
