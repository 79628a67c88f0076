"""The kernel nbgrader starts for a submission, jailed: ``python -m autograder.grading.kernel_launcher
JAIL_JSON -f CONNECTION_FILE [ipykernel args]``.

Same confinement as the re-check sandbox (:func:`autograder.grading.jail.enter_jail`): no network
(the kernel talks to nbgrader over ZMQ on Unix sockets, ``transport="ipc"``, in a folder of the
worker that only this slot's kernel uid and the grader can open, see
:func:`autograder.grading.kernel.kernel_manager_config`), its own PID namespace, a private ``/tmp``
and ``HOME``, a syscall filter. The student's code therefore cannot read ``solutions/``, the
gradebook, the course directory or other students' files, cannot write outside its own working
folder and private ``/tmp``, cannot see or signal any other process, and is bounded in CPU time,
memory, file size and processes: whatever it does to the kernel, the re-check decides the score.
"""

from __future__ import annotations

import json
import os
import signal
import sys


def main(argv: list[str]) -> None:
    spec = json.loads(argv[0])
    rest = list(argv[1:])
    keep, connection, ipc = [], None, False
    if "-f" in rest:
        # The connection file lives in a folder closed to the kernel's uid: read it now (as the
        # grader) and write a copy into the kernel's private /tmp once the jail is closed.
        with open(rest[rest.index("-f") + 1]) as f:
            connection = f.read()
        info = json.loads(connection)
        ipc = info.get("transport") == "ipc"
        if ipc:  # the sockets' folder must stay visible at its own path inside the jail
            keep.append(os.path.dirname(os.path.abspath(info["ip"])))
    # Imports that need the full filesystem happen before the jail closes. In a fresh Python (no
    # fork server), BLAS must not start its threads at import: a process with threads cannot
    # enter new namespaces (unshare fails with EINVAL) and would be left with the limits only.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    # ipykernel's parent poller (read from JPY_PARENT_PID when ipykernel is imported) takes a
    # parent pid of 1 for "my parent died": in the jail's PID namespace the kernel's parent *is*
    # PID 1 (the namespace's init). Instead, this process (the jail's supervisor) gets SIGKILL
    # when its parent (nbgrader's worker, or the fork server) dies, and the namespace with it.
    os.environ.pop("JPY_PARENT_PID", None)
    import ipykernel.kernelapp  # noqa: F401
    import matplotlib.font_manager
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401

    from autograder.grading.jail import PR_SET_PDEATHSIG, REACHED, Limits, _prctl, enter_jail

    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)

    # Over TCP (a kernel manager not configured for IPC) the kernel needs the host's loopback.
    enter_jail(hide=spec["hide"], uid=spec.get("uid"), network=not ipc and connection is not None,
               limits=Limits(**spec["limits"]), writable=["."], keep=keep)
    if connection is not None:
        folder = "/tmp" if REACHED.get("private_tmp") else "."
        path = os.path.join(folder, "kernel-connection.json")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(connection)
        rest[rest.index("-f") + 1] = path
    from ipykernel.kernelapp import launch_new_instance

    sys.argv = [sys.argv[0], *rest]
    launch_new_instance()


if __name__ == "__main__":
    main(sys.argv[1:])
