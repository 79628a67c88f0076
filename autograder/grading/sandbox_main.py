"""The isolated re-check process: ``python -I -m autograder.grading.sandbox_main JOB_DIR``.

Started by :mod:`autograder.grading.sandbox`; runs untrusted student code and nothing else of importance.

1. Trusted start: read ``JOB_DIR/job.json`` and ``JOB_DIR/cases/`` (written by the grading worker,
   closed to the jailed uid), import NumPy and nnlib, run the instructor's set-up cell taken from
   ``solutions/`` (never the submission's). The results pipe (stdout, as started) is moved to a
   descriptor of its own and stdout goes to ``/dev/null``.
2. :func:`autograder.grading.jail.enter_jail`: protected folders hidden, no network, an unprivileged uid,
   resource limits; the working folder is then the jail's private HOME (in its private ``/tmp``, a
   tmpfs of fixed size): nothing the student writes reaches the host's disk, and the job folder is
   read-only to it.
3. The reference twins of the assignment's exercises are replaced in every loaded module by a
   function that refuses to run, so importing ``nnlib.dense_forward`` earns nothing.
4. The job's steps, in notebook order (:func:`autograder.grading.sandbox.grading_steps`): execute
   each answer cell and each code cell the student added (``cell.<key>.start`` reported before,
   ``.end`` after; an error in an added cell is ignored, one in an answer cell is that exercise's
   outcome), and where an exercise's graded cell stands, call its function on every case from
   ``JOB_DIR/cases/<name>.npz`` with :func:`autograder.checks.runner.call`, reporting each outcome as
   ``<name>.<i>.npz`` (plain arrays, read back with ``allow_pickle=False``), then ``<name>.done``.
   Every report is one frame on the results pipe (:func:`frame`), which the host reads with caps
   (:class:`autograder.grading.sandbox.Results`). If the process dies (``os._exit``, a limit, the
   timeout), the outcomes already reported stand; the markers say which cell or check was running.
"""

from __future__ import annotations

import json
import linecache
import os
import re
import signal
import struct
import sys

_MAGIC = re.compile(r"^\s*[%!].*$", re.MULTILINE)


def strip_magics(source: str) -> str:
    """Drop IPython magics and shell escapes (``%matplotlib inline``, ``!pip ...``)."""
    return _MAGIC.sub("pass", source)


#: A frame on the results pipe: the name's length, the data's length, then the name and the data.
FRAME = struct.Struct("<HQ")


def frame(name: str, data: bytes) -> bytes:
    """One report (``level``, a marker, an outcome) as it crosses the results pipe."""
    key = name.encode()
    return FRAME.pack(len(key), len(data)) + key + data


def _reporter(fd: int):
    """``report(name, data)``: write one frame, whole, to the results pipe ``fd``."""
    def report(name: str, data: bytes) -> None:
        view = memoryview(frame(name, data))
        while view:
            view = view[os.write(fd, view):]
    return report


def block_twins(twins: dict) -> None:
    """Replace every module attribute (and activation-table entry) that is one of ``twins``, and the
    registry's references, by a refusing function: the course's rule, shared with the checks
    (:mod:`autograder.checks.twins`), so a notebook's check cell refuses exactly what this refuses."""
    from autograder import exercises
    from autograder.checks.twins import block_twins as block

    block(twins, exercises.EXERCISES)


def _no_check(*args, **kwargs):
    """``run_check``/``grade`` in the sandbox: the re-check judges every exercise itself."""
    return None


class _NoIPython:
    """Stands in for ``get_ipython()``: answer cells that poke at IPython (hooks, input
    transformers, ``showtraceback``) find something to poke at, and nothing happens."""

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        return self

    def __iter__(self):
        return iter(())


#: Modules whose namespaces are restored before every call of student code, so that patching
#: builtins, NumPy or the runner in one answer cell cannot change how another exercise is checked.
TRUSTED_MODULES = ("builtins", "numpy", "numpy.testing", "numpy.linalg", "numpy.random", "json", "os",
                   "sys", "io", "time", "warnings", "traceback", "linecache", "math",
                   "autograder.checks.runner", "autograder.checks.twins", "autograder.checks.wire",
                   "autograder.grading.sandbox_main")


def snapshot_modules() -> dict:
    return {name: dict(sys.modules[name].__dict__) for name in TRUSTED_MODULES if name in sys.modules}


def restore_modules(snapshot: dict) -> None:
    for name, saved in snapshot.items():
        d = sys.modules[name].__dict__
        d.clear()
        d.update(saved)


def main(job_dir: str) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # over the file-size limit: an error, not death
    results = os.dup(1)  # the results pipe, on a descriptor of its own (not inherited)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)  # what the student prints goes nowhere
    os.close(null)
    report = _reporter(results)
    with open(os.path.join(job_dir, "job.json")) as f:
        job = json.load(f)
    os.environ["MPLBACKEND"] = "Agg"

    # -- trusted: the instructor's set-up, before any student code -----------------------------
    import numpy as np  # noqa: F401

    import nnlib
    from autograder.checks import runner, wire

    checks = [st["check"] for st in job["steps"] if "check" in st]
    cases = {}
    for name in checks:
        with open(os.path.join(job_dir, "cases", f"{name}.npz"), "rb") as f:
            cases[name] = wire.cases_from_wire(f.read())
    ns = {"__name__": "__main__"}
    exec(compile(strip_magics(job["setup"]), "<setup>", "exec"), ns)
    twins = {n: getattr(nnlib, r) for n, r in job["twins"].items() if hasattr(nnlib, r)}

    from autograder.grading.jail import Limits, enter_jail

    # The job folder is root's and closed to other uids: the jailed uid can neither read nor write
    # it. It works in its private HOME (a bounded tmpfs, gone with the jail) and reports over the pipe.
    os.chdir(job_dir)
    level = enter_jail(hide=job["hide"], uid=job.get("uid"), network=False,
                       limits=Limits(**job["limits"]))
    os.chdir(os.environ["HOME"])
    from autograder.grading.jail import REACHED

    if level == "namespaces" and not REACHED.get("memory_cgroup"):
        level = "namespaces-no-memcg"  # kernel memory (socket buffers) unbounded: see .cgroup
    report("level", level.encode())
    block_twins(twins)
    ns["get_ipython"] = _NoIPython()
    ns["run_check"] = ns["grade"] = _no_check  # a check call in a cell of the student's: nothing
    saved = snapshot_modules()
    trusted_write, trusted_call, trusted_outcome, trusted_info = (
        report, runner.call, runner.Outcome, runner._error_info)

    # -- untrusted from here on ------------------------------------------------------------------
    definition_errors = {}
    for step in job["steps"]:
        if "cell" in step:
            key, name = step["cell"], step.get("name")
            filename = f"<answer cell of {name}>" if name else f"<your cell {key[1:]}>"
            source = strip_magics(step["source"])
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            trusted_write(f"cell.{key}.start", b"")
            try:
                exec(compile(source, filename, "exec"), ns)
            except BaseException as exc:  # SystemExit too: it costs this exercise only
                restore_modules(saved)
                if name:  # an error in a cell the student added is theirs to see in the notebook
                    definition_errors[name] = trusted_info(exc)
            restore_modules(saved)
            trusted_write(f"cell.{key}.end", b"")
            continue
        name = step["check"]
        definition_error = definition_errors.get(name)
        trusted_write(f"{name}.start", b"")
        fn = ns.get(name)
        for i, case in enumerate(cases[name]):
            if definition_error is not None or not callable(fn):
                outcome = trusted_outcome(error=definition_error or {
                    "type": "NameError", "message": f"the answer cell does not define {name}()",
                    "line": "", "lineno": ""})
            else:
                try:
                    outcome = trusted_call(name, fn, case)
                except BaseException as exc:
                    restore_modules(saved)
                    outcome = trusted_outcome(error=trusted_info(exc))
            restore_modules(saved)
            trusted_write(f"{name}.{i}.npz", outcome.to_wire())
        trusted_write(f"{name}.done", str(len(cases[name])).encode())
    os._exit(0)  # skip interpreter shutdown: student objects' __del__ must not run after this


if __name__ == "__main__":
    main(sys.argv[1])
