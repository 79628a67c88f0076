"""A grading worker: ``python -m autograder.grading.worker ASSIGNMENT COURSE_DIR SLOT RUN_SEED``.

Long-lived (nbgrader is imported and configured once), it reads student ids on stdin, one per line,
and for each writes JSON lines on its real stdout: first ``{"stage": "recheck", ...}`` as soon as the
isolated re-check is done, then ``{"stage": "done", ...}`` after nbgrader's autograde and feedback.
Everything else it prints goes to stderr, so the protocol cannot be corrupted by logging.

Per student: validate the submission; re-check it in the sandbox (:mod:`autograder.grading.sandbox`);
run ``nbgrader autograde`` on a copy in the worker's private course folder (outside the course
directory; its kernel jailed by :mod:`autograder.grading.kernel_launcher`); compare; record the re-check's
score as an override in the private gradebook where the two disagree; generate the feedback
with the hidden tests redacted (:mod:`autograder.grading.feedback`); copy the autograded notebook and the
feedback into the course directory.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from ..exercises import exercises_for
from ..notebooks import ROOT
from .driver import NOT_GRADED
from .jail import Limits, kill_uid, slot_uid

KERNEL_NAME = "nncourse-jail"
KERNEL_UID_OFFSET = 1000
KERNEL_LIMITS = Limits(cpu_seconds=300, memory_bytes=3 * 1024**3, processes=128)


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


#: Modules the kernels' fork server imports once: what the notebooks' set-up cells import, and
#: the jailed kernel's own start-up (autograder.grading.kernel_launcher).
KERNEL_PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "sqlite3",
                  "matplotlib.font_manager", "matplotlib.pyplot",
                  "matplotlib_inline.backend_inline", "numpy", "nnlib", "nnlib.demos.plot",
                  "autograder.checks", "autograder.grading.jail", "autograder.grading.kernel_launcher")


def kernel_uid(slot: int) -> int | None:
    """The uid the jailed kernels of worker ``slot`` run as (``None`` without root: the grader's).

    Not the re-check's uid: the two run at the same time and each is cleaned up by uid."""
    return slot_uid(slot) + KERNEL_UID_OFFSET if os.geteuid() == 0 else None


def _kernel_spec(tmp: Path, course_dir: Path, private: Path, slot: int,
                 forkserver: str | None = None) -> Path:
    """A kernelspec whose kernel runs jailed; returns the folder to put on JUPYTER_PATH.

    With ``forkserver`` (a socket of a fork server started with :data:`KERNEL_PRELOAD`), the
    kernel is forked from it through a stand-in process (see :mod:`autograder.grading.forkserver`);
    otherwise it is a fresh Python.
    """
    spec = {
        "hide": [str(p) for p in (ROOT / "solutions", ROOT / ".git", ROOT / "grading", course_dir,
                                  private / "db", private / "submitted", private / "feedback",
                                  private / "fork")],
        "uid": kernel_uid(slot),
        "limits": KERNEL_LIMITS.__dict__,
    }
    kdir = tmp / "kernels" / KERNEL_NAME
    kdir.mkdir(parents=True)
    if forkserver:
        from . import forkserver as fs

        start = [sys.executable, "-I", "-S", fs.__file__, "run", forkserver,
                 "autograder.grading.kernel_launcher:main"]
    else:
        start = [sys.executable, "-m", "autograder.grading.kernel_launcher"]
    (kdir / "kernel.json").write_text(json.dumps({
        "argv": [*start, json.dumps(spec), "-f", "{connection_file}"],
        "display_name": "Python 3 (nncourse jail)", "language": "python",
    }))
    return tmp


class Worker:
    def __init__(self, assignment: str, course_dir: Path, slot: int, run_seed: int):
        self.assignment, self.course_dir, self.slot, self.run_seed = assignment, course_dir, slot, run_seed
        # The private folder can be crossed but not listed by other uids (mode 711), and the
        # autograded folder inside it, where the jailed kernel works, has an unguessable name:
        # a kernel can reach its own working folder and nothing of another worker. Everything
        # else in here is closed (mode 700).
        self.private = Path(tempfile.mkdtemp(prefix=f"nncourse-worker{slot}-"))
        os.chmod(self.private, 0o711)
        for sub in ("db", "submitted", "feedback", "release", "jupyter", "runtime", "fork"):
            (self.private / sub).mkdir(mode=0o700)
        self.autograded = self.private / f"autograded-{secrets.token_hex(8)}"
        self.autograded.mkdir(mode=0o711)
        # Two fork servers (see autograder.grading.forkserver): kernels and re-check sandboxes start
        # with their imports done instead of spending ~1.5 s of CPU on them per submission.
        self.kernel_server, self.sandbox_server = self._fork_servers()
        os.environ["JUPYTER_PATH"] = str(_kernel_spec(
            self.private / "jupyter", course_dir, self.private, slot,
            self.kernel_server.path if self.kernel_server else None))
        os.environ["JUPYTER_RUNTIME_DIR"] = str(self.private / "runtime")
        os.environ["NNCOURSE_GRADEBOOK"] = f"sqlite:///{self.private / 'db' / 'gradebook.db'}"
        os.environ["NNCOURSE_FEEDBACK"] = str(self.private / "db" / "feedback.json")
        from ..notebooks import nbgrader_api
        from .feedback import reuse_compiled_templates

        reuse_compiled_templates()
        self.api = nbgrader_api(self.private, self.private / "release", overrides={
            "CourseDirectory": {"autograded_directory": str(self.autograded)},
            "Execute": {"kernel_name": KERNEL_NAME,
                        "timeout": int(os.environ.get("NNCOURSE_CELL_TIMEOUT", "30"))},
            "GenerateFeedback": {"preprocessors": [
                "nbgrader.preprocessors.GetGrades",
                "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
                "nbgrader.preprocessors.ClearHiddenTests",
                "autograder.grading.feedback.RedactGradedCells",
            ]},
        })
        result = self.api.generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(f"cannot register {assignment}: {result.get('error')}")

    def _fork_servers(self):
        """``(kernels, sandboxes)`` fork servers, each ``None`` if it cannot start (then fresh
        processes are used: slower, same results). ``NNCOURSE_FORKSERVER=0`` turns them off.

        Only when running as root: the servers' sockets are then closed to the jailed uids. Without
        root, a kernel runs as the grader's own uid and could ask a server for a process without
        the resource limits, which are all the isolation there is in that mode.
        """
        if os.environ.get("NNCOURSE_FORKSERVER", "1") == "0" or os.geteuid() != 0:
            return None, None
        from .forkserver import ForkServer
        from .sandbox import SANDBOX_PRELOAD, sandbox_env

        servers = {}
        for name, preload, env in (("kernel", KERNEL_PRELOAD, None),
                                   ("sandbox", SANDBOX_PRELOAD, sandbox_env())):
            try:  # both import at the same time
                servers[name] = ForkServer(self.private / "fork" / f"{name}.sock", preload,
                                           env=env, wait=False)
            except OSError as exc:
                print(f"worker {self.slot}: no {name} fork server ({exc}); using fresh processes",
                      file=sys.stderr)
        for name, server in list(servers.items()):
            try:
                server.wait_ready()
            except RuntimeError as exc:
                print(f"worker {self.slot}: {exc}; using fresh processes", file=sys.stderr)
                del servers[name]
        return servers.get("kernel"), servers.get("sandbox")

    def _reap_kernel_leftovers(self) -> None:
        """Kill whatever a submission's kernel left behind under this slot's kernel uid.

        nbgrader stops the kernel, not what its code forked: a fork bomb's sleeping children
        would otherwise hold the uid's process limit, and the next student's kernel in this slot
        could not start a thread (nbgrader then fails to grade an honest notebook). Without root
        the kernel runs as the grader's own uid, which cannot be cleaned up this way."""
        uid = kernel_uid(self.slot)
        if uid is not None:
            kill_uid(uid)

    def close(self) -> None:
        for server in (self.kernel_server, self.sandbox_server):
            if server is not None:
                server.stop()
        shutil.rmtree(self.private, ignore_errors=True)

    def nbgrader_scores(self, student: str) -> dict | None:
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.api.coursedir.db_url) as gb:
            try:
                nb = gb.find_submission_notebook(self.assignment, self.assignment, student)
            except MissingEntry:
                return None
            return {g.name: g.auto_score for g in nb.grades}

    def set_overrides(self, student: str, rows: list[dict]) -> None:
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.api.coursedir.db_url) as gb:
            for r in rows:
                try:
                    g = gb.find_grade(f"{r['exercise']}_tests", self.assignment, self.assignment, student)
                except MissingEntry:
                    continue
                g.manual_score = r["score"] if r["overridden"] else None
            gb.db.commit()

    def grade(self, student: str, emit) -> None:
        t0 = time.monotonic()
        base = {"student": student, "assignment": self.assignment}
        notebook, problem = validate_submission(self.course_dir, self.assignment, student)
        exercises = exercises_for(self.assignment)
        if problem:
            from .driver import ungraded_entry

            emit({**ungraded_entry(self.assignment, student, problem),
                  "seconds": time.monotonic() - t0})
            return
        from .sandbox import recheck

        # The re-check runs in its own process while nbgrader autogrades in this one: both spend
        # much of their time waiting for a fresh interpreter or kernel, so overlapping them hides
        # most of the re-check's cost.
        box: dict = {}

        def run_recheck() -> None:
            try:
                box["result"] = recheck(
                    self.assignment, notebook, run_seed=self.run_seed, slot=self.slot,
                    hide=[self.course_dir, self.private / "db", self.private / "fork"],
                    forkserver=self.sandbox_server.path if self.sandbox_server else None,
                    stall_seconds=float(os.environ.get("NNCOURSE_STALL_SECONDS", "30")))
            except Exception as exc:  # reported as a failed re-check, never a lost student
                box["error"] = f"{type(exc).__name__}: {exc}"

        thread = threading.Thread(target=run_recheck)
        thread.start()
        # nbgrader's own autograde, in the private course folder.
        sub = self.private / "submitted" / student / self.assignment
        sub.mkdir(parents=True, exist_ok=True)
        shutil.copy(notebook, sub / notebook.name)
        t1 = time.monotonic()
        self._reap_kernel_leftovers()  # of a run that was killed before it could clean up
        try:
            ok = self.api.autograde(self.assignment, student, force=True, create=True)["success"]
        except Exception:  # nbgrader's own failure on a hostile notebook
            ok = False
        finally:
            self._reap_kernel_leftovers()
        autograde_seconds = time.monotonic() - t1
        thread.join()
        waited = time.monotonic() - t1 - autograde_seconds  # for the re-check, after autograde
        if "error" in box:
            verdicts, info = [], {"error": box["error"]}
            rows = [{"exercise": ex.name, "points": ex.points, "score": 0.0, "nbgrader_score": None,
                     "overridden": True, "diagnosis": NOT_GRADED, "reason": "",
                     "message": f"{ex.name}: the isolated re-check failed ({box['error']})"}
                    for ex in exercises]
        else:
            verdicts, info = box["result"]
            rows = [{"exercise": v.exercise, "points": v.points, "score": v.score,
                     "nbgrader_score": None, "overridden": True, "diagnosis": v.diagnosis,
                     "reason": "", "message": v.message} for v in verdicts]
        emit({**base, "stage": "recheck", "problem": None, "exercises": rows, "recheck": info,
              "seconds": time.monotonic() - t0})
        scores = self.nbgrader_scores(student) if ok else None
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
        feedback = {r["exercise"]: {"feedback": r["message"] + (
            f"\n(Score {r['score']:g}/{r['points']}; {r['reason']}.)" if r["overridden"] else
            f"\n(Score {r['score']:g}/{r['points']}.)")} for r in rows}
        Path(os.environ["NNCOURSE_FEEDBACK"]).write_text(json.dumps(feedback))
        html = None
        t2 = time.monotonic()
        if ok:
            self.set_overrides(student, rows)
            try:
                fb_ok = self.api.generate_feedback(self.assignment, student, force=True)["success"]
            except Exception:
                fb_ok = False
            src = self.private / "feedback" / student / self.assignment / f"{self.assignment}.html"
            if fb_ok and src.exists():
                dest = self.course_dir / "feedback" / student / self.assignment
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copy(src, dest / src.name)
                html = str(dest / src.name)
            graded = self.autograded / student / self.assignment / notebook.name
            if graded.exists():
                dest = self.course_dir / "autograded" / student / self.assignment
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copy(graded, dest / graded.name)
        for d in (self.private / "submitted", self.autograded, self.private / "feedback"):
            shutil.rmtree(d / student, ignore_errors=True)
        emit({**base, "stage": "done", "problem": None, "exercises": rows, "recheck": info,
              "nbgrader_ok": ok, "feedback": html, "autograde_seconds": autograde_seconds,
              "timings": {"before_autograde": t1 - t0, "autograde": autograde_seconds,
                          "recheck_wait": waited, "feedback": time.monotonic() - t2},
              "seconds": time.monotonic() - t0})


def main(argv=None) -> None:
    assignment, course_dir, slot, run_seed = argv if argv is not None else sys.argv[1:]
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else printed to stdout (nbgrader, student output) goes to stderr
    sys.stdout = sys.stderr
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
