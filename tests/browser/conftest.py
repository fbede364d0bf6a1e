"""Browser fixtures: one JupyterLab and one chromium for the session, a fresh page per test.

Skips (with the reason) where Debian's chromium is missing; ``make test-deps`` installs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.lab import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMINGS,
    VIEWPORT,
    Lab,
    LabPage,
    start_lab,
)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TIMINGS:
        terminalreporter.section("browser timings")
        for test, what, seconds in TIMINGS:
            terminalreporter.write_line(f"{test:<52} {what:<46} {seconds:6.2f} s")


# Module scope, not session: while Playwright's sync API is open it leaves its event loop marked
# as running on the main thread, and every later test that calls asyncio.run() would fail.
@pytest.fixture(scope="module")
def lab_app() -> str:
    """Which Jupyter app serves this module's pages (a module overrides it: ``notebook``)."""
    return "lab"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, lab_app: str) -> Iterator[Lab]:
    """``jupyter lab`` (or ``lab_app``) on a temporary folder (tests copy notebooks in), stopped
    with its kernels."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (`make test-deps` does)")
    root = tmp_path_factory.mktemp(f"{lab_app}-root")
    server = start_lab(root, tmp_path_factory.mktemp(f"{lab_app}-home"), app=lab_app)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(lab: Lab) -> Iterator[Any]:
    """Debian's chromium, headless (Playwright's own browser download cannot work here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def lab_page(lab: Lab, browser: Any) -> Iterator[LabPage]:
    """A fresh browser context (no shared cookies or storage) with one page."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield LabPage(lab, page)
    finally:
        context.close()
