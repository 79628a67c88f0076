"""The client side of the fork server (:mod:`.forkserver`): :class:`Child` asks the server for a
process, and :func:`run` is the stand-in process for programs that must start one of their own::

    python -I -S .../autograder/grading/forkclient.py run SOCKET module:function [ARG...]

It imports nothing but the standard library, so the stand-in starts in ~20 ms; the protocol is
described in :mod:`.forkserver`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time

__all__ = ["FORWARDED_SIGNALS", "Child", "run", "send_json"]

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT,
                     signal.SIGUSR1, signal.SIGUSR2)
HEADER = struct.Struct("!I")


def send_json(sock: socket.socket, obj) -> None:
    sock.sendall(json.dumps(obj).encode() + b"\n")


class Child:
    """A process forked by the server at ``socket_path``, with :class:`subprocess.Popen`'s
    ``pid``, ``returncode``, ``poll``, ``wait``, ``send_signal`` and ``kill``.

    Raises ``OSError`` if the server cannot be reached.
    """

    def __init__(self, socket_path: str, entry: str, args=(), cwd: str | None = None,
                 env: dict | None = None, stdin=0, stdout=1, stderr=2):
        fds = [f if isinstance(f, int) else f.fileno() for f in (stdin, stdout, stderr)]
        request = json.dumps({"entry": entry, "args": list(args), "cwd": cwd or os.getcwd(),
                              "env": dict(os.environ if env is None else env)}).encode()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.settimeout(10)
            self._sock.connect(str(socket_path))
            socket.send_fds(self._sock, [HEADER.pack(len(request)) + request], fds)
            self._buf = b""
            reply = self._read_message(block=True)
            if not reply or "pid" not in reply:
                raise OSError(f"the fork server did not start {entry}: {reply}")
        except BaseException:
            self._sock.close()
            raise
        self.pid = int(reply["pid"])
        self.returncode: int | None = None

    def _read_message(self, block: bool):
        while b"\n" not in self._buf:
            self._sock.settimeout(30.0 if block else 0.0)  # blocking reads wait for the pid only
            try:
                data = self._sock.recv(4096)
            except (BlockingIOError, InterruptedError):
                return None
            except OSError:
                data = b""
            if not data:
                return {"exit": -signal.SIGKILL}  # the server is gone, and with it the child
            self._buf += data
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def poll(self) -> int | None:
        while self.returncode is None:
            msg = self._read_message(block=False)
            if msg is None:
                break
            if "exit" in msg:
                self.returncode = int(msg["exit"])
                self._sock.close()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import select

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(f"fork server child {self.pid}", timeout)
            select.select([self._sock], [], [], left)  # until the server says something
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            try:
                send_json(self._sock, {"signal": int(sig)})
            except OSError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def run(socket_path: str, entry: str, argv: list[str]) -> None:
    """The stand-in process: ``entry(argv)`` in a forked child, or in a fresh Python if the
    server cannot be reached; exits with the child's exit code."""
    try:
        child = Child(socket_path, entry, [argv])
    except OSError as exc:
        print(f"forkserver: {exc}; starting {entry} in a fresh Python instead", file=sys.stderr)
        module, function = entry.split(":")
        code = f"import sys, {module} as m; m.{function}(sys.argv[1:])"
        os.execv(sys.executable, [sys.executable, "-I", "-c", code, *argv])
    for sig in FORWARDED_SIGNALS:
        signal.signal(sig, lambda s, frame: child.send_signal(s))
    code = child.wait()
    os._exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        sys.exit("usage: forkclient.py run SOCKET module:function [ARG...]")
