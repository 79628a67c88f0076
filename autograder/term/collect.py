"""``python -m autograder collect A``: nbgrader's collect, then who is missing and who is late.

nbgrader copies each student's newest submission from ``EXCHANGE/nncourse/inbound/`` to
``DIR/submitted/<student>/A/`` (where ``grade`` reads it). Then every student of the roster (or,
without one, everyone who ever submitted) is one of: ``on time``, ``late`` (after their due date,
extensions and grace included, with the started days late) or ``missing``. The table is printed
and written to ``DIR/reports/A_collect.csv``.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from ..notebooks import run_entry_point
from .course import (
    Roster,
    check_result,
    has_submission,
    known_students,
    nbgrader,
    require_exchange,
    submitted_at,
)
from .policy import Policy

__all__ = ["Status", "collect", "statuses", "write_statuses"]


@dataclass
class Status:
    student: str
    state: str                 # "on time", "late" or "missing"
    submitted: str = ""        # ISO time, UTC
    due: str = ""
    days_late: int = 0


def collect(assignment: str, course_dir: Path, exchange: str) -> str:
    """Run nbgrader's collect (newest submission of each student); return its log."""
    require_exchange(exchange, assignment)
    return run_entry_point("autograder.term.collect", "_main", [assignment, course_dir, exchange],
                           f"collecting {assignment}")


def _main(argv=None) -> None:
    assignment, course_dir, exchange = argv if argv is not None else sys.argv[1:]
    api = nbgrader(Path(course_dir), exchange)
    check_result(api.collect(assignment, update=True), f"collecting {assignment} from {exchange}")


def statuses(assignment: str, course_dir: Path, policy: Policy, roster: Roster | None) -> list[Status]:
    """Each known student's status for ``assignment`` (roster order first)."""
    out = []
    for s in known_students(course_dir, roster):
        due = policy.due_for(assignment, s)
        due_text = due.isoformat() if due else ""
        if not has_submission(course_dir, s, assignment):
            out.append(Status(s, "missing", due=due_text))
            continue
        t = submitted_at(course_dir, s, assignment)
        days = policy.days_late(assignment, s, t)
        out.append(Status(s, "late" if days else "on time", t.isoformat() if t else "", due_text, days))
    return out


def write_statuses(course_dir: Path, assignment: str, rows: list[Status]) -> Path:
    path = Path(course_dir) / "reports" / f"{assignment}_collect.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "status", "submitted", "due", "days_late"])
        for r in rows:
            w.writerow([r.student, r.state, r.submitted, r.due, r.days_late])
    return path


def status_text(assignment: str, rows: list[Status]) -> str:
    missing = [r.student for r in rows if r.state == "missing"]
    late = [f"{r.student} ({r.days_late} day{'s' if r.days_late != 1 else ''})"
            for r in rows if r.state == "late"]
    on_time = sum(r.state == "on time" for r in rows)
    return (f"{assignment}: {on_time} on time, {len(late)} late, {len(missing)} missing\n"
            f"  late: {', '.join(late) or 'none'}\n  not submitted: {', '.join(missing) or 'none'}")
