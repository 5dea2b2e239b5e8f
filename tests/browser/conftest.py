"""Browser tests: Playwright (sync) driving Debian's Chromium against pytest-django's live server.

Run with `pytest -m browser -p no:xdist tests/browser`. No browser is ever downloaded: the system
Chromium at /usr/bin/chromium is launched headless.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopdesk.core.testing import build_world

# Playwright's sync API keeps an event loop in this thread; Django would take every ORM call made
# by a test (building the world, checking the database) for async code and refuse it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("LOOPDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
SCREENSHOT_DIR = Path(os.environ.get("LOOPDESK_SCREENSHOT_DIR", "/tmp/loopdesk-screenshots"))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def world(transactional_db, live_server):
    """The standard test network, committed so the live server's thread sees it."""
    return build_world()


class Session:
    """One signed-in browser: a fresh context (own cookies) and its page."""

    def __init__(self, browser, base_url: str, language: str = "zh-CN"):
        self.context = browser.new_context(base_url=base_url, locale=language, viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()

    def login(self, username: str, password: str) -> None:
        page = self.page
        page.goto("/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert "/login/" not in page.url, f"sign-in failed for {username}"

    def screenshot(self, name: str) -> Path:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_session(browser, live_server) -> Iterator:
    """open_session(user) → a Session signed in as `user` (password: the world's)."""
    sessions: list[Session] = []

    def open_(user, *, password: str, language: str = "zh-CN") -> Session:
        session = Session(browser, live_server.url, language)
        session.login(user.username, password)
        sessions.append(session)
        return session

    yield open_
    for session in sessions:
        session.close()
