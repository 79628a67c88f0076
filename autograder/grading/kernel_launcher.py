"""The kernel nbgrader starts for a submission, jailed: ``python -m autograder.grading.kernel_launcher
JAIL_JSON -f CONNECTION_FILE [ipykernel args]``.

Same confinement as the re-check sandbox (:func:`autograder.grading.jail.enter_jail`) except that the
network namespace is kept, because the kernel talks to nbgrader over loopback TCP. The student's code
therefore cannot read ``solutions/``, the gradebook, the course directory or other students' files,
cannot write outside its own working folder, and is bounded in CPU time, memory, file size and
processes: whatever it does to the kernel, the re-check decides the score.
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> None:
    spec = json.loads(argv[0])
    rest = list(argv[1:])
    if "-f" in rest:
        # The connection file lives in a folder closed to the kernel's uid: copy it into the
        # working folder, which the kernel reaches through its current directory.
        i = rest.index("-f") + 1
        with open(rest[i]) as f:
            conn = f.read()
        with open("kernel-connection.json", "w") as f:
            f.write(conn)
        rest[i] = "kernel-connection.json"
    # Imports that need the full filesystem happen before the jail closes.
    import ipykernel.kernelapp  # noqa: F401
    import matplotlib.font_manager
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401

    from autograder.grading.jail import Limits, enter_jail

    enter_jail(hide=spec["hide"], uid=spec.get("uid"), network=True,
               limits=Limits(**spec["limits"]), writable=["."])
    os.environ["HOME"] = "."
    from ipykernel.kernelapp import launch_new_instance

    sys.argv = [sys.argv[0], *rest]
    launch_new_instance()


if __name__ == "__main__":
    main(sys.argv[1:])
