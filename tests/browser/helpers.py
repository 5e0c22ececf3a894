"""Helpers shared by the browser tests: sign in without the login form, save screenshots."""

import os
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
