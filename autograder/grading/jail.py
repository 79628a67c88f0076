"""Confining untrusted student code: namespaces, a throw-away identity and resource limits.

:func:`enter_jail` is called by a freshly started process *before* it runs any student code (the
re-check sandbox in :mod:`autograder.grading.sandbox_main`, and the kernel that nbgrader starts, through
:mod:`autograder.grading.kernel_launcher`). What it can do depends on the privileges it starts with:

- as root (CI, a grading server): a private mount namespace in which the protected folders
  (``solutions/``, ``.git``, the course directory with the gradebook and every other student's
  files) are covered by empty read-only tmpfs mounts; optionally a private network namespace with no
  interface up (no network at all); then it drops to an unprivileged uid of its own (one per worker
  slot, so that leftovers can be killed by uid without touching other slots);
- otherwise it tries the same inside an unprivileged user namespace, and when the kernel forbids
  that it applies the resource limits only (the report says which level was reached).

Resource limits always apply: CPU seconds, address space, file size, number of processes, open
files, no core dumps.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import signal
import sys
import tempfile
from dataclasses import dataclass

__all__ = ["Limits", "enter_jail", "kill_uid", "slot_uid"]

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_REC = 0x4000
MS_PRIVATE = 1 << 18

BASE_UID = 61000  # uids 61000.. are used for worker slots; nothing else on the machine owns them


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 60
    memory_bytes: int = 2 * 1024**3
    file_bytes: int = 16 * 1024**2
    processes: int = 64
    open_files: int = 256


def slot_uid(slot: int) -> int:
    return BASE_UID + int(slot)


def _libc():
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _unshare(flags: int) -> None:
    if _libc().unshare(flags) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    libc = _libc()
    res = libc.mount(
        source.encode(), target.encode(), fstype.encode() if fstype else None,
        ctypes.c_ulong(flags), data.encode() if data else None,
    )
    if res != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def _hide(paths) -> None:
    # Make every mount private first, so that our tmpfs covers never propagate to the host.
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    for p in paths:
        if os.path.isdir(p):
            _mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=000")
        elif os.path.isfile(p):
            _mount("/dev/null", p, None, MS_BIND)  # the file reads as empty


MS_BIND = 0x1000


def _expose(path: str) -> None:
    """Make ``path`` reachable for an unprivileged uid inside our mount namespace when one of its
    ancestors is closed to others (e.g. Python installed under ``/root`` with mode 700): cover that
    ancestor with an open tmpfs and bind ``path`` back into it. Everything else there stays hidden."""
    path = os.path.realpath(path)
    parts = path.strip("/").split("/")
    for i in range(1, len(parts)):
        ancestor = "/" + "/".join(parts[:i])
        if os.stat(ancestor).st_mode & 0o001:
            continue
        keep = tempfile.mkdtemp(prefix="jail-keep-")
        _mount(path, keep, None, MS_BIND | MS_REC)
        _mount("tmpfs", ancestor, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
        os.makedirs(path, mode=0o755, exist_ok=True)
        _mount(keep, path, None, MS_BIND | MS_REC)
        return


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _limits(limits: Limits) -> None:
    def cap(which, value):
        _soft, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (value, value))

    cap(resource.RLIMIT_CPU, limits.cpu_seconds)
    cap(resource.RLIMIT_AS, limits.memory_bytes)
    cap(resource.RLIMIT_FSIZE, limits.file_bytes)
    cap(resource.RLIMIT_NPROC, limits.processes)
    cap(resource.RLIMIT_NOFILE, limits.open_files)
    cap(resource.RLIMIT_CORE, 0)


def enter_jail(hide=(), uid: int | None = None, network: bool = False, limits: Limits = Limits(),
               writable=(), expose=()) -> str:
    """Confine the current (single-threaded, freshly started) process; return the level reached:
    ``"namespaces"``, ``"user-namespace"`` or ``"limits-only"``.

    ``writable`` paths are handed to ``uid`` before the privileges are dropped; ``expose`` lists
    folders (besides Python's own) that the unprivileged uid must be able to reach.
    """
    level = "limits-only"
    flags = CLONE_NEWNS | (0 if network else CLONE_NEWNET)
    if os.geteuid() == 0:
        try:
            _unshare(flags)
            _hide(hide)
            if uid is not None:
                for needed in {sys.base_prefix, sys.prefix, *expose}:
                    _expose(needed)
            level = "namespaces"
        except OSError:
            level = "limits-only"
        if uid is not None:
            for w in writable:
                for dirpath, dirnames, filenames in os.walk(w):
                    for name in [dirpath, *(os.path.join(dirpath, f) for f in dirnames + filenames)]:
                        os.chown(name, uid, uid)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
    else:
        real_uid, real_gid = os.getuid(), os.getgid()
        try:
            _unshare(CLONE_NEWUSER | flags)
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"0 {real_uid} 1")
            _write("/proc/self/gid_map", f"0 {real_gid} 1")
            _hide(hide)
            level = "user-namespace"
        except OSError:
            level = "limits-only"
    _limits(limits)
    os.environ["HOME"] = "."  # the working folder, reached through the current directory
    return level


def kill_uid(uid: int) -> int:
    """SIGKILL every process owned by ``uid`` (leftovers of a sandbox); returns how many."""
    killed = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                os.kill(int(pid), signal.SIGKILL)
                killed += 1
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return killed
