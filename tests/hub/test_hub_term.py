"""An instructor's term on a real JupyterHub, end to end, on 127.0.0.1 (issue 18).

deploy/jupyterhub/install.sh installs into a temporary prefix: an instructor and four students
as Unix users, nbgrader's exchange, the course environment (offline: on this environment's
packages). JupyterHub runs with the real configurable-http-proxy and starts each user's server as
that user. Then, in order: the instructor publishes 01; ann and bob, each through their own server's
API (nbgrader's REST handlers and the contents API), fetch it, fill it (ann correctly, bob with the
predictions' sign flipped) and submit; cy does the same in a real Chromium (log in, the Assignments
tab, run the check cell, submit, her notebook left blank); dee never submits. The instructor
collects (bob is late: the term file's due date has passed and he has no extension), the driver
grades as root, the instructor returns the feedback, each student fetches it and it shows their
score; the export lists dee as missing and applies bob's late penalty; ``report --term`` renders,
and Chromium shows it and a feedback page without console errors.

The hub, the servers, the users and the prefix are removed at the end, pass or fail. It needs root
(it creates users and runs the hub as root) and configurable-http-proxy installed beforehand
(``bash test.sh`` installs it into ``.venv/proxy`` with npm and puts it on PATH; or NNCOURSE_CHP):
nothing is downloaded while it runs.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
import pytest

from autograder.notebooks import solution_path

from .hub import PASSWORD, SYSTEM_PYTHON, HubUnderTest, find_proxy

A = "01_perceptron"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WRONG_PREDICT = '''def perceptron_predict(X, w, b):
    return np.where(X @ w + b > 0, -1, 1)   # sign flipped
'''
pytestmark = [pytest.mark.slow]


def _in_ci() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("NNCOURSE_CI"))


def _unavailable(msg: str):
    if _in_ci():
        pytest.fail(msg + " (CI is set: the end-to-end hub test must run in CI)")
    pytest.skip(msg)


@pytest.fixture(scope="module")
def hub(request):
    if os.geteuid() != 0:
        pytest.skip("needs root: the end-to-end hub test creates Unix users and runs JupyterHub as root")
    proxy = find_proxy()
    if proxy is None:
        _unavailable("configurable-http-proxy is missing: bash test.sh installs it with npm into .venv/proxy "
                     "(or npm install --prefix DIR configurable-http-proxy@5.3.0 and set NNCOURSE_CHP)")
    if not SYSTEM_PYTHON.exists():
        _unavailable(f"{SYSTEM_PYTHON} is missing (the users' servers need a Python they can run)")
    h = HubUnderTest(["ann", "bob", "cy", "dee"])

    def cleanup():
        problems = h.cleanup()
        assert not problems, problems

    request.addfinalizer(cleanup)
    h.install(proxy)
    h.ann, h.bob, h.cy, h.dee = h.students
    due = datetime.now(UTC) - timedelta(hours=1)
    (h.course / "term.toml").write_text(
        f"[due]\n{A} = {due.isoformat()}\n[late]\npenalty_per_day = 0.1\n"
        f"[extensions]\n{h.ann} = {{ days = 1 }}\n{h.cy} = {{ days = 1 }}\n")
    (h.course / "roster.csv").write_text("username\n" + "\n".join(h.students) + "\n")
    subprocess.run(["chown", f"{h.instructor}:formgrade-nncourse", str(h.course / "term.toml"),
                    str(h.course / "roster.csv")], check=True)
    h.start()
    return h


def ok(out: subprocess.CompletedProcess) -> str:
    assert out.returncode == 0, f"exit {out.returncode}\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out.stdout


def solution_code(name: str) -> str:
    nb = nbformat.read(solution_path(A), as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == name)
    return "\n".join(line for line in cell.source.splitlines() if "### " not in line)


def fill(hub: HubUnderTest, user: str, answers: dict[str, str]) -> None:
    """Fetch, fill and submit through ``user``'s own server."""
    out = hub.user_api(user, "POST", "assignments/fetch", {"course_id": "nncourse", "assignment_id": A})
    assert out["success"] and out["value"][0]["status"] == "fetched", out
    path = f"api/contents/{A}/{A}.ipynb"
    model = hub.user_api(user, "GET", path)
    for cell in model["content"]["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    hub.user_api(user, "PUT", path, {"type": "notebook", "format": "json", "content": model["content"]})
    out = hub.user_api(user, "POST", "assignments/submit", {"course_id": "nncourse", "assignment_id": A})
    assert out["success"], out
    assert any(a["status"] == "submitted" for a in out["value"]), out


@pytest.mark.timeout(120)
def test_deploy_and_publish(hub):
    home = hub.home(hub.instructor)
    groups = subprocess.run(["id", "-nG", hub.instructor], capture_output=True, text=True).stdout.split()
    assert "formgrade-nncourse" in groups
    for s in hub.students:
        assert (hub.home(s) / "nncourse").is_dir()
        assert hub.home(s).stat().st_uid != 0
    assert oct(hub.exchange.stat().st_mode & 0o777) == "0o777"
    assert hub.api("GET", "/hub/api/")["version"].startswith("6.")
    out = ok(hub.as_instructor("publish", A, "--course-dir", str(hub.course), "--exchange", str(hub.exchange)))
    assert f"published {A}" in out and "(due " in out
    released = hub.exchange / "nncourse" / "outbound" / A / f"{A}.ipynb"
    assert "BEGIN SOLUTION" not in released.read_text()
    assert (hub.course / "release" / A).is_dir() and home.is_dir()


@pytest.mark.timeout(180)
def test_students_fetch_fill_and_submit_through_their_servers(hub):
    for s in (hub.ann, hub.bob):
        hub.api("POST", f"/hub/api/users/{s}/server")
    for s in (hub.ann, hub.bob):
        hub.start_server(s)
    right = {"perceptron_predict": solution_code("perceptron_predict"),
             "perceptron_epoch": solution_code("perceptron_epoch")}
    fill(hub, hub.ann, right)
    fill(hub, hub.bob, {**right, "perceptron_predict": WRONG_PREDICT})
    # each server ran as its user: the fetched notebook and the submission are theirs
    for s in (hub.ann, hub.bob):
        nb = hub.home(s) / "nncourse" / A / f"{A}.ipynb"
        assert nb.stat().st_uid == hub.home(s).stat().st_uid
    inbound = list((hub.exchange / "nncourse" / "inbound").iterdir())
    assert sorted(p.name.split("+")[0] for p in inbound) == sorted([hub.ann, hub.bob])
    # students' servers have the Assignments tab but not the formgrader
    with pytest.raises(urllib.error.HTTPError) as err:
        hub.user_api(hub.ann, "GET", "formgrader")
    assert err.value.code == 404


def check_output(path: Path, name: str) -> str:
    """The text output of the check cell ``run_check("NAME", ...)`` in the notebook at ``path``."""
    try:
        nb = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return ""
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and f'run_check("{name}"' in "".join(cell["source"]):
            return "".join("".join(o.get("text", "")) + o.get("evalue", "") + "".join(
                (o.get("data") or {}).get("text/plain", "")) for o in cell.get("outputs", []))
    return ""


def notebook_errors(path: Path) -> list:
    """``(cell index, ename, evalue)`` of every error output in the notebook at ``path``, and how
    many code cells ran (for a failure's message)."""
    try:
        nb = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        return [f"unreadable: {exc}"]
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    ran = sum(1 for c in code if c.get("execution_count"))
    return [f"{ran} of {len(code)} code cells ran"] + [
        (i, o.get("ename"), o.get("evalue")) for i, c in enumerate(nb["cells"])
        for o in c.get("outputs", []) if o.get("output_type") == "error"]


def _chromium_or_skip():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: bash scripts/install_browser.sh (never `playwright install`)")


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_a_student_in_chromium_logs_in_fetches_runs_a_check_and_submits(hub, tmp_path):
    """cy: the login page, the Assignments tab (Fetch), her notebook opened from there, Run All
    (the check cell shows that perceptron_predict is not written yet), then Submit."""
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(60_000)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(hub.url + "/hub/login")
            page.fill("#username_input", hub.cy)
            page.fill("#password_input", PASSWORD)
            page.click("#login_submit")
            page.wait_for_selector("#jp-main-dock-panel", timeout=150_000)   # her server, spawned
            assert page.url.startswith(f"{hub.url}/user/{hub.cy}/lab")
            page.click(".lm-MenuBar-itemLabel:text-is('Nbgrader')")
            page.click(".lm-Menu-itemLabel:text-is('Assignment List')")
            page.click(f"#released_assignments_list .list_item:has-text('{A}') button:text-is('Fetch')")
            fetched = page.locator(f"#fetched_assignments_list .list_item:has-text('{A}')").first
            fetched.locator("a.assignment-notebooks-link").click()
            fetched.locator(f".nested_list_item a:text-is('{A}')").click()
            page.wait_for_selector(".jp-Notebook .jp-Cell")
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
            # Run All and Ctrl+S act on the focused notebook: focus it, as she would by clicking in it
            first_cell = page.locator(".jp-Notebook .jp-Cell").first
            first_cell.click()
            page.click(".lm-MenuBar-itemLabel:text-is('Run')")
            page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
            # The check cell under perceptron_predict prints its verdict (the stub is not written).
            # JupyterLab renders only the cells in view, so read it from the notebook she saves.
            saved = hub.home(hub.cy) / "nncourse" / A / f"{A}.ipynb"
            deadline = time.monotonic() + 120
            verdict = ""
            while not verdict and time.monotonic() < deadline:
                page.wait_for_timeout(2000)
                first_cell.click()
                page.keyboard.press("Control+s")
                page.wait_for_timeout(500)
                verdict = check_output(saved, "perceptron_predict")
            assert "✗ perceptron_predict" in verdict, verdict or (
                f"no output in the check cell; the saved notebook's errors: {notebook_errors(saved)}; "
                f"page errors: {errors}")
            page.screenshot(path=str(tmp_path / "cy_notebook.png"))
            page.click(".lm-TabBar-tab:has-text('Assignments')")
            page.click(f"#fetched_assignments_list .list_item:has-text('{A}') button:text-is('Submit')")
            page.wait_for_selector(f"#submitted_assignments_list .list_item:has-text('{A}')", timeout=60_000)
        finally:
            browser.close()
    assert not errors, errors
    inbound = [p.name for p in (hub.exchange / "nncourse" / "inbound").iterdir()]
    assert any(name.startswith(f"{hub.cy}+{A}+") for name in inbound)


@pytest.mark.timeout(300)
def test_collect_grade_and_return(hub):
    if not any(p.name.startswith(hub.cy) for p in (hub.exchange / "nncourse" / "inbound").iterdir()):
        # the browser test was skipped: cy submits her blank notebook through her server's API
        hub.start_server(hub.cy)
        fill(hub, hub.cy, {})
    out = ok(hub.as_instructor("collect", A, "--course-dir", str(hub.course), "--exchange", str(hub.exchange)))
    assert f"{A}: 2 on time, 1 late, 1 missing" in out, out
    assert f"late: {hub.bob} (1 day)" in out and f"not submitted: {hub.dee}" in out
    # the driver grades as root (full isolation), then hands the files back to the instructors
    t0 = time.monotonic()
    grade = subprocess.run([sys.executable, "-m", "autograder", "grade", A, "--course-dir", str(hub.course),
                            "--jobs", "2"], capture_output=True, text=True, timeout=240)
    ok(grade)
    graded_in = time.monotonic() - t0
    subprocess.run(["chown", "-R", f"{hub.instructor}:formgrade-nncourse", str(hub.course)], check=True)
    rows = list(csv.DictReader(open(hub.course / "reports" / "grades.csv")))
    totals = {}
    for r in rows:
        totals[r["student"]] = totals.get(r["student"], 0.0) + float(r["score"])
    assert totals == {hub.ann: 5.0, hub.bob: 3.0, hub.cy: 0.0}, (totals, graded_in)
    out = ok(hub.as_instructor("return", A, "--course-dir", str(hub.course), "--exchange", str(hub.exchange)))
    assert "feedback returned to 3 student(s)" in out, out


@pytest.mark.timeout(120)
def test_students_fetch_their_feedback_with_their_score(hub):
    for s, score in ((hub.ann, "5 / 5"), (hub.bob, "3 / 5"), (hub.cy, "0 / 5")):
        out = hub.user_api(s, "POST", "assignments/fetch_feedback", {"course_id": "nncourse", "assignment_id": A})
        assert out["success"], out
        pages = list((hub.home(s) / "nncourse" / A / "feedback").glob(f"*/{A}.html"))
        assert len(pages) == 1, (s, pages)
        page = pages[0].read_text()
        assert f"Your score: <strong>{score}</strong>" in page, s
        assert "BEGIN HIDDEN TESTS" not in page and "cdnjs" not in page
        assert pages[0].stat().st_uid == hub.home(s).stat().st_uid
    bob = next((hub.home(hub.bob) / "nncourse" / A / "feedback").glob(f"*/{A}.html")).read_text()
    assert "wrong_sign" in bob


@pytest.mark.timeout(180)
def test_export_lists_the_missing_student_and_report_term_renders(hub, tmp_path):
    out = ok(hub.as_instructor("export", "--course-dir", str(hub.course)))
    assert f"{A}: missing {hub.dee}" in out, out
    canvas = list(csv.reader(open(hub.course / "reports" / "export" / "canvas_import.csv")))
    assert canvas[1][5:] == ["5"]
    points = {r[3]: r[5] for r in canvas[2:]}
    assert points == {hub.ann: "5", hub.bob: "2.7", hub.cy: "0", hub.dee: "0"}   # bob: 1 day late, -10%
    terms = {r["student"]: r for r in csv.DictReader(open(hub.course / "reports" / "export" / "term_grades.csv"))}
    assert terms[hub.bob]["raw_score"] == "3" and terms[hub.dee]["status"] == "missing"
    nb_csv = list(csv.DictReader(open(hub.course / "reports" / "export" / "nbgrader_grades.csv")))
    assert {r["student_id"] for r in nb_csv} >= {hub.ann, hub.bob, hub.cy}
    out = ok(hub.as_instructor("report", "--term", "--course-dir", str(hub.course)))
    term = hub.course / "reports" / "term.html"
    page = term.read_text()
    assert f"<th>{hub.dee}</th>" in page and 'class="missing"' in page
    assert re.search(rf"no submission for {A}", page)
    for s in (hub.ann, hub.bob, hub.cy):
        assert f'href="../feedback/{s}/{A}/{A}.html"' in page
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: the report and feedback screenshots need it")
    from playwright.sync_api import sync_playwright

    problems = []
    shots = Path(os.environ.get("NNCOURSE_SCREENSHOTS", tmp_path))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: problems.append(f"network: {r.url}")
                    if not r.url.startswith(("file://", "data:")) else None)
            page.goto(term.as_uri())
            assert page.is_visible("#grid")
            page.screenshot(path=str(shots / "term.png"), full_page=True)
            page.click(f"#grid a[href='../feedback/{hub.bob}/{A}/{A}.html']")
            page.wait_for_function("window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0"
                                   " && document.querySelectorAll('span.MathJax').length > 10", timeout=60_000)
            assert page.is_visible("table.nncourse-summary")
            page.screenshot(path=str(shots / "feedback.png"))
        finally:
            browser.close()
    assert problems == []
    assert json.loads((hub.prefix / "etc" / "nncourse_hub.json").read_text())["students"] == hub.students
