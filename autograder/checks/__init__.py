"""The check engine: compare a student's function with its nnlib twin and name the mistake.

What it is for: the check cells and graded cells of the notebooks, and the grading driver's
isolated re-check, which runs the same three stages across a process boundary. In a notebook::

    from autograder.checks import run_check, grade
    run_check("dense_forward", dense_forward)          # visible check cell
    grade("dense_forward", dense_forward)              # graded cell, public seed
    grade("dense_forward", dense_forward, hidden=True) # hidden tests: a fresh seed

:func:`check` returns a :class:`CheckResult` instead of raising. It composes three stages:

1. :func:`~autograder.checks.cases.make_cases` (trusted) builds plain-data cases from a seed (the
   generators, one module per topic: :mod:`.cases_neurons`, :mod:`.cases_networks`,
   :mod:`.cases_backprop`, :mod:`.cases_softmax_sgd`);
2. :func:`~autograder.checks.runner.call` runs the student function on one case (the only stage
   that runs student code) and records an :class:`~autograder.checks.runner.Outcome`;
3. :func:`~autograder.checks.diagnose.judge` (trusted) compares with the reference and diagnoses
   (:mod:`.leaf_findings` leaf by leaf with :mod:`.compare`, :mod:`.mistakes` and :mod:`.hints`;
   :mod:`.output_tree`, :mod:`.kinds`, :mod:`.oracles`; the codes in :mod:`.codes`, the words in
   :mod:`.messages`).

Who calls it: notebooks (students' kernels) and :mod:`autograder.grading.sandbox`.

What it must never do: trust what student code returns or reports. The judge sees only plain
data (:mod:`.wire`), recomputes every expected value from the reference itself, and never runs
student code; nothing here starts processes or touches files.
"""

from __future__ import annotations

import secrets

from ..exercises import EXERCISES, get_exercise
from .cases import PUBLIC_SEED, make_cases
from .diagnose import CODES, CheckResult, judge
from .kinds import choice_explanation
from .runner import Outcome, call, normalize_output
from .twins import ReferenceBlocked
from .wire import Case, FnSpec, RngSpec, resolve

__all__ = [
    "CODES",
    "PUBLIC_SEED",
    "Case",
    "CheckResult",
    "ExerciseCheckFailed",
    "FnSpec",
    "Outcome",
    "ReferenceBlocked",
    "RngSpec",
    "call",
    "check",
    "grade",
    "judge",
    "make_cases",
    "normalize_output",
    "resolve",
    "run_check",
]


class ExerciseCheckFailed(AssertionError):
    """A check failed. In Jupyter only the message is shown, not a traceback into the checker."""

    def __init__(self, result: CheckResult):
        super().__init__(result.message)
        self.result = result

    def _render_traceback_(self):  # IPython calls this instead of printing the traceback
        return self.result.message.splitlines()


def _validate(name, fn):
    get_exercise(name)  # unknown name -> ValueError listing the registered exercises
    if not callable(fn):
        raise TypeError(
            f"the second argument must be your function {name}, got "
            f"{type(fn).__name__} {fn!r:.60}; e.g. check({name!r}, {name})")


def check(name: str, student_fn, *, seed: int | None = None, hidden: bool = False) -> CheckResult:
    """Run every case of exercise ``name`` on ``student_fn``; stop at the first failure.

    ``seed=None`` uses the public seed, or with ``hidden=True`` a fresh secret one (reported in
    ``result.seed``). Never raises for a mistake in ``student_fn``: the result says what it is.

    While ``student_fn`` runs (:func:`~autograder.checks.runner.call`), nnlib's twins of the
    exercises of its notebook refuse to run, as in the grading re-check (the rule is in
    :mod:`.twins`); everything is put back before judging.
    """
    _validate(name, student_fn)
    if seed is None:
        seed = secrets.randbits(32) if hidden else PUBLIC_SEED
    cases = make_cases(name, int(seed), hidden)
    for i, case in enumerate(cases):
        result = judge(name, case, call(name, student_fn, case))
        result.seed, result.hidden, result.n_checks, result.case_index = seed, hidden, len(cases), i
        if not result.passed:
            return result
    n = len(cases)
    what = "hidden checks" if hidden else "checks"
    message = f"✓ {name}: all {n} {what} passed." if n > 1 else f"✓ {name}: the check passed."
    if get_exercise(name).kind == "choice":  # the one case's letter: say why it is right
        why = choice_explanation(name, result.output)
        message = f"✓ {name}: right. {why[:1].upper()}{why[1:]}"
    return CheckResult(True, message, None, name, None, None, None, seed, hidden, n)


def run_check(name: str, student_fn) -> None:
    """Visible check cell: print one success line, or raise :class:`ExerciseCheckFailed`."""
    result = check(name, student_fn)
    if not result.passed:
        raise ExerciseCheckFailed(result)
    print(result.message)
    return None


def grade(name: str, student_fn, hidden: bool = False, seed: int | None = None) -> None:
    """Graded cell: raise :class:`ExerciseCheckFailed` unless every case passes (silent on
    success, so the cell's output stays clean)."""
    result = check(name, student_fn, seed=seed, hidden=hidden)
    if not result.passed:
        raise ExerciseCheckFailed(result)


def exercises() -> list[str]:
    """Names of every registered exercise."""
    return list(EXERCISES)
