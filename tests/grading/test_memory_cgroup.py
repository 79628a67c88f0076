"""Kernel memory a jailed process holds outside its address-space limit (issue 16): socket buffers.

An answer or added cell can fill Unix socket pairs until they refuse more (each socket's send buffer,
``SO_SNDBUF`` up to twice ``net.core.wmem_max``), in as many processes as ``RLIMIT_NPROC`` allows:
~1 GiB per process on the grading machines, none of it counted by ``RLIMIT_AS``. The jail's memory
cgroup (:mod:`autograder.grading.cgroup`) must stop it at its limit, in the re-check sandbox and in
nbgrader's jailed kernel alike, honest work must score the same, and no cgroup may be left behind.

The attack's datagrams sit in the kernel's slab (``SUnreclaim`` in ``/proc/meminfo``): the host's
own counter is the figure asserted, with the cgroup's counter beside it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.grading,
              pytest.mark.skipif(os.geteuid() != 0, reason="the jail's memory cgroup needs root")]

MiB = 1024**2
#: The limit the tests give the jail's cgroup (below the attack's target, above honest work's needs).
LIMIT = 512 * MiB
#: What the attack tries to hold: 24 processes x 48 MiB of datagrams (reachable with the kernel's
#: default wmem_max, 208 KiB: ~100 MiB per process of 124 socket pairs filled both ways).
PROCESSES, PER_PROCESS = 24, 48 * MiB
#: Room on the host counter for everything else the machine does meanwhile.
MARGIN = 96 * MiB

ATTACK = f'''import os, socket, time

def _fill(target):
    held, total = [], 0
    try:
        while total < target:
            a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
            held.append((a, b))
            for s, peer in ((a, b), (b, a)):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 30)
                s.setblocking(False)
                try:
                    while total < target:
                        total += s.send(b"x" * 16384)
                except BlockingIOError:
                    pass
    except OSError:
        pass
    return held

_kids = []
for _i in range({PROCESSES - 1}):
    _pid = os.fork()
    if _pid == 0:
        _held = _fill({PER_PROCESS})
        time.sleep(3)
        os._exit(0)
    _kids.append(_pid)
_held = _fill({PER_PROCESS})
time.sleep(3)
del _held
for _pid in _kids:
    os.waitpid(_pid, 0)
'''


def _meminfo(key: str) -> int:
    with open("/proc/meminfo") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key + ":"))


class Sampler:
    """The host's unreclaimable slab and the jail's cgroup usage, every 20 ms, while it runs."""

    def __init__(self, cgroup_path: str):
        self.path = cgroup_path
        self.before = _meminfo("SUnreclaim")
        self.peak = self.before
        self.cgroup_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from autograder.grading.cgroup import usage_bytes

        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _meminfo("SUnreclaim"))
            if os.path.isdir(self.path):
                self.cgroup_peak = max(self.cgroup_peak, usage_bytes(self.path) or 0)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def report(self, what: str) -> str:
        return (f"{what}: host SUnreclaim {self.before / MiB:.0f} MiB before, peak "
                f"{(self.peak - self.before) / MiB:+.0f} MiB; the jail's cgroup peak "
                f"{self.cgroup_peak / MiB:.0f} MiB (limit {LIMIT / MiB:.0f} MiB)")


def _ours(parent: str) -> set:
    return {n for n in os.listdir(parent) if n.startswith("nncourse-")} if os.path.isdir(parent) else set()


@pytest.fixture
def slot():
    from autograder.grading.jail import claim_slot

    slot, token = claim_slot()
    yield slot
    token.close()


@pytest.mark.timeout(240)
def test_socket_buffers_of_a_students_cell_stop_at_the_recheck_cgroup_and_cost_nothing(tmp_path, slot):
    """A cell the student added fills datagram socket pairs in 24 processes (1.1 GiB wanted): the
    re-check's cgroup ends it at its limit (the host's slab grows by at most that), the cell is left
    out, both exercises pass as the honest notebook's do, and no cgroup is left."""
    from autograder.grading.cgroup import cgroup_path
    from autograder.grading.jail import Limits, slot_uid
    from autograder.grading.sandbox import recheck
    from autograder.notebooks import solution_path

    from .test_check_agreement import RUN_SEED, _submission

    path = cgroup_path(slot_uid(slot))
    parent, before = os.path.dirname(path), _ours(os.path.dirname(path))
    limits = Limits(cgroup_bytes=LIMIT)
    honest, honest_info = recheck("01_perceptron", solution_path("01_perceptron"), run_seed=RUN_SEED,
                                  slot=slot, limits=limits)
    notebook = _submission(tmp_path, "01_perceptron", {}, [("perceptron_predict", ATTACK)])
    with Sampler(path) as s:
        graded, info = recheck("01_perceptron", notebook, run_seed=RUN_SEED, slot=slot, limits=limits,
                               stall_seconds=20.0)
    print(s.report("re-check"), info)
    assert honest_info["isolation"] == "namespaces" and info["isolation"] == "namespaces", info
    assert s.peak - s.before < LIMIT + MARGIN, s.report("the socket buffers escaped the bound")
    assert s.cgroup_peak <= LIMIT, s.report("the cgroup held more than its limit")
    assert [(v.exercise, v.passed) for v in graded] == [(v.exercise, v.passed) for v in honest] == [
        ("perceptron_predict", True), ("perceptron_epoch", True)], graded
    assert info["cells_skipped"] == 1, info  # the cgroup's OOM killer ended the sandbox in that cell
    assert not os.path.exists(path) and _ours(parent) == before, (path, _ours(parent) - before)


def _kernel(tmp_path: Path, slot: int, limits):
    """nbgrader's jailed kernel for ``slot`` as the grading worker starts it (kernelspec of
    :func:`write_kernel_spec`, ZMQ over IPC), with ``limits``; returns ``(manager, client)``."""
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    from autograder.grading import kernel

    tmp_path.mkdir(mode=0o711)
    private = tmp_path / "private"
    private.mkdir(mode=0o711)
    course = tmp_path / "course"
    course.mkdir()
    spec_dir = kernel.write_kernel_spec(tmp_path / "spec", course, private, slot)
    spec_file = spec_dir / "kernels" / kernel.KERNEL_NAME / "kernel.json"
    spec = json.loads(spec_file.read_text())
    jail = json.loads(spec["argv"][-3])
    jail["limits"] = limits.__dict__
    spec["argv"][-3] = json.dumps(jail)
    spec_file.write_text(json.dumps(spec))
    work = tmp_path / "work"
    work.mkdir()
    work.chmod(0o777)
    km = KernelManager(kernel_name=kernel.KERNEL_NAME,
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec_dir / "kernels")]),
                       **kernel.kernel_manager_config(private))
    km.start_kernel(cwd=str(work))
    kc = km.blocking_client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc


def _run(km, kc, code: str, timeout: float) -> dict:
    """Execute ``code``; return its status and whatever it printed (``None`` status: no reply,
    ``"dead"``: the kernel died)."""
    msg_id = kc.execute(code)
    out, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not km.is_alive():
            return {"status": "dead", "out": "".join(out)}
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except Exception:  # queue.Empty: the kernel may be dead
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            reply = kc.get_shell_msg(timeout=5)
            return {"status": reply["content"]["status"], "out": "".join(out)}
    return {"status": None, "out": "".join(out)}


@pytest.fixture
def open_tmp():
    """A folder the kernel's uid can reach (pytest's own are closed to other uids), removed after."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="nncourse-cgtest-"))
    folder.chmod(0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.timeout(240)
def test_socket_buffers_in_nbgraders_jailed_kernel_stop_at_its_cgroup_and_the_next_kernel_is_fine(
        open_tmp, slot):
    """The same cell in the jailed kernel nbgrader runs: the kernel's cgroup ends it at its limit;
    the kernel's cgroup is gone after the kernel, and the next kernel of the slot runs honest code."""
    from autograder.grading.cgroup import cgroup_path
    from autograder.grading.kernel import KERNEL_LIMITS, kernel_uid, reap_kernel_leftovers

    limits = KERNEL_LIMITS.__class__(**{**KERNEL_LIMITS.__dict__, "cgroup_bytes": LIMIT})
    path = cgroup_path(kernel_uid(slot))
    parent, before = os.path.dirname(path), _ours(os.path.dirname(path))
    km, kc = _kernel(open_tmp / "a", slot, limits)
    try:
        assert os.path.isdir(path), "the jailed kernel runs in no memory cgroup"
        with Sampler(path) as s:
            attacked = _run(km, kc, ATTACK, timeout=60)
        print(s.report("kernel"), attacked)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        reap_kernel_leftovers(slot)
    assert s.peak - s.before < LIMIT + MARGIN, s.report("the socket buffers escaped the bound")
    assert s.cgroup_peak <= LIMIT, s.report("the cgroup held more than its limit")
    assert not os.path.exists(path) and _ours(parent) == before, (path, _ours(parent) - before)
    km, kc = _kernel(open_tmp / "b", slot, limits)
    try:
        honest = _run(km, kc, "import numpy as np\nprint(int(np.arange(10).sum()))", timeout=30)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        reap_kernel_leftovers(slot)
    assert honest == {"status": "ok", "out": "45\n"}, honest
    assert _ours(parent) == before, _ours(parent) - before


@pytest.mark.timeout(60)
def test_where_no_cgroup_can_be_made_the_jail_still_closes_and_says_what_is_missing(tmp_path, monkeypatch):
    """A read-only or absent cgroupfs (here: a hierarchy path that does not exist): no cgroup, a
    reason naming it, and the rest of the jail as before, with ``memory_cgroup: False`` reported."""
    from autograder.grading import cgroup, jail

    from .test_jail import in_child

    monkeypatch.setattr(cgroup, "V1_ROOT", str(tmp_path / "no-memory"))
    monkeypatch.setattr(cgroup, "V2_ROOT", str(tmp_path / "no-unified"))
    assert cgroup.prepare(61999, LIMIT) is None
    assert "no memory cgroup hierarchy" in cgroup.LAST_ERROR[0], cgroup.LAST_ERROR
    work = tmp_path / "work"
    work.mkdir()
    work.chmod(0o777)
    tmp_path.chmod(0o711)

    def child():
        os.chdir(work)
        level = jail.enter_jail(uid=61999, writable=["."])
        return {"level": level, "reached": jail.REACHED}

    code, out = in_child(child)
    assert code == 0 and out["level"] == "namespaces", out
    assert out["reached"]["memory_cgroup"] is False and out["reached"]["seccomp"] is True, out


@pytest.mark.timeout(60)
def test_a_killed_runs_leftover_cgroup_is_removed_by_the_next_claimer_and_its_processes_killed():
    """A worker killed with its jail leaves ``nncourse-<uid>`` (here with a process still in it):
    the next :func:`prepare` of that uid kills what is in it and makes it afresh; :func:`remove`
    leaves nothing."""
    import subprocess

    from autograder.grading import cgroup

    uid = 61998
    path = cgroup.prepare(uid, LIMIT)
    assert path is not None, cgroup.LAST_ERROR
    leftover = subprocess.Popen(["sleep", "60"])
    try:
        cgroup.join(path, leftover.pid)
        assert cgroup.prepare(uid, 2 * LIMIT) == path
        assert leftover.wait(timeout=10) == -9  # SIGKILL
        assert open(os.path.join(path, "cgroup.procs")).read() == ""
        limit = "memory.limit_in_bytes" if os.path.exists(os.path.join(path, "memory.limit_in_bytes")) \
            else "memory.max"
        assert int(open(os.path.join(path, limit)).read()) == 2 * LIMIT
    finally:
        leftover.kill()
        assert cgroup.remove(uid)
    assert not os.path.exists(path)
