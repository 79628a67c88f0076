"""Odd names under ``submitted/`` (issue 16): no student is lost, silently or with the run.

Ids as long as a folder name may be (250 ASCII letters; 80 three-byte CJK characters, 240 bytes)
are graded like anyone else: their journal file would pass the 255-byte file-name limit with its
suffixes, so it is named by a hash and holds the id. A folder whose name starts with '.', a file
or a symbolic link where a student's folder should be, a dangling link and a name that is not
UTF-8 each get zeros and a line naming the problem; nobody else's grade moves.
"""

from __future__ import annotations

import json
import os
import time

import pytest

from autograder.grading.driver import check_class, record
from autograder.grading.journal import load_journal, ungraded_entry
from autograder.grading.submission import student_id_problem

from .corpus import POINTS, A, _nb, read_csv
from .test_grading import _seed, run_grade

LONG_ASCII = "a" * 250  # 250 + ".json" + a ".tmpPID" suffix: over 255 bytes
LONG_CJK = "字" * 80  # 3 bytes each in UTF-8: 240 bytes, as long a name as LONG_ASCII
NOT_UTF8 = os.fsdecode(b"caf\xe9")  # Latin-1 'café': bytes a UTF-8 file system name may hold
NOT_UTF8_SHOWN = "caf\\xe9"  # how the run names it (the CSV, gradebook and reports are UTF-8)


def test_ids_as_long_as_a_folder_name_are_logins():
    assert len(LONG_CJK.encode()) == 240
    assert student_id_problem(LONG_ASCII) is None
    assert student_id_problem(LONG_CJK) is None
    assert "255 bytes" in student_id_problem("b" * 256)


def test_a_hidden_folder_gets_a_line_that_says_why():
    problem = student_id_problem(".alice")
    assert "'.alice'" in problem and "hidden" in problem and "rename" in problem, problem
    assert "UTF-8" in student_id_problem(NOT_UTF8)
    assert "UTF-8" in student_id_problem(NOT_UTF8_SHOWN)


def test_journal_entries_of_240_byte_ids_are_written_and_read_back(tmp_path):
    (tmp_path / "reports" / ".state" / A).mkdir(parents=True)
    students = [LONG_ASCII, LONG_CJK, "bob", "~" + LONG_ASCII[:10]]
    for s in students:
        record(tmp_path, A, s, ungraded_entry(A, s, f"problem of {s}"), {})
    journal = load_journal(tmp_path, A, students)
    assert sorted(journal) == sorted(students)
    assert all(journal[s]["student"] == s and journal[s]["problem"] == f"problem of {s}" for s in students)
    names = os.listdir(tmp_path / "reports" / ".state" / A)
    assert "bob.json" in names and all(len(os.fsencode(n)) <= 255 - 11 for n in names), names


def test_a_journal_file_that_holds_another_id_is_not_taken_for_this_one(tmp_path):
    state = tmp_path / "reports" / ".state" / A
    state.mkdir(parents=True)
    record(tmp_path, A, "bob", ungraded_entry(A, "bob", "x"), {})
    (state / "bob.json").write_text(json.dumps(ungraded_entry(A, "mallory", "y")))
    assert load_journal(tmp_path, A, ["bob"]) == {}


def _make_class(course_dir):
    import nbformat

    sub = course_dir / "submitted"
    expected, reasons = {}, {}
    for s in ("honest", LONG_ASCII, LONG_CJK, ".alice"):
        (sub / s / A).mkdir(parents=True)
        nbformat.write(_nb(), sub / s / A / f"{A}.ipynb")
        expected[s] = dict(POINTS)
    expected[".alice"] = {k: 0 for k in POINTS}
    reasons[".alice"] = "hidden"
    (sub / "notes.txt").write_text("a file where a student's folder should be")
    reasons["notes.txt"] = "not a folder"
    os.symlink(sub / "honest", sub / "link_folder")
    reasons["link_folder"] = "symbolic link"
    os.symlink(sub / "nowhere", sub / "dangling")
    reasons["dangling"] = "symbolic link"
    os.mkdir(os.path.join(os.fsencode(sub), os.fsencode(NOT_UTF8)))
    reasons[NOT_UTF8_SHOWN] = "UTF-8"
    for s in reasons:
        expected[s] = {k: 0 for k in POINTS}
    return expected, reasons


def test_every_entry_of_submitted_is_a_student_of_the_run(tmp_path):
    expected, _ = _make_class(tmp_path)
    _course, students = check_class(A, tmp_path)
    assert sorted(students) == sorted(expected)


@pytest.mark.slow
@pytest.mark.grading
@pytest.mark.timeout(600)
def test_odd_names_are_graded_or_named_and_cost_nobody_anything(tmp_path):
    expected, reasons = _make_class(tmp_path)
    _seed(tmp_path)
    t0 = time.monotonic()
    out = run_grade(tmp_path)
    seconds = time.monotonic() - t0
    rows = read_csv(tmp_path / "reports" / "grades.csv")
    got = {s: {} for s, _ex in rows}
    for (s, ex), r in rows.items():
        got[s][ex] = float(r["score"])
    assert got == {s: {ex: float(v) for ex, v in exp.items()} for s, exp in expected.items()}, out.stderr[-2000:]
    by_student = {s: r for (s, ex), r in rows.items() if ex == "perceptron_predict"}
    for s, words in reasons.items():
        assert words in by_student[s]["reason"], (s, by_student[s]["reason"])
    for s in (LONG_ASCII, LONG_CJK):
        assert by_student[s]["nbgrader_score"] == "2" and by_student[s]["overridden"] == "no"
        assert (tmp_path / "feedback" / s / A / f"{A}.html").exists()
    report = (tmp_path / "reports" / f"{A}_report.html").read_text()
    for s in (".alice", "notes.txt", "dangling"):
        assert s in report
    print(f"graded {len(expected)} entries in {seconds:.0f} s")
