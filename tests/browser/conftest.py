"""Headless Chromium for end-to-end tests, driven by Playwright.

Debian's ``chromium`` is used as installed (Playwright cannot download its own
browsers here). Tests skip, saying why, only where no browser can be had.
"""

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

# Playwright's sync API runs an event loop in the test thread; the ORM calls a
# test makes between browser steps are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright missing")
    executable = chromium_path()
    if not executable:
        pytest.skip("no Chromium: install Debian's chromium package to run this test")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class PageProblems:
    """What went wrong while a page was open: console errors, failed requests."""

    def __init__(self) -> None:
        self.console_errors: list[str] = []
        self.failed_requests: list[str] = []
        self.page_errors: list[str] = []

    def __bool__(self) -> bool:
        return bool(self.console_errors or self.failed_requests or self.page_errors)

    def __repr__(self) -> str:
        return json.dumps(vars(self), indent=2)


BACKGROUND = frozenset({"fetch", "xhr", "ping", "beacon"})


def watch(page) -> PageProblems:
    """Record ``page``'s console errors, uncaught errors and failed requests
    on ``page.problems`` (also returned)."""
    problems = PageProblems()
    page.on(
        "console",
        lambda message: (
            problems.console_errors.append(message.text)
            if message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))

    def failed(req) -> None:
        # A background lookup (the near-duplicates panel's, a heartbeat) cut
        # short because the page was left is not a failure anyone sees.
        if req.failure == "net::ERR_ABORTED" and req.resource_type in BACKGROUND:
            return
        problems.failed_requests.append(f"{req.method} {req.url} {req.failure}")

    page.on("requestfailed", failed)
    page.on(
        "response",
        lambda response: (
            problems.failed_requests.append(f"{response.status} {response.url}")
            if response.status >= 400
            else None
        ),
    )
    page.problems = problems
    return problems


@pytest.fixture
def page(browser, request) -> Iterator:
    """A fresh browser context and page; its problems are on ``page.problems``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch(page)
    yield page
    context.close()


@pytest.fixture
def artifacts(request) -> Path:
    """A folder for this test's screenshots, kept after the run."""
    folder = ARTIFACTS / request.node.name.replace("/", "_")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.skip("axe-core missing: run `npm ci` to check accessibility")
    return AXE.read_text()


@pytest.fixture
def axe(axe_source):
    """Run axe-core on the open page and return its violations."""

    def run(page) -> list[dict]:
        # Evaluated rather than injected as a <script>, so a strict
        # Content-Security-Policy on the page does not block it.
        page.evaluate(axe_source)
        result = page.evaluate("async () => await axe.run(document)")
        return [
            {
                "id": violation["id"],
                "impact": violation["impact"],
                "help": violation["help"],
                "nodes": [node["target"] for node in violation["nodes"]],
            }
            for violation in result["violations"]
        ]

    return run
