"""The term dashboard and a class report in a real Chromium, from file:// (as an instructor opens
them from the course directory): rendered, links to feedback that open, a screenshot each, no
console error and no request to the network. The course directory is hand-made
(tests/term/handmade.py); no grading run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.__main__ import main

from .handmade import A1, build

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


@pytest.fixture
def page_of(tmp_path):
    if not CHROMIUM.exists():
        if os.environ.get("CI") or os.environ.get("NNCOURSE_CI"):
            pytest.fail(f"{CHROMIUM} is missing (bash scripts/install_browser.sh); CI must run this test")
        pytest.skip(f"{CHROMIUM} is missing: bash scripts/install_browser.sh (never `playwright install`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.problems = []
            page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: page.problems.append(str(e)))
            page.on("request", lambda r: page.problems.append(f"network: {r.url}")
                    if not r.url.startswith(("file://", "data:")) else None)
            yield page
        finally:
            browser.close()


def test_term_dashboard_in_chromium(tmp_path, page_of):
    course = build(tmp_path / "course")
    assert main(["report", "--term", "--course-dir", str(course)]) == 0
    page = page_of
    page.goto((course / "reports" / "term.html").as_uri())
    assert page.locator("#grid tr").count() == 1 + 6                        # header + six students
    assert page.locator("#grid td.missing").count() == 4
    assert page.locator("#risk tr").count() == 1 + 4
    page.screenshot(path=str(tmp_path / "term.png"), full_page=True)
    page.click(f"#grid a[href='../feedback/cy/{A1}/{A1}.html']")
    assert page.url.endswith(f"/feedback/cy/{A1}/{A1}.html") and "cy 01_perceptron" in page.inner_text("body")
    assert page.problems == []


def test_class_report_in_chromium(tmp_path, page_of):
    course = build(tmp_path / "course")
    assert main(["report", A1, "--course-dir", str(course)]) == 0
    page = page_of
    page.goto((course / "reports" / f"{A1}_report.html").as_uri())
    images = page.locator("img")
    assert images.count() == 3
    for i in range(3):                                                       # every chart decoded
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 100")
    assert page.locator("#students tr").count() == 1 + 5
    page.screenshot(path=str(tmp_path / "class_report.png"), full_page=True)
    page.click(f"#students a[href='../feedback/ann/{A1}/{A1}.html']")
    assert "ann 01_perceptron" in page.inner_text("body")
    assert page.problems == []
