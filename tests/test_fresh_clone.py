"""A newcomer's first minutes: a fresh clone, then the README's two set-up commands, literally.

The commands are read from README.md: the first fenced code block after the heading that contains
"Set-up" must hold exactly two commands, ``bash start.sh ...`` and ``bash test.sh ...``.

The slow test clones the repository's committed HEAD (uncommitted work is not in it) into a temporary
folder, with none of this session's virtual environment in its environment, then:

1. runs the start command headless (``NNCOURSE_HEADLESS=1``, plus ``--port P``): it must create
   ``.venv``, install, and start JupyterLab on ``course/``, print its URL and answer on it, with the
   widgets extension loaded; it is then stopped by its process group id;
2. runs the test command with a small selection of tests (``NNCOURSE_FRESH_CLONE_INNER=1`` is set, so
   this test does not run itself again inside): it must install the test tools and pass.

Set ``NNCOURSE_FRESH_CLONE_PYTEST_ARGS`` to change the inner selection.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
INNER = "NNCOURSE_FRESH_CLONE_INNER"
INNER_PYTEST_ARGS = ["-x", "-q", "-p", "no:cacheprovider", "-m", "not browser and not slow",
                     "tests/test_environment.py", "tests/nnlib"]
START_TIMEOUT = 1200   # creating .venv and installing the course extra, then JupyterLab's start
TEST_TIMEOUT = 2400    # installing the test extra and PyTorch, then the inner tests
WIDGETS_EXTENSION = "@jupyter-widgets/jupyterlab-manager"


def setup_commands(readme: str) -> tuple[str, str]:
    """(start command, test command) from the README's set-up block."""
    heading = re.search(r"(?mi)^#{1,6}[^\n]*set-?up[^\n]*$", readme)
    assert heading, "README.md has no heading containing 'Set-up' (the fresh-clone test looks there)"
    block = re.search(r"```[^\n]*\n(.*?)```", readme[heading.end():], flags=re.S)
    assert block, "README.md: no fenced code block after the Set-up heading"
    commands = []
    for line in block.group(1).splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if line:
            commands.append(line)
    assert len(commands) == 2, f"README.md: the Set-up block should hold two commands, found {commands}"
    start = [c for c in commands if re.match(r"bash\s+(\./)?start\.sh\b", c)]
    test = [c for c in commands if re.match(r"bash\s+(\./)?test\.sh\b", c)]
    assert start and test, f"README.md: the Set-up block should run start.sh and test.sh, found {commands}"
    return start[0], test[0]


def test_readme_names_the_two_setup_commands():
    if not README.exists():
        pytest.fail("README.md is missing")
    start, test = setup_commands(README.read_text())
    assert start.split()[:2] == ["bash", "start.sh"] and test.split()[:2] == ["bash", "test.sh"]


def test_setup_commands_parser_reads_comments_and_rejects_junk():
    good = "# x\n## Set-up\ntext\n```bash\nbash start.sh   # start\nbash test.sh # tests\n```\n"
    assert setup_commands(good) == ("bash start.sh", "bash test.sh")
    with pytest.raises(AssertionError, match="two commands"):
        setup_commands("## Set-up\n```\nbash start.sh\n```\n")
    with pytest.raises(AssertionError, match="Set-up"):
        setup_commands("## Install\n```\nbash start.sh\nbash test.sh\n```\n")


def clean_env() -> dict:
    """This process's environment without its virtual environment (a newcomer's shell)."""
    env = dict(os.environ)
    venv_bins = {str(Path(sys.prefix) / "bin"), str(Path(sys.executable).parent)}
    if env.get("VIRTUAL_ENV"):
        venv_bins.add(str(Path(env["VIRTUAL_ENV"]) / "bin"))
    path = env.get("PATH", "").split(os.pathsep)
    env["PATH"] = os.pathsep.join(p for p in path if p and p not in venv_bins)
    for k in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "NNCOURSE_VENV", "NNCOURSE_HEADLESS", "PYTHON",
              "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_PATH",
              "PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST"):
        env.pop(k, None)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_group(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            if sig is signal.SIGTERM:
                try:  # anything left in the group
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            return
        except subprocess.TimeoutExpired:
            continue


def spawn(cmd: list[str], cwd: Path, env: dict, log_path: Path) -> subprocess.Popen:
    """Start ``cmd`` in a process group of its own, its output going to ``log_path``."""
    with open(log_path, "wb") as log:
        return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, ""
    except (urllib.error.URLError, OSError):
        return 0, ""


def tail(path: Path, n: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no output)"


@pytest.mark.slow
@pytest.mark.timeout(START_TIMEOUT + TEST_TIMEOUT + 300)
def test_fresh_clone_follows_the_readme(tmp_path):
    if os.environ.get(INNER):
        pytest.skip(f"{INNER} is set: this is the inner run of a fresh-clone test (no recursion)")
    timings: dict[str, float] = {}
    work = tmp_path / "clone"
    try:
        t = time.monotonic()
        subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(work)], check=True,
                       capture_output=True, text=True, timeout=300)
        timings["clone"] = time.monotonic() - t
        readme = work / "README.md"
        assert readme.exists(), "README.md is not committed: a fresh clone has no instructions"
        start_cmd, test_cmd = setup_commands(readme.read_text())
        env = clean_env()

        # 1. The start command, headless, on a port of our own.
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        start_log = tmp_path / "start.log"
        t = time.monotonic()
        proc = spawn([*shlex.split(start_cmd), "--port", str(port)], work, {**env, "NNCOURSE_HEADLESS": "1"},
                     start_log)
        try:
            url = None
            pattern = re.compile(rf"(http://(?:localhost|127\.0\.0\.1):{port}/\S*)")
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and url is None:
                if proc.poll() is not None:
                    pytest.fail(f"`{start_cmd}` exited with {proc.returncode}:\n{tail(start_log)}")
                m = pattern.search(start_log.read_text(errors="replace"))
                if m and get(m.group(1))[0] == 200:
                    url = m.group(1)
                time.sleep(1)
            assert url, f"`{start_cmd}` printed no URL that answers in {START_TIMEOUT} s:\n{tail(start_log)}"
            timings["start_to_url"] = time.monotonic() - t
            token = re.search(r"[?&]token=(\w+)", url)
            q = f"?token={token.group(1)}" if token else ""
            status, listing = get(f"{base}/api/contents{q}")
            assert status == 200, f"JupyterLab's contents API answered {status}"
            served = {item["name"] for item in json.loads(listing)["content"]}
            course = {p.name for p in (work / "course").iterdir() if p.is_dir()}
            assert course and course <= served, f"JupyterLab does not serve course/: it has {sorted(served)}"
            status, page = get(f"{base}/lab{q}")
            assert status == 200 and WIDGETS_EXTENSION in page, (
                f"JupyterLab's page does not load the widgets extension {WIDGETS_EXTENSION}"
            )
        finally:
            stop_group(proc)
        assert proc.returncode is not None, "JupyterLab did not stop"
        assert get(f"{base}/api/status")[0] == 0, "JupyterLab still answers after being stopped"
        assert (work / ".venv" / "bin" / "python").exists(), "start.sh did not create .venv"

        # 2. The test command, with a small selection, not recursing into this test.
        extra = shlex.split(os.environ.get("NNCOURSE_FRESH_CLONE_PYTEST_ARGS", "")) or INNER_PYTEST_ARGS
        test_log = tmp_path / "test.log"
        t = time.monotonic()
        proc = spawn([*shlex.split(test_cmd), *extra], work, {**env, INNER: "1"}, test_log)
        try:
            code = proc.wait(timeout=TEST_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"`{test_cmd}` did not finish within {TEST_TIMEOUT} s:\n{tail(test_log)}")
        finally:
            stop_group(proc)
        timings["test"] = time.monotonic() - t
        assert code == 0, f"`{test_cmd} {shlex.join(extra)}` failed ({code}):\n{tail(test_log)}"
        assert re.search(r"\d+ passed", test_log.read_text(errors="replace")), tail(test_log)
    finally:
        report = {k: round(v, 1) for k, v in timings.items()}
        print(f"fresh clone timings (s): {report}")
        out = ROOT / "artifacts" / "fresh_clone.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=1))
        shutil.rmtree(work, ignore_errors=True)
