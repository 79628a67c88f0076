"""The isolated re-check of one submission, run beside nbgrader's autograde.

:class:`BackgroundRecheck` runs :func:`.sandbox.recheck` in a thread of the worker: the sandbox is
its own process, and nbgrader's autograde in the worker's main thread spends most of its time
waiting for a kernel, so overlapping the two hides most of the re-check's cost. Its result is one
journal row per exercise; a failed re-check gives every exercise zero with the reason, never a
lost student.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from ..exercises import exercises_for
from .journal import NOT_GRADED

__all__ = ["BackgroundRecheck"]


class BackgroundRecheck:
    """Start the re-check of ``notebook`` now; :meth:`rows` waits for it."""

    def __init__(self, assignment: str, notebook: Path, *, run_seed: int, slot: int, hide: list,
                 forkserver: str | None):
        self.assignment = assignment
        self._box: dict = {}
        kwargs = dict(run_seed=run_seed, slot=slot, hide=hide, forkserver=forkserver,
                      stall_seconds=float(os.environ.get("NNCOURSE_STALL_SECONDS", "30")))
        self._thread = threading.Thread(target=self._run, args=(notebook, kwargs))
        self._thread.start()

    def _run(self, notebook: Path, kwargs: dict) -> None:
        from .sandbox import recheck

        try:
            self._box["result"] = recheck(self.assignment, notebook, **kwargs)
        except Exception as exc:  # reported as a failed re-check, never a lost student
            self._box["error"] = f"{type(exc).__name__}: {exc}"

    def rows(self) -> tuple[list[dict], dict]:
        """``(rows, info)``: one row per exercise with the re-check's score and diagnosis (not yet
        compared with nbgrader's), and the sandbox's information about the run."""
        self._thread.join()
        if "error" in self._box:
            error = self._box["error"]
            return [{"exercise": ex.name, "points": ex.points, "score": 0.0, "nbgrader_score": None,
                     "overridden": True, "diagnosis": NOT_GRADED, "reason": "",
                     "message": f"{ex.name}: the isolated re-check failed ({error})"}
                    for ex in exercises_for(self.assignment)], {"error": error}
        verdicts, info = self._box["result"]
        return [{"exercise": v.exercise, "points": v.points, "score": v.score, "nbgrader_score": None,
                 "overridden": True, "diagnosis": v.diagnosis, "reason": "", "message": v.message}
                for v in verdicts], info
