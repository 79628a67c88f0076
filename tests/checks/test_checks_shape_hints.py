"""NumPy's shape errors explained in the exercise's names (autograder/checks/shape_hints.py): the
operands and their shapes, the statement's formula with the case's shapes, and nothing at all where
the line does not say for certain which arrays were involved."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.checks.hints import exception_hint
from autograder.checks.shape_hints import shape_hint
from autograder.checks.wire import Case


def _case(names, args):
    return Case(label="a case", args=tuple(args), names=tuple(names))


def _error(fn, *args):
    try:
        fn(*args)
    except ValueError as e:
        return str(e)
    raise AssertionError("no error")  # pragma: no cover


DENSE = _case(("dZ", "cache"), (np.ones((2, 4)), (np.ones((2, 3)), np.ones((4, 3)))))


def test_the_issue_example_names_both_factors_and_the_formula():
    msg = _error(lambda dZ, W: dZ @ W.T, np.ones((2, 4)), np.ones((4, 3)))
    hint = shape_hint({"type": "ValueError", "message": msg, "line": "dX = dZ @ W.T"},
                      "dense_backward", DENSE)
    assert hint == ("you multiplied dZ (2, 4) by W.T (3, 4): the 4 columns of the left factor must "
                    "match the 3 rows of the right one; the statement's dX = dZ @ W: dZ (2, 4) @ "
                    "W (4, 3) gives (2, 3)")


def test_the_place_in_a_returned_tuple_picks_the_formula():
    msg = _error(lambda dZ, X: dZ @ X, np.ones((2, 4)), np.ones((2, 3)))
    hint = shape_hint({"type": "ValueError", "message": msg,
                       "line": "return dZ @ W, dZ @ X, dZ.sum(axis=0)"}, "dense_backward", DENSE)
    assert hint.startswith("you multiplied dZ (2, 4) by X (2, 3)")
    assert "dW = dZ.T @ X: dZ.T (4, 2) @ X (2, 3) gives (4, 3)" in hint


def test_a_name_rebound_in_another_line_is_never_guessed():
    # W = W.T earlier in the student's function: the shapes the case knows do not reproduce
    # NumPy's numbers, so the hint says nothing about W
    msg = _error(lambda dZ, W: dZ @ W, np.ones((2, 4)), np.ones((3, 4)))
    e = {"type": "ValueError", "message": msg, "line": "dX = dZ @ W"}
    assert shape_hint(e, "dense_backward", DENSE) == ""
    assert exception_hint(e, "dense_backward", DENSE).startswith("compare the shapes of the inputs")


def test_two_unknown_operations_of_the_same_kind_say_nothing():
    msg = _error(lambda a, b: a @ b, np.ones((2, 4)), np.ones((3, 4)))
    e = {"type": "ValueError", "message": msg, "line": "out = (A @ B) @ C"}
    assert shape_hint(e, "mlp_forward", _case(("X",), (np.ones((2, 3)),))) == ""


def test_a_single_operation_is_read_from_numpys_numbers():
    msg = _error(lambda a, b: a @ b, np.ones((5, 2)), np.ones((4, 3)))
    e = {"type": "ValueError", "message": msg, "line": "delta = (delta @ W.T) * g_prime(Z_prev)"}
    hint = shape_hint(e, "mlp_loss_and_grads", _case(("X",), (np.ones((5, 3)),)))
    assert hint.startswith("in delta @ W.T the left factor has 2 columns but the right one has 4 rows")
    assert "delta_(l-1) = (delta_l @ W_l) * g'(Z_(l-1))" in hint


def test_a_sum_without_keepdims():
    Z = np.ones((2, 3))
    msg = _error(lambda E: E / E.sum(axis=1), Z)
    hint = shape_hint({"type": "ValueError", "message": msg, "line": "return E / E.sum(axis=1)"},
                      "softmax", _case(("Z",), (Z,)))
    assert hint.startswith("E (2, 3) and E.sum(axis=1) (2,) do not broadcast")
    assert "sum with keepdims=True keeps the reduced axis, (2, 1), which broadcasts" in hint


def test_labels_used_as_one_hot_rows():
    Z, y = np.ones((2, 3)), np.array([1, 0])
    msg = _error(lambda P, y: P - y, Z, y)
    hint = shape_hint({"type": "ValueError", "message": msg, "line": "dZ = (P - y) / N"},
                      "softmax_cross_entropy", _case(("Z", "y"), (Z, y)))
    assert "P (2, 3) and y (2,) do not broadcast" in hint
    assert "y holds the 2 class labels, not one-hot rows: onehot(y) is (2, 3)" in hint


@pytest.mark.parametrize("K_wrong", [2, 4])
def test_a_one_hot_with_the_wrong_number_of_classes_is_said_conditionally(K_wrong):
    Z, y = np.ones((2, 3)), np.array([1, 0])
    msg = _error(lambda P, Y: P - Y, Z, np.ones((2, K_wrong)))
    hint = shape_hint({"type": "ValueError", "message": msg, "line": "g = (np.exp(lp) - Y) / N"},
                      "softmax_cross_entropy", _case(("Z", "y"), (Z, y)))
    assert hint.startswith(f"if (2, {K_wrong}) is your one-hot of y, it needs K = 3 columns")


def test_a_column_against_a_vector_in_a_library_message():
    e = {"type": "ValueError", "line": "loss, delta = nnlib.binary_cross_entropy_with_logits(Z, y)",
         "message": "logits has shape (4, 1) but labels has shape (4,); they must match"}
    hint = exception_hint(e, "mlp_loss_and_grads", _case(("X",), (np.ones((4, 2)),)))
    assert hint.startswith("a column (4, 1) meets a vector (4,)")


def test_other_errors_and_unparsable_lines_get_no_shape_hint():
    assert shape_hint({"type": "TypeError", "message": "x", "line": "a @ b"}, "softmax", DENSE) == ""
    msg = _error(lambda a, b: a @ b, np.ones((2, 4)), np.ones((3, 4)))
    assert shape_hint({"type": "ValueError", "message": msg, "line": "for (a in @@"},
                      "dense_backward", DENSE) == ""
    assert shape_hint({"type": "ValueError", "message": msg, "line": "dX = dZ @ W.T"},
                      "dense_backward", None) == ""


def test_a_missing_activation_name_in_an_own_table():
    case = _case(("dA", "cache"), (np.ones((3, 4)), (np.ones((3, 4)), "identity")))
    hint = exception_hint({"type": "KeyError", "message": "'identity'", "line": "d = table[name]"},
                          "activation_backward", case)
    assert hint.startswith("'identity' is one of the statement's activation names")
    # a key that is not one of the case's names says nothing
    assert exception_hint({"type": "KeyError", "message": "'W'", "line": "W = p['W']"},
                          "activation_backward", case) == ""


def test_math_functions_and_float_of_an_array():
    e = {"type": "TypeError", "message": "only 0-dimensional arrays can be converted to Python scalars",
         "line": "return x_grad + math.exp(x) * out_grad"}
    assert exception_hint(e, "exp_backward") == ("math.exp takes a single number; np.exp works on "
                                                 "arrays, entry by entry")
    e["line"] = "z = float(w @ x + b)"
    assert exception_hint(e, "hinge_sgd_update").startswith("float(), int() and the math module")


def test_an_operation_known_to_go_through_is_never_the_culprit():
    X, W = np.ones((1, 2)), np.ones((2, 2))
    msg = _error(lambda A, V: A @ V, np.ones((1, 2)), np.ones((3, 2)))
    hint = shape_hint({"type": "ValueError", "message": msg, "line": "Z = (X @ W.T) @ V"},
                      "dense_forward", _case(("X", "W", "b"), (X, W, np.ones(2))))
    assert hint.startswith("in X @ W.T @ V the left factor has 2 columns but the right one has 3 rows")


def test_an_if_on_an_array():
    e = {"type": "ValueError", "line": "if y[n] * (w @ x_n + b) <= 0:",
         "message": "The truth value of an array with more than one element is ambiguous. Use a.any() "
                    "or a.all()"}
    assert exception_hint(e, "perceptron_epoch").startswith("an `if` (or `and`, `or`, `while`) needs "
                                                            "one number")
