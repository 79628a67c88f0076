"""Keeping the course notebooks honest: nbgrader metadata from the registry, and the release.

Authors write ``solutions/<assignment>/<assignment>.ipynb`` following the course pattern and never
edit nbgrader metadata by hand. :func:`sync_metadata` derives it:

- a code cell with ``### BEGIN SOLUTION`` that defines a registered exercise ``def NAME(`` becomes
  that exercise's answer cell (``grade_id = NAME``, editable);
- a code cell that calls ``grade("NAME", ...)`` becomes its read-only graded cell, worth the
  registry's points (``grade_id = NAME_tests``);
- every other cell carries no nbgrader metadata; outputs and execution counts are cleared.

:func:`release` then runs ``nbgrader generate_assignment`` into ``course/`` (or another folder).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from .exercises import ASSIGNMENTS, exercises_for

__all__ = ["ROOT", "NotebookError", "release", "solution_path", "sync_metadata"]

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_VERSION = 3
_DEF = re.compile(r"^def (\w+)\(", re.MULTILINE)
_GRADE = re.compile(r"""\bgrade\(\s*["'](\w+)["']""")


class NotebookError(ValueError):
    """A solution notebook does not follow the course pattern."""


def solution_path(assignment: str, root: Path = ROOT) -> Path:
    return root / "solutions" / assignment / f"{assignment}.ipynb"


def _answer_meta(name: str) -> dict:
    return {"grade": False, "grade_id": name, "locked": False, "schema_version": SCHEMA_VERSION,
            "solution": True}


def _graded_meta(name: str, points: int) -> dict:
    return {"grade": True, "grade_id": f"{name}_tests", "locked": True, "points": points,
            "schema_version": SCHEMA_VERSION, "solution": False}


def sync_metadata(assignment: str, root: Path = ROOT, write: bool = True) -> bool:
    """Derive the nbgrader metadata of one solution notebook; return True if anything changed."""
    path = solution_path(assignment, root)
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    exercises = {ex.name: ex for ex in exercises_for(assignment)}
    answers: dict[str, int] = {}
    gradeds: dict[str, int] = {}
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("nbgrader", None)
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        src = cell.source
        if "### BEGIN SOLUTION" in src:
            names = [n for n in _DEF.findall(src) if n in exercises]
            if len(names) != 1:
                raise NotebookError(
                    f"{path.name} cell {i}: a solution cell must define exactly one registered "
                    f"exercise of {assignment} ({', '.join(exercises)}); found {names}"
                )
            answers[names[0]] = i
            cell.metadata["nbgrader"] = _answer_meta(names[0])
        elif "### BEGIN HIDDEN TESTS" in src or _GRADE.search(src):
            names = sorted(set(_GRADE.findall(src)))
            if len(names) != 1 or names[0] not in exercises:
                raise NotebookError(
                    f"{path.name} cell {i}: a graded cell must grade exactly one registered "
                    f"exercise of {assignment}; found {names}"
                )
            gradeds[names[0]] = i
            cell.metadata["nbgrader"] = _graded_meta(names[0], exercises[names[0]].points)
    for name in exercises:
        if name not in answers or name not in gradeds:
            raise NotebookError(f"{path.name}: exercise {name!r} needs an answer cell and a graded cell")
        if gradeds[name] < answers[name]:
            raise NotebookError(f"{path.name}: the graded cell of {name!r} comes before its answer")
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    after = nbformat.writes(nb)
    if after != before and write:
        nbformat.write(nb, path)
    return after != before


def release(assignments=ASSIGNMENTS, dest: Path | None = None, root: Path = ROOT) -> Path:
    """Run ``nbgrader generate_assignment`` for each assignment into ``dest`` (default ``course/``).

    The gradebook used for this lives in a temporary folder: releasing never touches a real one.
    """
    dest = Path(dest) if dest is not None else root / "course"
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env["NNCOURSE_GRADEBOOK"] = f"sqlite:///{tmp}/gradebook.db"
        env["NNCOURSE_COURSE_DIR"] = tmp
        env["NNCOURSE_RELEASE_DIR"] = str(dest.resolve())
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        for a in assignments:
            if not solution_path(a, root).exists():
                continue
            out = subprocess.run(
                [sys.executable, "-m", "nbgrader", "generate_assignment", a, "--force"],
                cwd=root, env=env, capture_output=True, text=True,
            )
            if out.returncode != 0:
                raise RuntimeError(f"nbgrader generate_assignment {a} failed:\n{out.stdout}{out.stderr}")
            # nbgrader copies everything beside the notebook; we release only notebooks and data.
            for junk in (dest / a).glob(".ipynb_checkpoints"):
                shutil.rmtree(junk)
    return dest
