"""Fixtures of the browser test: Debian's Chromium driven by Playwright, and a JupyterLab of its own.

The JupyterLab serves a temporary copy of ``course/`` and ``solutions/`` (as ``course/`` and
``solution/``), runs in its own process group and is stopped by that group's id when the test module ends,
pass or fail; its temporary folders are removed.
"""

from __future__ import annotations

import shutil

import pytest
from _browser_helpers import CHROMIUM, CHROMIUM_ARGS, SOURCES, LabServer, copy_notebooks, in_ci, open_lab

VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        msg = (f"{CHROMIUM} is missing: install Debian's chromium and chromium-driver with "
               "`bash scripts/install_browser.sh` (never `playwright install`)")
        if in_ci():
            pytest.fail(msg + " (CI is set: the browser test must run in CI)")
        pytest.skip(msg)
    return CHROMIUM


@pytest.fixture(scope="module")
def lab(tmp_path_factory, chromium):
    work = tmp_path_factory.mktemp("jupyterlab")
    root = work / "root"
    root.mkdir()
    for name, src in SOURCES.items():
        if src.is_dir():
            copy_notebooks(src, root / name)
    server = LabServer(root, work / "jupyter")
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def lab_page(browser, lab):
    """One JupyterLab page for the test module: each test opens its notebook in it and closes it again.

    Module-scoped, like ``browser``: Playwright's sync API keeps an event loop running while it is
    open, and other test files that start Playwright of their own (tests/term, tests/hub,
    tests/grading) must not find it still running."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.page_errors = []
    page.on("pageerror", lambda e: page.page_errors.append(str(e)))
    try:
        open_lab(page, lab.url)
        yield page
    finally:
        context.close()
