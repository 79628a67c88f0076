"""Attacks on what the isolated re-check hands back to the host (issue 16), from an answer cell of
01_perceptron as a student would write them: fill the host's disk through the results, a million
files, symbolic links that make the host (root) read its own files, a FIFO that blocks the reader,
directories where files are expected, folders nested too deep to remove, a flood on stderr.

Each attack stands in perceptron_predict's answer cell, whose definition is wrong (its honest value
is 0); perceptron_epoch's answer is right. The attack must leave exactly that: predict 0, epoch its
full marks, the next submission in the same slot its full marks, nothing of the host's in any
verdict or report field, no new entries in the host's /tmp and the host's disk as it was (a bound
well under what each attack tries to write).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time

import pytest

from autograder.grading.sandbox import recheck

from .test_check_agreement import RUN_SEED, _submission

pytestmark = [pytest.mark.grading,
              pytest.mark.skipif(os.geteuid() != 0, reason="the jail's namespaces and uids need root")]

A = "01_perceptron"
SLOT = 11
SECRET = "nncourse-host-secret-0123456789"
#: What the host's /tmp disk may grow by while one attack runs (others use the machine too).
DISK_BOUND = 128 * 1024**2

#: Every folder the sandbox could take for the re-check's results: its working folder and the job
#: folder it was started with (``sys.argv``), with ``out/`` in it.
_PLACES = '''import os, sys, threading, time
_places = []
for _p in (os.getcwd(), os.path.join(sys.argv[-1], "out"), sys.argv[-1]):
    _p = os.path.realpath(_p)
    if os.path.isdir(_p) and os.access(_p, os.W_OK) and _p not in _places:
        _places.append(_p)
'''

#: The pipes among the process's descriptors (the results pipe, stderr), and a frame writer.
_PIPES = '''import stat, struct
_pipes = []
for _f in os.listdir("/proc/self/fd"):
    try:
        if int(_f) > 2 and stat.S_ISFIFO(os.fstat(int(_f)).st_mode):
            _pipes.append(int(_f))
    except OSError:
        pass
assert _pipes, "no pipe found"
def _send(fd, name, data, size=None):
    key = name.encode()
    try:
        os.write(fd, struct.pack("<HQ", len(key) & 0xFFFF, len(data) if size is None else size) + key + data)
    except OSError:
        pass
'''

ATTACKS = {
    # 1 GiB of 16 MiB files (RLIMIT_FSIZE bounds each file, not their number)
    "disk": '''for _d in _places:
    for _i in range(64):
        try:
            with open(os.path.join(_d, f"fill{_i}"), "wb") as _f:
                for _j in range(16):
                    _f.write(b"x" * 2**20)
        except OSError:
            break
''',
    # 300,000 empty files: inodes, and every os.listdir of the folder slow
    "files": '''for _d in _places:
    for _i in range(300_000):
        try:
            os.close(os.open(os.path.join(_d, f"e{_i}"), os.O_CREAT | os.O_WRONLY, 0o644))
        except OSError:
            break
''',
    # every result, as soon as it is written, becomes a symbolic link to a file of the host's
    "links": '''def _swap():
    _end = time.time() + 30
    while time.time() < _end:
        for _d in _places:
            for _n in os.listdir(_d):
                _p = os.path.join(_d, _n)
                if os.path.isfile(_p) and not os.path.islink(_p) and not _n.endswith(".tmp"):
                    try:
                        os.unlink(_p)
                        os.symlink(%(secret)r, _p)
                    except OSError:
                        pass
        time.sleep(0.001)
for _d in _places:
    for _n in ("level", "perceptron_predict.done", "perceptron_predict.0.npz"):
        try:
            os.unlink(os.path.join(_d, _n))
        except OSError:
            pass
        try:
            os.symlink(%(secret)r, os.path.join(_d, _n))
        except OSError:
            pass
threading.Thread(target=_swap, daemon=True).start()
''',
    # FIFOs where the host reads: a reader blocks until a writer comes, and none will
    "fifo": '''for _d in _places:
    for _n in ("level", "perceptron_predict.done", "perceptron_predict.0.npz"):
        try:
            os.unlink(os.path.join(_d, _n))
        except OSError:
            pass
        try:
            os.mkfifo(os.path.join(_d, _n))
        except OSError:
            pass
''',
    # directories where the host and the sandbox's own trusted writer expect files
    "dirs": '''for _d in _places:
    for _n in ("level", "perceptron_predict.done", "perceptron_epoch.0.npz.tmp", "perceptron_epoch.done.tmp"):
        try:
            os.unlink(os.path.join(_d, _n))
        except OSError:
            pass
        try:
            os.mkdir(os.path.join(_d, _n))
        except OSError:
            pass
''',
    # folders nested 5,000 deep (shutil.rmtree recurses) and sparse 16 MiB files beside them
    "deep": '''for _d in _places:
    _here = os.open(".", os.O_RDONLY)
    try:
        os.chdir(_d)
        for _i in range(5000):
            os.mkdir("d")
            os.chdir("d")
    except OSError:
        pass
    finally:
        os.fchdir(_here)
        os.close(_here)
    for _i in range(200):
        try:
            with open(os.path.join(_d, f"sparse{_i}"), "wb") as _f:
                _f.truncate(16 * 2**20 - 1)
        except OSError:
            break
''',
    # the results pipe itself (found among the process's descriptors): names the job never has, one
    # name of 60,000 bytes, a marker of 1 MiB, forged results for the next exercise
    "pipe_names": _PIPES + '''for _fd in _pipes:
    for _name, _data in (("perceptron_epoch.done", b"3"), ("../../etc/passwd", b""), ("x" * 60000, b""),
                         ("level", b"l" * 2**20), ("perceptron_epoch.7.npz", b"")):
        _send(_fd, _name, _data)
''',
    # an outcome that claims 2**50 bytes and 512 MiB that follow it
    "pipe_flood": _PIPES + '''for _fd in _pipes:
    _send(_fd, "perceptron_predict.0.npz", b"", size=2**50)
    for _i in range(512):
        os.write(_fd, b"\\0" * 2**20)
''',
    # half a frame, then nothing: the host must not wait for the rest
    "pipe_stall": _PIPES + '''for _fd in _pipes:
    os.write(_fd, b"\\x05")
time.sleep(3600)
''',
    # 1 GiB on stderr, which the host keeps for its report of a failed start
    "stderr": '''_block = b"e" * 2**20
for _i in range(1024):
    try:
        os.write(2, _block)
    except OSError:
        break
''',
}

WRONG_PREDICT = '''
def perceptron_predict(X, w, b):
    return np.zeros(len(X), dtype=int)  # wrong: its honest value is 0
'''


def _jailed(names: set) -> set:
    """Entries of the host's /tmp that a jailed uid owns."""
    out = set()
    for n in names:
        try:
            if os.lstat(os.path.join("/tmp", n)).st_uid >= 61000:
                out.add(n)
        except FileNotFoundError:
            pass
    return out


def _used() -> int:
    st = os.statvfs("/tmp")
    return (st.f_blocks - st.f_bfree) * st.f_frsize


@pytest.mark.timeout(150)
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_an_attack_on_the_recheck_results_scores_what_honest_work_would_and_costs_the_host_nothing(
        attack, tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"  # the re-check's job folders go here (in the host's /tmp), and only ours
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    secret = tmp_path / "secret"
    secret.write_text(SECRET * 100)
    secret.chmod(0o600)
    cell = _PLACES + ATTACKS[attack] % {"secret": str(secret)} + WRONG_PREDICT
    notebook = _submission(tmp_path, A, {"perceptron_predict": cell})  # the rest: the solution
    (tmp_path / "honest").mkdir()
    honest = _submission(tmp_path / "honest", A, {})
    before, base, peak, t0 = _jailed(set(os.listdir("/tmp"))), _used(), [0], time.monotonic()
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _used() - base)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        graded, info = recheck(A, notebook, run_seed=RUN_SEED, slot=SLOT, stall_seconds=10.0,
                               total_seconds=60.0)
        seconds = time.monotonic() - t0
        next_graded, _ = recheck(A, honest, run_seed=RUN_SEED, slot=SLOT)
    finally:
        done.set()
        sampler.join()
        left = sorted(os.listdir(scratch)) + sorted(_jailed(set(os.listdir("/tmp"))) - before)
        # rm, not shutil.rmtree: a tree nested too deep for Python would break pytest's own clean-up
        subprocess.run(["rm", "-rf", "--one-file-system", str(scratch)], check=False)
    print(f"{attack}: {seconds:.1f} s, host disk +{peak[0] / 2**20:.0f} MiB at peak, "
          f"verdicts {[(v.exercise, v.passed, v.diagnosis) for v in graded]}, info {info}")
    assert [(v.exercise, v.passed) for v in graded] == [
        ("perceptron_predict", False), ("perceptron_epoch", True)], graded
    assert [(v.exercise, v.passed) for v in next_graded] == [
        ("perceptron_predict", True), ("perceptron_epoch", True)], next_graded
    assert (info["isolation"] or "").startswith("namespaces"), info
    assert SECRET not in repr(graded) + repr(info), "a host file's content reached the report"
    assert not left, f"the re-check left these in the host's /tmp: {left[:5]}"
    assert peak[0] < DISK_BOUND, f"the host's /tmp disk grew by {peak[0] / 2**20:.0f} MiB"
    assert seconds < 60, seconds
