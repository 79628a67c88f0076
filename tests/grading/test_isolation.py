"""Issue 16's isolation attacks and malformed folders, graded through the real driver as root (one
class, two workers): a TCP connection to a listener of this test on 127.0.0.1, /proc, a file planted
in /tmp for the next submission, ptrace of the worker, signals to everything in reach, namespaces
and mounts; symbolic links to /etc/shadow, the gradebook and another student's notebook, a 300 MB
notebook, deeply nested and non-UTF-8 JSON, a million outputs, student ids with a space, '..', a
newline or unicode. Each attack must score what honest work would, in nbgrader's kernel and in the
re-check alike; each malformed folder gets zeros and a reason; nobody else's grade moves; the host's
/tmp ends as it was."""

from __future__ import annotations

import json
import os
import socket
import threading
import time

import pytest

from .corpus import PLANTED, POINTS, A, build_isolation_class, read_csv
from .test_grading import _seed, run_grade

pytestmark = [pytest.mark.slow, pytest.mark.grading,
              pytest.mark.skipif(os.geteuid() != 0, reason="the jail's namespaces and uids need root")]

SHARED = ("/tmp", "/var/tmp", "/dev/shm")


def _listing() -> dict[str, set]:
    return {d: set(os.listdir(d)) for d in SHARED if os.path.isdir(d)}


def _shmem() -> int:
    """The host's shared memory (tmpfs files, memfds, SysV segments), bytes."""
    with open("/proc/meminfo") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("Shmem:"))


@pytest.fixture(scope="module")
def isolated_class(tmp_path_factory):
    course_dir = tmp_path_factory.mktemp("isolation")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.setblocking(False)
    expected, reasons = build_isolation_class(course_dir, listener.getsockname()[1], os.getpid())
    honest = (course_dir / "submitted" / "honest" / A / f"{A}.ipynb").read_bytes()
    shadow = os.stat("/etc/shadow") if os.path.exists("/etc/shadow") else None
    _seed(course_dir)
    before, t0 = _listing(), time.monotonic()
    shmem = {"before": _shmem(), "peak": _shmem()}
    grading = threading.Event()

    def sample() -> None:  # the host's shared memory, every 50 ms while the class is graded
        while not grading.wait(0.05):
            shmem["peak"] = max(shmem["peak"], _shmem())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        run_grade(course_dir, jobs=2)
    finally:
        grading.set()
        sampler.join()
    seconds, after = time.monotonic() - t0, _listing()
    time.sleep(0.5)
    shmem["after"] = _shmem()
    try:
        conn, peer = listener.accept()
        conn.close()
        connected = [peer]
    except BlockingIOError:
        connected = []
    listener.close()
    yield {"dir": course_dir, "expected": expected, "reasons": reasons, "honest": honest,
           "shadow": shadow, "before": before, "after": after, "connected": connected,
           "seconds": seconds, "shmem": shmem}


@pytest.mark.timeout(900)
def test_every_attack_scores_what_honest_work_would_in_nbgrader_and_the_recheck(isolated_class):
    c = isolated_class
    rows = read_csv(c["dir"] / "reports" / "grades.csv")
    got = {s: {ex: float(rows[(s, ex)]["score"]) for ex in POINTS} for s in c["expected"]}
    want = {s: {ex: float(v) for ex, v in exp.items()} for s, exp in c["expected"].items()}
    wrong = {s: (got[s], want[s], rows[(s, "perceptron_predict")]["reason"])
             for s in want if got[s] != want[s]}
    assert not wrong, f"scores differ (got, expected, reason): {wrong}"
    for s in c["expected"]:
        if s not in c["reasons"]:  # graded: nbgrader's kernel agreed with the re-check
            for ex, points in POINTS.items():
                r = rows[(s, ex)]
                assert (r["nbgrader_score"], r["overridden"]) == (str(points), "no"), (s, r)
    print(f"graded {len(c['expected'])} submissions in {c['seconds']:.0f} s")


def test_the_listener_on_127_0_0_1_saw_no_connection(isolated_class):
    assert isolated_class["connected"] == []


def test_every_recheck_ran_in_namespaces(isolated_class):
    state = isolated_class["dir"] / "reports" / ".state" / A
    for s in isolated_class["expected"]:
        if s not in isolated_class["reasons"]:
            entry = json.loads((state / f"{s}.json").read_text())
            assert entry["recheck"]["isolation"] == "namespaces", (s, entry["recheck"])


def test_malformed_folders_get_zeros_and_a_reason_that_names_the_problem(isolated_class):
    c = isolated_class
    rows = read_csv(c["dir"] / "reports" / "grades.csv")
    for s, words in c["reasons"].items():
        reason = rows[(s, "perceptron_predict")]["reason"]
        assert words in reason, (s, reason)
        print(f"{s!r}: {reason}")
    report = (c["dir"] / "reports" / f"{A}_report.html").read_text()
    for s in ("link_shadow", "huge", "deep_json", "million_outputs", "a..b"):
        assert s in report, f"{s} missing from the class report"


def test_nothing_outside_the_course_directory_was_read_or_written(isolated_class):
    c = isolated_class
    assert (c["dir"] / "submitted" / "honest" / A / f"{A}.ipynb").read_bytes() == c["honest"]
    if c["shadow"] is not None:
        now = os.stat("/etc/shadow")
        assert (now.st_mtime_ns, now.st_size) == (c["shadow"].st_mtime_ns, c["shadow"].st_size)
    for student in ("link_shadow", "link_gradebook", "link_other_student"):
        assert not (c["dir"] / "autograded" / student).exists()
        assert not (c["dir"] / "feedback" / student).exists()


def test_the_hosts_tmp_has_no_new_entries_from_grading(isolated_class):
    """Nothing a jailed process planted, and nothing of the driver, workers, kernels or sandboxes
    (other programs on a shared machine may come and go meanwhile: only ours are counted)."""
    c = isolated_class
    ours = ("nncourse-", "jail-keep-", "matplotlib-", "kernel-", "tmp", PLANTED)
    new = {}
    for d, names in c["after"].items():
        for n in names - c["before"][d]:
            try:
                owner = os.lstat(os.path.join(d, n)).st_uid
            except FileNotFoundError:
                owner = None
            if n.startswith(ours) or (owner is not None and owner >= 61000):
                new.setdefault(d, []).append(n)
    assert not new, f"grading left these in the host's shared folders: {new}"
    for d in SHARED:
        assert not os.path.lexists(os.path.join(d, PLANTED))


def test_the_hosts_memory_is_not_the_submissions_to_eat(isolated_class):
    """iso_ram_fill tried to keep 3 GiB in RAM outside its address-space limit (files in /tmp and
    /dev/shm, memfds), in nbgrader's kernel and in the re-check; at most two of each run at once,
    and each may hold its private tmpfs folders (81 MiB) only, freed when it ends."""
    from autograder.grading.jail import PRIVATE_TMP

    m, MiB = isolated_class["shmem"], 1024**2
    peak, after = (m["peak"] - m["before"]) / MiB, (m["after"] - m["before"]) / MiB
    print(f"host Shmem: {m['before'] / MiB:.0f} MiB before, peak {peak:+.0f} MiB, after {after:+.0f} MiB")
    assert peak < 4 * sum(PRIVATE_TMP.values()) + 64, f"the host's shared memory grew by {peak:.0f} MiB"
    assert after < 64, f"{after:.0f} MiB of shared memory outlived the grading run"
