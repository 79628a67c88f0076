"""Pieces of the jail (:mod:`autograder.grading.jail`), each tried in a forked child: the seccomp
filter, the PID namespace, the private /tmp and HOME, no network, nothing left on the host."""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import time

import pytest

from autograder.grading import jail

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="namespaces and uids of their own need root")
UID = 61990  # above the uids of the worker slots the grading tests use


def in_child(fn, timeout: float = 30.0):
    """Run ``fn()`` in a forked child; return ``(exit code, what it returned)`` (JSON)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        code = 0
        try:
            out = json.dumps(fn()).encode()
        except BaseException as exc:  # reported to the test, never silently lost
            out, code = json.dumps({"error": repr(exc)}).encode(), 3
        os.write(w, out)
        os._exit(code)
    os.close(w)
    data, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        chunk = os.read(r, 1 << 16)
        if not chunk:
            break
        data += chunk
    os.close(r)
    _pid, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), (json.loads(data) if data else None)


def _errno_of(call):
    libc = ctypes.CDLL(None, use_errno=True)
    ctypes.set_errno(0)
    res = call(libc)
    return res, ctypes.get_errno()


def test_the_filter_program_jumps_inside_itself_and_ends_in_returns():
    prog = jail.seccomp_program()
    assert len(prog) < 256
    for i, (code, jt, jf, _k) in enumerate(prog):
        if code & 0x07 == 0x05:  # a jump
            assert i + 1 + max(jt, jf) < len(prog), i
    assert all(code == 0x06 for code, *_ in prog[-3:])


def test_seccomp_refuses_ptrace_unshare_and_namespace_clones_with_eperm_but_not_threads():
    def child():
        jail._prctl(jail.PR_SET_NO_NEW_PRIVS, 1)
        assert jail.install_seccomp()
        import threading

        seen = []
        t = threading.Thread(target=lambda: seen.append(os.getpid()))
        t.start()
        t.join()
        return {
            "ptrace": _errno_of(lambda c: c.ptrace(0, 0, 0, 0)),  # PTRACE_TRACEME
            "unshare": _errno_of(lambda c: c.unshare(jail.CLONE_NEWUSER)),
            "clone_userns": _errno_of(lambda c: c.syscall(56, jail.CLONE_NEWUSER | signal.SIGCHLD, 0, 0, 0, 0)),
            "clone3": _errno_of(lambda c: c.syscall(435, 0, 0)),
            "personality": _errno_of(lambda c: c.personality(0xFFFFFFFF)),
            "thread": seen == [os.getpid()],
            "fork": os.waitpid(pid, 0)[1] == 0 if (pid := os.fork()) else os._exit(0),
        }

    code, out = in_child(child)
    assert code == 0, out
    assert out["ptrace"] == [-1, 1] and out["unshare"] == [-1, 1] and out["clone_userns"] == [-1, 1], out
    assert out["personality"] == [-1, 1], out
    assert out["clone3"] == [-1, 38], out  # ENOSYS: the C library falls back to clone()
    assert out["thread"] and out["fork"], out


def test_no_filter_on_an_unknown_architecture_and_it_says_so(monkeypatch, capsys):
    monkeypatch.setattr(jail.platform, "machine", lambda: "riscv64")
    assert jail.install_seccomp() is False
    assert "riscv64" in capsys.readouterr().err


@as_root
def test_the_jail_shows_two_processes_a_private_tmp_and_no_network(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    planted = f"/tmp/nncourse-test-planted-{os.getpid()}"
    open(planted, "w").close()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    before = set(os.listdir("/tmp"))
    unix_path = f"/run/nncourse-jail-test-{os.getpid()}.sock"  # like a database's socket in /run
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(unix_path)
    os.chmod(unix_path, 0o777)
    unix.listen(1)

    def child():
        os.chdir(work)
        level = jail.enter_jail(uid=UID, writable=["."])
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2)
            net = "connected"
        except OSError as exc:
            net = exc.errno
        try:
            socket.socket(socket.AF_UNIX).connect(unix_path)
            unix_reached = True
        except OSError:
            unix_reached = False
        with open("/tmp/left-by-the-jail", "w") as f:
            f.write("x")
        with open("answer.txt", "w") as f:
            f.write("kept")
        return {"level": level, "reached": jail.REACHED, "pid": os.getpid(), "uid": os.getuid(),
                "procs": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
                "tmp": sorted(os.listdir("/tmp")), "home": os.environ["HOME"], "net": net,
                "planted": os.path.exists(planted), "cwd": os.getcwd(), "unix": unix_reached,
                "kill_parent": _errno_of(lambda c: c.kill(os.getppid(), signal.SIGKILL))}

    try:
        code, out = in_child(child)
    finally:
        os.unlink(planted)
        unix.close()
        os.unlink(unix_path)
    assert code == 0, out
    assert out["level"] == "namespaces" and out["uid"] == UID, out
    assert out["reached"] == {"memory_cgroup": True, "private_tmp": True, "pid_namespace": True,
                              "no_new_privs": True, "seccomp": True}, out
    assert out["pid"] == 2 and out["procs"] == [1, 2], out
    assert out["kill_parent"][0] == 0 or out["kill_parent"][1] in (1, 3), out  # init ignores it
    assert out["net"] == 101 and not out["planted"] and not out["unix"], out  # ENETUNREACH: no interface at all
    assert out["home"] == jail.PRIVATE_HOME and "home" in out["tmp"], out
    assert out["cwd"] == str(work) and (work / "answer.txt").read_text() == "kept"
    with pytest.raises(BlockingIOError):
        listener.accept()
    listener.close()
    assert not os.path.exists("/tmp/left-by-the-jail")
    new = set(os.listdir("/tmp")) - before
    assert not [n for n in new if n.startswith(("jail-keep-", "left-by"))], new


@as_root
def test_the_supervisor_passes_signals_on_and_keeps_the_exit_code(tmp_path):
    ready = tmp_path / "ready"

    def child():
        os.chdir(tmp_path)
        jail.enter_jail(uid=None)
        signal.signal(signal.SIGTERM, lambda *a: os._exit(17))
        open(ready, "w").close()
        time.sleep(20)
        return {"slept": True}

    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        in_child_code = 0
        try:
            child()
        except BaseException:
            in_child_code = 9
        os._exit(in_child_code)
    os.close(w)
    os.close(r)
    deadline = time.monotonic() + 20
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ready.exists()
    os.kill(pid, signal.SIGTERM)  # the supervisor, outside the namespaces
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 17


@as_root
def test_killing_the_supervisor_ends_everything_in_the_namespace(tmp_path):
    pids = tmp_path / "pids"

    def child():
        os.chdir(tmp_path)
        jail.enter_jail(uid=UID, writable=["."])
        if os.fork() == 0:  # an orphan-to-be, asleep
            time.sleep(60)
            os._exit(0)
        open(pids, "w").close()
        time.sleep(60)
        return {}

    pid = os.fork()
    if pid == 0:
        child()
        os._exit(0)
    deadline = time.monotonic() + 20
    while not pids.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pids.exists()
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    deadline = time.monotonic() + 10
    while _processes_of(UID) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _processes_of(UID)
    jail.kill_uid(UID)
    assert not left, "processes of the namespace outlived its supervisor"


def _processes_of(uid: int) -> list[str]:
    return [p for p in os.listdir("/proc") if p.isdigit() and _uid_of(p) == uid]


def _uid_of(pid: str):
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except FileNotFoundError:
        return None


def test_a_killed_workers_private_folder_is_removed_by_its_fork_server(tmp_path):
    """The fork servers outlive a SIGKILLed worker by a moment (they get SIGTERM when it dies)
    and remove its private folder, so even a worker killed mid-run leaves nothing in /tmp."""
    import subprocess
    import sys

    private = tmp_path / "nncourse-worker9-test"
    (private / "fork").mkdir(parents=True)
    (private / "autograded-x").mkdir()
    os.chmod(private / "fork", 0o700)
    code = ("import sys, time; from autograder.grading.forkserver import ForkServer\n"
            f"s = ForkServer({str(private / 'fork' / 's.sock')!r}, ['decimal'], cleanup={str(private)!r})\n"
            "print('up', flush=True); time.sleep(60)\n")
    worker = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    try:
        assert worker.stdout.readline().strip() == "up"
        assert private.exists()
        worker.kill()
        worker.wait()
        deadline = time.monotonic() + 10
        while private.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not private.exists()
    finally:
        worker.kill()
        worker.wait()


def test_the_kernel_talks_over_unix_sockets_in_its_workers_folder_and_long_paths_are_refused(tmp_path):
    from autograder.grading.kernel import kernel_manager_config

    assert kernel_manager_config(tmp_path) == {"transport": "ipc", "ip": str(tmp_path / "ipc" / "kernel")}
    with pytest.raises(RuntimeError, match="too long for a Unix socket"):
        kernel_manager_config(tmp_path / ("x" * 100))


# --- memory outside the address-space limit -------------------------------------------------------

MiB = 1024**2

#: What a jailed process tries to keep in RAM beyond its RLIMIT_AS, per kind: files in its private
#: /tmp and /dev/shm (tmpfs), memfd files, SysV shared memory segments (kept after shmdt).
FILL_ATTEMPT = 1024 * MiB


def _meminfo(field: str) -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def _fill_files(folder: str, total: int) -> int:
    """Write up to ``total`` bytes into ``folder`` in files of 16 MiB; bytes accepted."""
    chunk, written = b"x" * MiB, 0
    try:
        for i in range(total // (16 * MiB)):
            with open(os.path.join(folder, f"fill{i}"), "wb") as f:
                for _ in range(16):
                    f.write(chunk)
                    f.flush()
                    written += len(chunk)
    except OSError:  # the folder is full (ENOSPC) or a file at its size limit (EFBIG)
        pass
    return written


def _fill_memfd(total: int) -> int:
    written, fds = 0, []
    chunk = b"x" * MiB
    while written < total:
        try:
            fd = os.memfd_create("fill")
        except OSError:
            break
        fds.append(fd)
        try:
            for _ in range(16):
                os.write(fd, chunk)
                written += len(chunk)
        except OSError:
            break
    return written


def _fill_sysv_shm(total: int) -> int:
    """Create segments of 64 MiB, touch every page through shmat, detach: the pages stay."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
    libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
    libc.shmdt.argtypes = [ctypes.c_void_p]
    size, written = 64 * MiB, 0
    while written < total:
        shmid = libc.shmget(0, size, 0o1600)  # IPC_PRIVATE, IPC_CREAT | 0600
        if shmid < 0:
            break
        addr = libc.shmat(shmid, None, 0)
        if addr in (None, ctypes.c_void_p(-1).value):
            break
        ctypes.memset(addr, 1, size)
        libc.shmdt(ctypes.c_void_p(addr))
        written += size
    return written


@as_root
@pytest.mark.timeout(120)
def test_memory_a_jailed_process_holds_outside_its_address_space_limit_is_bounded(tmp_path):
    """tmpfs files, memfd files and SysV segments are not counted by RLIMIT_AS: each private tmpfs
    has a size (jail.PRIVATE_TMP), memfd_create and SysV shared memory are refused by the filter.
    The host's shared memory (``Shmem`` in /proc/meminfo) is measured while the jailed process
    holds what it could get and after it ended."""
    ready, done = tmp_path / "ready", tmp_path / "done"
    limits = jail.Limits()

    def child():
        os.chdir(tmp_path)
        jail.enter_jail(uid=UID, writable=["."])
        got = {"/tmp": _fill_files("/tmp", FILL_ATTEMPT), "/dev/shm": _fill_files("/dev/shm", FILL_ATTEMPT),
               "memfd": _fill_memfd(FILL_ATTEMPT), "sysv_shm": _fill_sysv_shm(FILL_ATTEMPT)}
        with open(ready, "w") as f:
            json.dump(got, f)
        deadline = time.monotonic() + 60
        while not done.exists() and time.monotonic() < deadline:  # hold it all while measured
            time.sleep(0.05)
        return got

    before = _meminfo("Shmem")
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            child()
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 3
        os._exit(code)
    try:
        deadline = time.monotonic() + 90
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        held = _meminfo("Shmem") - before
        got = json.loads(ready.read_text())
    finally:
        done.touch()
        _pid, status = os.waitpid(pid, 0)
        jail.kill_uid(UID)
    time.sleep(0.5)
    after = _meminfo("Shmem") - before
    print(f"accepted (MiB): { {k: v // MiB for k, v in got.items()} }; host Shmem while held "
          f"{held / MiB:+.0f} MiB, after {after / MiB:+.0f} MiB")
    assert os.waitstatus_to_exitcode(status) == 0
    assert got["/tmp"] <= jail.PRIVATE_TMP["/tmp"] * MiB, got
    assert got["/dev/shm"] <= jail.PRIVATE_TMP["/dev/shm"] * MiB, got
    assert got["memfd"] == 0 and got["sysv_shm"] == 0, got
    bound = sum(jail.PRIVATE_TMP.values()) * MiB
    assert held < bound + 32 * MiB, f"the host's shared memory grew by {held / MiB:.0f} MiB"
    assert after < 32 * MiB, f"{after / MiB:.0f} MiB of shared memory outlived the jailed process"
    assert limits.file_bytes <= 16 * MiB  # the 16 MiB files of _fill_files: one file, one limit


@as_root
@pytest.mark.timeout(60)
def test_a_bounded_working_folder_shows_its_files_and_keeps_writes_off_the_hosts_disk(tmp_path):
    """nbgrader's kernel (Limits.working_folder_mib): an overlay over the working folder, its
    writes in a bounded tmpfs; the host's folder is unchanged afterwards."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "given.txt").write_text("the submission's file")
    host_before = sorted(os.listdir(work))

    def child():
        os.chdir(work)
        jail.enter_jail(uid=UID, writable=["."], limits=jail.Limits(working_folder_mib=16))
        given = open("given.txt").read()
        with open("given.txt", "a") as f:
            f.write(" changed")
        written = _fill_files(".", 256 * MiB)
        return {"given": given, "written": written, "listing": sorted(os.listdir(".")),
                "reached": jail.REACHED, "layer": _errno_of(lambda c: c.opendir(jail.WORK_LAYER.encode()))}

    code, out = in_child(child)
    jail.kill_uid(UID)
    assert code == 0, out
    assert out["reached"]["bounded_working_folder"] is True, out
    assert out["given"] == "the submission's file" and "fill0" in out["listing"], out
    assert 0 < out["written"] <= 16 * MiB, out
    assert out["layer"][1] == 13, out  # EACCES: the jailed uid cannot look into the layer
    assert sorted(os.listdir(work)) == host_before
    assert (work / "given.txt").read_text() == "the submission's file"
