"""Grading a whole class: ``python -m autograder grade ASSIGNMENT --course-dir DIR [--jobs N]``.

The driver hands every submission under ``DIR/submitted/<student>/<ASSIGNMENT>/`` to a pool of
long-lived workers (:mod:`autograder.grading.worker`), each a separate process that runs the isolated
re-check and nbgrader's autograde and feedback; with ``--scheduler``, ``--scheduler-file`` or
``--cluster`` the same workers run on a Dask cluster instead (:mod:`.cluster`). Either way the
worker sends the feedback and the autograded notebook back and the driver is the only writer of
the course directory: it writes those files, then journals each finished student atomically in
``DIR/reports/.state/<ASSIGNMENT>/<student>.json``, so that a run killed at any moment (SIGKILL
included) resumes where it stopped and never grades a student twice; re-running a finished job
changes nothing unless ``--force``. At the end it writes, from the journal alone, the nbgrader
gradebook ``DIR/gradebook.db`` (the re-check's score stands where it and nbgrader disagree, as an
nbgrader manual override), ``DIR/reports/grades.csv`` and the class report.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..exercises import ASSIGNMENTS
from ..notebooks import ROOT, child_env, solution_path
from .jail import claim_slot
from .journal import (
    OUTPUTS,
    decode_outputs,
    journal_path,
    load_journal,
    run_seed,
    state_dir,
    ungraded_entry,
    write_atomic,
)
from .submission import submitted_names

__all__ = ["GradingError", "WorkerProcess", "finish_entry", "grade_class", "record"]


class GradingError(RuntimeError):
    """The grading run cannot start (bad assignment, course directory without submissions...)."""


# --- progress ------------------------------------------------------------------------------------

@dataclass
class Progress:
    total: int
    stream: object = sys.stderr
    done: int = 0
    failed: int = 0
    start: float = field(default_factory=time.monotonic)

    def update(self, failed: bool = False) -> None:
        self.done += 1
        self.failed += int(failed)
        self.show()

    def show(self) -> None:
        elapsed = time.monotonic() - self.start
        left = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        width = 30
        fill = int(width * self.done / max(self.total, 1))
        line = (f"[{'#' * fill}{'.' * (width - fill)}] {self.done}/{self.total} graded, "
                f"{self.failed} failed, {_mmss(elapsed)} elapsed, ~{_mmss(left)} left")
        tty = getattr(self.stream, "isatty", lambda: False)()
        self.stream.write(("\r" + line) if tty else (line + "\n"))
        if tty and self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def _mmss(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m:02d}:{s:02d}"


# --- the worker pool ---------------------------------------------------------------------------

class WorkerProcess:
    """One worker process (:mod:`autograder.grading.worker`) grading in ``course_dir`` as slot
    ``index``, restarted when it dies; used by the local pool and by each Dask worker."""

    def __init__(self, index: int, assignment: str, course_dir: Path, seed: int, log: Path):
        self.index, self.assignment, self.course_dir, self.seed, self.log = (
            index, assignment, course_dir, seed, log)
        self.proc = None
        self.lines: queue.Queue = queue.Queue()

    def start(self) -> None:
        env = child_env()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.grading.worker", self.assignment, str(self.course_dir),
             str(self.index), str(self.seed)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(self.log, "ab"),
            text=True, cwd=ROOT, env=env, start_new_session=True,
        )
        self.lines = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc, self.lines), daemon=True).start()

    @staticmethod
    def _read(proc, lines) -> None:
        for line in proc.stdout:
            try:
                lines.put(json.loads(line))
            except json.JSONDecodeError:
                pass
        lines.put(None)  # the worker is gone

    def begin_stop(self) -> None:
        """Close the worker's input: it finishes what it grades, removes its folder and exits."""
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    def stop(self, grace: float = 0.0) -> None:
        """End the worker: with ``grace``, first close its input and give it that long to exit
        on its own (it then removes its private folder in /tmp); then kill what is left."""
        if self.proc and self.proc.poll() is None and grace > 0:
            self.begin_stop()
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc:
            self.proc.wait()

    def grade(self, student: str, timeout: float) -> dict:
        """Grade one student; on a worker crash or time-out restart the worker and return what
        is known (the re-check's verdict if it came)."""
        from .submission import student_id_problem

        if problem := student_id_problem(student):  # never on the worker's line protocol
            return {"student": student, "stage": "failed", "problem": problem}
        if self.proc is None or self.proc.poll() is not None:
            self.start()
            if not self._wait_for("ready", 300):
                self.stop()
                return {"student": student, "stage": "failed", "problem": "the grading worker did not start"}
        try:
            self.proc.stdin.write(student + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self.stop()
            return self.grade(student, timeout)
        partial = None
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                msg = "timeout"
            if isinstance(msg, dict) and msg.get("student") == student:
                if msg.get("stage") == "done":
                    return msg
                partial = msg
                continue
            if msg is None or msg == "timeout":
                self.stop()
                why = "timed out" if msg == "timeout" else "crashed"
                if partial is not None:
                    for r in partial["exercises"]:
                        r["reason"] = f"nbgrader's autograde {why}; the isolated re-check's score stands"
                    return {**partial, "stage": "done", "nbgrader_ok": False}
                return {"student": student, "stage": "failed",
                        "problem": f"grading {why} after {timeout:.0f} s"}

    def _wait_for(self, stage: str, timeout: float) -> bool:
        try:
            msg = self.lines.get(timeout=timeout)
        except queue.Empty:
            return False
        return isinstance(msg, dict) and msg.get("stage") == stage


def finish_entry(assignment: str, student: str, msg: dict) -> tuple[dict, dict[str, bytes]]:
    """A worker's last message for ``student`` as ``(journal entry, {output name: bytes})``: a
    submission that could not be graded gets its zeros and the reason."""
    files = decode_outputs(msg)
    if msg.get("stage") != "done" or msg.get("student") != student:
        msg, files = ungraded_entry(assignment, student, msg.get("problem") or "grading failed"), {}
    msg["assignment"] = assignment
    return msg, files


def record(course_dir: Path, assignment: str, student: str, entry: dict, files: dict[str, bytes]) -> dict:
    """Write a graded submission's files into the course directory, then its journal entry (last,
    atomically: a run killed in between grades the student again and writes the same files)."""
    entry = dict(entry)
    for name, data in files.items():
        folder, suffix = OUTPUTS[name]
        dest = course_dir / folder / student / assignment / f"{assignment}{suffix}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + f".tmp{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, dest)
        if name == "feedback_html":
            entry["feedback"] = str(dest)
    write_atomic(journal_path(course_dir, assignment, student), json.dumps(entry, indent=1))
    return entry


def check_class(assignment: str, course_dir) -> tuple[Path, list[str]]:
    """``(course_dir, students)``, or :class:`GradingError` saying why the run cannot start."""
    if assignment not in ASSIGNMENTS:
        raise GradingError(f"unknown assignment {assignment!r}; valid: {', '.join(ASSIGNMENTS)}")
    if not solution_path(assignment).exists():
        raise GradingError(f"no solution notebook for {assignment} in {ROOT / 'solutions'}")
    course_dir = Path(course_dir).resolve()
    students = submitted_names(course_dir)  # every entry: a file or hidden folder gets its line too
    if not students:
        raise GradingError(f"no submissions under {course_dir / 'submitted'}/<student>/{assignment}/")
    return course_dir, students


def grade_class(assignment: str, course_dir, jobs: int | None = None, force: bool = False,
                timeout: float = 600.0, progress_stream=sys.stderr, cluster=None,
                run_info: dict | None = None, finish=None) -> dict:
    """Grade every submission of ``assignment``; return the journal ``{student: entry}``.

    ``cluster``: a :class:`.cluster.ClusterSpec` to grade on Dask (then ``jobs`` is unused);
    ``run_info``, if given, receives ``where`` (what graded: a sentence) and ``workers``;
    ``finish``, if given, is called with the journal once every submission is recorded, while
    the local workers exit (the gradebook and reports need not wait for them).
    """
    if cluster is not None:
        from .cluster import grade_on_cluster

        journal = grade_on_cluster(assignment, course_dir, cluster, force=force, timeout=timeout,
                                   progress_stream=progress_stream, run_info=run_info)
        if finish is not None:
            finish(journal)
        return journal
    course_dir, students = check_class(assignment, course_dir)
    state = state_dir(course_dir, assignment)
    state.mkdir(parents=True, exist_ok=True)
    seed = run_seed(course_dir, assignment)
    journal = {} if force else load_journal(course_dir, assignment, students)
    todo = [s for s in students if s not in journal]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
    if run_info is not None:
        run_info.update(where=f"this machine, {jobs} local worker process(es)", workers=jobs)
    bar = Progress(total=len(students), stream=progress_stream)
    bar.done = len(students) - len(todo)
    work: queue.Queue = queue.Queue()
    for s in todo:
        work.put(s)
    lock = threading.Lock()

    def run(slot: WorkerProcess) -> None:
        try:
            while True:
                try:
                    student = work.get_nowait()
                except queue.Empty:
                    return
                entry = record(course_dir, assignment, student,
                               *finish_entry(assignment, student, slot.grade(student, timeout)))
                with lock:
                    journal[student] = entry
                    bar.update(failed=bool(entry.get("problem")))
        finally:
            slot.begin_stop()  # a worker that exits on its own leaves nothing in /tmp

    if todo:
        # slots of this machine that no other grading run holds (their uids are killed wholesale)
        claims = [claim_slot() for _ in range(jobs)]
        slots: list[WorkerProcess] = []
        try:
            slots = [WorkerProcess(slot, assignment, course_dir, seed, state / f"worker{i}.log")
                     for i, (slot, _token) in enumerate(claims)]
            threads = [threading.Thread(target=run, args=(s,)) for s in slots]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if finish is not None:
                finish({s: journal[s] for s in students if s in journal})
        finally:
            for slot in slots:
                slot.stop(grace=30.0)
            for _slot, token in claims:
                token.close()
    elif finish is not None:
        finish({s: journal[s] for s in students if s in journal})
    return {s: journal[s] for s in students if s in journal}
