"""Intake: is a student's submission folder a notebook that can be graded?

:func:`validate_submission` is the first phase of grading one student (called by
:mod:`.worker`). It reads the folder and the notebook's JSON, runs nothing, and names what is wrong
in words a student can act on; an ungradable submission gets a zero and that sentence in the report.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["validate_submission"]


def validate_submission(course_dir: Path, assignment: str, student: str) -> tuple[Path | None, str | None]:
    """``(notebook, None)`` when the submission can be graded, else ``(None, what is wrong)``."""
    folder = course_dir / "submitted" / student / assignment
    expected = f"{assignment}.ipynb"
    if not folder.is_dir():
        return None, f"nothing submitted: no folder submitted/{student}/{assignment}/"
    notebooks = sorted(p.name for p in folder.glob("*.ipynb"))
    if expected not in notebooks:
        if notebooks:
            return None, (f"the notebook must be named {expected}; found {', '.join(notebooks)} "
                          "(renamed or copied?)")
        return None, f"no notebook in submitted/{student}/{assignment}/ (expected {expected})"
    if len(notebooks) > 1:
        others = [n for n in notebooks if n != expected]
        return None, f"more than one notebook submitted ({expected} and {', '.join(others)}): duplicated?"
    path = folder / expected
    if path.stat().st_size == 0:
        return None, f"{expected} is empty (0 bytes)"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"{expected} is not valid JSON ({exc.__class__.__name__}: {str(exc)[:120]})"
    if not isinstance(doc, dict) or not isinstance(doc.get("cells"), list):
        return None, f"{expected} is not a Jupyter notebook (no list of cells)"
    try:
        import nbformat

        nbformat.validate(nbformat.reads(json.dumps(doc), as_version=4))
    except Exception as exc:  # nbformat raises several kinds
        return None, f"{expected} is not a valid notebook: {str(exc).splitlines()[0][:160]}"
    return path, None
