"""Helpers of the browser test: a JupyterLab server of its own, and a notebook driven in Chromium.

The server runs on 127.0.0.1 on a free port, with no token, a temporary copy of the notebooks, and
temporary Jupyter config/data/runtime/workspace/settings folders (so nothing of the user's own set-up
leaks in, and no old tabs or kernels are restored). It runs in its own process group and is stopped
by that group's id.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Where each variant's notebooks come from; the server's root holds them as <variant>/<id>/<id>.ipynb.
SOURCES = {"course": ROOT / "course", "solution": ROOT / "solutions"}
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
#: Cells that may fail in a blank student copy: the visible checks and the graded cells.
CHECK_CALL = re.compile(r"(?<!def )\b(run_check|grade)\(")
RUN_CHECK = re.compile(r"(?<!def )\brun_check\(")
#: autograder.checks prints this at the start of a passing check's line.
SUCCESS_PREFIX = "✓"
#: What JupyterLab shows when a widget is not rendered as a widget (its text repr or an error).
WIDGET_FALLBACK = re.compile(
    r"\b(?:interactive|VBox|HBox|Box|Output|\w+Slider|Dropdown)\((?:children|value|options|layout)="
    r"|Error displaying widget|Loading widget\.\.\.|Model not found"
)
#: A widget rendered by the ipywidgets extension: a top-level output holding a ``.jupyter-widgets`` root.
WIDGET_VIEW = ".jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output:has(> .jupyter-widgets)"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: A check cell's message is "short" if it has at most this many lines.
FRIENDLY_MAX_LINES = 15


def in_ci() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("NNCOURSE_CI"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def notebook_ids(folder: Path) -> list[str]:
    """Assignment ids with a notebook ``folder/<id>/<id>.ipynb``, in course order."""
    from autograder.exercises import ASSIGNMENTS

    found = [p.parent.name for p in sorted(folder.glob("*/*.ipynb")) if p.stem == p.parent.name]
    order = {a: i for i, a in enumerate(ASSIGNMENTS)}
    return sorted(found, key=lambda a: (order.get(a, len(order)), a))


def stop_process_group(proc: subprocess.Popen, grace: float = 20.0) -> None:
    """SIGTERM the process group led by ``proc`` (started with ``start_new_session=True``), then SIGKILL."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    try:  # whatever is left in the group (the leader may be gone already)
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if proc.poll() is None:
        proc.wait(timeout=10)


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


class LabServer:
    """``jupyter lab`` serving ``root_dir``, with every Jupyter folder inside ``work_dir``."""

    def __init__(self, root_dir: Path, work_dir: Path):
        self.root_dir = Path(root_dir)
        self.work_dir = Path(work_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.work_dir / "jupyterlab.log"
        self.proc: subprocess.Popen | None = None

    def env(self) -> dict:
        env = dict(os.environ)
        dirs = {}
        for name in ("config", "data", "runtime", "workspaces", "settings", "ipython"):
            dirs[name] = self.work_dir / name
            dirs[name].mkdir(parents=True, exist_ok=True)
        # No news pop-up, no update check: user settings in a temporary settings folder.
        notif = dirs["settings"] / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        notif.parent.mkdir(parents=True, exist_ok=True)
        notif.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        env.update(
            JUPYTER_CONFIG_DIR=str(dirs["config"]),
            JUPYTER_DATA_DIR=str(dirs["data"]),
            JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
            JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
            JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
            IPYTHONDIR=str(dirs["ipython"]),
            JUPYTER_PLATFORM_DIRS="1",
            PYTHONUNBUFFERED="1",
            MPLBACKEND="module://matplotlib_inline.backend_inline",
        )
        env.pop("JUPYTER_TOKEN", None)
        return env

    def start(self, timeout: float = 120.0) -> None:
        cmd = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser", f"--port={self.port}", "--ip=127.0.0.1", "--port-retries=0",
            "--IdentityProvider.token=", "--ServerApp.password=", "--allow-root",
            f"--ServerApp.root_dir={self.root_dir}", "--LabApp.expose_app_in_browser=True",
        ]
        self.work_dir.mkdir(parents=True, exist_ok=True)
        env = self.env()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=self.root_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log_tail()}")
            if http_ok(f"{self.url}/api/status"):
                return
            time.sleep(0.3)
        raise RuntimeError(
            f"jupyter lab did not answer on {self.url} within {timeout:.0f} s:\n{self.log_tail()}"
        )

    def api(self, method: str, path: str):
        req = urllib.request.Request(f"{self.url}{path}", method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        try:
            for k in self.api("GET", "/api/kernels"):
                self.api("DELETE", f"/api/kernels/{k['id']}")
        except (urllib.error.URLError, OSError, ValueError):
            pass

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.shutdown_kernels()
        stop_process_group(self.proc)

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"


# --------------------------------------------------------------------------------------------
# Reading a notebook's outputs (the model JupyterLab holds, as nbformat JSON)


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else (value or "")


def error_text(output: dict) -> str:
    lines = output.get("traceback") or [f"{output.get('ename')}: {output.get('evalue')}"]
    return ANSI.sub("", "\n".join(lines))


def long_traceback_reason(shown: str) -> str | None:
    """Why an error message shown to a student is not a short friendly message (None if it is)."""
    lines = [ln for ln in shown.splitlines() if ln.strip()]
    if "Traceback (most recent call last)" in shown or "Traceback" in shown:
        return "a Python traceback"
    if any(re.match(r"\s*File [\"/]", ln) for ln in lines):
        return "stack frames (File ...)"
    if re.search(r"autograder[/\\]\w+\.py", shown) or re.search(r"site-packages", shown):
        return "paths into the autograder or site-packages"
    if len(lines) > FRIENDLY_MAX_LINES:
        return f"{len(lines)} lines (at most {FRIENDLY_MAX_LINES})"
    if not lines:
        return "an empty message"
    return None


def cell_outputs(cell: dict) -> tuple[list[dict], str, str]:
    """(error outputs, stdout text, stderr text) of one code cell."""
    errors, out, err = [], [], []
    for o in cell.get("outputs", []):
        if o["output_type"] == "error":
            errors.append(o)
        elif o["output_type"] == "stream":
            (out if o.get("name") == "stdout" else err).append(_text(o.get("text")))
    return errors, "".join(out), "".join(err)


def widget_count(cell: dict) -> int:
    return sum(1 for o in cell.get("outputs", []) if WIDGET_MIME in o.get("data", {}))


@dataclass
class NotebookReport:
    """What one notebook did in JupyterLab; ``problems`` empty means it passed."""

    variant: str
    notebook: str
    problems: list[str] = field(default_factory=list)
    check_messages: dict[int, str] = field(default_factory=dict)
    widgets: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    screenshot: str = ""

    def as_json(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def analyse_outputs(nb: dict, variant: str, report: NotebookReport) -> None:
    """The assertions on cell outputs, recorded as problems in ``report``.

    ``variant`` is ``"course"`` (the blank student copy: check and graded cells may fail, with a short
    friendly message) or ``"solution"`` (no cell may fail; every visible check prints its success line).
    """
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        src = _text(cell.get("source"))
        head = f"cell {i} ({src.strip().splitlines()[0][:70] if src.strip() else 'empty'!r})"
        errors, out, err = cell_outputs(cell)
        is_check = bool(CHECK_CALL.search(src))
        if variant == "course" and is_check:
            shown = "\n".join(error_text(e) for e in errors) + err
            for e in errors:
                why = long_traceback_reason(error_text(e))
                if why:
                    report.problems.append(
                        f"{head}: a blank copy's check shows {why} instead of a short friendly message:\n"
                        + error_text(e)[-1500:]
                    )
            if RUN_CHECK.search(src):
                message = (shown + out).strip()
                report.check_messages[i] = message
                if not message:
                    report.problems.append(f"{head}: the visible check printed nothing on a blank copy")
                elif not errors and any(ln.startswith(SUCCESS_PREFIX) for ln in out.splitlines()):
                    report.problems.append(f"{head}: the visible check passed on a blank copy:\n{out}")
            continue
        for e in errors:
            report.problems.append(
                f"{head}: raised {e.get('ename')}: {e.get('evalue')}\n{error_text(e)[-1500:]}"
            )
        if err.strip():
            report.problems.append(f"{head}: wrote to stderr (a student sees a red box):\n{err[-800:]}")
        if variant == "solution" and RUN_CHECK.search(src):
            ok = [ln for ln in out.splitlines() if ln.startswith(SUCCESS_PREFIX)]
            report.check_messages[i] = "\n".join(ok) or out
            if not ok:
                report.problems.append(
                    f"{head}: the solution's visible check printed no line starting with "
                    f"{SUCCESS_PREFIX!r}; it printed:\n{out[-800:]}"
                )


# --------------------------------------------------------------------------------------------
# Driving JupyterLab

_OPEN_JS = """
async ([path, timeoutMs]) => {
  const app = window.jupyterapp;
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const deadline = Date.now() + timeoutMs;
  await app.restored;
  let panel = null;
  while (!panel) {
    panel = Array.from(app.shell.widgets('main')).find(w => w.context && w.context.path === path);
    if (!panel) {
      if (Date.now() > deadline) throw new Error('JupyterLab never opened ' + path);
      await sleep(100);
    }
  }
  app.shell.activateById(panel.id);
  await panel.context.ready;
  await panel.sessionContext.ready;
  while (!(panel.sessionContext.session && panel.sessionContext.session.kernel
           && panel.sessionContext.session.kernel.status === 'idle')) {
    if (Date.now() > deadline) throw new Error('the kernel of ' + path + ' never became idle');
    await sleep(100);
  }
  window.__nncourse_panel = panel;
  return panel.sessionContext.session.kernel.name;
}
"""

# Run the active cell and everything below it (index -1: run all), then wait until every code cell
# has run, or nothing changed for a while with the kernel idle (Run All stopped at an error). The
# command's promise is no guide: with a `raises-exception` cell it resolves at the first error while
# the cells below go on running, and queued cells show no sign of it.
_RUN_JS = """
async ([fromIndex, timeoutMs, quietMs]) => {
  const app = window.jupyterapp, panel = window.__nncourse_panel;
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const deadline = Date.now() + timeoutMs;
  app.shell.activateById(panel.id);
  let command = 'notebook:run-all-cells';
  if (fromIndex >= 0) { panel.content.activeCellIndex = fromIndex; command = 'notebook:run-all-below'; }
  const done = app.commands.execute(command);
  let settled = false;
  done.then(() => { settled = true; }, () => { settled = true; });
  const code = () => panel.content.widgets.filter(
    c => c.model.type === 'code' && c.model.sharedModel.getSource().trim() !== '');
  const signature = () => code().map(c => `${c.model.executionCount}:${c.model.outputs.length}`).join(',');
  let last = null, quietSince = Date.now();
  while (true) {
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    const idle = !!kernel && kernel.status === 'idle';
    const running = code().some(c => c.model.executionState === 'running');
    const sig = signature();
    if (sig !== last || !idle || running) { last = sig; quietSince = Date.now(); }
    const allRan = code().every(c => c.model.executionCount !== null);
    const quiet = Date.now() - quietSince;
    if (settled && idle && !running && ((allRan && quiet > 1500) || quiet > quietMs)) break;
    if (Date.now() > deadline) return {timedOut: true};
    await sleep(100);
  }
  return {timedOut: false};
}
"""

_MODEL_JS = """
() => {
  const panel = window.__nncourse_panel;
  panel.content.widgets.forEach((c, i) => c.node.setAttribute('data-nncourse-cell', String(i)));
  return panel.context.model.toJSON();
}
"""

_KERNEL_IDLE_JS = """
() => {
  const p = window.__nncourse_panel;
  const k = p.sessionContext.session && p.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}
"""


def first_unexecuted(nb: dict, after: int = -1) -> int | None:
    for i, c in enumerate(nb["cells"]):
        if (i > after and c["cell_type"] == "code" and _text(c.get("source")).strip()
                and c.get("execution_count") is None):
            return i
    return None


def cell_images(page, i: int) -> list[str]:
    return page.eval_on_selector_all(
        f'[data-nncourse-cell="{i}"] .jp-OutputArea-output img', "els => els.map(e => e.src)"
    )


def wait_for(predicate, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def _kernel_idle(page) -> bool:
    return page.evaluate(_KERNEL_IDLE_JS)


def check_widgets(page, nb: dict, report: NotebookReport, redraw_timeout: float = 60.0) -> None:
    """Every widget output renders as a widget; moving one slider per widget changes its cell's figure."""
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        cell_loc = page.locator(f'[data-nncourse-cell="{i}"]')
        text = cell_loc.locator(".jp-OutputArea").first.inner_text() if cell_loc.locator(
            ".jp-OutputArea").count() else ""
        fallback = WIDGET_FALLBACK.search(text)
        if fallback:
            report.problems.append(
                f"cell {i}: a widget is shown as text ({fallback.group(0)!r}...), not rendered as a widget: "
                "is the ipywidgets JupyterLab extension (jupyterlab_widgets) installed?"
            )
            continue
        n = widget_count(cell)
        if not n:
            continue
        views = cell_loc.locator(WIDGET_VIEW)
        if not wait_for(lambda v=views, n=n: v.count() >= n, 30):
            report.problems.append(
                f"cell {i}: {n} widget output(s) in the notebook but {views.count()} rendered widget view(s)"
            )
            continue
        for k in range(n):
            view = views.nth(k)
            report.widgets.append(move_one_control(page, i, k, view, report, redraw_timeout))


def move_one_control(page, i: int, k: int, view, report: NotebookReport, timeout: float) -> str:
    """Move the first slider of widget ``k`` of cell ``i`` (or pick another option of its first
    dropdown) and wait for the cell's figure to change; returns a one-line description."""
    where = f"cell {i}, widget {k}"
    sliders = view.locator(".widget-slider")
    selects = view.locator("select")
    before = cell_images(page, i)
    if not before:
        report.problems.append(f"{where}: the widget's cell shows no figure")
        return f"{where}: no figure"
    if sliders.count():
        slider = sliders.first
        labels = slider.locator(".widget-label")
        label = labels.first.inner_text() if labels.count() else "?"
        handle = slider.locator(".noUi-handle").first
        handle.scroll_into_view_if_needed()
        value = lambda: handle.get_attribute("aria-valuenow")  # noqa: E731  (noUiSlider's current value)
        wait_for(lambda: value() not in (None, ""), 10)
        old_value = value()
        handle.focus()
        handle.press("ArrowRight")
        wait_for(lambda: value() != old_value, 5)
        if value() == old_value:  # at its maximum
            handle.press("ArrowLeft")
            wait_for(lambda: value() != old_value, 5)
        new_value = value()
        if new_value == old_value:
            report.problems.append(f"{where}: the slider {label!r} did not move with the arrow keys")
            return f"{where}: slider {label!r} stuck at {old_value}"
        what = f"slider {label!r} {old_value} -> {new_value}"
    elif selects.count():
        select = selects.first
        options = select.locator("option").all_inner_texts()
        current = select.input_value()
        values = select.evaluate("s => Array.from(s.options).map(o => o.value)")
        other = next((v for v in values if v != current), None)
        if other is None:
            report.problems.append(f"{where}: its dropdown has a single option ({options})")
            return f"{where}: dropdown with one option"
        select.select_option(other)
        what = f"dropdown {current!r} -> {other!r}"
    else:
        report.problems.append(f"{where}: a widget with neither a slider nor a dropdown to move")
        return f"{where}: nothing to move"
    changed = wait_for(lambda: _kernel_idle(page) and cell_images(page, i) not in ([], before), timeout)
    if not changed:
        report.problems.append(
            f"{where}: moving the {what} did not change the cell's figure within {timeout:.0f} s"
        )
        return f"{where}: {what}: figure unchanged"
    return f"{where}: {what}: figure redrawn"


def screenshot_notebook(page, path: Path, max_height: int = 15000) -> None:
    """A screenshot of the whole notebook: the viewport is made as tall as the notebook for it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate(
        """() => {
          const app = window.jupyterapp, p = window.__nncourse_panel;
          app.shell.collapseLeft(); app.shell.collapseRight();
          const o = p.content.node.querySelector('.jp-WindowedPanel-outer') || p.content.node;
          o.scrollTop = 0;
          return o.scrollHeight;
        }"""
    )
    tall = int(min(max(height + 250, size["height"]), max_height))
    page.set_viewport_size({"width": size["width"], "height": tall})
    time.sleep(0.8)
    page.evaluate("() => { const p = window.__nncourse_panel; (p.content.node.querySelector("
                  "'.jp-WindowedPanel-outer') || p.content.node).scrollTop = 0; }")
    time.sleep(0.3)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)


def open_lab(page, base_url: str, timeout: float = 240.0, workspace: str = "nncourse-test") -> None:
    """Load JupyterLab in ``page`` with a fresh workspace (no tabs restored), and wait until it is ready."""
    page.goto(f"{base_url}/lab/workspaces/{quote(workspace)}?reset", wait_until="domcontentloaded",
              timeout=timeout * 1000)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=timeout * 1000)
    page.evaluate("async () => { await window.jupyterapp.restored; }")


def run_notebook(page, rel_path: str, variant: str, screenshot: Path,
                 timeout: float = 240.0) -> NotebookReport:
    """Open ``rel_path`` in the JupyterLab of ``page`` (see :func:`open_lab`), Run All, check the outputs
    and the widgets, take a screenshot, then shut the kernel down and close the tab."""
    report = NotebookReport(variant=variant, notebook=rel_path)
    t0 = time.monotonic()
    page.evaluate("path => { window.jupyterapp.commands.execute('docmanager:open', {path}); }", rel_path)
    kernel = page.evaluate(_OPEN_JS, [rel_path, timeout * 1000])
    report.seconds["open"] = round(time.monotonic() - t0, 1)
    t1 = time.monotonic()
    result = page.evaluate(_RUN_JS, [-1, timeout * 1000, 6000])
    if result["timedOut"]:
        report.problems.append(f"Run All did not finish within {timeout:.0f} s (kernel {kernel})")
    nb = page.evaluate(_MODEL_JS)
    # Run All stops at the first cell that raises unless it is tagged raises-exception. A student
    # pressing Run All sees exactly that, so it is a problem; then run the rest, to check it too.
    stopped_at = None
    rounds = 0
    while (j := first_unexecuted(nb)) is not None and rounds < 50 and not result["timedOut"]:
        rounds += 1
        prev = max((k for k in range(j) if nb["cells"][k]["cell_type"] == "code"
                    and nb["cells"][k].get("execution_count") is not None), default=None)
        if stopped_at is None:
            stopped_at = (prev, j)
        result = page.evaluate(_RUN_JS, [j, timeout * 1000, 6000])
        nb = page.evaluate(_MODEL_JS)
        if first_unexecuted(nb) == j:  # nothing moved: do not loop forever
            break
    if stopped_at is not None:
        prev, j = stopped_at
        src = _text(nb["cells"][prev]["source"]).strip().splitlines()[:1] if prev is not None else ["?"]
        report.problems.append(
            f"Run All stopped after cell {prev} ({src[0][:60]!r}) raised: cell {j} and the cells below it "
            "never ran. A student pressing Run All sees the same. Cells expected to raise in the blank "
            "copy need the cell tag `raises-exception` (JupyterLab's Run All then goes on)."
        )
    left = first_unexecuted(nb)
    if left is not None:
        report.problems.append(f"cell {left} and maybe others never ran")
    report.seconds["run_all"] = round(time.monotonic() - t1, 1)
    analyse_outputs(nb, variant, report)
    t2 = time.monotonic()
    check_widgets(page, nb, report)
    report.seconds["widgets"] = round(time.monotonic() - t2, 1)
    screenshot_notebook(page, screenshot)
    report.screenshot = str(screenshot)
    close_notebook(page)
    report.seconds["total"] = round(time.monotonic() - t0, 1)
    return report


def close_notebook(page) -> None:
    """Shut down the kernel of the notebook under test and close its tab without a prompt."""
    page.evaluate(
        """async () => {
          const p = window.__nncourse_panel;
          if (!p || p.isDisposed) return;
          await p.sessionContext.shutdown();
          p.context.model.dirty = false;
          p.dispose();
          window.__nncourse_panel = null;
        }"""
    )


def copy_notebooks(src: Path, dest: Path) -> None:
    """Copy a notebooks folder (course/ or solutions/) without checkpoints or caches."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
