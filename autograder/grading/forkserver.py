"""A fork server: grading processes that start with their imports already done.

A fresh Python that imports NumPy, Matplotlib and IPython's kernel spends about 1.5 s of CPU on
the imports alone, and grading starts two such processes per submission (nbgrader's kernel and
the isolated re-check). A fork server imports them once, as trusted code, and then forks a copy
of itself for each request. The copy runs one entry point, ``module:function(*args)``, with the
requester's working folder, environment and standard streams, and exits with it: it never
returns to the server's loop. The server itself never runs anything of a student's; each entry
point (:mod:`autograder.grading.kernel_launcher`, :mod:`autograder.grading.sandbox_main`) jails itself before
it touches the submission, exactly as when it is started as a fresh process.

Server::

    python -I -m autograder.grading.forkserver serve SOCKET MODULE[,MODULE...]

Stand-in process (:mod:`.forkclient`, for programs that must start a process of their own, like jupyter_client
starting a kernel; it imports nothing but the standard library, so it starts in ~20 ms)::

    python -I -S .../autograder/grading/forkclient.py run SOCKET module:function [ARG...]

runs ``function([ARG...])`` in a forked child, forwards the signals it receives to the child and
exits when the child does, with its exit code (128 + N if a signal N killed it). If the server
cannot be reached, it runs the same entry point in a fresh Python instead, so grading is slower
but never lost.

Protocol, one connection per child, over a Unix socket in a folder only the grader can open
(the server also checks the peer's uid): the client sends a length-prefixed JSON request
``{"entry", "args", "cwd", "env"}`` with its stdin, stdout and stderr as SCM_RIGHTS; the server
replies ``{"pid": N}``, then relays ``{"signal": S}`` lines to the child's process group, and
sends ``{"exit": CODE}`` (Popen's convention: ``-N`` if signal N killed it) when the child ends.
If the client goes away first, the child's process group is killed: a child never outlives the
connection that asked for it.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys

from .forkclient import HEADER, Child, send_json

__all__ = ["Child", "ForkServer", "serve"]


def _exit_code(status: int) -> int:
    return os.waitstatus_to_exitcode(status)


#: Signals the server handles itself (blocked while it forks).
_HANDLED = {signal.SIGCHLD, signal.SIGTERM}


def _child_main(conn, request, fds, close, mask) -> None:
    """In the forked child: become the requested process, run the entry point, exit."""
    code = 1
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        for sig in _HANDLED:
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # pending signals act from here on
        for obj in close:  # the server's sockets, pipe and selector: through their objects, so
            obj.close()    # that a later garbage collection cannot close a reused descriptor
        conn.close()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        module, function = request["entry"].split(":")
        import importlib

        fn = getattr(importlib.import_module(module), function)
        fn(*request["args"])
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


def _recv_request(conn: socket.socket):
    conn.settimeout(10)
    data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, 3)
    if len(fds) != 3 or len(data) < HEADER.size:
        for fd in fds:
            os.close(fd)
        raise ValueError("a request needs a JSON header and three file descriptors")
    (length,) = HEADER.unpack(data[:HEADER.size])
    data = data[HEADER.size:]
    while len(data) < length:
        more = conn.recv(length - len(data))
        if not more:
            break
        data += more
    try:
        return json.loads(data[:length]), fds
    except ValueError:
        for fd in fds:
            os.close(fd)
        raise


def _set_parent_death_signal(sig: int) -> None:
    """Linux: receive ``sig`` when the process that started us dies (best effort)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(sig), 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class _Server:
    """The server's loop: accept requests, fork a child for each, relay signals, report exits."""

    def __init__(self, socket_path: str):
        self.path = socket_path
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.exists(socket_path):
            os.unlink(socket_path)
        self.listener.bind(socket_path)
        os.chmod(socket_path, 0o600)
        self.listener.listen(16)
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        self.stopping: list[bool] = []
        signal.signal(signal.SIGCHLD, lambda *a: None)
        signal.signal(signal.SIGTERM, lambda *a: self.stopping.append(True))
        self.wake = os.fdopen(wake_r, "rb", buffering=0)
        self.wake_wfile = os.fdopen(wake_w, "wb", buffering=0)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.listener, selectors.EVENT_READ, "accept")
        self.sel.register(self.wake, selectors.EVENT_READ, "wake")
        self.children: dict[int, socket.socket | None] = {}  # pid -> its client's connection
        self.by_conn: dict[socket.socket, int] = {}
        self.bufs: dict[socket.socket, bytes] = {}

    def loop(self) -> None:
        print("ready", flush=True)
        while not self.stopping:
            for key, _events in self.sel.select(timeout=1.0):
                if key.data == "accept":
                    self.accept()
                elif key.data == "wake":
                    self.wake.read(512)
                else:
                    self.on_client(key.fileobj)
            self.reap()
        for pid in list(self.children):
            _killpg(pid, signal.SIGKILL)
        self.listener.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass

    def accept(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        try:
            creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            _pid, uid, _gid = struct.unpack("3i", creds)
            if uid != os.getuid():
                raise PermissionError(f"uid {uid} may not use this fork server")
            request, fds = _recv_request(conn)
        except (OSError, ValueError) as exc:
            print(f"forkserver: refused a request: {exc}", file=sys.stderr, flush=True)
            conn.close()
            return
        # Signals stay blocked across the fork until the child has reset our handlers:
        # a SIGTERM sent to a brand-new child must kill it, not stop a copy of this loop.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _HANDLED)
        pid = os.fork()
        if pid == 0:
            _child_main(conn, request, fds,
                        [self.listener, self.wake, self.wake_wfile, self.sel, *self.by_conn], mask)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for fd in fds:
            os.close(fd)
        self.children[pid] = conn
        self.by_conn[conn] = pid
        self.bufs[conn] = b""
        try:
            conn.settimeout(None)
            send_json(conn, {"pid": pid})
            self.sel.register(conn, selectors.EVENT_READ, "client")
        except OSError:
            _killpg(pid, signal.SIGKILL)

    def on_client(self, conn: socket.socket) -> None:
        """A client sent signal requests, or went away (then so does its child)."""
        try:
            data = conn.recv(4096)
        except OSError:
            data = b""
        pid = self.by_conn.get(conn)
        if not data:
            if pid is not None:
                _killpg(pid, signal.SIGKILL)
                self.children[pid] = None
            self.forget(conn)
            return
        self.bufs[conn] += data
        while b"\n" in self.bufs[conn]:
            line, self.bufs[conn] = self.bufs[conn].split(b"\n", 1)
            try:
                sig = int(json.loads(line)["signal"])
            except (ValueError, KeyError, TypeError):
                continue
            if pid is not None:
                _killpg(pid, sig)

    def reap(self) -> None:
        """Reap every child that has ended and tell its client the exit code."""
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            conn = self.children.pop(pid, None)
            if conn is not None:
                try:
                    send_json(conn, {"exit": _exit_code(status)})
                except OSError:
                    pass
                self.forget(conn)

    def forget(self, conn: socket.socket) -> None:
        self.by_conn.pop(conn, None)
        self.bufs.pop(conn, None)
        try:
            self.sel.unregister(conn)
        except (KeyError, ValueError):
            pass
        conn.close()


def _killpg(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def serve(socket_path: str, preload: list[str], cleanup: str | None = None) -> None:
    """Import ``preload``, then fork a child for every request on ``socket_path`` until SIGTERM
    or the death of the process that started the server; then remove the folder ``cleanup``, if
    given (a grading worker's private folder in /tmp: removed even when the worker was killed)."""
    import importlib

    parent = os.getppid()
    _set_parent_death_signal(signal.SIGTERM)
    try:
        for module in preload:
            importlib.import_module(module)
        if os.getppid() != parent:  # our parent died while we imported
            return
        _Server(socket_path).loop()
    finally:
        if cleanup:
            import shutil

            shutil.rmtree(cleanup, ignore_errors=True)


class ForkServer:
    """Start a fork server for ``preload`` at ``socket_path`` (its folder must exist and be
    closed to other users); ``wait_ready()`` (called by the constructor unless ``wait=False``)
    waits until it accepts requests; ``stop()`` ends it and its children. ``cleanup``: a folder
    the server removes when it ends (see :func:`serve`)."""

    def __init__(self, socket_path, preload, env: dict | None = None, stderr=None,
                 wait: bool = True, cleanup=None):
        self.path = str(socket_path)
        self.preload = list(preload)
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-m", "autograder.grading.forkserver", "serve", self.path,
             ",".join(preload), *([str(cleanup)] if cleanup else [])],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr,
            cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
        )
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Return once the server is ready; raise ``RuntimeError`` if it died instead."""
        if self.proc.stdout.readline().strip() != b"ready":
            self.stop()
            raise RuntimeError(f"the fork server for {', '.join(self.preload)} did not start")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def main(argv: list[str]) -> None:
    if len(argv) >= 3 and argv[0] == "serve":
        serve(argv[1], [m for m in argv[2].split(",") if m], argv[3] if len(argv) > 3 else None)
    else:  # the stand-in process is forkclient.py's own ``run`` command
        sys.exit("usage: forkserver.py serve SOCKET MODULES [CLEANUP]")


if __name__ == "__main__":
    main(sys.argv[1:])
