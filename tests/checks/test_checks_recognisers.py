"""The general recognisers of autograder/checks/recognisers.py where the student corpus does not
reach: the case whose f reads the caller's x survives the wire, a broadcast table is named only when
its diagonal is the expected vector, and a count wraps only past 2**63."""

from __future__ import annotations

import numpy as np

import nnlib
from autograder.checks import PUBLIC_SEED, make_cases
from autograder.checks.recognisers import general_mistakes, shape_mistake
from autograder.checks.wire import cases_from_wire, cases_to_wire, resolve


def _caller_x_case():
    cases = make_cases("numerical_gradient", PUBLIC_SEED)
    return next(c for c in cases if "caller's x" in c.label)


def test_f_reads_the_callers_x_after_the_wire():
    case = cases_from_wire(cases_to_wire([_caller_x_case()]))[0]
    f, x = resolve(tuple(case.args))
    before = f(np.zeros(1))
    x[0, 0] += 1.0
    assert f(np.zeros(1)) != before           # f sees the caller's array, not its argument
    grad = nnlib.numerical_gradient(f, x)     # the reference perturbs x in place: a real gradient
    assert np.abs(grad).max() > 0.1


def test_a_copy_of_x_gives_zero_there_and_is_named():
    case = _caller_x_case()
    f, x = resolve(tuple(case.args))
    copy_grad = nnlib.numerical_gradient(f, x.copy())
    assert np.all(copy_grad == 0)
    codes = [m.code for m in general_mistakes("numerical_gradient") if m.applies(case)]
    assert codes == ["perturbs_copy"]


def test_a_broadcast_table_is_named_only_with_the_expected_diagonal():
    E = np.array([1.0, 2.0, 3.0])
    table = E[:, None] + np.zeros(3)  # diagonal = E
    case = make_cases("hinge_sgd_update", PUBLIC_SEED)[0]
    assert shape_mistake("hinge_sgd_update", "w", E, table, False, case).code == "broadcast_column"
    other = np.ones((3, 3))
    assert shape_mistake("hinge_sgd_update", "w", E, other, False, case) is None
    assert shape_mistake("hinge_sgd_update", "w", E, np.ones((3, 1)), False, case) is None


def test_the_int64_recogniser_only_fires_past_2_63():
    (mistake,) = [m for m in general_mistakes("count_parameters") if m.code == "wrong_dtype"]
    big = [4_000_000_000, 3_000_000_000, 2]
    assert int(mistake.fn(big)) == nnlib.count_parameters(big) - 2**64
    try:
        mistake.fn([3, 4, 2])
    except ValueError:
        pass
    else:  # pragma: no cover
        raise AssertionError("a small count cannot wrap")
