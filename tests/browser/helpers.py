"""Helpers shared by the browser tests: sign in without the login form, save screenshots."""

import os
import time
from pathlib import Path

from django.conf import settings
from django.test import Client

SCREENSHOTS = Path(
    os.environ.get("VORONKA_SHOTS", Path(__file__).resolve().parents[2] / "screenshots")
)


def sign_in(page, user, language="ru"):
    """Give the browser a session for `user` and the language cookie (the login form itself is
    covered by test_login_language.py)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [
            {"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": page.base_url},
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": page.base_url},
        ]
    )


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG (under screenshots/, or $VORONKA_SHOTS) for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_until(page, expression: str, timeout_ms: int = 30_000) -> None:
    """Wait until a JavaScript expression is true. Playwright's wait_for_function evaluates its
    text with eval inside the page, which the Content-Security-Policy forbids (as it should);
    page.evaluate goes through the DevTools protocol, which the policy does not govern."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"Still false after {timeout_ms} ms: {expression}")
        page.wait_for_timeout(100)
