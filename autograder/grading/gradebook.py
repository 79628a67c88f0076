"""The outputs of a grading run, all derived from the journal: ``DIR/reports/grades.csv`` and the
nbgrader gradebook ``DIR/gradebook.db`` (the re-check's score stands where it and nbgrader's
disagree, as an nbgrader manual override). Both are rewritten whole and idempotently, so a resumed
or repeated run gives the same files.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from ..notebooks import ROOT, child_env
from .driver import GradingError
from .journal import load_journal, students_of

__all__ = ["CSV_FIELDS", "GradebookWriter", "csv_rows", "write_grades_csv"]

CSV_FIELDS = ["student", "assignment", "exercise", "score", "max_score", "nbgrader_score",
              "overridden", "reason", "diagnosis"]

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
    """Subprocess entry point of :class:`GradebookWriter`: ``COURSE_DIR ASSIGNMENT``. It imports
    nbgrader at a low priority and writes only once it reads ``write`` on stdin (end of input: it
    exits without touching the gradebook)."""
    course_dir, assignment = argv if argv is not None else sys.argv[1:]
    import tempfile

    os.nice(10)  # imported while the class is graded: what the workers leave of the CPU
    from nbgrader.api import Gradebook, MissingEntry

    from ..notebooks import nbgrader_api

    if sys.stdin.readline().strip() != "write":
        return
    try:
        os.nice(-10)  # back to the caller's priority (root only)
    except OSError:
        pass
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


class GradebookWriter:
    """Writes ``DIR/gradebook.db`` from the journal (idempotent), in a process of its own (nbgrader
    reconfigures logging and holds its gradebook open): started when a grading run starts, it
    imports nbgrader (about 1-2 s of CPU) at a low priority while the class is graded and waits;
    :meth:`write` then writes. :meth:`cancel` (a run that failed) ends it with the gradebook
    untouched; so does the end of its input when the caller dies."""

    def __init__(self, course_dir: Path, assignment: str):
        env = child_env({k: v for k, v in os.environ.items() if k != "NNCOURSE_GRADEBOOK"})
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "import autograder.grading.gradebook as m; m._gradebook_main()",
             str(course_dir), assignment],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True)

    def write(self) -> None:
        """Write the gradebook now; :class:`GradingError` with nbgrader's words if it fails."""
        _out, err = self.proc.communicate("write\n")
        if self.proc.returncode != 0:
            raise GradingError(f"writing the gradebook failed:\n{err[-4000:]}")

    def cancel(self) -> None:
        """End it without writing (if :meth:`write` was not called: until then it only imports)."""
        if self.proc.returncode is None:
            self.proc.kill()
            self.proc.communicate()
