"""The public API: what a notebook cell sees, bad input to the API, and no side effects."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest
from _checks_corpus import CORPUS

import nnlib
from autograder.checks import ExerciseCheckFailed, check, grade, run_check
from autograder.checks.cases import make_cases
from autograder.checks.runner import call
from autograder.exercises import EXERCISES


def wrong(exercise, code):
    return next(w for w in CORPUS if w.exercise == exercise and w.code == code).function()


def test_run_check_prints_one_success_line(capsys):
    assert run_check("dense_forward", nnlib.dense_forward) is None
    out = capsys.readouterr()
    assert out.out == "✓ dense_forward: all 6 checks passed.\n"
    assert out.err == ""


def test_grade_is_silent_on_success_and_raises_a_short_error(capsys):
    grade("softmax", nnlib.softmax)
    grade("softmax", nnlib.softmax, hidden=True)
    assert capsys.readouterr().out == ""
    with pytest.raises(ExerciseCheckFailed) as info:
        grade("softmax", wrong("softmax", "unstable"))
    assert isinstance(info.value, AssertionError)
    assert info.value.result.diagnosis == "unstable"
    assert info.value._render_traceback_() == info.value.result.message.splitlines()


def test_not_implemented_stub_gets_a_kind_message():
    def dense_forward(X, W, b):
        raise NotImplementedError()
    result = check("dense_forward", dense_forward)
    assert result.diagnosis == "not_implemented"
    assert result.message.splitlines()[0] == (
        "✗ dense_forward is not written yet: replace `raise NotImplementedError()` with your code")


def test_jupyter_shows_only_the_message(capsys):
    """In IPython, the failure prints the message, not a traceback into the checker."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.user_ns.update(run_check=run_check, softmax=wrong("softmax", "unstable"))
    shell.run_cell('run_check("softmax", softmax)')
    out = capsys.readouterr()
    text = out.out + out.err
    assert "✗ softmax: softmax(Z) has NaN on large inputs" in text
    assert "Traceback" not in text and "autograder" not in text and "diagnose.py" not in text


def test_jupyter_names_the_line_of_the_students_cell(capsys):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.user_ns.update(run_check=run_check, np=np)
    shell.run_cell("def dense_forward(X, W, b):\n    Z = X @ W + b.T\n    return Z, (X, W)\n")
    shell.run_cell('run_check("dense_forward", dense_forward)')
    text = capsys.readouterr().out
    assert "✗ dense_forward: Z looks computed as X @ W + b" in text  # square first case
    shell.run_cell("def dense_forward(X, W, b):\n    Z = X @ W.T + b\n    return Z, cache\n")
    shell.run_cell('run_check("dense_forward", dense_forward)')
    text = capsys.readouterr().out
    assert "✗ dense_forward raised NameError: name 'cache' is not defined" in text
    assert "at line 3 of your code: return Z, cache" in text
    assert "Traceback" not in text


def test_unknown_exercise_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown exercise 'dense_foward'") as info:
        check("dense_foward", nnlib.dense_forward)
    assert "dense_forward" in str(info.value) and "softmax" in str(info.value)
    with pytest.raises(ValueError, match="registered exercises"):
        run_check(42, nnlib.softmax)


def test_non_callable_is_a_clear_type_error():
    with pytest.raises(TypeError, match="must be your function softmax"):
        check("softmax", np.zeros(3))
    with pytest.raises(TypeError, match=r"check\('softmax', softmax\)"):
        grade("softmax", "softmax")


def test_hidden_checks_use_a_fresh_seed_and_report_it():
    seeds = {check("relu_prime", nnlib.relu_prime, hidden=True).seed for _ in range(3)}
    assert len(seeds) == 3
    again = check("relu_prime", wrong("relu_prime", "values"), hidden=True, seed=99)
    assert again.seed == 99 and again.hidden


def _state():
    return (np.random.get_state()[1].copy(), np.geterr(), list(warnings.filters))  # noqa: NPY002


def _rude_student(Z):
    """Changes every piece of global state it can reach, then overflows."""
    np.seterr(all="ignore")
    np.random.seed(1)  # noqa: NPY002
    warnings.simplefilter("ignore")
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


def _huge(Z):
    return np.full(Z.shape, 1e308, dtype=Z.dtype) * np.where(Z > 0, 1, -1)


@pytest.mark.parametrize("student", [nnlib.softmax, _rude_student, _huge,
                                     wrong("softmax", "unstable"), wrong("softmax", "mutates_input")])
def test_checks_leave_global_state_and_stderr_alone(student, capfd):
    before = _state()
    check("softmax", student)
    check("softmax", student, hidden=True)
    after = _state()
    assert np.array_equal(before[0], after[0])
    assert before[1:] == after[1:]
    assert capfd.readouterr().err == ""


def test_unstable_is_found_even_when_the_student_silenced_warnings():
    result = check("softmax", _rude_student)
    assert result.diagnosis == "unstable"


def test_checks_never_change_the_case_arrays():
    cases = make_cases("softmax", 3)
    copies = [c.args[0].copy() for c in cases]
    mutating = wrong("softmax", "mutates_input")
    outcomes = [call("softmax", mutating, c) for c in cases]
    assert all(o.mutated == {"Z": o.mutated["Z"]} for o in outcomes)
    for c, before in zip(cases, copies, strict=True):
        assert np.array_equal(c.args[0], before)


def test_visible_checks_are_fast():
    """Every visible check of a correct solution takes well under a second (best of 2).

    Measured in CPU time of this process, so that other jobs on a shared machine do not make
    the test flaky; the wall time of an idle machine is about the same.
    """
    timings = {}
    for name, ex in EXERCISES.items():
        if ex.reference is None:
            continue
        best = float("inf")
        for _ in range(2):
            t0 = time.process_time()
            assert check(name, ex.reference).passed
            best = min(best, time.process_time() - t0)
        timings[name] = best
    slowest = max(timings, key=timings.get)
    assert timings[slowest] < 0.8, timings
