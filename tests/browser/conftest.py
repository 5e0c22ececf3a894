"""Real-browser tests: Playwright for Python driving Debian's Chromium against a live server.

Run with `pytest -m browser`; `.ci/run` installs Chromium when it is missing. Never downloads a
browser: the executable is /usr/bin/chromium (or CHROMIUM_PATH).
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop in the main thread; the ORM calls in the tests are
# still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def database_before_the_server(transactional_db):
    """Set up the test database before the live server answers, whatever the test order."""


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="ru-RU")
    page = context.new_page()
    # Generous: the CI machine is shared and the live server's first answer can be slow.
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(60_000)
    page.base_url = live_server.url
    yield page
    context.close()


@pytest.fixture
def login(page):
    """Sign in through the login form: login(user, password="pass-Word-123")."""

    def sign_in(user, password="pass-Word-123"):
        page.goto(f"{page.base_url}/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page

    return sign_in
