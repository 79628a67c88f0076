"""publish, collect and return through a real nbgrader exchange in a temporary folder.

The students' side is nbgrader's own command line (``fetch_assignment``, ``submit``,
``fetch_feedback``), each student with a home and nbgrader cache of their own; the instructor's
side is ``python -m autograder publish|collect|return``. Grading is not run here (the feedback pages
are hand-made): the end-to-end test on JupyterHub (tests/hub/) grades for real.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

A = "01_perceptron"
NBGRADER = str(Path(sys.executable).with_name("nbgrader"))
pytestmark = pytest.mark.timeout(240)


def cli(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    out = subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"{args} failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"
    return out


def autograder(*args) -> str:
    return cli(sys.executable, "-m", "autograder", *args).stdout


class Student:
    def __init__(self, name: str, tmp: Path, exchange: Path):
        self.name, self.exchange = name, exchange
        self.home = tmp / "home" / name
        self.home.mkdir(parents=True)
        self.env = {**os.environ, "HOME": str(self.home), "JUPYTER_DATA_DIR": str(self.home / ".local"),
                    "JUPYTER_CONFIG_DIR": str(self.home / ".jupyter"),
                    "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}

    def nbgrader(self, *args) -> str:
        out = cli(NBGRADER, *args, "--course", "nncourse", f"--Exchange.root={self.exchange}",
                  f"--CourseDirectory.student_id={self.name}", cwd=self.home, env=self.env)
        return out.stdout + out.stderr


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("term")
    exchange, course = tmp / "exchange", tmp / "course"
    course.mkdir()
    due = datetime.now(UTC) - timedelta(hours=30)
    (course / "term.toml").write_text(f'[due]\n{A} = {due.isoformat()}\n[late]\npenalty_per_day = 0.1\n'
                                      f'[extensions]\nalice = {{ days = 3 }}\n')
    (course / "roster.csv").write_text("username\nalice\nbob\ncarol\n")
    return tmp, exchange, course


@pytest.fixture(scope="module")
def published(term):
    _tmp, exchange, course = term
    out = autograder("publish", A, "--course-dir", str(course), "--exchange", str(exchange))
    assert f"published {A}" in out and "(due " in out
    return term


def test_publish_releases_the_student_version_and_records_the_due_date(published):
    _tmp, exchange, course = published
    nb = exchange / "nncourse" / "outbound" / A / f"{A}.ipynb"
    text = nb.read_text()
    assert "### BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "raise NotImplementedError()" in text
    assert oct((exchange / "nncourse" / "inbound").stat().st_mode & 0o7777) == "0o2733"  # nbgrader's
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        assert gb.find_assignment(A).duedate is not None


def test_collect_return_and_fetch_feedback(published):
    tmp, exchange, course = published
    students = {n: Student(n, tmp, exchange) for n in ("alice", "bob")}
    for s in students.values():
        s.nbgrader("fetch_assignment", A)
        nb_path = s.home / A / f"{A}.ipynb"
        nb = json.loads(nb_path.read_text())
        nb["metadata"]["written_by"] = s.name
        nb_path.write_text(json.dumps(nb))
        s.nbgrader("submit", A)
    out = autograder("collect", A, "--course-dir", str(course), "--exchange", str(exchange))
    assert f"{A}: 1 on time, 1 late, 1 missing" in out, out
    assert "late: bob (2 days)" in out and "not submitted: carol" in out
    for name in students:
        sub = course / "submitted" / name / A
        assert json.loads((sub / f"{A}.ipynb").read_text())["metadata"]["written_by"] == name
        assert (sub / "submission_secret.txt").exists()
    rows = {r["student"]: r["status"] for r in csv.DictReader(open(course / "reports" / f"{A}_collect.csv"))}
    assert rows == {"alice": "on time", "bob": "late", "carol": "missing"}

    # only alice's submission has been graded: bob's has no feedback yet
    fb = course / "feedback" / "alice" / A
    fb.mkdir(parents=True)
    (fb / f"{A}.html").write_text("<html><body>alice: 5/5</body></html>")
    out = autograder("return", A, "--course-dir", str(course), "--exchange", str(exchange))
    assert "feedback returned to 1 student(s): alice" in out
    assert "submitted but no feedback to return (grade them first): bob" in out

    students["alice"].nbgrader("fetch_feedback", A)
    got = list((students["alice"].home / A / "feedback").glob(f"*/{A}.html"))
    assert len(got) == 1 and got[0].read_text() == "<html><body>alice: 5/5</body></html>"
    log = students["bob"].nbgrader("fetch_feedback", A)
    assert not (students["bob"].home / A / "feedback").exists(), log


def test_publish_twice_needs_force(published):
    _tmp, exchange, course = published
    out = subprocess.run([sys.executable, "-m", "autograder", "publish", A, "--course-dir", str(course),
                          "--exchange", str(exchange)], capture_output=True, text=True)
    assert out.returncode == 2 and "Destination already exists, add --force" in out.stderr
    assert "published" in autograder("publish", A, "--course-dir", str(course), "--exchange", str(exchange),
                                     "--force")


def test_collect_from_an_exchange_without_the_course_says_so(tmp_path):
    out = subprocess.run([sys.executable, "-m", "autograder", "collect", A, "--course-dir", str(tmp_path),
                          "--exchange", str(tmp_path / "nowhere")], capture_output=True, text=True)
    assert out.returncode == 2
    assert f"nbgrader's exchange {tmp_path / 'nowhere'} does not exist" in out.stderr
    (tmp_path / "nowhere").mkdir()
    out = subprocess.run([sys.executable, "-m", "autograder", "return", A, "--course-dir", str(tmp_path),
                          "--exchange", str(tmp_path / "nowhere")], capture_output=True, text=True)
    assert out.returncode == 2
    assert "no course nncourse in the exchange" in out.stderr
