"""A bug in an nnlib backward pass cannot bless the same bug in a student's code: backward checks
also compare with central differences of the forward pass (or an analytic gradient)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from _checks_corpus import CORPUS

import nnlib
from autograder.checks import check
from autograder.checks.cases import make_cases
from autograder.checks.oracles import central_differences, oracle_output
from autograder.exercises import EXERCISES


def _with_buggy_twin(monkeypatch, name, twin):
    monkeypatch.setitem(EXERCISES, name, dataclasses.replace(EXERCISES[name], reference=twin))


@pytest.mark.parametrize("exercise, code", [
    ("dense_backward", "off_by_batch_size"),
    ("mlp_loss_and_grads", "missing_activation_derivative"),
    ("sigmoid_prime", "derivative_of_wrong_quantity"),
    ("activation_backward", "missing_activation_derivative"),
])
def test_a_twin_with_the_students_bug_does_not_bless_it(monkeypatch, exercise, code):
    bug = next(w for w in CORPUS if w.exercise == exercise and w.code == code).function()
    _with_buggy_twin(monkeypatch, exercise, bug)
    result = check(exercise, bug)
    assert not result.passed
    assert result.diagnosis == "values"
    assert "disagrees with a finite-difference check of the forward pass" in result.message


def test_softmax_cross_entropy_gradient_is_checked_by_differences(monkeypatch):
    def twin(Z, y):  # the gradient's sign is wrong in this "reference"
        loss, dZ = nnlib.softmax_cross_entropy(Z, y)
        return loss, -dZ
    _with_buggy_twin(monkeypatch, "softmax_cross_entropy", twin)
    result = check("softmax_cross_entropy", twin)
    assert result.diagnosis == "values" and "finite-difference" in result.message


@pytest.mark.parametrize("name", ["sigmoid_prime", "tanh_prime", "relu_prime", "leaky_relu_prime",
                                  "dense_backward", "activation_backward", "mlp_loss_and_grads",
                                  "softmax_cross_entropy", "numerical_gradient"])
def test_every_backward_exercise_has_an_oracle(name):
    cases = [c for c in make_cases(name, 3) if oracle_output(name, c) is not None]
    assert len(cases) >= 3


def test_central_differences_leave_x_alone():
    x = np.array([1.0, -2.0, 0.5])
    grad = central_differences(lambda v: float(np.sum(v ** 3)), x)
    assert np.allclose(grad, 3 * x ** 2, rtol=1e-8)
    assert np.array_equal(x, [1.0, -2.0, 0.5])
