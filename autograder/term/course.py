"""What the term commands share: where things are in a course directory, the roster, and a
configured nbgrader API in a process of its own.

A course directory ``DIR`` (``--course-dir``) holds ``release/`` (what ``publish`` handed out),
``submitted/`` (what ``collect`` brought in), ``feedback/``, ``gradebook.db`` and ``reports/``, and
optionally the instructor's ``roster.csv`` and ``term.toml`` (:mod:`autograder.term.policy`).
"""

from __future__ import annotations

import csv
import os
from datetime import datetime
from pathlib import Path

from ..grading.journal import students_of
from .policy import parse_time

__all__ = ["DEFAULT_EXCHANGE", "ID_COLUMNS", "Roster", "exchange_root", "read_roster", "submitted_at"]

#: nbgrader's exchange on a JupyterHub machine (deploy/jupyterhub/ creates it).
DEFAULT_EXCHANGE = "/srv/nbgrader/exchange"
#: Roster columns that may hold the student's login (the nbgrader student id), in order of preference.
ID_COLUMNS = ("student_id", "username", "login", "SIS Login ID", "student")


def exchange_root(value: str | None) -> str:
    return value or os.environ.get("NNCOURSE_EXCHANGE") or DEFAULT_EXCHANGE


def require_exchange(exchange: str, assignment: str) -> None:
    """Refuse early, naming the folder, when the exchange or the course in it is missing
    (nbgrader's own message tells the instructor to contact their instructor)."""
    course = Path(exchange) / "nncourse"
    if not Path(exchange).is_dir():
        raise FileNotFoundError(f"nbgrader's exchange {exchange} does not exist: create it with "
                                "deploy/jupyterhub/install.sh, or name it with --exchange")
    if not course.is_dir():
        raise FileNotFoundError(f"no course nncourse in the exchange {exchange}: "
                                f"publish an assignment first (python -m autograder publish {assignment})")


def default_file(course_dir: Path, value: str | None, name: str) -> Path | None:
    """``value`` if given, else ``DIR/name`` if it exists, else ``None``."""
    if value:
        return Path(value)
    path = course_dir / name
    return path if path.exists() else None


class Roster:
    """The class list: ``ids`` in file order and each student's row (all columns kept)."""

    def __init__(self, ids: list[str], rows: dict[str, dict], columns: list[str], id_column: str):
        self.ids, self.rows, self.columns, self.id_column = ids, rows, columns, id_column


def read_roster(path: Path) -> Roster:
    """Read a roster CSV: Canvas's own gradebook export (its ``SIS Login ID`` is the login) or any
    CSV with one of :data:`ID_COLUMNS`. Canvas's ``Points Possible`` row is skipped."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        columns = list(reader.fieldnames or [])
        id_column = next((c for c in ID_COLUMNS if c in columns), None)
        if id_column is None:
            raise ValueError(f"{path}: no student id column; expected one of {', '.join(ID_COLUMNS)}, "
                             f"found {', '.join(columns) or 'no header'}")
        ids, rows = [], {}
        for row in reader:
            if "Points Possible" in (row.get("Student") or ""):
                continue
            sid = (row.get(id_column) or "").strip()
            if not sid:
                continue
            if sid in rows:
                raise ValueError(f"{path}: student {sid!r} is listed twice")
            ids.append(sid)
            rows[sid] = row
    return Roster(ids, rows, columns, id_column)


def submitted_at(course_dir: Path, student: str, assignment: str) -> datetime | None:
    """When ``student`` submitted ``assignment`` (nbgrader's ``timestamp.txt``), or ``None``."""
    path = course_dir / "submitted" / student / assignment / "timestamp.txt"
    if not path.exists():
        return None
    return parse_time(path.read_text())


def has_submission(course_dir: Path, student: str, assignment: str) -> bool:
    return (course_dir / "submitted" / student / assignment).is_dir()


def known_students(course_dir: Path, roster: Roster | None) -> list[str]:
    """The roster's students in order, then anyone else who submitted something (sorted)."""
    out = list(roster.ids) if roster else []
    seen = set(out)
    out += [s for s in students_of(course_dir) if s not in seen]
    return out


def nbgrader(course_dir: Path, exchange: str, release_dir: Path | None = None, overrides: dict | None = None):
    """The repo's nbgrader API for ``course_dir`` with the exchange at ``exchange``. Call it in a
    subprocess (:func:`autograder.notebooks.run_entry_point`): nbgrader reconfigures logging."""
    from ..notebooks import nbgrader_api

    cfg = {"Exchange": {"root": exchange}}
    for section, values in (overrides or {}).items():
        cfg.setdefault(section, {}).update(values)
    return nbgrader_api(course_dir, release_dir or course_dir / "release", overrides=cfg)


def check_result(result: dict, what: str) -> None:
    """Exit with nbgrader's own error text when an API call failed."""
    import sys

    if not result or not result.get("success"):
        log = (result or {}).get("log") or ""
        err = (result or {}).get("error") or "no result"
        sys.stderr.write(f"{what} failed:\n{err}\n{log[-3000:]}\n")
        sys.exit(1)
    sys.stdout.write((result.get("log") or "")[-3000:])
