"""The jailed kernel that nbgrader's autograde runs a submission in, and the fork servers.

A grading worker (:mod:`.worker`) calls :func:`start_fork_servers` once, writes a kernelspec with
:func:`write_kernel_spec` whose kernel is :mod:`.kernel_launcher` (a jailed ipykernel, forked from
the kernel fork server when there is one), configures nbgrader's kernel manager with
:func:`kernel_manager_config` (ZMQ over Unix sockets: the jailed kernel has no network), and calls
:func:`reap_kernel_leftovers` around every autograde so that nothing a submission forked or left
in the sockets' folder outlives it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from ..notebooks import ROOT
from . import cgroup
from .jail import Limits, kill_uid, slot_uid

__all__ = ["KERNEL_LIMITS", "KERNEL_NAME", "KERNEL_PRELOAD", "ipc_folder", "kernel_manager_config",
           "kernel_uid", "reap_kernel_leftovers", "start_fork_servers", "write_kernel_spec"]

KERNEL_NAME = "nncourse-jail"
KERNEL_UID_OFFSET = 1000
#: The kernel's writes in its working folder go to a 64 MiB tmpfs laid over it (nbgrader reads the
#: results from the kernel's messages, never from files it wrote): they never reach the host's disk.
KERNEL_LIMITS = Limits(cpu_seconds=300, memory_bytes=3 * 1024**3, processes=128, working_folder_mib=64)

#: Modules the kernels' fork server imports once: what the notebooks' set-up cells import, and
#: the jailed kernel's own start-up (autograder.grading.kernel_launcher). IPKernelApp's
#: initialize imports the debugger (debugpy, ~150 modules, 0.11 s of CPU per kernel) and the
#: checks import threadpoolctl: imported here, no kernel pays for them.
KERNEL_PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger",
                  "IPython.core.debugger", "IPython.core.completerlib", "IPython.extensions.storemagic",
                  "sqlite3", "matplotlib.font_manager", "matplotlib.pyplot",
                  "matplotlib_inline.backend_inline", "numpy", "threadpoolctl", "nnlib", "nnlib.demos.plot",
                  "autograder.checks", "autograder.grading.jail", "autograder.grading.kernel_launcher")


def kernel_uid(slot: int) -> int | None:
    """The uid the jailed kernels of worker ``slot`` run as (``None`` without root: the grader's).

    Not the re-check's uid: the two run at the same time and each is cleaned up by uid."""
    return slot_uid(slot) + KERNEL_UID_OFFSET if os.geteuid() == 0 else None


def ipc_folder(private: Path) -> Path:
    """The folder of a worker's kernel sockets: inside its private folder (which other uids can
    cross but not list), open to this slot's kernel uid and the grader only."""
    return Path(private) / "ipc"


def kernel_manager_config(private: Path) -> dict:
    """nbgrader's ``KernelManager`` settings: ZMQ over Unix sockets in :func:`ipc_folder`, so that
    the jailed kernel needs no network (its network namespace has no interface at all)."""
    ip = str(ipc_folder(private) / "kernel")
    if len(ip.encode()) + len("-65535") > 107:  # sun_path holds 108 bytes with its final NUL
        raise RuntimeError(f"the kernel sockets' path {ip}-N is too long for a Unix socket: set "
                           "TMPDIR to a shorter folder")
    return {"transport": "ipc", "ip": ip}


#: slot -> its sockets' folder, emptied by :func:`reap_kernel_leftovers`.
_IPC_FOLDERS: dict[int, Path] = {}


def _fresh_ipc_folder(folder: Path, slot: int) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o700)
    uid = kernel_uid(slot)
    if uid is not None:
        os.chown(folder, uid, uid)


def write_kernel_spec(tmp: Path, course_dir: Path, private: Path, slot: int,
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
    _IPC_FOLDERS[slot] = ipc_folder(private)
    _fresh_ipc_folder(_IPC_FOLDERS[slot], slot)
    kdir = tmp / "kernels" / KERNEL_NAME
    kdir.mkdir(parents=True)
    if forkserver:
        from . import forkclient as fs

        start = [sys.executable, "-I", "-S", fs.__file__, "run", forkserver,
                 "autograder.grading.kernel_launcher:main"]
    else:
        start = [sys.executable, "-m", "autograder.grading.kernel_launcher"]
    (kdir / "kernel.json").write_text(json.dumps({
        "argv": [*start, json.dumps(spec), "-f", "{connection_file}"],
        "display_name": "Python 3 (nncourse jail)", "language": "python",
    }))
    return tmp


def start_fork_servers(folder: Path, slot: int):
    """``(kernels, sandboxes)`` fork servers with sockets in ``folder``, each ``None`` if it cannot
    start (then fresh processes are used: slower, same results). ``NNCOURSE_FORKSERVER=0`` turns
    them off.

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
            # Each removes the worker's private folder when it ends: even a killed worker's
            # (the servers get SIGTERM when it dies) leaves nothing in /tmp.
            servers[name] = ForkServer(folder / f"{name}.sock", preload, env=env, wait=False,
                                       cleanup=folder.parent)
        except OSError as exc:
            print(f"worker {slot}: no {name} fork server ({exc}); using fresh processes", file=sys.stderr)
    for name, server in list(servers.items()):
        try:
            server.wait_ready()
        except RuntimeError as exc:
            print(f"worker {slot}: {exc}; using fresh processes", file=sys.stderr)
            del servers[name]
    return servers.get("kernel"), servers.get("sandbox")


def reap_kernel_leftovers(slot: int) -> None:
    """Kill whatever a submission's kernel left behind under this slot's kernel uid.

    nbgrader stops the kernel, not what its code forked: a fork bomb's sleeping children
    would otherwise hold the uid's process limit, and the next student's kernel in this slot
    could not start a thread (nbgrader then fails to grade an honest notebook). Without root
    the kernel runs as the grader's own uid, which cannot be cleaned up this way. The sockets'
    folder is made afresh, so nothing a kernel left there meets the next one."""
    uid = kernel_uid(slot)
    if uid is not None:
        kill_uid(uid)
        cgroup.remove(uid)  # the kernel's memory cgroup (see .cgroup), if its supervisor could not
    if slot in _IPC_FOLDERS:
        _fresh_ipc_folder(_IPC_FOLDERS[slot], slot)
