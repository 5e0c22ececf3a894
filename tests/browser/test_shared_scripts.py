"""app.js's shared behaviours in a real browser: the copy button on the tokens page copies the
new token without a script error, a data-confirm form asks before it submits, and the plan form
shows the one target field its dimension needs (the mapping comes from Python)."""

import pytest

from tests.browser.helpers import screenshot, sign_in
from tests.factories import UserFactory
from voronka.api.models import ApiToken

pytestmark = pytest.mark.django_db(transaction=True)


def script_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_token_copy_button_copies_and_revoking_asks_first(page, language):
    manager = UserFactory(role="manager")
    errors = script_errors(page)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, manager, language)
    page.goto(f"{page.base_url}/api/v1/settings/tokens/")
    page.fill("input[name=name]", "BI")
    page.locator("form:has(input[name=name]) button.btn-primary").click()
    page.wait_for_load_state("networkidle")
    raw = page.locator("#new-token").inner_text().strip()
    copy = page.locator("[data-copy='#new-token']")
    copy.click()
    assert "copied" in copy.get_attribute("class")
    assert page.evaluate("navigator.clipboard.readText()") == raw
    # Dismissing the confirm dialog keeps the token; accepting it revokes the token.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("form[data-confirm] button").first.click()
    page.wait_for_timeout(300)
    assert ApiToken.objects.get(user=manager).revoked_at is None
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("form[data-confirm] button").first.click()
    page.wait_for_load_state("networkidle")
    assert ApiToken.objects.get(user=manager).revoked_at is not None
    screenshot(page, f"shared-scripts-tokens-{language}")
    assert errors == []


def test_the_plan_form_shows_the_target_field_of_the_chosen_dimension(page):
    head = UserFactory(role="head")
    errors = script_errors(page)
    sign_in(page, head, "en")
    page.goto(f"{page.base_url}/plans/new/")
    visible = {
        name: page.locator(f"[data-field={name}]").is_visible()
        for name in ("user", "department", "product", "direction", "company")
    }
    dimension = page.locator("select[name=dimension]").input_value()
    assert dimension == "employee"
    assert visible == {
        "user": True,
        "department": False,
        "product": False,
        "direction": False,
        "company": False,
    }
    page.select_option("select[name=dimension]", "product")
    assert page.locator("[data-field=product]").is_visible()
    assert not page.locator("[data-field=user]").is_visible()
    assert errors == []
