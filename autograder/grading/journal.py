"""The grading journal: one JSON entry per graded student, the record every output is made from.

``DIR/reports/.state/<ASSIGNMENT>/<student>.json`` is written atomically by the driver once a
student is graded, so a run killed at any moment resumes where it stopped and never grades a
student twice. This module holds the entry's shape: :func:`ungraded_entry` for a submission that
could not be graded, :func:`reconcile` for the rule that the isolated re-check's score stands
where nbgrader's differs, and the helpers that read and write the state folder.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from pathlib import Path

from ..exercises import exercises_for

__all__ = ["NOT_GRADED", "OUTPUTS", "decode_outputs", "journal_path", "load_journal", "reconcile", "run_seed",
           "state_dir", "students_of", "ungraded_entry", "write_atomic"]

#: The diagnosis recorded for every exercise of a submission that could not be graded (a broken or
#: missing notebook, a failed re-check): not a mistake in the student's code.
NOT_GRADED = "not_graded"


#: The files a graded submission gives back: name in the ``done`` message's ``outputs`` ->
#: (folder of the course directory, suffix); the file is ``FOLDER/<student>/<A>/<A><SUFFIX>``.
OUTPUTS = {"feedback_html": ("feedback", ".html"), "autograded_ipynb": ("autograded", ".ipynb")}


def decode_outputs(msg: dict) -> dict[str, bytes]:
    """Take the ``outputs`` out of a ``done`` message: ``{name: bytes}``, known names only."""
    raw = msg.pop("outputs", None) or {}
    return {name: base64.b64decode(raw[name]) for name in OUTPUTS if isinstance(raw.get(name), str)}


def state_dir(course_dir: Path, assignment: str) -> Path:
    return course_dir / "reports" / ".state" / assignment


def journal_path(course_dir: Path, assignment: str, student: str) -> Path:
    """``<student>.json`` in :func:`state_dir`; for an id too long for that name with
    :func:`write_atomic`'s ``.tmpPID`` suffix (a file name holds 255 bytes, the id alone may take
    them all) or starting with ``~``, ``~<sha256 of the id>.json``. The entry holds the id."""
    name = f"{student}.json"
    if student.startswith("~") or len(os.fsencode(name)) + len(".tmp") + 7 > 255:
        name = "~" + hashlib.sha256(os.fsencode(student)).hexdigest() + ".json"
    return state_dir(course_dir, assignment) / name


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def run_seed(course_dir: Path, assignment: str) -> int:
    """The secret seed of this assignment's hidden re-check cases, fixed for the course directory
    so that a resumed run draws the same cases as an uninterrupted one."""
    path = state_dir(course_dir, assignment) / "seed"
    if not path.exists():
        write_atomic(path, str(secrets.randbits(62)))
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
        p = journal_path(course_dir, assignment, s)
        if p.exists():
            try:
                entry = json.loads(p.read_text())
            except json.JSONDecodeError:
                continue  # a torn write cannot happen (atomic rename); be safe anyway: regrade
            if entry.get("student", s) == s:  # not another id's entry under this name: regrade
                out[s] = entry
    return out


def ungraded_entry(assignment: str, student: str, problem: str) -> dict:
    """The journal entry of a submission that could not be graded: zero for every exercise,
    the problem as the reason."""
    return {"student": student, "assignment": assignment, "stage": "done", "problem": problem,
            "exercises": [{"exercise": ex.name, "points": ex.points, "score": 0.0,
                           "nbgrader_score": None, "overridden": False, "diagnosis": NOT_GRADED,
                           "reason": problem, "message": problem}
                          for ex in exercises_for(assignment)]}


def reconcile(rows: list[dict], scores: dict | None) -> None:
    """Fill in nbgrader's score of each row (``scores``: ``{cell name: score}`` or ``None`` when
    nbgrader could not grade) and whether, and why, the re-check's score overrides it."""
    for r in rows:
        nb_score = None if scores is None else scores.get(f"{r['exercise']}_tests")
        r["nbgrader_score"] = nb_score
        r["overridden"] = nb_score is None or abs(float(nb_score) - r["score"]) > 1e-9
        if nb_score is None:
            r["reason"] = "nbgrader could not grade this notebook; the isolated re-check's score stands"
        elif r["overridden"]:
            r["reason"] = (f"nbgrader gave {nb_score:g}/{r['points']} but the isolated re-check "
                           f"gave {r['score']:g}: " + (r["diagnosis"] or "all hidden checks passed"))
        else:
            r["reason"] = ""
