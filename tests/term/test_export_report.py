"""``export`` and ``report --term`` on a hand-made course directory (tests/term/handmade.py)."""

from __future__ import annotations

import csv
import os
import re
import sys

import pytest

from autograder.__main__ import main
from autograder.exercises import exercises_for
from autograder.term.course import read_roster
from autograder.term.export import export
from autograder.term.policy import load_policy
from autograder.term.report import write_term_report

from .handmade import A1, A2, build

A2_POINTS = str(sum(ex.points for ex in exercises_for(A2)))  # full marks of A2, from the registry
A2_EXERCISES = len(exercises_for(A2))


@pytest.fixture
def course(tmp_path):
    return build(tmp_path / "course")


def rows_of(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_canvas_import_has_points_out_of_the_registry_maxima_with_penalties(course):
    result = export(course, load_policy(course / "term.toml"), read_roster(course / "roster.csv"),
                    nbgrader_csv=False)
    rows = rows_of(result.canvas)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", A1, A2]
    assert rows[1][0].strip() == "Points Possible" and rows[1][5:] == ["5", A2_POINTS]
    by_login = {r[3]: r for r in rows[2:]}
    assert list(by_login) == ["ann", "bob", "cy", "dan", "nobody"]          # roster order, nobody dropped
    assert by_login["ann"][:5] == ["Ann, A", "101", "s101", "ann", "Sec 1"]
    assert by_login["ann"][5:] == ["5", A2_POINTS]
    assert by_login["bob"][5:] == ["5", "0"]     # A1 within the grace period; A2 8 days late > max_days
    assert by_login["cy"][5:] == ["1", "0"]      # 2/5 raw, 2 days late: 2 * (1 - 2 * 0.25); A2 missing
    assert by_login["dan"][5:] == ["5", "0"]     # the extension covers A1; A2 blank
    assert by_login["nobody"][5:] == ["0", "0"]  # never submitted: 0, and listed below
    assert "zed" not in by_login
    assert result.missing == {A1: ["nobody"], A2: ["cy", "nobody", "zed"]}
    assert result.not_on_roster == ["zed"]


def test_term_grades_keep_the_raw_scores_beside_the_penalised_ones(course):
    result = export(course, load_policy(course / "term.toml"), read_roster(course / "roster.csv"),
                    nbgrader_csv=False)
    rows = {(r["student"], r["assignment"]): r for r in csv.DictReader(open(result.folder / "term_grades.csv"))}
    cy = rows[("cy", A1)]
    assert (cy["status"], cy["raw_score"], cy["score"], cy["days_late"], cy["max_score"]) == (
        "graded", "2", "1", "2", "5")
    assert rows[("bob", A2)]["raw_score"] == A2_POINTS and rows[("bob", A2)]["score"] == "0"
    assert rows[("nobody", A1)]["status"] == "missing"
    assert rows[("zed", A1)]["on_roster"] == "no" and rows[("zed", A1)]["score"] == "5"
    assert rows[("dan", A1)]["due"] == "2026-10-07T23:59:00+00:00"


def test_a_submission_not_graded_yet_is_blank_in_canvas_not_zero(course):
    (course / "submitted" / "nobody" / A2).mkdir(parents=True)
    result = export(course, load_policy(course / "term.toml"), read_roster(course / "roster.csv"),
                    nbgrader_csv=False)
    nobody = next(r for r in rows_of(result.canvas) if r[3] == "nobody")
    assert nobody[5:] == ["0", ""]
    assert result.not_graded == {A2: ["nobody"]}
    assert "submitted, not graded yet: nobody" in result.summary()


def test_export_command_prints_who_is_missing_and_writes_nbgrader_csv(course, capsys, monkeypatch):
    from nbgrader.api import Gradebook

    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])  # alembic

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.add_assignment(A1)
        for s in ("ann", "bob"):
            gb.add_student(s)
    assert main(["export", "--course-dir", str(course)]) == 0     # roster.csv and term.toml by default
    out = capsys.readouterr().out
    assert f"{A1}: missing nobody" in out
    assert f"{A2}: missing cy, nobody, zed" in out
    assert "not on the roster (not in the Canvas file): zed" in out
    nb_rows = list(csv.DictReader(open(course / "reports" / "export" / "nbgrader_grades.csv")))
    assert {r["student_id"] for r in nb_rows} == {"ann", "bob"}
    assert {"assignment", "student_id", "score", "max_score"} <= set(nb_rows[0])


def test_a_roster_without_an_id_column_is_refused_with_the_columns_found(tmp_path):
    bad = tmp_path / "r.csv"
    bad.write_text("name,email\nAnn,a@x\n")
    with pytest.raises(ValueError, match=r"no student id column.*found name, email"):
        read_roster(bad)
    bad.write_text("username\nann\nann\n")
    with pytest.raises(ValueError, match="'ann' is listed twice"):
        read_roster(bad)


def test_term_report_grid_risk_and_feedback_links(course):
    path = write_term_report(course, load_policy(course / "term.toml"), read_roster(course / "roster.csv"))
    assert path == course / "reports" / "term.html"
    page = path.read_text()
    assert "<script" not in page and "http" not in page                     # nothing to fetch
    grid = page.split('id="grid"', 1)[1].split("</table>", 1)[0]
    rows = {m[0]: m[1] for m in re.findall(r"<tr><th>(\w+)</th>(.*?)</tr>", grid) if m[0] != "student"}
    assert list(rows) == ["ann", "bob", "cy", "dan", "nobody", "zed"]
    assert f'href="../feedback/ann/{A1}/{A1}.html">5/5</a>' in rows["ann"]
    assert "late 2 d → 1<" in rows["cy"] and rows["cy"].endswith('<td class="missing">missing</td>')
    assert "late" not in rows["dan"].split("</td>")[0]                      # extension
    assert rows["nobody"] == 2 * "<td class=\"missing\">missing</td>"
    for link in re.findall(r'href="([^"]+)"', page):
        assert (path.parent / link).exists(), link
    risk = page.split('id="risk"', 1)[1].split("</table>", 1)[0]
    reasons = dict(re.findall(r"<tr><th>(\w+)</th><td>(.*?)</td></tr>", risk))
    assert set(reasons) == {"cy", "nobody", "zed"} | {"dan"}
    assert reasons["nobody"] == f"no submission for {A1}, {A2}"
    assert "falling scores: 100% in 01_perceptron, 0% in 02_logistic_neuron" in reasons["dan"]
    assert f"{A2_EXERCISES} exercises not attempted" in reasons["dan"]
    exercises = page.split('id="exercises"', 1)[1].split("</table>", 1)[0]
    assert re.search(r"perceptron_epoch</td><td>4/5</td>.*?wrong_sign</span> \(1\)", exercises)
    common = page.split('id="diagnoses"', 1)[1].split("</table>", 1)[0]
    assert re.search(rf"<td>not_implemented</td><td>{A2_EXERCISES}</td>", common)


def test_report_command(course, capsys):
    assert main(["report", "--term", "--course-dir", str(course)]) == 0
    assert "term dashboard:" in capsys.readouterr().out
    assert main(["report", "--course-dir", str(course)]) == 2
    assert "name an assignment, or --term" in capsys.readouterr().err
    assert main(["report", A1, "--course-dir", str(course)]) == 0
    assert (course / "reports" / f"{A1}_report.html").exists()


def test_collect_without_the_exchange_reports_missing_and_late(course, capsys):
    assert main(["collect", A1, "--course-dir", str(course), "--no-exchange"]) == 0
    out = capsys.readouterr().out
    assert f"{A1}: 4 on time, 1 late, 1 missing" in out
    assert "late: cy (2 days)" in out and "not submitted: nobody" in out
    rows = {r["student"]: r for r in csv.DictReader(open(course / "reports" / f"{A1}_collect.csv"))}
    assert rows["cy"]["status"] == "late" and rows["cy"]["days_late"] == "2"
    assert rows["bob"]["status"] == "on time" and rows["nobody"]["status"] == "missing"
    assert rows["zed"]["status"] == "on time"


def test_bad_term_file_is_an_error_message_not_a_traceback(course, capsys):
    (course / "term.toml").write_text("[late]\npenalty_per_day = 5\n")
    assert main(["export", "--course-dir", str(course)]) == 2
    assert "error:" in capsys.readouterr().err


def test_a_stub_reported_as_a_notimplementederror_exception_counts_as_not_attempted(course):
    import json

    from autograder.term.report import at_risk, term_data

    state = course / "reports" / ".state" / A2 / "ann.json"
    e = json.loads(state.read_text())
    for r in e["exercises"]:
        r.update(score=0.0, diagnosis="exception", message=f"✗ {r['exercise']} raised NotImplementedError")
    state.write_text(json.dumps(e))
    students, assignments, journals = term_data(course)
    risk = at_risk(students, assignments, journals, course)
    assert f"{A2_EXERCISES} exercises not attempted (not_implemented)" in "; ".join(risk["ann"])
