"""The term file: due dates, grace, the late penalty, extensions, and clear errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from autograder.term.policy import PolicyError, load_policy, parse_time

from .handmade import A1, A2, TERM_TOML


@pytest.fixture
def policy(tmp_path):
    path = tmp_path / "term.toml"
    path.write_text(TERM_TOML)
    return load_policy(path)


def t(text):
    return parse_time(text)


def test_times_from_toml_iso_and_nbgrader_timestamps_agree():
    want = datetime(2026, 10, 6, 0, 5, tzinfo=UTC)
    assert t("2026-10-06 00:05:00.000000 UTC") == want       # nbgrader's timestamp.txt
    assert t("2026-10-06T00:05:00Z") == want
    assert t("2026-10-06T02:05:00+02:00") == want
    assert t(datetime(2026, 10, 6, 0, 5)) == want             # naive: UTC


def test_days_late_counts_started_days_after_the_grace_period(policy):
    assert policy.days_late(A1, "ann", t("2026-10-05T23:59:00Z")) == 0
    assert policy.days_late(A1, "ann", t("2026-10-06T00:09:00Z")) == 0    # within 10 min grace
    assert policy.days_late(A1, "ann", t("2026-10-06T00:10:01Z")) == 1
    assert policy.days_late(A1, "ann", t("2026-10-06T23:58:59Z")) == 1
    assert policy.days_late(A1, "ann", t("2026-10-06T23:59:01Z")) == 2    # days count from the due date
    assert policy.days_late("03_mlp_forward", "ann", t("2030-01-01T00:00:00Z")) == 0  # no due date
    assert policy.days_late(A1, "ann", None) == 0


def test_an_extension_moves_the_due_date_of_that_student_only(policy):
    late = t("2026-10-07T12:00:00Z")
    assert policy.days_late(A1, "dan", late) == 0
    assert policy.days_late(A1, "cy", late) == 2
    assert policy.due_for(A2, "dan") == t("2026-10-14T23:59:00Z")


def test_penalty_is_a_fraction_of_the_earned_score_and_zero_past_max_days(policy):
    assert policy.penalised(4.0, 0) == 4.0
    assert policy.penalised(4.0, 1) == 3.0
    assert policy.penalised(4.0, 3) == pytest.approx(1.0)
    assert policy.penalised(4.0, 4) == 0.0                    # max_days = 3


def test_per_assignment_extension(tmp_path):
    p = tmp_path / "t.toml"
    p.write_text(f'[due]\n{A1} = 2026-10-05T23:59:00Z\n[extensions]\neve = {{ {A1} = 2026-10-09T23:59:00Z }}\n')
    policy = load_policy(p)
    assert policy.due_for(A1, "eve") == t("2026-10-09T23:59:00Z")
    assert policy.due_for(A1, "ann") == t("2026-10-05T23:59:00Z")


@pytest.mark.parametrize("text, words", [
    ("[due]\n09_nope = 2026-10-05T23:59:00Z\n", "unknown assignment '09_nope'"),
    ("[late]\npenalty_per_day = 2\n", "penalty_per_day must be a fraction"),
    ("[late]\npenalty = 0.1\n", "unknown key(s) ['penalty']"),
    ("[grading]\n", "unknown section(s) ['grading']"),
    ("[due]\n01_perceptron = 'next friday'\n", "not a date and time: 'next friday'"),
    ("[extensions]\nann = 3\n", "expected a table like { days = 2 }"),
    ("[due\n", "is not valid TOML"),
])
def test_malformed_term_files_name_the_problem(tmp_path, text, words):
    p = tmp_path / "term.toml"
    p.write_text(text)
    with pytest.raises(PolicyError) as err:
        load_policy(p)
    assert words in str(err.value)


def test_no_term_file_means_no_due_dates_and_no_penalty():
    policy = load_policy(None)
    assert policy.days_late(A1, "ann", t("2030-01-01T00:00:00Z")) == 0
    with pytest.raises(PolicyError, match="term file not found"):
        load_policy("/nonexistent/term.toml")
