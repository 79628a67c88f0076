"""The grading driver end to end, on a synthetic class made from the real 01_perceptron notebook:
honest, blank, partly wrong and malformed submissions, and an attack corpus. Each attack must score
exactly what honest work would (zero for the faked exercise), and no other student's grade, the
gradebook or the run may suffer."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder.notebooks import ROOT

from .corpus import POINTS, A, _nb, attacks, build_class, read_csv

pytestmark = [pytest.mark.slow, pytest.mark.grading]

ENV = {**os.environ, "NNCOURSE_STALL_SECONDS": "10", "NNCOURSE_CELL_TIMEOUT": "15",
       "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}


def run_grade(course_dir: Path, *extra, check=True, jobs=2):
    out = subprocess.run([sys.executable, "-m", "autograder", "grade", A, "--course-dir", str(course_dir),
                          "--jobs", str(jobs), *extra], cwd=ROOT, env=ENV, capture_output=True, text=True,
                         timeout=3000)
    if check:
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out


def _seed(course_dir: Path, value: int = 20261123) -> None:
    state = course_dir / "reports" / ".state" / A
    state.mkdir(parents=True, exist_ok=True)
    (state / "seed").write_text(str(value))


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    course_dir = tmp_path_factory.mktemp("class")
    expected = build_class(course_dir)
    honest_nb = (course_dir / "submitted" / "honest" / A / f"{A}.ipynb").read_bytes()
    _seed(course_dir)
    t0 = time.monotonic()
    out = run_grade(course_dir)
    return course_dir, expected, honest_nb, out, time.monotonic() - t0


def test_every_student_gets_exactly_the_expected_scores(graded_class):
    course_dir, expected, _, _out, seconds = graded_class
    rows = read_csv(course_dir / "reports" / "grades.csv")
    got = {s: {ex: float(rows[(s, ex)]["score"]) for ex in POINTS} for s in expected}
    want = {s: {ex: float(v) for ex, v in exp.items()} for s, exp in expected.items()}
    wrong = {s: (got[s], want[s], [rows[(s, ex)]["diagnosis"] for ex in POINTS])
             for s in expected if got[s] != want[s]}
    assert not wrong, f"scores differ (got, expected, diagnoses): {wrong}"
    assert all(int(rows[(s, ex)]["max_score"]) == POINTS[ex] for s in expected for ex in POINTS)
    print(f"graded {len(expected)} submissions in {seconds:.0f} s")


def test_malformed_submissions_are_reported_with_what_is_wrong(graded_class):
    course_dir, *_ = graded_class
    rows = read_csv(course_dir / "reports" / "grades.csv")
    reasons = {s: rows[(s, "perceptron_predict")]["reason"] for s in
               ("not_json", "empty_file", "renamed", "duplicated", "no_assignment_folder", "nothing")}
    assert "not valid JSON" in reasons["not_json"]
    assert "empty" in reasons["empty_file"]
    assert "my_perceptron.ipynb" in reasons["renamed"]
    assert "more than one notebook" in reasons["duplicated"]
    assert "nothing submitted" in reasons["no_assignment_folder"]
    assert "nothing submitted" in reasons["nothing"]
    report = (course_dir / "reports" / f"{A}_report.html").read_text()
    for s in reasons:
        assert s in report, f"{s} missing from the class report's list of problems"


def test_recheck_overrides_nbgrader_and_says_why(graded_class):
    course_dir, *_ = graded_class
    rows = read_csv(course_dir / "reports" / "grades.csv")
    # A test cell that writes to stderr scores 0 under nbgrader; the re-check gives the points back.
    r = rows[("attack_stderr_in_test", "perceptron_predict")]
    assert r["overridden"] == "yes" and r["score"] == "2" and "re-check" in r["reason"], r
    # The input transformer turns nbgrader's test cells into `pass`: full marks there, 0 here.
    r = rows[("attack_input_transformer", "perceptron_predict")]
    assert r["overridden"] == "yes" and r["score"] == "0" and r["nbgrader_score"] == "2", r
    assert rows[("honest", "perceptron_predict")]["overridden"] == "no"


def test_gradebook_matches_the_csv_and_was_not_tampered_with(graded_class):
    course_dir, expected, honest_nb, *_ = graded_class
    from nbgrader.api import Gradebook

    rows = read_csv(course_dir / "reports" / "grades.csv")
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gb:
        for s in expected:
            sub = gb.find_submission_notebook(A, A, s)
            for g in sub.grades:
                ex = g.name.removesuffix("_tests")
                assert g.score == float(rows[(s, ex)]["score"]), (s, ex, g.score)
                assert g.max_score == POINTS[ex]
    assert (course_dir / "submitted" / "honest" / A / f"{A}.ipynb").read_bytes() == honest_nb
    assert "pwned" not in (course_dir / "reports" / "grades.csv").read_text()


def test_feedback_names_the_mistake_and_hides_the_hidden_tests(graded_class):
    course_dir, *_ = graded_class
    html = (course_dir / "feedback" / "partly_wrong" / A / f"{A}.html").read_text()
    assert "perceptron_predict" in html and "sign" in html
    for student_dir in (course_dir / "feedback").iterdir():
        text = (student_dir / A / f"{A}.html").read_text()
        assert "BEGIN HIDDEN TESTS" not in text and "hidden=True" not in text, student_dir.name


def test_rerunning_a_finished_job_changes_nothing(graded_class):
    course_dir, *_ = graded_class
    state = course_dir / "reports" / ".state" / A
    before = {p.name: p.read_bytes() for p in state.glob("*.json")}
    csv_before = (course_dir / "reports" / "grades.csv").read_bytes()
    run_grade(course_dir)
    assert {p.name: p.read_bytes() for p in state.glob("*.json")} == before
    assert (course_dir / "reports" / "grades.csv").read_bytes() == csv_before


def test_kill_and_resume_gives_the_same_grades(tmp_path):
    """SIGKILL the driver mid-run, run it again: the grades equal an uninterrupted run's."""
    base = tmp_path / "base"
    build_class(base, with_attacks=False)
    _seed(base)
    twin = tmp_path / "twin"
    shutil.copytree(base, twin)
    run_grade(base)
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", A, "--course-dir", str(twin),
                             "--jobs", "2"], cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    state = twin / "reports" / ".state" / A
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and len(list(state.glob("*.json"))) < 7:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_at_kill = len(list(state.glob("*.json")))
    assert 0 < done_at_kill < 9, f"kill landed at {done_at_kill} journal entries"
    run_grade(twin)
    assert read_csv(base / "reports" / "grades.csv") == read_csv(twin / "reports" / "grades.csv")


@pytest.mark.skipif(os.geteuid() != 0, reason="kernels run under a uid of their own only as root")
def test_a_fork_bomb_does_not_cost_the_next_student_in_its_worker(tmp_path):
    """One worker grades a fork bomb, then an honest notebook: the bomb's children (asleep for 30 s
    under the kernel's uid) must not leave the honest student's kernel without threads."""
    bomb, _ = attacks(tmp_path)["fork_bomb"]
    for student in ("a_fork_bomb", "b_honest"):  # graded in this order by a single worker
        nb = _nb()
        if student == "a_fork_bomb":
            bomb(nb)
        d = tmp_path / "submitted" / student / A
        d.mkdir(parents=True)
        nbformat.write(nb, d / f"{A}.ipynb")
    _seed(tmp_path)
    run_grade(tmp_path, jobs=1)
    rows = read_csv(tmp_path / "reports" / "grades.csv")
    for ex, points in POINTS.items():
        r = rows[("b_honest", ex)]
        assert (r["score"], r["nbgrader_score"], r["overridden"]) == (str(points), str(points), "no"), r
    assert (tmp_path / "feedback" / "b_honest" / A / f"{A}.html").exists()
