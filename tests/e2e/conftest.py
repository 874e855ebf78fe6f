"""Fixtures for the browser journeys: Chromium against pytest-django's live_server.

Playwright's sync API runs an event loop in the test thread, and Django refuses ORM
calls from a thread with a running loop; the tests here set up data with the ORM
while the browser runs, which is safe because the live server has its own thread
(see orm_beside_playwright).
"""

import os
import re
from pathlib import Path

import pytest

from tests.e2e.browser import (
    AXE_JS,
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    TIMEOUT_MS,
    axe_violations,
    format_violations,
    horizontal_overflow,
    log_in_context,
)

# Where a failing test leaves a screenshot of each of its pages.
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", "/tmp/e2e-artifacts"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.e2e_failed = report.failed
    return report


def save_failure_screenshots(request, contexts):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    for c, context in enumerate(contexts):
        for p, page in enumerate(context.pages):
            path = ARTIFACTS / f"{name}-{c}{p}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
                print(f"screenshot of {page.url}: {path}")
            except Exception as exc:  # a crashed page must not hide the failure
                print(f"no screenshot of {page.url}: {exc}")


@pytest.fixture(scope="session", autouse=True)
def orm_beside_playwright():
    """Let the test thread use the ORM while Playwright's loop runs, for the
    browser tests only: set up first and torn down last, so it also covers the
    live server's and the database's teardown."""
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if before is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(autouse=True)
def fresh_rate_limits(db):
    """The rate-limit counters live in the cache, which a flush does not empty;
    every journey starts with none spent."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"The browser tests need Chromium at {CHROMIUM}")
    from playwright.sync_api import expect, sync_playwright

    # As patient as the actions (5 s is tight on a busy 2-core CI machine).
    expect.set_options(timeout=TIMEOUT_MS)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class BrowserProblems:
    """Uncaught exceptions and console errors (CSP violations among them)."""

    def __init__(self):
        self.items = []

    def watch(self, page):
        page.on("pageerror", lambda exc: self.items.append(f"{page.url}: {exc}"))
        page.on("console", lambda message: self._console(page, message))

    def _console(self, page, message):
        # Error pages log "Failed to load resource: ... 404"; the tests that open
        # them on purpose assert the status code themselves.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.items.append(f"{page.url}: {message.text}")


@pytest.fixture
def new_context(request, browser, live_server):
    """new_context(**options) opens an independent browser session (1280 px wide
    unless told) that is closed after the test; the test fails if any of its pages
    threw a JavaScript error or broke the Content-Security-Policy."""
    opened = []
    problems = BrowserProblems()

    def open_context(viewport=DESKTOP, **options):
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport, **options
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        context.on("page", problems.watch)
        opened.append(context)
        return context

    yield open_context
    if getattr(request.node, "e2e_failed", False):
        save_failure_screenshots(request, opened)
    for context in opened:
        context.close()
    assert not problems.items, "The browser reported errors:\n" + "\n".join(
        problems.items
    )


@pytest.fixture
def page(new_context):
    """A page in a fresh anonymous session."""
    return new_context().new_page()


@pytest.fixture
def page_as(new_context, live_server):
    """page_as(user, **options) -> a page in a new session logged in as `user`."""

    def open_page(user, **options):
        return log_in_context(new_context(**options), user, live_server.url).new_page()

    return open_page


@pytest.fixture
def audit(new_context, live_server):
    """audit(path, user=None, status=200, then=None) -> a list of problems with
    one page: serious or critical axe violations at 1280 px, and any width beyond
    a 375 px screen. `then(page)` brings the page into the state to check (fills a
    form, clicks through a step). Axe runs in a session that bypasses the CSP,
    used only for this check."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci` (make test-e2e does).")
    pages = {}

    def check(path, user=None, status=200, then=None):
        key = user.pk if user else None
        if key not in pages:
            context = new_context(bypass_csp=True)
            if user is not None:
                log_in_context(context, user, live_server.url)
            pages[key] = context.new_page()
        page = pages[key]
        page.set_viewport_size(DESKTOP)
        response = page.goto(path)
        problems = []
        if response.status != status:
            problems.append(f"{path} answered {response.status}, not {status}")
        if then is not None:
            then(page)
        where = f"{path}{' after ' + then.__name__ if then else ''}"
        violations = axe_violations(page)
        if violations:
            problems.append(format_violations(where, violations))
        page.set_viewport_size(PHONE)
        overflow = horizontal_overflow(page)
        if overflow > 0:
            problems.append(f"{where} is {overflow} px wider than a 375 px screen")
        return problems

    return check
