"""Grading a whole class: ``python -m autograder grade ASSIGNMENT --course-dir DIR [--jobs N]``.

The driver hands every submission under ``DIR/submitted/<student>/<ASSIGNMENT>/`` to a pool of
long-lived workers (:mod:`autograder.grading.worker`), each a separate process that runs the isolated
re-check and nbgrader's autograde and feedback. It journals each finished student atomically in
``DIR/reports/.state/<ASSIGNMENT>/<student>.json``, so that a run killed at any moment (SIGKILL
included) resumes where it stopped and never grades a student twice; re-running a finished job
changes nothing unless ``--force``. At the end it writes, from the journal alone, the nbgrader
gradebook ``DIR/gradebook.db`` (the re-check's score stands where it and nbgrader disagree, as an
nbgrader manual override), ``DIR/reports/grades.csv`` and the class report.
"""

from __future__ import annotations

import csv
import json
import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..exercises import ASSIGNMENTS, exercises_for
from ..notebooks import ROOT, child_env, run_entry_point, solution_path

__all__ = ["GradingError", "grade_class", "load_journal", "write_gradebook", "write_grades_csv"]

CSV_FIELDS = ["student", "assignment", "exercise", "score", "max_score", "nbgrader_score",
              "overridden", "reason", "diagnosis"]


#: The diagnosis recorded for every exercise of a submission that could not be graded (a broken or
#: missing notebook, a failed re-check): not a mistake in the student's code.
NOT_GRADED = "not_graded"


class GradingError(RuntimeError):
    """The grading run cannot start (bad assignment, course directory without submissions...)."""


def state_dir(course_dir: Path, assignment: str) -> Path:
    return course_dir / "reports" / ".state" / assignment


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def run_seed(course_dir: Path, assignment: str) -> int:
    """The secret seed of this assignment's hidden re-check cases, fixed for the course directory
    so that a resumed run draws the same cases as an uninterrupted one."""
    path = state_dir(course_dir, assignment) / "seed"
    if not path.exists():
        _write_atomic(path, str(secrets.randbits(62)))
        os.chmod(path, 0o600)
    return int(path.read_text())


def students_of(course_dir: Path) -> list[str]:
    sub = course_dir / "submitted"
    if not sub.is_dir():
        return []
    return sorted(p.name for p in sub.iterdir() if p.is_dir() and not p.name.startswith("."))


def load_journal(course_dir: Path, assignment: str, students) -> dict[str, dict]:
    out = {}
    for s in students:
        p = state_dir(course_dir, assignment) / f"{s}.json"
        if p.exists():
            try:
                out[s] = json.loads(p.read_text())
            except json.JSONDecodeError:
                pass  # a torn write cannot happen (atomic rename); be safe anyway: regrade
    return out


# --- progress ------------------------------------------------------------------------------------

@dataclass
class Progress:
    total: int
    stream: object = sys.stderr
    done: int = 0
    failed: int = 0
    start: float = field(default_factory=time.monotonic)

    def update(self, failed: bool = False) -> None:
        self.done += 1
        self.failed += int(failed)
        self.show()

    def show(self) -> None:
        elapsed = time.monotonic() - self.start
        left = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        width = 30
        fill = int(width * self.done / max(self.total, 1))
        line = (f"[{'#' * fill}{'.' * (width - fill)}] {self.done}/{self.total} graded, "
                f"{self.failed} failed, {_mmss(elapsed)} elapsed, ~{_mmss(left)} left")
        tty = getattr(self.stream, "isatty", lambda: False)()
        self.stream.write(("\r" + line) if tty else (line + "\n"))
        if tty and self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def _mmss(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m:02d}:{s:02d}"


# --- the worker pool ---------------------------------------------------------------------------

class _Slot:
    """One worker process and the thread that feeds it."""

    def __init__(self, index: int, assignment: str, course_dir: Path, seed: int, log: Path):
        self.index, self.assignment, self.course_dir, self.seed, self.log = (
            index, assignment, course_dir, seed, log)
        self.proc = None
        self.lines: queue.Queue = queue.Queue()

    def start(self) -> None:
        env = child_env()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.grading.worker", self.assignment, str(self.course_dir),
             str(self.index), str(self.seed)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(self.log, "ab"),
            text=True, cwd=ROOT, env=env, start_new_session=True,
        )
        self.lines = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc, self.lines), daemon=True).start()

    @staticmethod
    def _read(proc, lines) -> None:
        for line in proc.stdout:
            try:
                lines.put(json.loads(line))
            except json.JSONDecodeError:
                pass
        lines.put(None)  # the worker is gone

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc:
            self.proc.wait()

    def grade(self, student: str, timeout: float) -> dict:
        """Grade one student; on a worker crash or time-out restart the worker and return what
        is known (the re-check's verdict if it came)."""
        if self.proc is None or self.proc.poll() is not None:
            self.start()
            if not self._wait_for("ready", 300):
                self.stop()
                return {"student": student, "stage": "failed", "problem": "the grading worker did not start"}
        try:
            self.proc.stdin.write(student + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self.stop()
            return self.grade(student, timeout)
        partial = None
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                msg = "timeout"
            if isinstance(msg, dict) and msg.get("student") == student:
                if msg.get("stage") == "done":
                    return msg
                partial = msg
                continue
            if msg is None or msg == "timeout":
                self.stop()
                why = "timed out" if msg == "timeout" else "crashed"
                if partial is not None:
                    for r in partial["exercises"]:
                        r["reason"] = f"nbgrader's autograde {why}; the isolated re-check's score stands"
                    return {**partial, "stage": "done", "nbgrader_ok": False}
                return {"student": student, "stage": "failed",
                        "problem": f"grading {why} after {timeout:.0f} s"}

    def _wait_for(self, stage: str, timeout: float) -> bool:
        try:
            msg = self.lines.get(timeout=timeout)
        except queue.Empty:
            return False
        return isinstance(msg, dict) and msg.get("stage") == stage


def ungraded_entry(assignment: str, student: str, problem: str) -> dict:
    """The journal entry of a submission that could not be graded: zero for every exercise,
    the problem as the reason."""
    return {"student": student, "assignment": assignment, "stage": "done", "problem": problem,
            "exercises": [{"exercise": ex.name, "points": ex.points, "score": 0.0,
                           "nbgrader_score": None, "overridden": False, "diagnosis": NOT_GRADED,
                           "reason": problem, "message": problem}
                          for ex in exercises_for(assignment)]}


def grade_class(assignment: str, course_dir, jobs: int | None = None, force: bool = False,
                timeout: float = 600.0, progress_stream=sys.stderr) -> dict:
    """Grade every submission of ``assignment``; return the journal ``{student: entry}``."""
    if assignment not in ASSIGNMENTS:
        raise GradingError(f"unknown assignment {assignment!r}; valid: {', '.join(ASSIGNMENTS)}")
    if not solution_path(assignment).exists():
        raise GradingError(f"no solution notebook for {assignment} in {ROOT / 'solutions'}")
    course_dir = Path(course_dir).resolve()
    students = students_of(course_dir)
    if not students:
        raise GradingError(f"no submissions under {course_dir / 'submitted'}/<student>/{assignment}/")
    state = state_dir(course_dir, assignment)
    state.mkdir(parents=True, exist_ok=True)
    seed = run_seed(course_dir, assignment)
    journal = {} if force else load_journal(course_dir, assignment, students)
    todo = [s for s in students if s not in journal]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
    bar = Progress(total=len(students), stream=progress_stream)
    bar.done = len(students) - len(todo)
    work: queue.Queue = queue.Queue()
    for s in todo:
        work.put(s)
    lock = threading.Lock()

    def run(slot: _Slot) -> None:
        try:
            while True:
                try:
                    student = work.get_nowait()
                except queue.Empty:
                    return
                entry = slot.grade(student, timeout)
                if entry.get("stage") != "done":
                    entry = ungraded_entry(assignment, student, entry.get("problem") or "grading failed")
                entry["assignment"] = assignment
                _write_atomic(state / f"{student}.json", json.dumps(entry, indent=1))
                with lock:
                    journal[student] = entry
                    bar.update(failed=bool(entry.get("problem")))
        finally:
            slot.stop()

    if todo:
        slots = [_Slot(i, assignment, course_dir, seed, state / f"worker{i}.log") for i in range(jobs)]
        threads = [threading.Thread(target=run, args=(s,)) for s in slots]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return {s: journal[s] for s in students if s in journal}


# --- outputs, all derived from the journal ---------------------------------------------------------

def csv_rows(journal: dict) -> list[dict]:
    rows = []
    for student, entry in sorted(journal.items()):
        for r in entry["exercises"]:
            rows.append({
                "student": student, "assignment": entry["assignment"], "exercise": r["exercise"],
                "score": f"{r['score']:g}", "max_score": r["points"],
                "nbgrader_score": "" if r.get("nbgrader_score") is None else f"{r['nbgrader_score']:g}",
                "overridden": "yes" if r.get("overridden") else "no", "reason": r.get("reason") or "",
                "diagnosis": r.get("diagnosis") or "",
            })
    return rows


def write_grades_csv(course_dir: Path, journal: dict, assignment: str) -> Path:
    """``reports/grades.csv``: one row per student and exercise, every assignment graded so far."""
    path = course_dir / "reports" / "grades.csv"
    keep = []
    if path.exists():
        with open(path, newline="") as f:
            keep = [r for r in csv.DictReader(f) if r.get("assignment") != assignment]
    rows = keep + csv_rows(journal)
    rows.sort(key=lambda r: (r["assignment"], r["student"]))
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)
    return path


def _gradebook_main(argv=None) -> None:
    """Subprocess entry point of :func:`write_gradebook`: ``COURSE_DIR ASSIGNMENT``."""
    course_dir, assignment = argv if argv is not None else sys.argv[1:]
    import tempfile

    from nbgrader.api import Gradebook, MissingEntry

    from ..notebooks import nbgrader_api

    course_dir = Path(course_dir)
    students = students_of(course_dir)
    journal = load_journal(course_dir, assignment, students)
    os.environ.pop("NNCOURSE_GRADEBOOK", None)
    with tempfile.TemporaryDirectory() as rel:
        api = nbgrader_api(course_dir, Path(rel))
        if not api.generate_assignment(assignment, force=True, create=True)["success"]:
            sys.exit(f"cannot register {assignment} in the gradebook")
    with Gradebook(api.coursedir.db_url) as gb:
        for student, entry in sorted(journal.items()):
            gb.update_or_create_student(student)
            try:
                gb.find_submission(assignment, student)
            except MissingEntry:
                gb.add_submission(assignment, student)
            for r in entry["exercises"]:
                g = gb.find_grade(f"{r['exercise']}_tests", assignment, assignment, student)
                nb_score = r.get("nbgrader_score")
                g.auto_score = float(nb_score) if nb_score is not None else 0.0
                g.manual_score = float(r["score"]) if (r.get("overridden") or nb_score is None) else None
            gb.db.commit()


def write_gradebook(course_dir: Path, assignment: str) -> None:
    """Write ``DIR/gradebook.db`` from the journal (idempotent), in a separate process."""
    env = {k: v for k, v in os.environ.items() if k != "NNCOURSE_GRADEBOOK"}
    try:
        run_entry_point("autograder.grading", "_gradebook_main", [course_dir, assignment],
                        "writing the gradebook", env=env)
    except RuntimeError as exc:
        raise GradingError(str(exc)) from None
