"""The course in a real JupyterLab, driven by a real browser (Debian's Chromium through Playwright).

For every notebook of ``course/`` (the blank student copies) and of ``solutions/``: open it in
JupyterLab, Run All, and check what a student sees:

- no cell raises or writes to stderr, except, in a blank copy, the check and graded cells
  (``run_check(`` / ``grade(``), whose message must be short and friendly, not a traceback;
- a solution's visible checks print their success line (starting with ``✓``);
- every widget renders as a widget (not its text fallback), and moving one slider per widget
  (arrow key on its handle; a dropdown if it has no slider) redraws the figure in its cell.

A screenshot of each notebook goes to ``artifacts/screenshots/<variant>/<id>.png`` and a JSON report
(check messages, widgets moved, timings) to ``artifacts/browser/<variant>/<id>.json``.
"""

from __future__ import annotations

import json

import pytest
from _browser_helpers import ROOT, SOURCES, close_notebook, notebook_ids, open_lab, run_notebook

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "artifacts"


def _params(variant: str) -> list:
    ids = notebook_ids(SOURCES[variant])
    if not ids:
        return [pytest.param(variant, None, id=f"{variant}-none")]
    return [pytest.param(variant, a, id=f"{variant}-{a}") for a in ids]


@pytest.mark.timeout(900)
@pytest.mark.parametrize(("variant", "assignment"), _params("course") + _params("solution"))
def test_notebook_in_jupyterlab(variant, assignment, request):
    if assignment is None:
        pytest.fail(f"no notebooks <id>/<id>.ipynb in {SOURCES[variant]}: the browser test has nothing to do")
    lab = request.getfixturevalue("lab")
    page = request.getfixturevalue("lab_page")
    rel = f"{variant}/{assignment}/{assignment}.ipynb"
    shot = ARTIFACTS / "screenshots" / variant / f"{assignment}.png"
    errors_before = len(page.page_errors)
    try:
        report = run_notebook(page, rel, variant, shot)
    except Exception:
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot.with_name(f"{assignment}-failed.png")))
        print(f"JupyterLab log (last lines):\n{lab.log_tail()}")
        try:  # leave no kernel behind, and a clean page for the next notebook
            close_notebook(page)
        finally:
            open_lab(page, lab.url)
        raise
    report.problems += [f"uncaught error in the page: {e}" for e in page.page_errors[errors_before:]]
    out = ARTIFACTS / "browser" / variant / f"{assignment}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report.as_json(), indent=1, ensure_ascii=False))
    print(f"{rel}: {report.seconds}")
    for i, msg in report.check_messages.items():
        print(f"  check cell {i}: {msg.splitlines()[0] if msg else '(nothing)'}")
    for w in report.widgets:
        print(f"  {w}")
    assert not report.problems, f"{rel} in JupyterLab ({len(report.problems)} problem(s)):\n\n" + "\n\n".join(
        report.problems
    )
