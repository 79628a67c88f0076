"""A real JupyterHub of nncourse for the end-to-end test, deployed by deploy/jupyterhub/install.sh.

:class:`HubUnderTest` runs the install script into a temporary prefix (homes, exchange and course
directory inside it), with Unix users whose names carry a random tag, starts JupyterHub with the
real configurable-http-proxy on 127.0.0.1, and talks to it through its REST API, the users'
servers through theirs. :meth:`HubUnderTest.cleanup` stops the hub (its process group), kills any
process left to the users it created (by pid), deletes those users and the group if it created
it, and removes the prefix; it is safe to call at any point of a failed set-up.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / "deploy" / "jupyterhub" / "install.sh"
VENV = Path(sys.executable).parent.parent
SITE = VENV / "lib" / "python3.11" / "site-packages"
SYSTEM_PYTHON = Path("/usr/bin/python3.11")
PROXY_CANDIDATES = [os.environ.get("NNCOURSE_CHP", ""),
                    "/opt/nncourse-proxy/node_modules/.bin/configurable-http-proxy",
                    shutil.which("configurable-http-proxy") or ""]
GROUP = "formgrade-nncourse"
PASSWORD = "nncourse-e2e-" + secrets.token_hex(6)


def find_proxy() -> Path | None:
    return next((Path(p) for p in PROXY_CANDIDATES if p and os.access(p, os.X_OK)), None)


def free_base_port() -> int:
    """A port P with P, P+1 (the proxy's API) and P+81 (the hub) all free on 127.0.0.1."""
    for _ in range(200):
        base = 20000 + secrets.randbelow(30000)
        try:
            for port in (base, base + 1, base + 81):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise RuntimeError("no free ports on 127.0.0.1")


class HubUnderTest:
    def __init__(self, students: list[str]):
        tag = secrets.token_hex(2)
        self.instructor = f"nnt{tag}"
        self.students = [f"{s}{tag}" for s in students]
        self.prefix = Path(tempfile.mkdtemp(prefix="nncourse-hub-", dir="/tmp"))
        os.chmod(self.prefix, 0o755)  # the users' servers run the course env from in here
        self.exchange = self.prefix / "exchange"
        self.course = self.prefix / "course"
        self.port = free_base_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.group_existed = _group_exists(GROUP)
        self.created_users: list[str] = []
        self.log = self.prefix / "jupyterhub.log"
        self.tokens: dict[str, str] = {}
        self.admin_token = ""

    # --- set-up -----------------------------------------------------------------------------------
    def install(self, proxy: Path) -> subprocess.CompletedProcess:
        for name in [self.instructor, *self.students]:
            if _user_exists(name):
                raise RuntimeError(f"user {name} exists already: refusing to touch it")
        (self.prefix / "students.txt").write_text("\n".join(self.students) + "\n")
        pw = self.prefix / "password"
        pw.write_text(PASSWORD)
        os.chmod(pw, 0o600)
        self.created_users = [self.instructor, *self.students]  # from now on, cleanup removes them
        out = subprocess.run(
            ["bash", str(INSTALL), "--prefix", str(self.prefix), "--exchange", str(self.exchange),
             "--course-dir", str(self.course), "--instructor", self.instructor,
             "--students", str(self.prefix / "students.txt"), "--home-base", str(self.prefix / "home"),
             "--ip", "127.0.0.1", "--port", str(self.port), "--auth", "shared", "--password-file", str(pw),
             "--python", str(SYSTEM_PYTHON), "--hub-python", sys.executable, "--proxy", str(proxy),
             "--reuse-site-packages", str(SITE)],
            capture_output=True, text=True, timeout=180)
        if out.returncode != 0:
            raise RuntimeError(f"install.sh failed ({out.returncode}):\n{out.stdout[-3000:]}\n"
                               f"{out.stderr[-3000:]}")
        return out

    def start(self, timeout: float = 60) -> None:
        self.admin_token = (self.prefix / "etc" / "admin_token").read_text().strip()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(self.prefix / "etc" / "jupyterhub_config.py")],
            cwd=self.prefix / "var", stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,
            start_new_session=True, env={**os.environ, "PATH": f"{VENV / 'bin'}:{os.environ['PATH']}"})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterHub exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                self.api("GET", "/hub/api/")
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        raise RuntimeError(f"JupyterHub did not answer on {self.url} in {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, n: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else "(no log)"

    # --- HTTP -------------------------------------------------------------------------------------
    def request(self, method: str, path: str, token: str, body=None, timeout: float = 60):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": f"token {token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            text = r.read().decode()
            return json.loads(text) if text else None

    def api(self, method: str, path: str, body=None):
        return self.request(method, path, self.admin_token, body)

    def start_server(self, user: str, timeout: float = 120) -> None:
        try:
            self.api("POST", f"/hub/api/users/{user}/server")
        except urllib.error.HTTPError as exc:
            if exc.code != 400:  # 400: already running
                raise
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = (self.api("GET", f"/hub/api/users/{user}").get("servers") or {}).get("")
            if server and server.get("ready"):
                return
            time.sleep(0.5)
        raise RuntimeError(f"{user}'s server did not start in {timeout:.0f} s:\n{self.log_tail()}")

    def token(self, user: str) -> str:
        if user not in self.tokens:
            self.tokens[user] = self.api("POST", f"/hub/api/users/{user}/tokens",
                                         {"note": "nncourse end-to-end test", "expires_in": 3600})["token"]
        return self.tokens[user]

    def user_api(self, user: str, method: str, path: str, body=None, timeout: float = 120):
        """A request to ``user``'s own server (``/user/NAME/...``) as that user."""
        return self.request(method, f"/user/{user}/{path}", self.token(user), body, timeout)

    # --- the instructor's commands ------------------------------------------------------------------
    def as_instructor(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """``python -m autograder ARGS`` as the instructor's Unix user, with the course env."""
        home = self.home(self.instructor)
        cmd = ["runuser", "-u", self.instructor, "--", "env", f"HOME={home}",
               f"PATH={self.prefix / 'course-env' / 'bin'}:/usr/bin:/bin",
               str(self.prefix / "course-env" / "bin" / "python"), "-m", "autograder", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=home)

    def home(self, user: str) -> Path:
        return Path(pwd.getpwnam(user).pw_dir)

    # --- tear-down ----------------------------------------------------------------------------------
    def cleanup(self) -> list[str]:
        """Stop everything and remove what was created; returns what could not be undone."""
        problems = []
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # the hub stops the users' servers
                self.proc.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for name in self.created_users:
            if not _user_exists(name):
                continue
            uid = pwd.getpwnam(name).pw_uid
            for pid in _pids_of(uid):  # a server the hub could not stop: by pid, started by this test
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            out = subprocess.run(["userdel", "-r", "-f", name], capture_output=True, text=True)
            if _user_exists(name):
                problems.append(f"userdel {name}: {out.stderr.strip()}")
        if not self.group_existed and _group_exists(GROUP):
            subprocess.run(["groupdel", GROUP], capture_output=True)
        shutil.rmtree(self.prefix, ignore_errors=True)
        return problems


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def _pids_of(uid: int) -> list[int]:
    pids = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if p.stat().st_uid == uid:
                    pids.append(int(p.name))
            except FileNotFoundError:
                pass
    return pids
