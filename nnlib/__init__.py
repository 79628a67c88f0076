"""nnlib: the course's reference neural-network library, in plain NumPy.

Conventions, the same in every module:

- Data is row-major: ``X`` has shape ``(N, d)``, one example per row.
- A dense layer's weights are ``W (n_out, n_in)`` and biases ``b (n_out,)``, as in the lectures'
  ``z = W x + b`` and PyTorch's ``nn.Linear``; for a batch, ``Z = X @ W.T + b``.
- Losses are means over the batch; their gradients are of that mean.
- Labels: ``{0, 1}`` for logistic units, ``{-1, +1}`` for the perceptron and hinge loss,
  integers ``0..K-1`` for softmax.
- Random state is explicit: functions take ``rng`` (a ``numpy.random.Generator``).
- dtype follows the input: float32 in, float32 out.
- Nothing changes an array the caller passed in.

Goals: correct to floating-point precision, vectorised, readable by a student.
Non-goals: GPUs, convolutions, autograd: the course derives every gradient by hand.
"""

from .activations import (
    ACTIVATIONS,
    LEAKY_SLOPE,
    activation_backward,
    activation_forward,
    get_activation,
    identity,
    identity_prime,
    leaky_relu,
    leaky_relu_prime,
    log_softmax,
    relu,
    relu_prime,
    sigmoid,
    sigmoid_prime,
    softmax,
    step,
    step_prime,
    tanh,
    tanh_prime,
)
from .approx import bump_forward, bump_network, fit_bumps, xor_network, xor_relu_weights
from .autodiff import exp_backward
from .counting import (
    BYTES_PER_PARAMETER,
    FAMOUS_NETWORKS,
    Network,
    count_parameters,
    memory_bytes,
    uci_estimate,
)
from .data import (
    TARGET_FUNCTIONS,
    load_digits_split,
    make_blobs,
    make_moons,
    make_regression_1d,
    make_spirals,
    make_xor,
    to_pm1,
)
from .gradcheck import check_mlp_gradients, numerical_gradient, relative_error
from .layers import dense_backward, dense_forward
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    hinge,
    one_hot,
    softmax_cross_entropy,
    squared_error,
)
from .mlp import MLP, OUTPUTS, init_params, mlp_forward, mlp_loss_and_grads
from .neuron import NEURON_LOSSES, NeuronResult, neuron_forward, neuron_sgd_step, train_neuron
from .optim import (
    History,
    constant,
    hinge_sgd_update,
    inverse_time_decay,
    iterate_minibatches,
    sgd_epoch,
    step_decay,
    train,
)
from .perceptron import (
    Perceptron,
    PerceptronResult,
    perceptron_epoch,
    perceptron_predict,
    train_perceptron,
)

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "BYTES_PER_PARAMETER",
    "FAMOUS_NETWORKS",
    "LEAKY_SLOPE",
    "MLP",
    "NEURON_LOSSES",
    "OUTPUTS",
    "TARGET_FUNCTIONS",
    "History",
    "Network",
    "NeuronResult",
    "Perceptron",
    "PerceptronResult",
    "activation_backward",
    "activation_forward",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "bump_forward",
    "bump_network",
    "check_mlp_gradients",
    "constant",
    "count_parameters",
    "dense_backward",
    "dense_forward",
    "exp_backward",
    "fit_bumps",
    "get_activation",
    "hinge",
    "hinge_sgd_update",
    "identity",
    "identity_prime",
    "init_params",
    "inverse_time_decay",
    "iterate_minibatches",
    "leaky_relu",
    "leaky_relu_prime",
    "load_digits_split",
    "log_softmax",
    "make_blobs",
    "make_moons",
    "make_regression_1d",
    "make_spirals",
    "make_xor",
    "memory_bytes",
    "mlp_forward",
    "mlp_loss_and_grads",
    "neuron_forward",
    "neuron_sgd_step",
    "numerical_gradient",
    "one_hot",
    "perceptron_epoch",
    "perceptron_predict",
    "relative_error",
    "relu",
    "relu_prime",
    "sgd_epoch",
    "sigmoid",
    "sigmoid_prime",
    "softmax",
    "softmax_cross_entropy",
    "squared_error",
    "step",
    "step_decay",
    "step_prime",
    "tanh",
    "tanh_prime",
    "to_pm1",
    "train",
    "train_neuron",
    "train_perceptron",
    "uci_estimate",
    "xor_network",
    "xor_relu_weights",
]
