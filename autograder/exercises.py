"""The registry of graded exercises: the one list the notebooks, the checks and the grading
driver all read.

Each :class:`Exercise` names the function the student writes (``name``), the nbgrader assignment
(= folder and notebook name) it lives in, its nnlib twin (``reference``, callable with exactly the
student function's arguments), its points, and how to draw its test cases (``cases``: a function
``(rng, hidden) -> list[Case]``, filled in by :mod:`autograder.checks.cases`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import nnlib

__all__ = ["ASSIGNMENTS", "EXERCISES", "Exercise", "exercises_for", "get_exercise"]

#: nbgrader assignment ids, in course order. Each is a folder holding one notebook of the same name.
ASSIGNMENTS = (
    "01_perceptron",
    "02_logistic_neuron",
    "03_mlp_forward",
    "04_xor",
    "05_universal_approximation",
    "06_backprop",
    "07_softmax",
    "08_sgd_vs_gd",
)


@dataclass(frozen=True)
class Exercise:
    """One graded function of the course."""

    name: str                 # the function the student writes
    assignment: str           # nbgrader assignment id (also the notebook's stem)
    reference: Callable       # the nnlib twin, same signature
    points: int
    summary: str              # one line, for reports
    kind: str = "function"    # how the checks treat it (see autograder.checks)
    options: dict = field(default_factory=dict)
    # options read by the checks: vectorised=True (a per-example Python loop is flagged too_slow),
    # generator=True (the statement asks for a generator: a returned list is wrong_type)
    # kind="choice": a multiple-choice question, a function of no arguments returning one letter; no
    # twin (reference None); its letters and hashed answer are in autograder.checks.choices

    @property
    def notebook(self) -> str:
        return f"{self.assignment}/{self.assignment}.ipynb"


def _ex(name, assignment, reference, points, summary, kind="function", **options):
    return Exercise(name, assignment, reference, points, summary, kind, options)


_ALL = [
    # 01 perceptron
    _ex("perceptron_predict", "01_perceptron", nnlib.perceptron_predict, 2,
        "perceptron predictions in {-1, +1}", vectorised=True),
    _ex("perceptron_epoch", "01_perceptron", nnlib.perceptron_epoch, 3,
        "one epoch of Rosenblatt's algorithm"),
    # 02 logistic neuron and activations
    _ex("sigmoid_prime", "02_logistic_neuron", nnlib.sigmoid_prime, 1,
        "derivative of the sigmoid", vectorised=True),
    _ex("tanh_prime", "02_logistic_neuron", nnlib.tanh_prime, 1,
        "derivative of tanh", vectorised=True),
    _ex("relu_prime", "02_logistic_neuron", nnlib.relu_prime, 1,
        "derivative of ReLU", vectorised=True),
    _ex("leaky_relu_prime", "02_logistic_neuron", nnlib.leaky_relu_prime, 1,
        "derivative of leaky ReLU", vectorised=True),
    _ex("neuron_forward", "02_logistic_neuron", nnlib.neuron_forward, 2,
        "forward pass of a logistic neuron", vectorised=True),
    _ex("neuron_sgd_step", "02_logistic_neuron", nnlib.neuron_sgd_step, 3,
        "one SGD step of the delta rule"),
    _ex("choice_dead_relu", "02_logistic_neuron", None, 1,
        "multiple choice: a ReLU layer started with large negative biases", kind="choice"),
    # 03 MLP forward pass and counting
    _ex("dense_forward", "03_mlp_forward", nnlib.dense_forward, 2,
        "dense layer forward pass", vectorised=True),
    _ex("mlp_forward", "03_mlp_forward", nnlib.mlp_forward, 3,
        "whole-network forward pass", vectorised=True),
    _ex("count_parameters", "03_mlp_forward", nnlib.count_parameters, 2,
        "number of weights and biases"),
    # 04 XOR
    _ex("xor_weights", "04_xor", nnlib.xor_relu_weights, 2,
        "hand-set weights of a ReLU network computing XOR", kind="xor_weights"),
    _ex("train_xor", "04_xor", None, 3, "train an MLP to 100% on XOR", kind="xor_training"),
    # 05 universal approximation
    _ex("bump_network", "05_universal_approximation", nnlib.bump_network, 3,
        "parameters of a bump network", kind="bump_network"),
    _ex("bump_forward", "05_universal_approximation", nnlib.bump_forward, 2,
        "forward pass of a bump network", vectorised=True),
    # 06 backprop
    _ex("dense_backward", "06_backprop", nnlib.dense_backward, 3,
        "dense layer backward pass", vectorised=True),
    _ex("activation_backward", "06_backprop", nnlib.activation_backward, 2,
        "backward pass through an activation", vectorised=True),
    _ex("mlp_loss_and_grads", "06_backprop", nnlib.mlp_loss_and_grads, 4,
        "whole-MLP backward pass", vectorised=True),
    _ex("exp_backward", "06_backprop", nnlib.exp_backward, 2,
        "backward step of an exp node in reverse-mode autodiff", vectorised=True),
    _ex("numerical_gradient", "06_backprop", nnlib.numerical_gradient, 2,
        "central-difference gradient"),
    _ex("relative_error", "06_backprop", nnlib.relative_error, 1, "relative error of two arrays"),
    # 07 softmax
    _ex("softmax", "07_softmax", nnlib.softmax, 2, "stable softmax", vectorised=True),
    _ex("log_softmax", "07_softmax", nnlib.log_softmax, 2, "stable log-softmax", vectorised=True),
    _ex("softmax_cross_entropy", "07_softmax", nnlib.softmax_cross_entropy, 3,
        "cross-entropy and its gradient", vectorised=True),
    # 08 SGD vs GD
    _ex("iterate_minibatches", "08_sgd_vs_gd", nnlib.iterate_minibatches, 2,
        "shuffled minibatch iterator", generator=True),
    _ex("sgd_epoch", "08_sgd_vs_gd", nnlib.sgd_epoch, 3, "one epoch of minibatch SGD"),
    _ex("hinge_sgd_update", "08_sgd_vs_gd", nnlib.hinge_sgd_update, 2,
        "hinge-loss SGD update"),
    _ex("choice_batch_noise", "08_sgd_vs_gd", None, 1,
        "multiple choice: the gradient noise of a four times larger batch", kind="choice"),
]

EXERCISES: dict[str, Exercise] = {ex.name: ex for ex in _ALL}


def get_exercise(name: str) -> Exercise:
    """The registered exercise ``name``; an unknown name raises ``ValueError`` listing valid ones."""
    if not isinstance(name, str) or name not in EXERCISES:
        valid = ", ".join(EXERCISES)
        raise ValueError(f"unknown exercise {name!r}; registered exercises: {valid}")
    return EXERCISES[name]


def exercises_for(assignment: str) -> list[Exercise]:
    """The exercises of one assignment, in notebook order."""
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {assignment!r}; valid: {', '.join(ASSIGNMENTS)}")
    return [ex for ex in _ALL if ex.assignment == assignment]
