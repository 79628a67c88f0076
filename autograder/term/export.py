"""``python -m autograder export``: the grades of every assignment, for the gradebook of record.

Writes into ``DIR/reports/export/``:

- ``nbgrader_grades.csv``: nbgrader's own ``nbgrader export`` CSV of ``DIR/gradebook.db`` (raw scores);
- ``term_grades.csv``: one row per student and assignment: status (``graded``, ``missing``,
  ``not graded`` = submitted but not graded yet), submission time, due date (extensions included),
  days late, the raw score, the score after the late penalty, and the registry's maximum;
- ``canvas_import.csv`` (with ``--roster``): Canvas's gradebook import file: the roster's identity
  columns (Student, ID, SIS User ID, SIS Login ID, Section), one column per assignment with the
  penalised points out of the registry's maxima, and Canvas's ``Points Possible`` row.

Nobody is dropped silently: a roster student with no submission gets 0 in Canvas and is listed as
missing; a student who submitted but is not on the roster cannot be imported into Canvas and is
listed as such (both in the printed summary and in ``term_grades.csv``).
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..exercises import ASSIGNMENTS, exercises_for
from ..notebooks import run_entry_point
from .course import Roster, has_submission, known_students, submitted_at
from .policy import Policy

__all__ = ["CANVAS_ID_COLUMNS", "Export", "export", "max_points", "raw_scores"]

CANVAS_ID_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
TERM_FIELDS = ["student", "on_roster", "assignment", "status", "submitted", "due", "days_late",
               "raw_score", "score", "max_score"]


def max_points(assignment: str) -> int:
    return sum(ex.points for ex in exercises_for(assignment))


def raw_scores(course_dir: Path) -> dict[tuple[str, str], float]:
    """``{(student, assignment): total}`` from ``DIR/reports/grades.csv`` (the driver's output)."""
    path = Path(course_dir) / "reports" / "grades.csv"
    totals: dict[tuple[str, str], float] = {}
    if path.exists():
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                key = (r["student"], r["assignment"])
                totals[key] = totals.get(key, 0.0) + float(r["score"])
    return totals


@dataclass
class Export:
    folder: Path
    assignments: list[str]
    rows: list[dict] = field(default_factory=list)
    missing: dict[str, list[str]] = field(default_factory=dict)      # assignment -> students
    not_graded: dict[str, list[str]] = field(default_factory=dict)   # submitted, no grade yet
    not_on_roster: list[str] = field(default_factory=list)
    canvas: Path | None = None
    nbgrader_csv: Path | None = None

    def summary(self) -> str:
        lines = [f"exported {len(self.assignments)} assignment(s) to {self.folder}"]
        for a in self.assignments:
            lines.append(f"  {a}: missing {', '.join(self.missing.get(a, [])) or 'none'}"
                         + (f"; submitted, not graded yet: {', '.join(self.not_graded[a])}"
                            if self.not_graded.get(a) else ""))
        if self.canvas is not None:
            lines.append(f"Canvas import: {self.canvas}")
            lines.append("not on the roster (not in the Canvas file): "
                         + (", ".join(self.not_on_roster) or "none"))
        return "\n".join(lines)


def export(course_dir: Path, policy: Policy, roster: Roster | None = None,
           assignments: list[str] | None = None, nbgrader_csv: bool = True) -> Export:
    course_dir = Path(course_dir)
    raw = raw_scores(course_dir)
    if assignments is None:
        graded = {a for _, a in raw}
        assignments = [a for a in ASSIGNMENTS if a in graded]
    folder = course_dir / "reports" / "export"
    folder.mkdir(parents=True, exist_ok=True)
    out = Export(folder, list(assignments))
    students = known_students(course_dir, roster)
    students += sorted({s for s, _ in raw} - set(students))
    on_roster = set(roster.ids) if roster else set()
    out.not_on_roster = [s for s in students if roster is not None and s not in on_roster]
    final: dict[tuple[str, str], float | None] = {}
    for s in students:
        for a in assignments:
            due = policy.due_for(a, s)
            row = {"student": s, "on_roster": "" if roster is None else ("yes" if s in on_roster else "no"),
                   "assignment": a, "submitted": "", "due": due.isoformat() if due else "", "days_late": 0,
                   "raw_score": "", "score": "", "max_score": max_points(a)}
            if (s, a) in raw:
                t = submitted_at(course_dir, s, a)
                days = policy.days_late(a, s, t)
                score = policy.penalised(raw[(s, a)], days)
                row.update(status="graded", submitted=t.isoformat() if t else "", days_late=days,
                           raw_score=f"{raw[(s, a)]:g}", score=f"{score:g}")
                final[(s, a)] = score
            elif has_submission(course_dir, s, a):
                row["status"] = "not graded"
                out.not_graded.setdefault(a, []).append(s)
                final[(s, a)] = None
            else:
                row.update(status="missing", raw_score="0", score="0")
                out.missing.setdefault(a, []).append(s)
                final[(s, a)] = 0.0
            out.rows.append(row)
    with open(folder / "term_grades.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=TERM_FIELDS)
        w.writeheader()
        w.writerows(out.rows)
    if roster is not None:
        out.canvas = folder / "canvas_import.csv"
        _write_canvas(out.canvas, roster, assignments, final)
    if nbgrader_csv and (course_dir / "gradebook.db").exists():
        out.nbgrader_csv = folder / "nbgrader_grades.csv"
        run_entry_point("autograder.term.export", "_nbgrader_main", [course_dir, out.nbgrader_csv],
                        "nbgrader's CSV export")
    return out


def _write_canvas(path: Path, roster: Roster, assignments: list[str], final: dict) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(CANVAS_ID_COLUMNS + list(assignments))
        w.writerow(["    Points Possible", "", "", "", ""] + [max_points(a) for a in assignments])
        for s in roster.ids:
            row = roster.rows[s]
            ident = [row.get(c, "") for c in CANVAS_ID_COLUMNS]
            if not ident[3]:
                ident[3] = s  # the login is how Canvas matches a row when there is no Canvas ID
            if not ident[0]:
                ident[0] = row.get("name", "") or s
            scores = []
            for a in assignments:
                v = final.get((s, a))
                scores.append("" if v is None else f"{v:g}")
            w.writerow(ident + scores)


def _nbgrader_main(argv=None) -> None:
    course_dir, dest = argv if argv is not None else sys.argv[1:]
    from nbgrader.api import Gradebook
    from nbgrader.plugins.export import CsvExportPlugin

    with Gradebook(f"sqlite:///{Path(course_dir) / 'gradebook.db'}") as gb:
        CsvExportPlugin(to=dest).export(gb)
