"""``python -m autograder return A``: release the graded feedback to the students through
nbgrader's exchange; each fetches it from the Assignments tab (or ``nbgrader fetch_feedback``).

nbgrader files each feedback page in ``EXCHANGE/nncourse/feedback/`` under a hash of the
submission's secret, so only the student who submitted can fetch it. ``grade`` writes
``DIR/feedback/<student>/A/A.html``; nbgrader's release also needs the submission's
``timestamp.txt`` and ``submission_secret.txt`` beside it, copied here from ``DIR/submitted/``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from ..grading.journal import students_of
from ..notebooks import run_entry_point
from .course import check_result, nbgrader, require_exchange

__all__ = ["prepare_feedback", "return_feedback"]


def prepare_feedback(course_dir: Path, assignment: str) -> tuple[list[str], list[str]]:
    """``(ready, without_feedback)``: students whose feedback can be released (the submission's
    timestamp and secret copied next to it) and students who submitted but have no feedback."""
    ready, without = [], []
    for s in students_of(course_dir):
        sub = course_dir / "submitted" / s / assignment
        if not sub.is_dir():
            continue
        fb = course_dir / "feedback" / s / assignment
        if not (fb / f"{assignment}.html").exists():
            without.append(s)
            continue
        for name in ("timestamp.txt", "submission_secret.txt"):
            if (sub / name).exists():
                shutil.copy(sub / name, fb / name)
        if (fb / "timestamp.txt").exists() and (fb / "submission_secret.txt").exists():
            ready.append(s)
        else:
            without.append(s)  # not submitted through the exchange: nothing to release it under
    return ready, without


def return_feedback(assignment: str, course_dir: Path, exchange: str) -> tuple[list[str], list[str]]:
    """Release the feedback of every student in ``ready`` (see :func:`prepare_feedback`)."""
    course_dir = Path(course_dir)
    require_exchange(exchange, assignment)
    ready, without = prepare_feedback(course_dir, assignment)
    if ready:
        run_entry_point("autograder.term.return_feedback", "_main",
                        [assignment, course_dir, exchange, ",".join(without)],
                        f"returning the feedback of {assignment}")
    return ready, without


def _main(argv=None) -> None:
    assignment, course_dir, exchange, exclude = argv if argv is not None else sys.argv[1:]
    api = nbgrader(Path(course_dir), exchange,
                   overrides={"CourseDirectory": {"student_id_exclude": exclude}} if exclude else None)
    check_result(api.release_feedback(assignment), f"releasing the feedback of {assignment} to {exchange}")
