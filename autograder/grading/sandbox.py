"""The isolated re-check of one submission (trusted side).

For each exercise of the assignment, this module draws hidden cases (:func:`autograder.checks.cases.
make_cases`), hands them as plain arrays to a fresh :mod:`autograder.grading.sandbox_main` process that
runs the instructor's set-up cell, then in notebook order the submission's answer cells and the code
cells the student added (:func:`grading_steps`; never the demo cells) inside the jail
(:mod:`autograder.grading.jail`), checking each exercise where its graded cell stands, reads back plain
outcomes over a pipe (:class:`Results`: a fixed order, sizes capped, ``allow_pickle=False``, types
checked) and judges them here (:func:`autograder.checks.diagnose.judge`). This process never executes
student code, never unpickles anything the sandbox wrote, and never opens a file the sandbox could
have touched: the job folder (``job.json``, ``cases/``) is root's and closed to the jailed uid, which
works in the jail's private, bounded HOME.

The sandbox process is forked from a fork server (:mod:`autograder.grading.forkserver`) that has already
imported NumPy, Matplotlib, nnlib and the checks, when the caller runs one (the grading workers
do); otherwise it is a fresh Python. Either way it starts from trusted code only and jails itself
before running any of the submission.

If the sandbox stops making progress (an infinite loop, a stalled cell) it is killed after
``stall_seconds`` (each cell and each check is progress); if it dies (``os._exit``, a limit), the
exercise whose check or answer cell was running fails, and a fresh sandbox carries on with the
remaining exercises without that cell (a cell the student added that stopped a sandbox is left out
and costs nothing itself).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from ..checks.cases import make_cases
from ..checks.diagnose import judge
from ..checks.runner import Outcome
from ..checks.wire import WireError, cases_to_wire
from ..exercises import EXERCISES, exercises_for
from ..notebooks import ROOT, cell_source, solution_path
from . import cgroup
from .jail import Limits, kill_uid, slot_uid
from .sandbox_main import FRAME

__all__ = ["Verdict", "answer_cells", "exercise_seed", "grading_steps", "recheck", "setup_source"]

MAX_OUTCOME_BYTES = 32 * 1024**2
#: The cap on the data of the results pipe's other reports (``level``, the markers).
MAX_MARKER_BYTES = 64
#: What is kept of a sandbox's stderr (for the report of a start that failed).
STDERR_TAIL_BYTES = 64 * 1024
#: After this many cells have stopped a sandbox, the cells the student added are all left out.
MAX_SKIPPED_CELLS = 3
STARTUP_SECONDS = 120.0
_DEF = re.compile(r"^def (\w+)\(", re.MULTILINE)


@dataclass
class Verdict:
    """The re-check's word on one exercise of one submission."""

    exercise: str
    points: int
    passed: bool
    diagnosis: str | None
    message: str

    @property
    def score(self) -> float:
        return float(self.points) if self.passed else 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def exercise_seed(run_seed: int, name: str) -> int:
    """The hidden seed of one exercise in one grading run (never written in any notebook)."""
    digest = hashlib.sha256(f"{run_seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def setup_source(assignment: str, root: Path = ROOT) -> str:
    """The instructor's set-up cell(s), tagged ``setup``, from ``solutions/`` (never the submission)."""
    nb = nbformat.read(solution_path(assignment, root), as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code" and "setup" in c.metadata.get("tags", [])]
    if not cells:
        raise ValueError(f"{assignment}: the solution notebook has no cell tagged 'setup'")
    return "\n\n".join(cells)


def _answer_positions(nb, assignment: str) -> dict[str, int]:
    """``{exercise: index of its answer cell in nb["cells"]}`` (see :func:`answer_cells`)."""
    names = [ex.name for ex in exercises_for(assignment)]
    cells = nb.get("cells", [])
    found: dict[str, int] = {}
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        gid = meta.get("grade_id") if isinstance(meta, dict) else None
        if gid in names and gid not in found and not meta.get("grade"):
            found[gid] = i
    for i, cell in enumerate(cells):
        if cell.get("cell_type") == "code":
            for name in _DEF.findall(cell_source(cell)):
                if name in names and name not in found:
                    found[name] = i
    return {n: found[n] for n in names if n in found}


def answer_cells(nb, assignment: str) -> dict[str, str]:
    """The submission's answer cell for each exercise, found by nbgrader's ``grade_id`` or, when a
    student has damaged the metadata, by the ``def NAME(`` it contains."""
    cells = nb.get("cells", [])
    return {n: cell_source(cells[i]) for n, i in _answer_positions(nb, assignment).items()}


def grading_steps(nb, assignment: str, root: Path = ROOT) -> list[dict]:
    """What the re-check runs of a submission, in notebook order: its answer cells
    (``{"cell": KEY, "name": EXERCISE, "source": ...}``), the code cells the student added
    (:func:`autograder.grading.demo_cells.added_by_student`; ``"name": None``), and for each
    exercise ``{"check": EXERCISE}`` where its graded cell is (right after its answer cell if that
    cell is missing or earlier). Nothing else of the submission (demo cells, check cells) runs."""
    from .demo_cells import added_by_student, instructor_cells

    cells = nb.get("cells", [])
    answers = _answer_positions(nb, assignment)
    by_index = {i: n for n, i in answers.items()}
    graded = {}
    for i, cell in enumerate(cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        gid = meta.get("grade_id") if isinstance(meta, dict) and meta.get("grade") else None
        if isinstance(gid, str) and gid.endswith("_tests"):
            graded.setdefault(gid[:-len("_tests")], i)
    check_at: dict[int, list[str]] = {}
    for name, i in answers.items():
        at = graded.get(name, i)
        check_at.setdefault(at if at > i else i, []).append(name)
    instructor = instructor_cells(assignment, root)
    steps: list[dict] = []
    for i, cell in enumerate(cells):
        if i in by_index:
            steps.append({"cell": f"c{i}", "name": by_index[i], "source": cell_source(cell)})
        elif added_by_student(cell, instructor):
            steps.append({"cell": f"c{i}", "name": None, "source": cell_source(cell)})
        steps.extend({"check": name} for name in check_at.get(i, ()))
    return steps


class Results:
    """What one sandbox reports over its results pipe (frames of :func:`sandbox_main.frame`), read
    here with caps. The trusted side of the sandbox reports in an order known in advance (``level``;
    then for each step of ``steps``: ``cell.KEY.start``, ``cell.KEY.end``, or ``NAME.start``, one
    ``NAME.I.npz`` per case, ``NAME.done``), so the stream must be a prefix of that sequence; a
    sandbox that dies stops it anywhere. A marker's data is at most :data:`MAX_MARKER_BYTES`; an
    outcome over :data:`MAX_OUTCOME_BYTES` is passed over unread and fails its case. Each outcome
    is judged as it arrives and dropped: what is kept is one small verdict per case. Anything else
    (only student code can write it) breaks the protocol, and the sandbox is stopped.

    Nothing the sandbox does reaches a file the host reads: no path, no link, no FIFO, no folder."""

    def __init__(self, cases: dict, steps: list[dict]):
        self.cases = cases
        self.markers: set[str] = set()
        self.level: str | None = None
        self.frames = 0
        self.broken: str | None = None
        self._judged: dict[str, dict[int, Verdict | None]] = {name: {} for name in cases}
        self._expected: list[tuple[str, tuple | None]] = [("level", None)]
        for st in steps:
            if "cell" in st:
                self._expected += [(f"cell.{st['cell']}.{end}", None) for end in ("start", "end")]
            else:
                name = st["check"]
                self._expected += [(f"{name}.start", None),
                                   *((f"{name}.{i}.npz", (name, i)) for i in range(len(cases[name]))),
                                   (f"{name}.done", None)]
        self._buf = bytearray()
        self._skip = 0  # bytes still to pass over (the body of an outcome over the cap)

    def feed(self, data: bytes) -> None:
        self._buf += data
        while self.broken is None:
            if self._skip:
                n = min(self._skip, len(self._buf))
                del self._buf[:n]
                self._skip -= n
                if self._skip:
                    return
                continue
            if len(self._buf) < FRAME.size:
                return
            key_len, size = FRAME.unpack_from(self._buf)
            if self.frames >= len(self._expected):
                self.broken = "a report after the last one"
                return
            want, outcome = self._expected[self.frames]
            if key_len != len(want.encode()):
                self.broken = f"a report name of {key_len} bytes where {want!r} was due"
                return
            if len(self._buf) < FRAME.size + key_len:
                return
            name = bytes(self._buf[FRAME.size:FRAME.size + key_len]).decode(errors="replace")
            if name != want or (outcome is None and size > MAX_MARKER_BYTES):
                self.broken = f"a report {name[:60]!r} of {size} bytes where {want!r} was due"
                return
            if outcome is not None and size > MAX_OUTCOME_BYTES:
                del self._buf[:FRAME.size + key_len]
                self._skip = size
                self._record(*outcome, WireError(f"it is larger than {MAX_OUTCOME_BYTES} bytes"))
                self.frames += 1
                continue
            end = FRAME.size + key_len + size
            if len(self._buf) < end:
                return
            body = bytes(self._buf[FRAME.size + key_len:end])
            del self._buf[:end]
            if outcome is not None:
                self._record(*outcome, body)
            elif name == "level":
                self.level = body.decode(errors="replace")
            else:
                self.markers.add(name)
            self.frames += 1

    def _record(self, name: str, i: int, body) -> None:
        points = EXERCISES[name].points
        try:
            if isinstance(body, Exception):
                raise body
            result = judge(name, self.cases[name][i], Outcome.from_wire(body))
        except (WireError, ValueError, KeyError, TypeError) as exc:
            self._judged[name][i] = Verdict(
                name, points, False, "exception",
                f"{name}: the re-check could not read the result of case {i + 1}: {exc}")
            return
        self._judged[name][i] = None if result.passed else Verdict(
            name, points, False, result.diagnosis, result.message)

    def verdict(self, name: str) -> Verdict:
        """The verdict of an exercise whose ``.done`` marker came: its first case that failed (or
        whose outcome never came), else a pass."""
        points, judged = EXERCISES[name].points, self._judged[name]
        for i in range(len(self.cases[name])):
            if i not in judged:
                return Verdict(name, points, False, "exception",
                               f"{name}: the re-check could not read the result of case {i + 1}: "
                               "it was never reported")
            if judged[i] is not None:
                return judged[i]
        return Verdict(name, points, True, None,
                       f"✓ {name}: all {len(self.cases[name])} hidden checks passed.")


def _kill(proc, uid: int | None) -> None:
    """Kill a sandbox process (a ``Popen`` or a fork server's ``Child``) and its session."""
    if isinstance(proc, subprocess.Popen):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    else:
        proc.kill()  # the fork server kills the child's process group
    proc.wait()
    if uid is not None:
        kill_uid(uid)  # anything the student forked into a session of its own
        cgroup.remove(uid)  # and the jail's memory cgroup, if its supervisor could not


def _mpl_config_dir() -> str:
    """A matplotlib cache shared by every sandbox, so the font cache is built once, not per run.

    In the grader's own cache folder, not in ``/tmp``: a grading run leaves the host's ``/tmp`` as
    it found it (and the jailed processes have a private ``/tmp`` anyway)."""
    path = Path.home() / ".cache" / "nncourse-matplotlib"
    try:
        path.mkdir(mode=0o755, parents=True, exist_ok=True)
    except OSError:  # no writable home: matplotlib makes (and removes) a folder of its own
        return ""
    return str(path)


#: Modules a sandbox fork server imports before forking: what the set-up cells and the sandbox use.
SANDBOX_PRELOAD = ("numpy", "matplotlib.pyplot", "nnlib", "nnlib.demos.plot", "threadpoolctl",
                   "autograder.checks", "autograder.checks.runner", "autograder.checks.wire",
                   "autograder.grading.jail", "autograder.grading.sandbox_main")


def sandbox_env(home: str = "/nonexistent") -> dict:
    """The whole environment of a sandbox process (and of its fork server)."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": home,
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg", "NBGRADER_EXECUTION": "autograde", "PYTHONDONTWRITEBYTECODE": "1",
        **({"MPLCONFIGDIR": d} if (d := _mpl_config_dir()) else {}),
    }


def _start(job: Path, results: int, err: int, forkserver: str | None):
    """The sandbox process for ``job``, its stdout the results pipe and its stderr ``err``: forked
    by ``forkserver`` if it answers, else fresh."""
    env = sandbox_env(str(job))
    if forkserver:
        from .forkserver import Child

        null = os.open(os.devnull, os.O_RDWR)
        try:
            return Child(forkserver, "autograder.grading.sandbox_main:main", [str(job)], cwd=str(job),
                         env=env, stdin=null, stdout=results, stderr=err)
        except OSError:
            pass  # a fresh Python below: slower, never lost
        finally:
            os.close(null)  # the child has its own copy
    return subprocess.Popen(
        [sys.executable, "-I", "-m", "autograder.grading.sandbox_main", str(job)],
        cwd=job, env=env, stdin=subprocess.DEVNULL, stdout=results,
        stderr=err, start_new_session=True,
    )


def _read_pipes(sel, results: Results, tail: bytearray, timeout: float) -> bool:
    """Read what is there on the pipes in ``sel`` (waiting at most ``timeout``); ``False`` once
    both are closed. Of stderr only the last :data:`STDERR_TAIL_BYTES` are kept."""
    for key, _events in sel.select(timeout):
        try:
            data = os.read(key.fd, 1 << 20)
        except BlockingIOError:
            continue
        if not data:
            sel.unregister(key.fd)
        elif key.data == "results":
            results.feed(data)
        else:
            tail += data
            del tail[:-STDERR_TAIL_BYTES]
    return bool(sel.get_map())


def _launch(job: Path, results: Results, uid: int | None, stall_seconds: float, total_seconds: float,
            forkserver: str | None = None):
    """Run one sandbox process, feeding ``results`` from its pipe; return ``(status, seconds,
    stderr's tail)``, status ``ok``/``stalled``/``died``."""
    t0 = time.monotonic()
    tail = bytearray()
    (res_r, res_w), (err_r, err_w) = os.pipe(), os.pipe()
    sel = selectors.DefaultSelector()
    try:
        try:
            proc = _start(job, res_w, err_w, forkserver)
        finally:
            os.close(res_w)
            os.close(err_w)
        for fd, what in ((res_r, "results"), (err_r, "stderr")):
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ, what)
        # Start-up (imports, the set-up cell) is trusted and gets its own, generous, allowance;
        # from the first student cell on, every report counts as progress.
        last, seen = time.monotonic(), 0
        while proc.poll() is None:
            _read_pipes(sel, results, tail, 0.02)
            now = time.monotonic()
            if results.frames != seen:
                seen, last = results.frames, now
            allowance = stall_seconds if seen else STARTUP_SECONDS
            if results.broken or now - last > allowance or now - t0 > total_seconds:
                _kill(proc, uid)
                status = "died" if results.broken else "stalled"
                break
        else:
            if uid is not None:
                kill_uid(uid)
                cgroup.remove(uid)
            status = "ok" if proc.returncode == 0 else "died"
        # What is left in the pipes; a writer that outlived the sandbox gets a second at most.
        deadline = time.monotonic() + 1.0
        while _read_pipes(sel, results, tail, 0.05) and time.monotonic() < deadline:
            pass
    finally:
        sel.close()
        os.close(res_r)
        os.close(err_r)
    return status, time.monotonic() - t0, bytes(tail)


def recheck(assignment: str, notebook: Path, *, run_seed: int, slot: int = 0,
            hide=(), limits: Limits | None = None, stall_seconds: float = 30.0,
            total_seconds: float = 300.0, root: Path = ROOT,
            forkserver: str | None = None) -> tuple[list[Verdict], dict]:
    """Re-check every exercise of ``assignment`` in ``notebook`` in isolation.

    ``forkserver``: the socket of a fork server started with :data:`SANDBOX_PRELOAD` and
    :func:`sandbox_env` (see :mod:`autograder.grading.forkserver`), or ``None`` for fresh processes.

    Returns the verdicts (notebook order of the registry) and facts about the run
    (isolation level reached, launches, seconds).
    """
    limits = limits or Limits()
    nb = json.loads(Path(notebook).read_text())
    steps = grading_steps(nb, assignment, root)
    answers = {st["name"]: st["cell"] for st in steps if st.get("name")}
    exercises = exercises_for(assignment)
    verdicts: dict[str, Verdict] = {}
    for ex in exercises:
        if ex.name not in answers:
            verdicts[ex.name] = Verdict(ex.name, ex.points, False, "not_implemented",
                                        f"{ex.name}: no answer cell defining {ex.name}() was found "
                                        "in the submission")
    cases = {ex.name: make_cases(ex.name, exercise_seed(run_seed, ex.name), hidden=True)
             for ex in exercises if ex.name in answers}
    uid = slot_uid(slot) if os.geteuid() == 0 else None
    hidden = [str(p) for p in (root / "solutions", root / ".git", root / "grading", *hide)]
    info = {"isolation": None, "launches": 0, "seconds": 0.0, "cells_skipped": 0}
    todo = [ex.name for ex in exercises if ex.name in answers]
    setup = setup_source(assignment, root)
    twins = {ex.name: ex.reference.__name__ for ex in exercises if ex.reference is not None}
    skipped: set[str] = set()  # cells that stopped a sandbox: later launches leave them out
    while todo:
        job = Path(tempfile.mkdtemp(prefix="nncourse-recheck-"))
        try:
            (job / "cases").mkdir()  # the job folder stays root's, mode 700: the jailed uid never writes here
            for name in todo:
                (job / "cases" / f"{name}.npz").write_bytes(cases_to_wire(cases[name]))
            run = [st for st in steps if st.get("check") in todo
                   or ("cell" in st and st["cell"] not in skipped)]
            (job / "job.json").write_text(json.dumps({
                "setup": setup, "steps": run, "hide": hidden, "uid": uid, "limits": asdict(limits),
                "twins": twins,
            }))
            results = Results({name: cases[name] for name in todo}, run)
            status, seconds, stderr = _launch(job, results, uid, stall_seconds, total_seconds, forkserver)
            info["launches"] += 1
            info["seconds"] += seconds
            if info["isolation"] is None:
                info["isolation"] = results.level
            if results.broken:
                info["broken_report"] = results.broken
            done = results.markers
            skipped_before = len(skipped)
            what = (f"made no progress for {stall_seconds:.0f} s (an endless loop?) and was stopped"
                    if status == "stalled" else "ended abruptly")
            for name in todo:
                if f"{name}.done" in done:
                    verdicts[name] = results.verdict(name)
                elif f"{name}.start" in done:
                    verdicts[name] = Verdict(name, EXERCISES[name].points, False,
                                             "timeout" if status == "stalled" else "crashed",
                                             f"{name}: the isolated re-check of your answer {what}.")
            # A cell that started and did not end stopped the sandbox: leave it out from now on.
            for st in run:
                key = st.get("cell")
                if key and f"cell.{key}.start" in done and f"cell.{key}.end" not in done:
                    skipped.add(key)
                    info["cells_skipped"] += 1
                    name = st.get("name")
                    if name in todo and name not in verdicts:
                        verdicts[name] = Verdict(name, EXERCISES[name].points, False,
                                                 "timeout" if status == "stalled" else "crashed",
                                                 f"{name}: the isolated re-check of your answer cell {what}.")
            if len(skipped) >= MAX_SKIPPED_CELLS:  # no more sandboxes spent on the student's cells
                skipped |= {st["cell"] for st in steps if "cell" in st and not st.get("name")}
            remaining = [n for n in todo if n not in verdicts]
            if remaining and len(remaining) == len(todo) and len(skipped) == skipped_before:
                # Nothing decided, no cell to blame: the trusted start failed.
                info["startup_error"] = stderr.decode(errors="replace")[-2000:]
                for name in remaining:
                    verdicts[name] = Verdict(name, EXERCISES[name].points, False, "crashed",
                                             f"{name}: the re-check could not start ({status}).")
                remaining = []
            todo = remaining
        finally:
            if os.environ.get("NNCOURSE_KEEP_SANDBOX"):
                (job / "stderr.txt").write_bytes(stderr)
            else:
                shutil.rmtree(job, ignore_errors=True)
    return [verdicts[ex.name] for ex in exercises], info
