"""Browser fixtures for the end-to-end tests: Debian's Chromium driven by Playwright's sync API.

Playwright's browser download is not used; the tests run against /usr/bin/chromium and skip
(or, with REQUIRE_BROWSER set, fail) when it is missing.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def _unavailable(reason: str) -> None:
    if os.environ.get("REQUIRE_BROWSER"):
        pytest.fail(f"REQUIRE_BROWSER is set but {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip (or fail) a browser test before its fixtures build a database for nothing."""
    if item.get_closest_marker("browser") is None:
        return
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright package is not installed")


@pytest.fixture
def chromium_page(live_server, transactional_db, monkeypatch, settings, tmp_path) -> Iterator:
    """A fresh page in headless Chromium, for one test against `live_server`.

    Depends on `live_server` and `transactional_db` so the database and server exist before
    Playwright starts. Playwright's sync API keeps an asyncio loop marked as running in this
    thread, so Django would refuse ORM calls from the test body (SynchronousOnlyOperation);
    DJANGO_ALLOW_ASYNC_UNSAFE is set for this test only, not for the rest of the session.
    Uploaded files go under tmp_path, not var/media.
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.set_default_timeout(20_000)
            yield page
            context.close()
        finally:
            browser.close()
            # The test body's ORM calls ran while Playwright's loop was marked running, on
            # connections of their own: close them, or they outlive the test database.
            connections.close_all()


@pytest.fixture
def artifacts_dir() -> Path:
    """tests/artifacts (git-ignored): screenshots a human can look at after a run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
