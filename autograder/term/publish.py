"""``python -m autograder publish A``: generate the student version of ``A`` and release it to
nbgrader's exchange, where students' Assignments tab (or ``nbgrader fetch_assignment``) finds it.

nbgrader's ``generate_assignment`` writes ``DIR/release/A/`` from ``solutions/A/`` (so publishing
never touches the repository's ``course/``) and registers ``A`` in ``DIR/gradebook.db`` (with its
due date when the term file gives one); ``release_assignment`` copies it to
``EXCHANGE/nncourse/outbound/A/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..notebooks import run_entry_point
from .course import check_result, nbgrader

__all__ = ["publish"]


def publish(assignment: str, course_dir: Path, exchange: str, due: str | None = None,
            force: bool = False) -> str:
    """Generate and release ``assignment``; return nbgrader's log."""
    course_dir = Path(course_dir)
    course_dir.mkdir(parents=True, exist_ok=True)
    return run_entry_point("autograder.term.publish", "_main",
                           [assignment, course_dir, exchange, due or "", "1" if force else "0"],
                           f"publishing {assignment}")


def _main(argv=None) -> None:
    assignment, course_dir, exchange, due, force = argv if argv is not None else sys.argv[1:]
    course_dir = Path(course_dir)
    api = nbgrader(course_dir, exchange, overrides={"ExchangeReleaseAssignment": {"force": force == "1"}})
    check_result(api.generate_assignment(assignment, force=True, create=True), f"generating {assignment}")
    if due:
        from nbgrader.api import Gradebook

        with Gradebook(api.coursedir.db_url) as gb:
            gb.update_or_create_assignment(assignment, duedate=due)
    check_result(api.release_assignment(assignment), f"releasing {assignment} to {exchange}")
