"""A memory cgroup per jailed uid: a bound on what a jailed process tree holds in RAM, kernel memory
(socket and pipe buffers) included, which its address-space limit does not count.

Measured on the grading machines (kernel 6.18, cgroup v1, as root): one jailed process that fills
124 Unix socket pairs (``SO_SNDBUF`` raised to ``wmem_max``) holds ~1 GiB of kernel memory, stream
or datagram alike (datagrams: +816 MiB of unreclaimable slab), and 124 pipes 67 MiB; with
``RLIMIT_NPROC`` processes of one uid that is tens of GiB, none of it under ``RLIMIT_AS``. All of it
is charged to the process's memory cgroup (``memory.usage_in_bytes`` ~= ``memory.kmem.usage_in_bytes``
~= the bytes held), and with ``memory.limit_in_bytes`` set the kernel stops it there (the cgroup's
OOM killer ends the process tree: the jail's namespace dies with it).

:func:`prepare` (the jail's supervisor, root, trusted) makes ``nncourse-<uid>`` under the memory
cgroup the grader itself runs in (so that the grader's own limits, a systemd unit's or a
container's, still hold above it), removing a leftover of a killed run first; the jailed process
tree joins it (:func:`join`, before it drops root); :func:`remove` kills whatever is still in it and
removes the folder, called by the supervisor when the tree has ended and by the re-check and the
kernel reapers after every submission. cgroup v1 (``/sys/fs/cgroup/memory``) and v2 (a unified
hierarchy at ``/sys/fs/cgroup``) are both handled; where neither is writable (not root, a read-only
cgroupfs, v2 with the memory controller not delegated) :func:`prepare` returns ``None`` with the
reason in :data:`LAST_ERROR`, the jail goes on without this bound and reports it.
"""

from __future__ import annotations

import errno
import os
import signal
import time

__all__ = ["LAST_ERROR", "cgroup_path", "join", "peak_bytes", "prepare", "remove", "remove_at",
           "usage_bytes"]

V1_ROOT = "/sys/fs/cgroup/memory"
V2_ROOT = "/sys/fs/cgroup"
PREFIX = "nncourse-"
#: Why the last :func:`prepare` of this process made no cgroup (``None`` if it made one).
LAST_ERROR: list = [None]


def _hierarchy() -> tuple[str, str] | None:
    """``(version, folder of this process's own memory cgroup)``, or ``None``."""
    try:
        with open("/proc/self/cgroup") as f:
            lines = [line.rstrip("\n").split(":", 2) for line in f]
    except OSError:
        return None
    if os.path.exists(os.path.join(V1_ROOT, "memory.limit_in_bytes")) or \
            os.path.exists(os.path.join(V1_ROOT, "memory.usage_in_bytes")):
        for _id, controllers, path in lines:
            if "memory" in controllers.split(","):
                return "v1", os.path.join(V1_ROOT, path.lstrip("/"))
        return "v1", V1_ROOT
    if os.path.exists(os.path.join(V2_ROOT, "cgroup.controllers")):
        for hid, _controllers, path in lines:
            if hid == "0":
                return "v2", os.path.join(V2_ROOT, path.lstrip("/"))
    return None


def cgroup_path(uid: int) -> str | None:
    """The folder of ``uid``'s memory cgroup (whether it exists or not), ``None`` if no hierarchy."""
    found = _hierarchy()
    return os.path.join(found[1], f"{PREFIX}{int(uid)}") if found else None


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _pids(path: str) -> list[int]:
    try:
        with open(os.path.join(path, "cgroup.procs")) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def remove(uid: int, seconds: float = 5.0) -> bool:
    """SIGKILL every process still in ``uid``'s cgroup and remove it; ``True`` if none is left."""
    path = cgroup_path(uid)
    return True if path is None else remove_at(path, seconds)


def remove_at(path: str, seconds: float = 5.0) -> bool:
    """:func:`remove` by the cgroup's folder: for a process whose ``/proc`` is no longer its own
    (the jail's supervisor, which shares its mount namespace with the new PID namespace's ``/proc``)."""
    if not os.path.isdir(path):
        return True
    deadline = time.monotonic() + seconds
    while True:
        for pid in _pids(path):
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            os.rmdir(path)
            return True
        except FileNotFoundError:
            return True
        except OSError as exc:  # EBUSY: killed processes not reaped yet
            if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                return False
        time.sleep(0.01)


def prepare(uid: int, limit_bytes: int) -> str | None:
    """Make ``uid``'s memory cgroup afresh with ``limit_bytes`` (RAM, kernel memory included, no
    swap); returns its folder, or ``None`` (reason in :data:`LAST_ERROR`)."""
    LAST_ERROR[0] = None
    found = _hierarchy()
    if found is None:
        LAST_ERROR[0] = "no memory cgroup hierarchy under /sys/fs/cgroup"
        return None
    version, parent = found
    path = os.path.join(parent, f"{PREFIX}{int(uid)}")
    try:
        if not remove(uid):  # a killed run's leftover
            raise OSError(errno.EBUSY, f"leftover {path} cannot be removed")
        if version == "v2":
            with open(os.path.join(parent, "cgroup.subtree_control")) as f:
                if "memory" not in f.read().split():
                    _write(os.path.join(parent, "cgroup.subtree_control"), "+memory")
        os.mkdir(path, 0o755)
        try:
            if version == "v1":
                _write(os.path.join(path, "memory.limit_in_bytes"), str(int(limit_bytes)))
                if os.path.exists(os.path.join(path, "memory.memsw.limit_in_bytes")):
                    _write(os.path.join(path, "memory.memsw.limit_in_bytes"), str(int(limit_bytes)))
            else:
                _write(os.path.join(path, "memory.max"), str(int(limit_bytes)))
                if os.path.exists(os.path.join(path, "memory.swap.max")):
                    _write(os.path.join(path, "memory.swap.max"), "0")
        except OSError:
            os.rmdir(path)
            raise
    except OSError as exc:
        LAST_ERROR[0] = f"no memory cgroup at {path} ({exc.strerror or exc})"
        return None
    return path


def join(path: str, pid: int = 0) -> None:
    """Move ``pid`` (0: this process) into the cgroup at ``path``; its children are born there."""
    _write(os.path.join(path, "cgroup.procs"), str(pid or os.getpid()))


def _read_int(path: str, *names: str) -> int | None:
    for name in names:
        try:
            with open(os.path.join(path, name)) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return None


def usage_bytes(path: str) -> int | None:
    """What the cgroup holds now (user and kernel memory)."""
    return _read_int(path, "memory.usage_in_bytes", "memory.current")


def peak_bytes(path: str) -> int | None:
    """The most the cgroup has held (v2 kernels before 5.19 have no ``memory.peak``: ``None``)."""
    return _read_int(path, "memory.max_usage_in_bytes", "memory.peak")
