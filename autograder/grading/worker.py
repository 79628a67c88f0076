"""A grading worker: ``python -m autograder.grading.worker ASSIGNMENT COURSE_DIR SLOT RUN_SEED``.

Long-lived (nbgrader is imported and configured once), it reads student ids on stdin, one per line,
and for each writes JSON lines on its real stdout: first ``{"stage": "recheck", ...}`` as soon as the
isolated re-check is done, then ``{"stage": "done", ...}`` after nbgrader's autograde and feedback.
Everything else it prints goes to stderr, so the protocol cannot be corrupted by logging.

Per student, one phase per module:

1. intake (:mod:`.submission`): is the folder a gradable notebook?
2. re-check (:mod:`.recheck`): the isolated re-check starts in the background;
3. autograde (:mod:`.autograde`): nbgrader's autograde of a copy, in the worker's private course
   folder, its kernel jailed (:mod:`.kernel`);
4. journal (:mod:`.journal`): the re-check's score stands where it and nbgrader's differ;
5. feedback (:mod:`.autograde`, :mod:`.feedback`): overrides recorded in the private gradebook,
   feedback with the hidden tests redacted; the feedback HTML and the autograded notebook go back
   to the caller, base64-encoded in the ``done`` message's ``outputs`` (see :data:`.journal.OUTPUTS`).

The worker never writes into the course directory: it only reads ``COURSE_DIR/submitted/`` (the
instructor's course directory for ``--jobs``, or an inbox folder of a Dask worker's own, see
:mod:`.cluster`). Whoever started it (:mod:`.driver` or :mod:`.cluster`) writes the outputs, the
journal and everything else, so both give the same files. It exits when its parent dies.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

from .autograde import PrivateCourse
from .journal import OUTPUTS, reconcile, ungraded_entry
from .kernel import start_fork_servers, write_kernel_spec
from .recheck import BackgroundRecheck
from .submission import validate_submission

__all__ = ["Worker", "main"]

class Worker:
    """The per-submission pipeline of one worker slot, with its fork servers and nbgrader set up."""

    def __init__(self, assignment: str, course_dir: Path, slot: int, run_seed: int):
        self.assignment, self.course_dir, self.slot, self.run_seed = assignment, course_dir, slot, run_seed
        self.course = PrivateCourse(assignment, slot)
        self.private = self.course.root
        # Two fork servers (see autograder.grading.forkserver): kernels and re-check sandboxes start
        # with their imports done instead of spending ~1.5 s of CPU on them per submission.
        self.kernel_server, self.sandbox_server = start_fork_servers(self.private / "fork", slot)
        os.environ["JUPYTER_PATH"] = str(write_kernel_spec(
            self.private / "jupyter", course_dir, self.private, slot,
            self.kernel_server.path if self.kernel_server else None))
        self.course.configure()

    def close(self) -> None:
        for server in (self.kernel_server, self.sandbox_server):
            if server is not None:
                server.stop()
        self.course.close()

    def grade(self, student: str, emit) -> None:
        t0 = time.monotonic()
        base = {"student": student, "assignment": self.assignment}
        notebook, problem = validate_submission(self.course_dir, self.assignment, student)
        if problem:
            emit({**ungraded_entry(self.assignment, student, problem), "seconds": time.monotonic() - t0})
            return
        recheck = BackgroundRecheck(
            self.assignment, notebook, run_seed=self.run_seed, slot=self.slot,
            hide=[self.course_dir, self.private / "db", self.private / "fork"],
            forkserver=self.sandbox_server.path if self.sandbox_server else None)
        t1 = time.monotonic()
        ok = self.course.autograde(student, notebook)
        autograde_seconds = time.monotonic() - t1
        rows, info = recheck.rows()
        waited = time.monotonic() - t1 - autograde_seconds  # for the re-check, after autograde
        emit({**base, "stage": "recheck", "problem": None, "exercises": rows, "recheck": info,
              "seconds": time.monotonic() - t0})
        reconcile(rows, self.course.scores(student) if ok else None)
        t2 = time.monotonic()
        outputs = self._outputs(student, rows) if ok else {}
        self.course.forget(student)
        emit({**base, "stage": "done", "problem": None, "exercises": rows, "recheck": info,
              "nbgrader_ok": ok, "feedback": None, "outputs": outputs,
              "autograde_seconds": autograde_seconds,
              "timings": {"before_autograde": t1 - t0, "autograde": autograde_seconds,
                          "recheck_wait": waited, "feedback": time.monotonic() - t2},
              "seconds": time.monotonic() - t0})


    def _outputs(self, student: str, rows: list[dict]) -> dict[str, str]:
        """Feedback and the autograded notebook, base64-encoded: made in a folder closed to the
        jailed uids (hidden from kernels and re-checks like the gradebook beside it), read back
        and removed."""
        outbox = self.private / "db" / "outbox"
        shutil.rmtree(outbox, ignore_errors=True)
        outbox.mkdir(mode=0o700)
        try:
            self.course.write_feedback(student, rows, outbox)
            out = {}
            for name, (folder, suffix) in OUTPUTS.items():
                path = outbox / folder / student / self.assignment / f"{self.assignment}{suffix}"
                if path.exists():
                    out[name] = base64.b64encode(path.read_bytes()).decode("ascii")
            return out
        finally:
            shutil.rmtree(outbox, ignore_errors=True)


def _die_with_parent() -> None:
    """End this worker (its process group: fork servers, kernels) as soon as its parent is gone:
    a killed driver or Dask worker must not leave a submission being graded for nobody."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        try:
            os.killpg(0, signal.SIGKILL)
        finally:
            os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def main(argv=None) -> None:
    assignment, course_dir, slot, run_seed = argv if argv is not None else sys.argv[1:]
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else printed to stdout (nbgrader, student output) goes to stderr
    sys.stdout = sys.stderr
    if os.getpgrp() == os.getpid():  # started in a session of its own, as the driver and cluster do
        _die_with_parent()
    worker = Worker(assignment, Path(course_dir), int(slot), int(run_seed))

    def emit(msg):
        out.write(json.dumps(msg) + "\n")
        out.flush()

    emit({"stage": "ready"})
    try:
        for line in sys.stdin:
            student = line.strip()
            if student:
                worker.grade(student, emit)
    finally:
        worker.close()


if __name__ == "__main__":
    main()
