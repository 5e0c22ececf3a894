"""Sign-in lockouts in a real browser: five wrong passwords lock the account, an admin finds the
lockout under Settings, lifts it, and the user signs in."""

import pytest
from django.conf import settings

from tests.browser.helpers import screenshot, sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pass-Word-123"


def try_password(page, username, password):
    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("language", ["ru", "en"])
def test_an_admin_lifts_a_lockout_from_the_settings_page(browser, live_server, language):
    UserFactory(username="anna", role="manager")
    admin = UserFactory(role="admin", is_staff=True, is_superuser=True, department=None)
    visitor = browser.new_context(locale=language)
    visitor_page = visitor.new_page()
    visitor_page.base_url = live_server.url
    for _ in range(settings.AXES_FAILURE_LIMIT):
        try_password(visitor_page, "anna", "wrong")
    try_password(visitor_page, "anna", PASSWORD)
    assert visitor_page.locator("[data-testid=login-throttled]").count() == 1

    admin_context = browser.new_context(locale=language, viewport={"width": 1366, "height": 800})
    page = admin_context.new_page()
    page.base_url = live_server.url
    sign_in(page, admin, language)
    page.goto(f"{page.base_url}/settings/organisation/")
    page.click("[data-testid=nav-lockouts]")
    row = page.locator("[data-testid=lockout-row]", has_text="anna")
    assert row.locator("[data-testid=lockout-locked]").count() == 1
    screenshot(page, f"lockouts-{language}")
    row.locator("[data-testid=lockout-lift]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=lockout-row]").count() == 0

    try_password(visitor_page, "anna", PASSWORD)
    assert visitor_page.url == f"{live_server.url}/"
    visitor.close()
    admin_context.close()
