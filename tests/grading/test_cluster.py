"""Grading on a real Dask cluster: a LocalCluster (``--cluster local:2``) and a ``dask scheduler``
with two ``dask worker`` processes started here on 127.0.0.1 (``--scheduler``) give the same
grades.csv, gradebook and feedback as ``--jobs 2`` on one small class of 01_perceptron (honest,
blank, partly wrong, malformed, two attacks); a Dask worker killed with SIGKILL mid-run and a
client killed with SIGKILL then rerun end with the same grades, each student once; an unreachable
scheduler and a worker running another nncourse give clear errors and write nothing."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

from autograder.notebooks import ROOT

from .corpus import POINTS, A, _nb, attacks, build_class

pytestmark = [pytest.mark.slow, pytest.mark.grading]

ENV = {**os.environ, "NNCOURSE_STALL_SECONDS": "10", "NNCOURSE_CELL_TIMEOUT": "15",
       "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
STUDENTS = ["honest", "blank", "partly_wrong", "not_json", "duplicated", "nothing",
            "attack_input_transformer", "attack_write_course_files"]


def _make_class(course_dir: Path) -> dict:
    expected = build_class(course_dir, with_attacks=False)
    for name in ("input_transformer", "write_course_files"):
        mutate, exp = attacks(course_dir)[name]
        nb = copy.deepcopy(_nb())
        mutate(nb)
        folder = course_dir / "submitted" / f"attack_{name}" / A
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{A}.ipynb")
        expected[f"attack_{name}"] = exp
    for student in [s for s in expected if s not in STUDENTS]:
        shutil.rmtree(course_dir / "submitted" / student)
        del expected[student]
    state = course_dir / "reports" / ".state" / A
    state.mkdir(parents=True)
    (state / "seed").write_text("20261201")
    return expected


def grade(course_dir: Path, *where: str, timeout: float = 400) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "grade", A, "--course-dir", str(course_dir),
                           *where], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=timeout)


def start_grade(course_dir: Path, *where: str, stderr=subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "autograder", "grade", A, "--course-dir", str(course_dir),
                             *where], cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=stderr)


def wait_for_entries(course_dir: Path, n: int, proc: subprocess.Popen, seconds: float = 240) -> int:
    state = course_dir / "reports" / ".state" / A
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        done = len(list(state.glob("*.json")))
        if done >= n:
            return done
        time.sleep(0.1)
    raise AssertionError(f"the run never journaled {n} students (exit code {proc.poll()})")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def dask_cluster(folder: Path, workers: int = 2, env: dict | None = None, cwd: Path = ROOT,
                 tls: dict | None = None):
    """A ``dask scheduler`` and ``workers`` ``dask worker`` processes on 127.0.0.1 (one thread
    each, as docs/grading-cluster.md says), the workers started in ``cwd``; with ``tls`` (PEM
    paths: ``ca``, ``{scheduler,worker,client}_{cert,key}``) all of it speaks mutual TLS. Yields
    ``(address, worker processes, scheduler process)``."""
    folder.mkdir(parents=True, exist_ok=True)
    sched_file = folder / "scheduler.json"
    logs = open(folder / "dask.log", "ab")
    dask = [sys.executable, "-m", "dask"]

    def tls_args(role: str) -> list[str]:
        return ["--tls-ca-file", tls["ca"], "--tls-cert", tls[f"{role}_cert"], "--tls-key", tls[f"{role}_key"]
                ] if tls else []

    procs = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", str(_free_port()),
                               "--no-dashboard", "--scheduler-file", str(sched_file),
                               *(["--protocol", "tls"] if tls else []), *tls_args("scheduler")],
                              cwd=ROOT, env=ENV, stdout=logs, stderr=logs, start_new_session=True)]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(sched_file.read_text())["address"]
        for i in range(workers):
            procs.append(subprocess.Popen(
                [*dask, "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                 "--memory-limit", "0", "--name", f"w{i}", "--host", "127.0.0.1", *tls_args("worker")],
                cwd=cwd, env=env or ENV, stdout=logs, stderr=logs, start_new_session=True))
        from distributed import Client, Security

        security = Security(tls_ca_file=tls["ca"], tls_client_cert=tls["client_cert"],
                            tls_client_key=tls["client_key"], require_encryption=True) if tls else None
        with Client(address, timeout=30, security=security) as client:
            client.wait_for_workers(workers, timeout=90)
        yield address, procs[1:], procs[0]
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        logs.close()


def grading_processes(workers: list[subprocess.Popen]) -> set[int]:
    """The grading processes (``python -m autograder.grading.worker``) the ``workers`` started:
    their parent is in one of the Dask workers' process groups."""
    groups, found = {w.pid for w in workers}, set()
    for d in Path("/proc").iterdir():
        try:
            if not d.name.isdigit() or b"autograder.grading.worker" not in (d / "cmdline").read_bytes():
                continue
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if os.getpgid(ppid) in groups:
                found.add(int(d.name))
        except (OSError, ValueError, IndexError):  # gone meanwhile
            continue
    return found


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


# --- what is compared -------------------------------------------------------------------------------

_RANDOM = [re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),  # uuids
           re.compile(rb"[0-9a-f]{32}"),  # widget model ids
           re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z")]  # execution timestamps


def _normalised(path: Path) -> bytes:
    """A file without what differs between two gradings of the same notebook anywhere (ids the
    kernel draws at random, the widget models stored under them, the times cells ran)."""
    data = path.read_bytes()
    if path.suffix == ".ipynb":
        nb = json.loads(data)
        nb["metadata"].pop("widgets", None)
        for cell in nb["cells"]:
            cell["metadata"].pop("execution", None)
        data = json.dumps(nb, sort_keys=True).encode()
    for pattern in _RANDOM:
        data = pattern.sub(b"X", data)
    return data


def gradebook_contents(course_dir: Path) -> dict:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gb:
        for student in gb.students:
            nb = gb.find_submission_notebook(A, A, student.id)
            out[student.id] = sorted((g.name, g.auto_score, g.manual_score, g.score, g.max_score)
                                     for g in nb.grades)
    return out


def results(course_dir: Path) -> dict:
    """Everything a grading run leaves for the instructor and the students, comparable."""
    files = {}
    for folder in ("feedback", "autograded"):
        for p in sorted((course_dir / folder).rglob("*")):
            if p.is_file():
                files[str(p.relative_to(course_dir))] = _normalised(p)
    return {"grades.csv": (course_dir / "reports" / "grades.csv").read_bytes(),
            "gradebook": gradebook_contents(course_dir), "files": files}


def assert_same_results(got: Path, want: Path) -> None:
    a, b = results(got), results(want)
    assert a["grades.csv"] == b["grades.csv"], "grades.csv differs"
    assert a["gradebook"] == b["gradebook"], "gradebook contents differ"
    assert sorted(a["files"]) == sorted(b["files"]), "not the same feedback/autograded files"
    differ = [name for name in a["files"] if a["files"][name] != b["files"][name]]
    assert not differ, f"these files differ: {differ}"
    rows = (got / "reports" / "grades.csv").read_text().splitlines()[1:]
    assert len(rows) == len(STUDENTS) * len(POINTS), "a student is missing or twice in grades.csv"


# --- the tests ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    """The class, and its grading with --jobs 2 (what every cluster run must equal)."""
    root = tmp_path_factory.mktemp("cluster")
    base = root / "base"
    expected = _make_class(base)
    local = root / "jobs2"
    shutil.copytree(base, local)
    out = grade(local, "--jobs", "2")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return root, base, local, expected


def _copy(classes, name: str) -> Path:
    root, base, *_ = classes
    dest = root / name
    shutil.copytree(base, dest)
    return dest


@pytest.mark.timeout(150)
def test_jobs2_grades_the_class_as_expected(classes):
    _, _, local, expected = classes
    import csv

    with open(local / "reports" / "grades.csv", newline="") as f:
        got = {(r["student"], r["exercise"]): float(r["score"]) for r in csv.DictReader(f)}
    want = {(s, ex): float(v) for s, exp in expected.items() for ex, v in exp.items()}
    assert got == want


@pytest.mark.timeout(200)
def test_local_cluster_grades_like_local_jobs(classes):
    course = _copy(classes, "local_cluster")
    out = grade(course, "--cluster", "local:2")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "graded on a local Dask cluster (tcp://127.0.0.1:" in out.stdout, out.stdout
    assert "2 Dask worker(s)" in out.stdout, out.stdout
    assert "8/8 graded" in out.stderr  # the progress bar, as in a local run
    assert_same_results(course, classes[2])


@pytest.mark.timeout(200)
def test_scheduler_and_two_dask_workers_grade_like_local_jobs(classes, tmp_path):
    course = _copy(classes, "scheduler")
    with dask_cluster(tmp_path / "dask") as (address, _, _):
        out = grade(course, "--scheduler", address)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert f"graded on the Dask cluster at {address}, 2 Dask worker(s)" in out.stdout, out.stdout
    assert_same_results(course, classes[2])


@pytest.mark.timeout(240)
def test_a_dask_worker_killed_mid_run_loses_nothing(classes, tmp_path):
    """SIGKILL one of the two Dask workers while both grade: its task runs again on the other."""
    course = _copy(classes, "worker_killed")
    with dask_cluster(tmp_path / "dask") as (address, workers, _):
        proc = start_grade(course, "--scheduler", address)
        try:
            done = wait_for_entries(course, 2, proc)
            assert done < len(STUDENTS) - 2, f"the kill came too late ({done} graded)"
            os.killpg(workers[0].pid, signal.SIGKILL)  # the worker and its grading process
            assert proc.wait(timeout=200) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert_same_results(course, classes[2])


@pytest.mark.timeout(300)
def test_a_client_killed_and_rerun_grades_everyone_once(classes, tmp_path):
    course = _copy(classes, "client_killed")
    state = course / "reports" / ".state" / A
    with dask_cluster(tmp_path / "dask") as (address, _, _):
        proc = start_grade(course, "--scheduler", address)
        wait_for_entries(course, 2, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        before = {p.name: p.read_bytes() for p in state.glob("*.json")}
        assert 0 < len(before) < len(STUDENTS), f"the kill landed at {len(before)} journal entries"
        out = grade(course, "--scheduler", address)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    after = {p.name: p.read_bytes() for p in state.glob("*.json")}
    assert {n: after[n] for n in before} == before, "the rerun graded again a student already journaled"
    assert sorted(after) == sorted(f"{s}.json" for s in STUDENTS)
    assert_same_results(course, classes[2])


@pytest.mark.timeout(240)
def test_a_scheduler_killed_mid_run_ends_the_client_and_a_rerun_on_a_new_one_resumes(classes, tmp_path):
    """SIGKILL the scheduler while both workers grade: the client stops within seconds with an
    error naming the scheduler and saying how to resume, writes no gradebook or grades.csv, has
    journaled exactly what its progress bar counted; the workers and their grading processes end;
    a rerun on a new scheduler and new workers grades the rest, each student once."""
    course = _copy(classes, "scheduler_killed")
    state = course / "reports" / ".state" / A
    err_path = tmp_path / "client.err"
    with dask_cluster(tmp_path / "dask") as (address, workers, scheduler), open(err_path, "w") as err:
        proc = start_grade(course, "--scheduler", address, stderr=err)
        try:
            done = wait_for_entries(course, 2, proc)
            assert done < len(STUDENTS) - 2, f"the kill came too late ({done} graded)"
            graders = grading_processes(workers)
            assert graders, "no grading process found on the Dask workers"
            killed = time.monotonic()
            os.killpg(scheduler.pid, signal.SIGKILL)
            rc = proc.wait(timeout=90)
            took = time.monotonic() - killed
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        deadline = time.monotonic() + 60  # what the dead cluster left running on its machines
        while time.monotonic() < deadline and (any(alive(p) for p in graders)
                                               or any(w.poll() is None for w in workers)):
            time.sleep(0.2)
        assert not [p for p in graders if alive(p)], "grading processes outlived their Dask workers"
        assert all(w.poll() is not None for w in workers), "a Dask worker outlived its scheduler"
    err = err_path.read_text()
    assert rc == 2, err[-3000:]
    # at once when Dask cancels the tasks on the lost connection; at worst when the loop's next call
    # to the scheduler runs out of its 20 s limit (seen at 21 s under the full suite's load)
    assert took < 35, f"the client took {took:.0f} s to notice its scheduler was gone"
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"error: lost the Dask scheduler at {address} "), err[-3000:]
    assert "rerun the same command: the run resumes where it stopped" in last, last
    assert "Traceback" not in err, err[-3000:]  # the error alone, no complaints of distributed's
    before = {p.name: p.read_bytes() for p in state.glob("*.json")}
    counted = int(re.findall(r"(\d+)/\d+ graded", err)[-1])  # what the progress bar showed
    assert len(before) == counted and 0 < counted < len(STUDENTS), (sorted(before), counted)
    assert f"with {counted} of {len(STUDENTS)} submission(s) graded and journaled" in last, last
    assert not (course / "gradebook.db").exists() and not (course / "reports" / "grades.csv").exists()
    assert not [p for p in course.rglob("*") if ".tmp" in p.name], "a half-written file was left"
    with dask_cluster(tmp_path / "dask2") as (address2, _, _):
        out = grade(course, "--scheduler", address2)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert f"grading {len(STUDENTS) - counted} submission(s) on the Dask cluster at {address2}" in out.stderr
    after = {p.name: p.read_bytes() for p in state.glob("*.json")}
    assert {n: after[n] for n in before} == before, "the rerun graded again a student already journaled"
    assert sorted(after) == sorted(f"{s}.json" for s in STUDENTS)
    assert_same_results(course, classes[2])


@pytest.mark.timeout(60)
def test_a_scheduler_that_stops_answering_is_lost_within_the_time_limit(tmp_path, monkeypatch):
    """A frozen scheduler (SIGSTOP: its connections stay open, nothing answers) is reported as
    lost, naming it, once the time limit of a call to it runs out; never a wait without end."""
    from distributed import Client

    from autograder.grading import cluster
    from autograder.grading.driver import GradingError

    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 2.0)
    with dask_cluster(tmp_path / "dask", workers=1) as (address, _, scheduler):
        with Client(address, timeout=10) as client:
            assert cluster._count_workers(client, address, 0, 3) == 1
            os.killpg(scheduler.pid, signal.SIGSTOP)
            try:
                start = time.monotonic()
                with pytest.raises(GradingError, match=re.escape(f"lost the Dask scheduler at {address} ")):
                    cluster._count_workers(client, address, 1, 3)
                assert time.monotonic() - start < 10
            finally:
                os.killpg(scheduler.pid, signal.SIGCONT)


@pytest.mark.timeout(120)
def test_an_unreachable_scheduler_is_a_clear_error_and_writes_nothing(classes, tmp_path):
    course = _copy(classes, "unreachable")
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    out = grade(course, "--scheduler", address)
    assert out.returncode != 0
    assert f"cannot reach the Dask scheduler at {address}" in out.stderr, out.stderr
    missing = tmp_path / "no-such-scheduler.json"
    out = grade(course, "--scheduler-file", str(missing))
    assert out.returncode != 0 and f"cannot read the Dask scheduler file {missing}" in out.stderr, out.stderr
    assert not (course / "gradebook.db").exists()
    assert not (course / "reports" / "grades.csv").exists()
    assert not list((course / "reports" / ".state" / A).glob("*.json"))


@pytest.mark.timeout(150)
def test_a_worker_with_another_nncourse_is_refused_naming_both_versions(classes, tmp_path):
    """A worker whose checkout differs by one line refuses the task; the run stops, nothing graded."""
    from autograder.grading.cluster import nncourse_version

    other = tmp_path / "other-checkout"
    for part in ("autograder", "nnlib", "solutions"):
        shutil.copytree(ROOT / part, other / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "nbgrader_config.py", other)
    with open(other / "autograder" / "exercises.py", "a") as f:
        f.write("# a worker one commit behind\n")
    env = {**ENV, "PYTHONPATH": str(other)}
    course = _copy(classes, "other_version")
    # `python -m dask` puts its folder first on sys.path, then PYTHONPATH: the worker imports the copy
    with dask_cluster(tmp_path / "dask", workers=1, env=env, cwd=other) as (address, _, _):
        out = grade(course, "--scheduler", address)
    assert out.returncode != 0
    theirs = re.search(r"runs nncourse (\S+) but the grading client runs nncourse (\S+):", out.stderr)
    assert theirs, out.stderr[-3000:]
    assert theirs.group(2) == nncourse_version() != theirs.group(1)
    assert not (course / "gradebook.db").exists()
    assert not list((course / "reports" / ".state" / A).glob("*.json"))


@pytest.mark.timeout(60)
def test_a_task_that_keeps_failing_gives_that_student_a_reason(tmp_path):
    """The client's handling of a task that raised after its retries, on a real in-process cluster:
    zeros and 'could not be graded on the cluster (the error)', not a lost student."""
    from distributed import Client, LocalCluster

    from autograder.grading.cluster import _result

    def fail():
        raise OSError("disk full on the worker")

    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster, Client(cluster) as c:
        future = c.submit(fail, retries=1, pure=False)
        with pytest.raises(OSError):
            future.result()
        entry, files = _result(future, A, "someone")
    assert files == {}
    assert entry["problem"] == "could not be graded on the cluster (OSError: disk full on the worker)"
    assert [(r["exercise"], r["score"], r["diagnosis"]) for r in entry["exercises"]] == [
        (ex, 0.0, "not_graded") for ex in POINTS]


def test_a_worker_inbox_shows_the_intake_what_the_course_directory_shows(tmp_path):
    """Every kind of submission folder, hostile ones included, sent as plain data and recreated in
    an inbox, gets the same intake verdict as in the course directory; a symbolic link's target
    never travels as content."""
    from autograder.grading.cluster import _recreate, submission_files
    from autograder.grading.submission import MAX_NOTEBOOK_BYTES, validate_submission

    course, inbox = tmp_path / "course", tmp_path / "inbox"
    secret = tmp_path / "secret.ipynb"
    secret.write_text('{"cells": [], "secret": "the hidden answers"}')
    good = nbformat.writes(_nb()).encode()

    def folder(student: str) -> Path:
        d = course / "submitted" / student / A
        d.mkdir(parents=True)
        return d

    folder("honest").joinpath(f"{A}.ipynb").write_bytes(good)
    folder("symlinked").joinpath(f"{A}.ipynb").symlink_to(secret)
    os.mkfifo(folder("fifo") / f"{A}.ipynb")
    d = folder("hardlinked")
    (d / f"{A}.ipynb").write_bytes(good)
    os.link(d / f"{A}.ipynb", tmp_path / "elsewhere")
    with open(folder("huge") / f"{A}.ipynb", "wb") as f:
        f.truncate(MAX_NOTEBOOK_BYTES + 1)
    folder("empty").joinpath(f"{A}.ipynb").write_bytes(b"")
    d = folder("two")
    (d / f"{A}.ipynb").write_bytes(good)
    (d / "copy.ipynb").write_bytes(good)
    (course / "submitted" / "nothing").mkdir()
    (tmp_path / "other_folder").mkdir()
    (course / "submitted" / "linked_folder").symlink_to(tmp_path / "other_folder")
    for student in sorted(p.name for p in (course / "submitted").iterdir()):
        sent = submission_files(course, A, student)
        assert b"hidden answers" not in repr(sent).encode(), student
        shutil.rmtree(inbox, ignore_errors=True)
        (inbox / "submitted").mkdir(parents=True)
        if sent["student_dir"] is not None:
            _recreate(inbox / "submitted" / student, sent["student_dir"])
        if sent["assignment_dir"] is not None:
            _recreate(inbox / "submitted" / student / A, sent["assignment_dir"])
        for name, entry in sent["files"].items():
            _recreate(inbox / "submitted" / student / A / name, entry)
        here, there = validate_submission(course, A, student), validate_submission(inbox, A, student)
        assert here[1] == there[1], (student, here[1], there[1])
        assert (here[0] is None) == (there[0] is None), student
        assert student == "honest" or here[1], f"{student} should have been refused"
