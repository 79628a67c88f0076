"""Grading on a Dask distributed cluster: ``grade A --course-dir DIR --scheduler ADDRESS``
(or ``--scheduler-file PATH``, or ``--cluster local:N`` for a :class:`~distributed.LocalCluster`).

One Dask task grades one submission, with exactly the pipeline of a local run: a Dask worker is
not a sandbox, so the task runs no student code itself. Each Dask worker keeps, in a worker plugin
(:class:`GradingPlugin`), one long-lived grading worker process (:mod:`.worker`, started and fed
by the same :class:`.driver.WorkerProcess` as ``--jobs``) with its own slot (uids, fork servers)
and an inbox folder it owns. No shared filesystem is assumed:

- the client sends each submission's notebook files as bytes, read without following links
  (a symbolic link travels as its target's name: :func:`submission_files`), and the task
  recreates the folder in the inbox, so that the intake refuses what it refuses locally;
- the task writes them into the inbox, has the grading process grade them there, and returns
  plain data: the journal entry as JSON text and ``{output name: bytes}`` (feedback HTML,
  autograded notebook); nothing the grading process says is unpickled anywhere;
- the client (:func:`grade_on_cluster`) is the only writer of the course directory: it writes
  those files and the journal entry with the same :func:`.driver.record` as a local run, so the
  journal, gradebook, ``grades.csv``, feedback and class report are the same files.

What survives: a Dask worker killed mid-task (the scheduler runs the task again elsewhere; the
client records each submission once, when its future completes); the client killed (the journal
on the client's disk resumes the run); a task that fails repeatedly (that submission gets zeros
and a "could not be graded on the cluster" reason, the others are graded); an unreachable
scheduler (a :class:`.driver.GradingError` naming the address, before anything is written); a
scheduler that dies mid-run or stops answering (the grading loop's calls to it have time limits:
the client stops, naming it, with what was graded journaled and no gradebook written; a rerun resumes). A
worker whose nncourse differs from the client's refuses the task (:func:`check_version`) and the
run stops with both versions named. A ``tls://`` scheduler takes mutual TLS (``--tls-ca-file``,
``--tls-cert``, ``--tls-key``, or Dask's ``distributed.comm.tls`` configuration:
:meth:`ClusterSpec.security`). ``docs/grading-cluster.md`` shows how to run workers.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from ..exercises import exercises_for
from ..notebooks import ROOT
from .driver import GradingError, Progress, WorkerProcess, check_class, finish_entry, record
from .jail import claim_slot
from .journal import OUTPUTS, decode_outputs, load_journal, run_seed, state_dir, ungraded_entry

__all__ = ["ClusterSpec", "GradingPlugin", "WorkerVersionError", "check_version", "grade_on_cluster",
           "grade_task", "nncourse_version", "submission_files"]

#: Grading slots of Dask workers (local runs take theirs from 0 up: jail.LOCAL_SLOTS), one per
#: grading process on a machine, claimed with :func:`.jail.claim_slot`: two Dask workers (or a
#: Dask worker and a local run) on one machine never share a slot's uids.
CLUSTER_SLOTS = range(500, 900)
#: Automatic retries of a task that raised (a worker that died is Dask's allowed-failures, 3).
RETRIES = 2
#: Seconds to wait for the scheduler to answer, and for at least one worker to be there.
CONNECT_SECONDS = 20.0
WORKER_WAIT_SECONDS = 120.0
#: The largest output file a task may send back.
MAX_OUTPUT_BYTES = 256 * 1024**2


class WorkerVersionError(RuntimeError):
    """A Dask worker runs another nncourse than the client."""


@dataclass(frozen=True)
class ClusterSpec:
    """Where to grade: a scheduler address, a scheduler file, or ``local_workers`` for a
    LocalCluster of that many single-threaded worker processes started here."""

    scheduler: str | None = None
    scheduler_file: str | None = None
    local_workers: int | None = None
    #: Mutual TLS with a ``tls://`` scheduler: the CA's certificate, the client's certificate and
    #: its key (PEM files), as ``dask scheduler/worker --tls-ca-file/--tls-cert/--tls-key`` take
    #: them. Without them Dask's own configuration applies (``distributed.comm.tls.*``).
    tls_ca_file: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None

    def __post_init__(self):
        tls = {"--tls-ca-file": self.tls_ca_file, "--tls-cert": self.tls_cert, "--tls-key": self.tls_key}
        if any(tls.values()):
            if self.local_workers:
                raise ValueError("--tls-ca-file, --tls-cert and --tls-key are for a scheduler started "
                                 "elsewhere (--scheduler or --scheduler-file), not --cluster local:N")
            missing = [opt for opt, v in tls.items() if not v]
            if missing:
                raise ValueError(f"TLS needs --tls-ca-file, --tls-cert and --tls-key together; "
                                 f"missing: {', '.join(missing)}")

    @classmethod
    def from_local(cls, text: str) -> ClusterSpec:
        """``local:N`` -> a LocalCluster of N workers (``ValueError`` otherwise)."""
        kind, _, n = text.partition(":")
        if kind != "local" or not n.isdigit() or int(n) < 1:
            raise ValueError(f"--cluster takes local:N with N >= 1 worker processes, not {text!r}")
        return cls(local_workers=int(n))

    def security(self):
        """The :class:`distributed.Security` the client connects with: the TLS options if given,
        else Dask's configuration (``DASK_DISTRIBUTED__COMM__TLS__CA_FILE`` etc.)."""
        from distributed import Security

        if self.tls_ca_file:
            return Security(tls_ca_file=self.tls_ca_file, tls_client_cert=self.tls_cert,
                            tls_client_key=self.tls_key, require_encryption=True)
        return Security()


# --- versions -------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def nncourse_version(root: Path = ROOT) -> str:
    """This install's nncourse: the package version and a digest of the code and notebooks that
    grading uses (two checkouts of one commit agree; a changed file anywhere in them does not)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("nncourse")
    except PackageNotFoundError:
        release = "unknown"
    h = hashlib.sha256()
    files = [root / "nbgrader_config.py"]
    for pattern in ("autograder/**/*.py", "nnlib/**/*.py", "solutions/**/*.ipynb"):
        files += root.glob(pattern)
    for path in sorted(p for p in files if p.is_file() and "__pycache__" not in p.parts):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{release}+{h.hexdigest()[:12]}"


def check_version(client_version: str, where: str) -> None:
    """Refuse to grade when this machine's nncourse is not the client's."""
    mine = nncourse_version()
    if mine != client_version:
        raise WorkerVersionError(
            f"the Dask worker {where} runs nncourse {mine} but the grading client runs nncourse "
            f"{client_version}: install the same nncourse (same commit) on every worker")


# --- the worker side ------------------------------------------------------------------------------

class GradingPlugin(WorkerPlugin):
    """Kept by every Dask worker for one grading run: a grading worker process (started at the
    first task, so that the worker's event loop never waits for it), its slot and its inbox."""

    def __init__(self, assignment: str, seed: int, name: str):
        self.assignment, self.seed, self.name = assignment, seed, name

    def setup(self, worker) -> None:
        self.address = worker.address
        self._lock = threading.Lock()
        self._proc: WorkerProcess | None = None
        self._slot_file = None
        self._home: Path | None = None
        self._closed = False

    def _process(self) -> WorkerProcess:
        if self._closed:
            raise RuntimeError(f"the grading plugin {self.name} of {self.address} was removed")
        if self._proc is None:
            slot, self._slot_file = claim_slot(CLUSTER_SLOTS)
            # a Dask worker killed with SIGKILL could not remove its folder; the slot is ours
            # now, so whoever held it is gone
            for stale in Path(tempfile.gettempdir()).glob(f"nncourse-dask-slot{slot}-*"):
                shutil.rmtree(stale, ignore_errors=True)
            # The inbox is the grading process's course directory: it reads submitted/ there and
            # hides the whole folder from the kernels and re-checks, as it hides a local course.
            self._home = Path(tempfile.mkdtemp(prefix=f"nncourse-dask-slot{slot}-"))
            (self._home / "inbox").mkdir(mode=0o700)
            self._proc = WorkerProcess(slot, self.assignment, self._home / "inbox", self.seed,
                                       self._home / "worker.log")
        return self._proc

    def grade(self, student: str, files: dict, timeout: float):
        """Grade one submission (``files`` from :func:`submission_files`); ``(entry as JSON
        text, {output name: bytes})``."""
        if Path(student).name != student or student in ("", ".", ".."):
            raise ValueError(f"refusing a student named {student!r}")
        with self._lock:
            proc = self._process()
            submitted = proc.course_dir / "submitted"
            shutil.rmtree(submitted, ignore_errors=True)
            submitted.mkdir()
            if files.get("student_dir") is not None:
                _recreate(submitted / student, files["student_dir"])
            if files.get("assignment_dir") is not None:
                _recreate(submitted / student / self.assignment, files["assignment_dir"])
            for name, entry in files.get("files", {}).items():
                if Path(name).name != name or not name.endswith(".ipynb") or name.startswith("."):
                    raise ValueError(f"refusing a submitted file named {name!r}")
                _recreate(submitted / student / self.assignment / name, entry)
            try:
                msg = proc.grade(student, timeout)
            finally:
                shutil.rmtree(submitted, ignore_errors=True)
        outputs = decode_outputs(msg)
        msg["worker"] = self.address
        return json.dumps(msg), outputs

    def teardown(self, worker) -> None:
        # In a thread: the worker's event loop must not wait. The grading process gets its input
        # closed and up to 30 s to exit on its own (it then removes its private folder in /tmp,
        # as at the end of a local run); the slot stays claimed until it is gone.
        self._closed = True
        proc, home, slot_file = self._proc, self._home, self._slot_file
        self._proc = self._home = self._slot_file = None

        def shutdown() -> None:
            if proc is not None:
                proc.stop(grace=30.0)
            if home is not None:
                shutil.rmtree(home, ignore_errors=True)
            if slot_file is not None:
                slot_file.close()

        threading.Thread(target=shutdown, name=f"{self.name}-teardown").start()


def grade_task(plugin_name: str, student: str, files: dict, client_version: str,
               timeout: float):
    """The Dask task: grade ``student``'s ``files`` on this worker (see :class:`GradingPlugin`)."""
    from distributed import get_worker

    worker = get_worker()
    check_version(client_version, worker.address)
    try:
        plugin = worker.plugins[plugin_name]
    except KeyError:
        raise RuntimeError(f"the Dask worker {worker.address} has no grading plugin {plugin_name}") from None
    return plugin.grade(student, files, timeout)


# --- the client side ------------------------------------------------------------------------------

def _entry(path: Path, cap: int):
    """One entry of a submission as plain data, read without following links: ``["dir"]``,
    ``["symlink", target]``, ``["file", bytes]``, ``["hardlink", bytes]``, ``["big", size]`` (over
    the intake's cap: only its size), ``["special"]`` (a FIFO, socket or device), or ``None``."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return ["symlink", os.readlink(path)]
    if stat.S_ISDIR(st.st_mode):
        return ["dir"]
    if not stat.S_ISREG(st.st_mode):
        return ["special"]
    if st.st_size > cap:
        return ["big", st.st_size]
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as f:
        data = f.read(cap + 1)
    return ["hardlink" if st.st_nlink > 1 else "file", data]


def submission_files(course_dir: Path, assignment: str, student: str) -> dict:
    """What a grading worker needs of a submission, for its intake to see what a local one sees:
    the two folders' kinds and every ``*.ipynb`` entry of the assignment folder (see
    :func:`_entry`). Nothing is followed: a symbolic link travels as its target's name, never as
    the content of what it points to on this machine."""
    from .submission import MAX_NOTEBOOK_BYTES

    top = course_dir / "submitted" / student
    out = {"student_dir": _entry(top, 0), "assignment_dir": None, "files": {}}
    if out["student_dir"] == ["dir"]:
        out["assignment_dir"] = _entry(top / assignment, 0)
    if out["assignment_dir"] == ["dir"]:
        for item in sorted(os.scandir(top / assignment), key=lambda e: e.name):
            if item.name.endswith(".ipynb") and not item.name.startswith("."):
                out["files"][item.name] = _entry(Path(item.path), MAX_NOTEBOOK_BYTES)
    return out


def _recreate(path: Path, entry) -> None:
    """Make ``entry`` (from :func:`_entry`) at ``path`` in a worker's inbox."""
    kind = entry[0] if isinstance(entry, list) and entry else None
    if kind == "dir":
        path.mkdir()
    elif kind == "symlink" and isinstance(entry[1], str):
        path.symlink_to(entry[1])
    elif kind in ("file", "hardlink") and isinstance(entry[1], bytes):
        path.write_bytes(entry[1])
        if kind == "hardlink":
            os.link(path, path.with_name(f".{path.name}.link"))
    elif kind == "big" and isinstance(entry[1], int):
        with open(path, "wb") as f:
            f.truncate(entry[1])  # sparse: the size is all the intake reads of it
    elif kind == "special":
        os.mkfifo(path, 0o600)
    else:
        raise ValueError(f"refusing a submission entry {str(entry)[:80]!r}")


def _connect(spec: ClusterSpec):
    """``(client, cluster or None, scheduler address, description)``; :class:`GradingError` if
    it cannot connect."""
    from distributed import Client, LocalCluster

    if spec.local_workers:
        cluster = LocalCluster(n_workers=spec.local_workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None, memory_limit=0)
        address = cluster.scheduler_address
        return Client(cluster), cluster, address, f"a local Dask cluster ({address})"
    if spec.scheduler_file:
        path = Path(spec.scheduler_file)
        try:
            address = json.loads(path.read_text())["address"]
        except (OSError, ValueError, KeyError) as exc:
            raise GradingError(f"cannot read the Dask scheduler file {path}: {exc}") from None
    else:
        address = spec.scheduler
    origin = f" (from {spec.scheduler_file})" if spec.scheduler_file else ""
    security = spec.security()
    if str(address).startswith("tls://") and not (security.tls_ca_file and security.tls_client_cert):
        raise GradingError(
            f"the Dask scheduler at {address}{origin} speaks TLS: give --tls-ca-file, --tls-cert and "
            "--tls-key (or set Dask's distributed.comm.tls.ca-file, .client.cert and .client.key; see "
            "docs/grading-cluster.md)")
    if security.tls_ca_file:
        try:  # the files, read now: a wrong path or key is named as such, not as a network error
            security.get_connection_args("client")
        except (OSError, ValueError) as exc:
            raise GradingError(f"cannot load the TLS files (CA {security.tls_ca_file}, certificate "
                               f"{security.tls_client_cert}, key {security.tls_client_key}): {exc}") from None
    try:
        client = Client(address, timeout=CONNECT_SECONDS, security=security)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise GradingError(f"cannot reach the Dask scheduler at {address}{origin}: {exc}") from None
    return client, None, address, f"the Dask cluster at {address}"


def _lost(address: str, done: int, total: int) -> GradingError:
    return GradingError(
        f"lost the Dask scheduler at {address} (it stopped, or the network to it failed) with {done} of "
        f"{total} submission(s) graded and journaled; no gradebook or grades.csv was written. Start the "
        "scheduler and its workers again and rerun the same command: the run resumes where it stopped")


def _count_workers(client, address: str, done: int, total: int) -> int:
    """The scheduler's number of workers, asked with a time limit (a scheduler that is gone or
    does not answer ends the run with :func:`_lost` instead of a wait without end)."""
    if client.status != "running":  # the client lost the scheduler and is trying to reconnect
        raise _lost(address, done, total)
    try:
        info = client.sync(client.scheduler.identity, n_workers=0, callback_timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError) as exc:
        raise _lost(address, done, total) from exc
    return int(info["n_workers"])


def _result(future, assignment: str, student: str) -> tuple[dict, dict[str, bytes]]:
    """A finished task's ``(entry, files)``, checked; a failed one's ungraded entry."""
    from distributed.comm.core import CommClosedError

    try:
        text, files = future.result()
    except (WorkerVersionError, CommClosedError):
        raise  # CommClosedError: the result was lost on its way back, nothing about the submission
    except Exception as exc:  # the task raised after its retries, or killed its workers (KilledWorker)
        name = type(exc).__name__
        if "nncourse" in str(exc) and "install the same nncourse" in str(exc):
            raise WorkerVersionError(str(exc)) from None  # the class did not survive the trip
        return ungraded_entry(assignment, student, f"could not be graded on the cluster ({name}: "
                              f"{str(exc)[:300]})"), {}
    msg = json.loads(text)
    if not isinstance(msg, dict):
        msg = {"stage": "failed", "problem": "the grading worker sent no entry"}
    names = [ex.name for ex in exercises_for(assignment)]
    if msg.get("stage") == "done" and [r.get("exercise") for r in msg.get("exercises", [])] != names:
        msg = {"stage": "failed", "problem": "the grading worker sent an entry for other exercises"}
    entry, _ = finish_entry(assignment, student, msg)
    ok = entry is msg and isinstance(files, dict)
    files = {k: v for k, v in files.items() if k in OUTPUTS and isinstance(v, bytes)
             and len(v) <= MAX_OUTPUT_BYTES} if ok else {}
    return entry, files


def grade_on_cluster(assignment: str, course_dir, spec: ClusterSpec, force: bool = False,
                     timeout: float = 600.0, progress_stream=sys.stderr,
                     run_info: dict | None = None) -> dict:
    """Grade every submission of ``assignment`` on the Dask cluster ``spec``; return the journal.

    The grading loop's calls to the scheduler have time limits: a scheduler that dies or stops
    answering mid-run ends the run within about :data:`CONNECT_SECONDS` (plus one 5 s wait) with
    a :class:`.driver.GradingError` naming it (what was graded is journaled; a rerun resumes).
    """
    from distributed import wait

    course_dir, students = check_class(assignment, course_dir)
    client, cluster, address, where = _connect(spec)  # before anything is written
    plugin_name = None
    journal: dict = {}
    lost = False
    try:
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
        except TimeoutError:
            raise GradingError(f"{where} has no workers (waited {WORKER_WAIT_SECONDS:.0f} s): start "
                               "some with `dask worker ADDRESS`") from None
        state = state_dir(course_dir, assignment)
        state.mkdir(parents=True, exist_ok=True)
        seed = run_seed(course_dir, assignment)
        journal = {} if force else load_journal(course_dir, assignment, students)
        todo = [s for s in students if s not in journal]
        # One plugin per course and assignment: a rerun after a killed client replaces the
        # killed run's plugin (stopping its grading processes) instead of adding one.
        plugin_name = "nncourse-" + hashlib.sha256(f"{assignment}:{seed}".encode()).hexdigest()[:16]
        if todo:
            client.register_plugin(GradingPlugin(assignment, seed, plugin_name), name=plugin_name)
        version = nncourse_version()

        def workers() -> int:
            return _count_workers(client, address, len(journal), len(students))

        n_workers = workers()
        print(f"grading {len(todo)} submission(s) on {where}, {n_workers} worker(s)",
              file=progress_stream, flush=True)
        bar = Progress(total=len(students), stream=progress_stream)
        bar.done = len(students) - len(todo)
        run = uuid.uuid4().hex[:8]
        pending: dict = {}
        queue = list(reversed(todo))
        graded_by: set[str] = set()
        no_workers_since = None
        live = n_workers
        while queue or pending:
            window = 2 * max(1, live) + 2
            while queue and len(pending) < window:
                s = queue.pop()
                f = client.submit(grade_task, plugin_name, s, submission_files(course_dir, assignment, s),
                                  version, timeout, key=f"grade-{assignment}-{s}-{run}", pure=False,
                                  retries=RETRIES)
                pending[f] = s
            try:
                wait(list(pending), timeout=5, return_when="FIRST_COMPLETED")
            except TimeoutError:
                pass
            except Exception as exc:  # FuturesCancelledError: the scheduler is gone, or dropped them
                if client.status != "running" or "scheduler-connection-lost" in str(exc):
                    lost = True
                    raise _lost(address, len(journal), len(students)) from None
                raise GradingError(f"{where} cancelled the grading tasks ({exc}); rerun to resume") from None
            for f in [f for f in pending if f.status != "pending"]:
                s = pending.pop(f)
                if f.status == "cancelled":  # the connection was lost after wait() returned
                    if client.status != "running":
                        raise _lost(address, len(journal), len(students))
                    raise GradingError(f"{where} cancelled the grading task of {s}; rerun to resume")
                try:
                    entry, files = _result(f, assignment, s)
                except WorkerVersionError as exc:
                    raise GradingError(str(exc)) from None
                except OSError:  # CommClosedError: the scheduler went while the result came back;
                    lost = True  # the student is not journaled, so the rerun grades them
                    raise _lost(address, len(journal), len(students)) from None
                graded_by.add(entry.pop("worker", None) or "?")
                journal[s] = record(course_dir, assignment, s, entry, files)
                bar.update(failed=bool(entry.get("problem")))
            try:
                live = workers()
            except GradingError:
                lost = True
                raise
            if live:
                no_workers_since = None
            elif no_workers_since is None:
                no_workers_since = time.monotonic()
            elif time.monotonic() - no_workers_since > WORKER_WAIT_SECONDS:
                raise GradingError(f"{where} has had no workers for {WORKER_WAIT_SECONDS:.0f} s; "
                                   f"{len(pending) + len(queue)} submission(s) left (rerun to resume)")
        graded_by.discard("?")
        if run_info is not None:
            run_info.update(where=f"{where}, {len(graded_by) or n_workers} Dask worker(s)",
                            workers=len(graded_by) or n_workers)
        return {s: journal[s] for s in students if s in journal}
    except GradingError:
        lost = lost or client.status != "running"
        raise
    finally:
        _close(client, cluster, None if lost else plugin_name, lost)


def _close(client, cluster, plugin_name: str | None, lost: bool) -> None:
    """End the run on the cluster: remove the plugin (ending the grading processes), close the
    client. With the scheduler ``lost`` there is nothing to remove (its workers close on their
    own, and with them their grading processes) and the client's own complaints about the
    reconnection it gives up are not shown: the run's error says what happened."""
    import logging

    if lost:
        logging.getLogger("distributed.client").setLevel(logging.CRITICAL)
    try:
        if plugin_name is not None:
            client.unregister_worker_plugin(plugin_name)
    except Exception:  # the plugin was never registered, or the cluster is gone
        pass
    try:
        client.close(timeout=5 if lost else CONNECT_SECONDS)
    except Exception:  # a client that lost its scheduler may not close cleanly; nothing is left open
        pass
    if cluster is not None:
        cluster.close()
