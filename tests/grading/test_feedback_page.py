"""The feedback page a student reads: a summary at the top, no hidden tests, no widget scripts,
and MathJax from this machine, rendered by a real Chromium from file:// with no console error.

The page is made by nbgrader's own feedback template (as ``GenerateFeedback`` configures it) from
the solution notebook of 01, with nbgrader's grades and the re-check's verdicts hand-written: no
grading run, so every score here is chosen.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from autograder.grading.feedback import DEFAULT_NEXT, NEXT_STEPS, RedactGradedCells
from autograder.grading.mathjax import install_mathjax, localize_mathjax
from autograder.notebooks import solution_path

A = "01_perceptron"
VERDICTS = {
    "perceptron_predict": {"feedback": "✗ perceptron_predict: predictions has the wrong sign\n(Score 0/2.)",
                           "message": "✗ perceptron_predict: predictions has the wrong sign: it is the "
                                      "negative of the expected result\n  case: hand-worked",
                           "score": 0.0, "points": 2, "diagnosis": "wrong_sign"},
    "perceptron_epoch": {"feedback": "✓ perceptron_epoch: all 5 hidden checks passed.\n(Score 3/3.)",
                         "message": "✓ perceptron_epoch: all 5 hidden checks passed.",
                         "score": 3.0, "points": 3, "diagnosis": None},
}


def graded_notebook():
    """The solution notebook as nbgrader's GetGrades leaves it: scores in the graded cells'
    metadata; plus a widget output (ipywidgets' interact) in a demo cell."""
    nb = nbformat.read(solution_path(A), as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            name = meta["grade_id"].removesuffix("_tests")
            meta["score"], meta["points"] = VERDICTS[name]["score"], VERDICTS[name]["points"]
    demo = next(c for c in nb.cells if c.cell_type == "code" and not c.metadata.get("nbgrader"))
    demo.outputs = [nbformat.v4.new_output("execute_result", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2, "version_minor": 0},
        "text/plain": "interactive(children=(IntSlider(value=3),))"}, execution_count=1)]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


def feedback_html(tmp_path: Path, monkeypatch) -> str:
    import nbgrader
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    verdicts = tmp_path / "feedback.json"
    verdicts.write_text(json.dumps(VERDICTS))
    monkeypatch.setenv("NNCOURSE_FEEDBACK", str(verdicts))
    templates = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"
    c = Config()
    c.HTMLExporter.template_name = "feedback"
    c.HTMLExporter.extra_template_basedirs = [str(templates)]
    c.HTMLExporter.extra_template_paths = [str(templates.parent / "static" / "node_modules" / "bootstrap"
                                               / "dist" / "css")]
    exporter = HTMLExporter(config=c)
    exporter.register_preprocessor(RedactGradedCells(), enabled=True)
    body, _ = exporter.from_notebook_node(graded_notebook(), resources={
        "nbgrader": {"notebook": A, "score": 3.0, "max_score": 5.0, "late_penalty": 0}})
    return body


@pytest.fixture
def page(tmp_path, monkeypatch):
    return feedback_html(tmp_path, monkeypatch)


def test_summary_at_the_top_says_score_diagnosis_and_what_to_do(page):
    summary = page.split('id="Summary"', 1)[1].split("</table>", 1)[0]
    assert page.index('id="Summary"') < page.index("The perceptron")         # before the notebook
    assert "Your score: <strong>3 / 5</strong>" in summary
    rows = summary.split("<tr>")[2:]
    assert "perceptron_predict" in rows[0] and "0 / 2" in rows[0] and "wrong_sign" in rows[0]
    assert "predictions has the wrong sign: it is the negative of the expected result" in rows[0]
    assert "case: hand-worked" not in rows[0] and "✗" not in rows[0]          # one sentence
    assert DEFAULT_NEXT.split(":")[0] in rows[0]
    assert "perceptron_epoch" in rows[1] and "3 / 3" in rows[1] and "passed" in rows[1]
    assert NEXT_STEPS[None].split(":")[0] in rows[1]


def test_no_hidden_tests_no_widget_script_and_no_cdn_after_localizing(page):
    assert "BEGIN HIDDEN TESTS" not in page
    assert "var element = $(" not in page and "widget-view+json" not in page
    assert "interactive(children=(IntSlider" in page                            # the text fallback
    assert "cdnjs.cloudflare.com" in page                                        # nbgrader's template
    local = localize_mathjax(page)
    assert "cdnjs" not in local and "../../../mathjax/MathJax.js" in local
    assert local.count("<script") == page.count("<script")


def test_install_mathjax_copies_once(tmp_path):
    dest = install_mathjax(tmp_path)
    assert dest == tmp_path / "mathjax" and (dest / "MathJax.js").exists()
    assert (dest / "config" / "TeX-AMS-MML_HTMLorMML-full.js").exists()
    assert (dest / "fonts" / "HTML-CSS" / "STIX-Web" / "woff").is_dir()
    assert not (dest / "jax" / "output" / "SVG").exists()
    stamp = (dest / ".version").stat().st_mtime_ns
    assert install_mathjax(tmp_path) == dest and (dest / ".version").stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == ["mathjax"]                  # no temporary left


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.timeout(120)
def test_feedback_page_renders_its_maths_offline_in_chromium(tmp_path, monkeypatch):
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing (bash scripts/install_browser.sh); CI must run this test")
        pytest.skip(f"{CHROMIUM} is missing: bash scripts/install_browser.sh")
    from playwright.sync_api import sync_playwright

    course = tmp_path / "course"
    fb = course / "feedback" / "ann" / A
    fb.mkdir(parents=True)
    (fb / f"{A}.html").write_text(localize_mathjax(feedback_html(tmp_path, monkeypatch)))
    install_mathjax(course)
    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: problems.append(f"network: {r.url}")
                    if not r.url.startswith(("file://", "data:")) else None)
            page.goto((fb / f"{A}.html").as_uri())
            page.wait_for_function("window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0"
                                   " && document.querySelectorAll('span.MathJax').length > 10", timeout=60_000)
            text = page.inner_text("body")
            assert "$b + w_1" not in text                                        # typeset, not raw
            assert page.is_visible("table.nncourse-summary")
            page.screenshot(path=str(tmp_path / "feedback.png"))
        finally:
            browser.close()
    assert problems == []


@pytest.mark.browser
@pytest.mark.timeout(120)
def test_feedback_page_on_a_students_jupyter_server_uses_its_mathjax(tmp_path, monkeypatch):
    """Where fetch_feedback puts the page (``<A>/feedback/<time>/<A>.html`` in the student's
    server's folder), opened through the server (``/user/NAME/files/...``, which serves it
    sandboxed): MathJax comes from the server's jupyter-server-mathjax, with no console error."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing (bash scripts/install_browser.sh); CI must run this test")
        pytest.skip(f"{CHROMIUM} is missing: bash scripts/install_browser.sh")
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from playwright.sync_api import sync_playwright

    root = tmp_path / "nncourse"
    fb = root / A / "feedback" / "2026-10-05 20:00:00.000000 UTC"
    fb.mkdir(parents=True)
    (fb / f"{A}.html").write_text(localize_mathjax(feedback_html(tmp_path, monkeypatch)))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}/user/bob/"
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", "--no-browser", "--allow-root", f"--port={port}",
         "--ip=127.0.0.1", f"--ServerApp.root_dir={root}", "--ServerApp.base_url=/user/bob/",
         "--IdentityProvider.token=", "--ServerApp.allow_origin=*", "--ServerApp.disable_check_xsrf=True"],
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "server.log", "wb"), start_new_session=True,
        env={**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")})
    problems, scripts = [], []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "api/status", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, (tmp_path / "server.log").read_text()
                time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            try:
                page = browser.new_page()
                page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
                page.goto(base + f"files/{A}/feedback/{fb.name}/{A}.html".replace(" ", "%20"))
                page.wait_for_function("window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0"
                                       " && document.querySelectorAll('span.MathJax').length > 10",
                                       timeout=60_000)
            finally:
                browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert scripts and scripts[0].startswith(base + "static/jupyter_server_mathjax/MathJax.js")
    assert all(u.startswith(base) for u in scripts), scripts
    assert problems == []
