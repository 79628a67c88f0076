"""Every wrong implementation of the corpus is rejected with exactly the right diagnosis."""

from __future__ import annotations

import pytest
from _checks_corpus import CORPUS, hard_coded
from _student_mistakes import M as STUDENT_MISTAKES

from autograder.checks import PUBLIC_SEED, check
from autograder.checks.codes import JUDGE_CODES


@pytest.mark.parametrize("wrong", CORPUS, ids=lambda w: f"{w.exercise}-{w.code}-{w.what}")
def test_wrong_implementation_gets_its_diagnosis(wrong):
    result = check(wrong.exercise, wrong.function(), hidden=wrong.hidden, seed=12345)
    assert not result.passed
    assert result.diagnosis == wrong.code, result.message
    assert result.message.startswith(f"✗ {wrong.exercise}")
    assert result.exercise == wrong.exercise
    assert result.case is not None and result.case.label in result.message


def test_every_diagnosis_code_is_in_the_corpus():
    in_corpus = {w.code for w in CORPUS + STUDENT_MISTAKES}
    assert set(JUDGE_CODES) <= in_corpus, set(JUDGE_CODES) - in_corpus


def test_exception_message_names_the_students_line():
    wrong = next(w for w in CORPUS if w.code == "exception" and w.exercise == "softmax")
    result = check("softmax", wrong.function())
    assert "ValueError" in result.message
    assert "at line 2 of your code: E = np.exp(Z - Z.max(axis=1))" in result.message


@pytest.mark.parametrize("exercise", ["softmax", "sigmoid_prime", "relu_prime", "log_softmax",
                                      "tanh_prime"])
def test_hard_coded_visible_answers_fail_the_hidden_check(exercise):
    memorised = hard_coded(exercise, PUBLIC_SEED)
    assert check(exercise, memorised).passed
    hidden = check(exercise, memorised, hidden=True)
    assert not hidden.passed
    assert hidden.diagnosis == "values", hidden.message
    # a hidden failure never shows the hidden inputs or the expected values
    assert "expected" not in hidden.message.split("\n", 1)[1].replace("expected values", "")
    assert "hidden test" in hidden.message
