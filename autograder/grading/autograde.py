"""nbgrader's side of grading one submission: autograde in the jailed kernel, then feedback.

A :class:`PrivateCourse` is an nbgrader course folder private to one worker (outside the course
directory, closed to the jailed uids), with its own gradebook: nbgrader is imported and configured
once per worker, and the jailed kernel works in a folder whose name it cannot guess. Per student,
:mod:`.worker` calls :meth:`~PrivateCourse.autograde`, :meth:`~PrivateCourse.scores`, then, with
the reconciled rows, :meth:`~PrivateCourse.write_feedback`, and finally
:meth:`~PrivateCourse.forget`.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
from pathlib import Path

from .demo_cells import autograde_preprocessors
from .kernel import KERNEL_NAME, kernel_manager_config, reap_kernel_leftovers

__all__ = ["PrivateCourse", "feedback_messages"]

#: Sub-folders of a worker's private folder (the autograded one gets a random name).
PRIVATE_FOLDERS = ("db", "submitted", "feedback", "release", "jupyter", "runtime", "fork")


def feedback_messages(rows: list[dict]) -> dict:
    """What the feedback shows under each graded cell: the diagnosis and the score (and why the
    score differs from nbgrader's, where it does). Read by :class:`.feedback.RedactGradedCells`."""
    return {r["exercise"]: {"feedback": r["message"] + (
        f"\n(Score {r['score']:g}/{r['points']}; {r['reason']}.)" if r["overridden"] else
        f"\n(Score {r['score']:g}/{r['points']}.)"),
        # for the summary at the top of the page (feedback.summary_cell)
        "message": r["message"], "score": r["score"], "points": r["points"], "diagnosis": r["diagnosis"]}
        for r in rows}


class PrivateCourse:
    """nbgrader configured on a private course folder of worker ``slot``."""

    def __init__(self, assignment: str, slot: int):
        self.assignment, self.slot = assignment, slot
        # The private folder can be crossed but not listed by other uids (mode 711), and the
        # autograded folder inside it, where the jailed kernel works, has an unguessable name:
        # a kernel can reach its own working folder and nothing of another worker. Everything
        # else in here is closed (mode 700).
        self.root = Path(tempfile.mkdtemp(prefix=f"nncourse-worker{slot}-"))
        os.chmod(self.root, 0o711)
        for sub in PRIVATE_FOLDERS:
            (self.root / sub).mkdir(mode=0o700)
        self.autograded = self.root / f"autograded-{secrets.token_hex(8)}"
        self.autograded.mkdir(mode=0o711)
        self.feedback_json = self.root / "db" / "feedback.json"
        self.api = None

    def configure(self) -> None:
        """Import nbgrader and register the assignment (once; the kernelspec must be on
        ``JUPYTER_PATH`` already)."""
        os.environ["JUPYTER_RUNTIME_DIR"] = str(self.root / "runtime")
        os.environ["NNCOURSE_GRADEBOOK"] = f"sqlite:///{self.root / 'db' / 'gradebook.db'}"
        os.environ["NNCOURSE_FEEDBACK"] = str(self.feedback_json)
        from ..notebooks import nbgrader_api
        from .feedback import reuse_compiled_templates, reuse_rendered_cells
        from .feedback_speed import skip_reparse
        from .nbgrader_speed import reuse_engines, reuse_schema_checks

        reuse_compiled_templates()
        reuse_rendered_cells()
        skip_reparse()
        reuse_schema_checks()
        reuse_engines()
        self.api = nbgrader_api(self.root, self.root / "release", overrides={
            "CourseDirectory": {"autograded_directory": str(self.autograded)},
            # demo and check cells are not run at grading, only set-up, answers and graded cells
            "Autograde": {"autograde_preprocessors": autograde_preprocessors()},
            "KernelManager": kernel_manager_config(self.root),
            # nbconvert validates the notebook after every preprocessor (19 times per student); once
            # after the last one is enough: an invalid notebook is refused all the same
            "Exporter": {"optimistic_validation": True},
            # the kernel is discarded: no graceful shut-down (the fork server kills it, and the jail
            # and reap_kernel_leftovers remove what it leaves)
            "Execute": {"kernel_name": KERNEL_NAME, "shutdown_kernel": "immediate",
                        # without jupyter_client's fixed waits at start and kill (0.3 s per student)
                        "kernel_manager_class": "autograder.grading.kernel_manager.GradingKernelManager",
                        "timeout": int(os.environ.get("NNCOURSE_CELL_TIMEOUT", "30"))},
            "GenerateFeedback": {"preprocessors": [
                "nbgrader.preprocessors.GetGrades",
                "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
                "nbgrader.preprocessors.ClearHiddenTests",
                "autograder.grading.feedback.RedactGradedCells",
            ]},
        })
        result = self.api.generate_assignment(self.assignment, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(f"cannot register {self.assignment}: {result.get('error')}")

    def autograde(self, student: str, notebook: Path) -> bool:
        """nbgrader's autograde of a copy of ``notebook``; ``False`` if nbgrader failed."""
        sub = self.root / "submitted" / student / self.assignment
        sub.mkdir(parents=True, exist_ok=True)
        shutil.copy(notebook, sub / notebook.name)
        reap_kernel_leftovers(self.slot)  # of a run that was killed before it could clean up
        try:
            return bool(self.api.autograde(self.assignment, student, force=True, create=True)["success"])
        except Exception:  # nbgrader's own failure on a hostile notebook
            return False
        finally:
            reap_kernel_leftovers(self.slot)

    def scores(self, student: str) -> dict | None:
        """nbgrader's score of each graded cell, ``{cell name: score}``; ``None`` if none."""
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.api.coursedir.db_url) as gb:
            try:
                nb = gb.find_submission_notebook(self.assignment, self.assignment, student)
            except MissingEntry:
                return None
            return {g.name: g.auto_score for g in nb.grades}

    def set_overrides(self, student: str, rows: list[dict]) -> None:
        """Record the re-check's score as nbgrader's manual score where the two disagree."""
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.api.coursedir.db_url) as gb:
            for r in rows:
                try:
                    g = gb.find_grade(f"{r['exercise']}_tests", self.assignment, self.assignment, student)
                except MissingEntry:
                    continue
                g.manual_score = r["score"] if r["overridden"] else None
            gb.db.commit()

    def write_feedback(self, student: str, rows: list[dict], course_dir: Path) -> str | None:
        """Overrides, nbgrader's feedback (hidden tests redacted), and copies of the feedback and
        the autograded notebook into ``course_dir``; returns the feedback file's path or ``None``."""
        self.feedback_json.write_text(json.dumps(feedback_messages(rows)))
        self.set_overrides(student, rows)
        try:
            ok = self.api.generate_feedback(self.assignment, student, force=True)["success"]
        except Exception:
            ok = False
        html = None
        src = self.root / "feedback" / student / self.assignment / f"{self.assignment}.html"
        if ok and src.exists():
            from .mathjax import localize_mathjax

            src.write_text(localize_mathjax(src.read_text()))  # MathJax from this machine, not a CDN
            dest = course_dir / "feedback" / student / self.assignment
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dest / src.name)
            html = str(dest / src.name)
        graded = self.autograded / student / self.assignment / f"{self.assignment}.ipynb"
        if graded.exists():
            dest = course_dir / "autograded" / student / self.assignment
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy(graded, dest / graded.name)
        return html

    def forget(self, student: str) -> None:
        """Remove this student's files from the private folder."""
        for d in (self.root / "submitted", self.autograded, self.root / "feedback"):
            shutil.rmtree(d / student, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
