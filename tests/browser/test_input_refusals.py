"""Refusals a person sees (issue 11): an internal webhook target and a control character in a
company name are form errors on the field, in Russian and English, on a desktop and a phone."""

import pytest

from tests.browser.helpers import screenshot, sign_in
from tests.factories import UserFactory
from voronka.api.models import WebhookEndpoint
from voronka.crm.models import Company

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = {
    "webhook": {
        "en": "it is an internal address",
        "ru": "это внутренний адрес",
    },
    "control": {
        "en": "invisible control character (U+0001)",
        "ru": "невидимый управляющий символ (U+0001)",
    },
}


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_internal_webhook_target_is_a_field_error(page, settings, language, width):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, UserFactory(role="admin", is_staff=True, is_superuser=True), language)
    page.goto(f"{page.base_url}/api/v1/settings/webhooks/")
    page.fill("input[name=url]", "http://169.254.169.254/latest/meta-data/")
    page.locator("input[name=events]").first.check()
    page.locator("button.btn-primary").last.click()
    page.wait_for_load_state("networkidle")
    assert MESSAGES["webhook"][language] in page.content()
    assert not WebhookEndpoint.objects.exists()
    screenshot(page, f"webhook-internal-target-{language}-{width}")


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_control_character_in_a_company_name_is_a_field_error(page, language, width):
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, UserFactory(role="manager"), language)
    page.goto(f"{page.base_url}/companies/new/")
    page.fill("input[name=name]", "Ctrl\u0001Char Co")
    page.locator("form button.btn-primary").last.click()
    page.wait_for_load_state("networkidle")
    assert MESSAGES["control"][language] in page.content()
    assert not Company.objects.exists()
    screenshot(page, f"company-control-character-{language}-{width}")
