"""The fork server that starts grading kernels and re-check sandboxes with their imports done
(:mod:`autograder.grading.forkserver`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.grading import forkclient
from autograder.grading.forkserver import Child, ForkServer


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fork")
    os.chmod(folder, 0o700)
    srv = ForkServer(folder / "s.sock", ["decimal", "fractions"])
    yield srv
    srv.stop()


def _script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "entry.py"
    path.write_text(body)
    return str(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_child_runs_the_entry_with_the_callers_folder_environment_and_streams(server, tmp_path):
    script = _script(tmp_path, (
        "import json, os, sys\n"
        "print(json.dumps({'cwd': os.getcwd(), 'env': os.environ.get('WHO'), 'pid': os.getpid(),\n"
        "                  'preloaded': 'fractions' in sys.modules, 'session': os.getsid(0)}))\n"
        "print('to stderr', file=sys.stderr)\n"))
    work = tmp_path / "work"
    work.mkdir()
    with open(tmp_path / "out", "w+") as out, open(tmp_path / "err", "w+") as err:
        child = Child(server.path, "runpy:run_path", [script], cwd=str(work),
                      env={"WHO": "student-7", "PATH": "/usr/bin"}, stdout=out, stderr=err)
        assert child.wait(10) == 0
        out.seek(0)
        err.seek(0)
        seen = json.loads(out.read())
        assert err.read() == "to stderr\n"
    assert seen == {"cwd": str(work), "env": "student-7", "pid": child.pid, "preloaded": True,
                    "session": child.pid}  # a session (and process group) of its own
    assert child.pid != server.proc.pid


@pytest.mark.parametrize("entry, args, code", [
    ("sys:exit", [3], 3),
    ("os:_exit", [7], 7),
    ("sys:exit", [None], 0),
    ("builtins:int", ["not a number"], 1),  # an exception: exit code 1 and a traceback
])
def test_exit_codes_are_the_childs(server, entry, args, code):
    with open(os.devnull, "w") as null:
        assert Child(server.path, entry, args, stderr=null).wait(10) == code


def test_signals_reach_the_child_and_a_kill_is_reported_as_popen_does(server):
    child = Child(server.path, "time:sleep", [60])
    child.send_signal(signal.SIGTERM)
    assert child.wait(10) == -signal.SIGTERM
    child = Child(server.path, "time:sleep", [60])
    child.kill()
    assert child.wait(10) == -signal.SIGKILL
    assert child.poll() == -signal.SIGKILL


def test_a_child_never_outlives_its_client(server):
    child = Child(server.path, "time:sleep", [60])
    assert _alive(child.pid)
    child._sock.close()  # the client vanishes without a word (as if SIGKILLed)
    deadline = time.monotonic() + 10
    while _alive(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child.pid)
    assert server.alive()


def test_the_server_survives_whatever_its_children_do(server, tmp_path):
    script = _script(tmp_path, "import os, signal\nos.kill(os.getppid(), 0)\nos._exit(0)\n")
    for _ in range(3):
        assert Child(server.path, "runpy:run_path", [script]).wait(10) == 0
    assert server.alive()
    assert Child(server.path, "sys:exit", [0]).wait(10) == 0


def _stand_in(sock: str, entry: str, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-I", "-S", forkclient.__file__, "run", sock, entry,
                             *args], **kw)


def test_stand_in_process_passes_its_arguments_and_exit_code(server, tmp_path):
    out = subprocess.run([sys.executable, "-I", "-S", forkclient.__file__, "run", server.path,
                          "builtins:print", "a", "-f", "b c"], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0
    assert out.stdout == "['a', '-f', 'b c']\n"
    assert subprocess.run([sys.executable, "-I", "-S", forkclient.__file__, "run", server.path,
                           "sys:exit"], timeout=30).returncode == 1  # sys.exit([]) -> 1


def test_stand_in_forwards_signals_and_takes_the_child_with_it(server, tmp_path):
    # the child runs `sleep` in its own session; the pid file names that grandchild
    pidfile = tmp_path / "pid"
    cmd = f"echo $$ > {pidfile}; exec sleep 60"
    for sig, code in ((signal.SIGTERM, 128 + signal.SIGTERM), (signal.SIGKILL, -signal.SIGKILL)):
        pidfile.unlink(missing_ok=True)
        proc = _stand_in(server.path, "subprocess:call", "sh", "-c", cmd)
        deadline = time.monotonic() + 20
        while not (pidfile.exists() and pidfile.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.02)
        grandchild = int(pidfile.read_text())
        proc.send_signal(sig)
        assert proc.wait(20) == code
        deadline = time.monotonic() + 10
        while _alive(grandchild) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(grandchild), f"the child's process group outlived its stand-in ({sig!r})"


def test_stand_in_without_a_server_runs_the_entry_in_a_fresh_python(tmp_path):
    out = subprocess.run([sys.executable, "-I", "-S", forkclient.__file__, "run",
                          str(tmp_path / "no.sock"), "builtins:print", "x"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "['x']\n"
    assert "fresh Python" in out.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to try from another uid")
def test_other_users_cannot_use_the_server(server):
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit code
        code = 3
        try:
            os.setgid(65534)
            os.setuid(65534)
            try:
                Child(server.path, "sys:exit", [0]).wait(10)
                code = 1  # it worked: bad
            except OSError:
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
