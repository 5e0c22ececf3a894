"""API pages in a real browser: a token is created and shown once, the interactive docs load
from local files only and call the API with the session, the webhooks page lists deliveries."""

import pytest

from tests.browser.helpers import screenshot, sign_in
from tests.factories import UserFactory, make_pipeline
from voronka.api.models import ApiToken, WebhookDelivery
from voronka.api.services import webhook_endpoint_save

pytestmark = pytest.mark.django_db(transaction=True)


def outside_requests(page) -> list[str]:
    seen: list[str] = []
    page.on(
        "request",
        lambda request: (
            seen.append(request.url)
            if not request.url.startswith(page.base_url) and not request.url.startswith("data:")
            else None
        ),
    )
    return seen


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_manager_creates_a_token_and_sees_it_once(page, language):
    manager = UserFactory(role="manager")
    sign_in(page, manager, language)
    page.goto(f"{page.base_url}/api/v1/settings/tokens/")
    page.fill("input[name=name]", "Выгрузка в 1С для бухгалтерии" if language == "ru" else "BI")
    page.locator("form:has(input[name=name]) button.btn-primary").click()
    page.wait_for_load_state("networkidle")
    raw = page.locator("#new-token").inner_text().strip()
    token = ApiToken.objects.get(user=manager)
    assert raw.startswith(token.prefix)
    screenshot(page, f"tokens-{language}")
    page.reload()
    assert page.locator("#new-token").count() == 0
    assert token.prefix in page.content()


def test_the_docs_page_loads_offline_and_calls_the_api_with_the_session(page):
    make_pipeline()
    admin = UserFactory(role="admin", department=None)
    sign_in(page, admin)
    outside = outside_requests(page)
    page.goto(f"{page.base_url}/api/v1/docs")
    page.wait_for_selector(".opblock-tag-section", timeout=30_000)
    tags = page.locator(".opblock-tag").all_inner_texts()
    assert {"Deals", "Companies", "Analytics", "Users"} <= {tag.split("\n")[0] for tag in tags}
    screenshot(page, "docs-en")
    # "Try it out" on GET /users/me runs with the browser's session.
    operation = page.locator("#operations-Users-voronka_api_routers_work_user_me")
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    page.wait_for_selector(".responses-table .response-col_status")
    body = operation.locator(".live-responses-table .response-col_description pre").first
    body = body.inner_text()
    assert f'"id": {admin.pk}' in body
    assert outside == []


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_webhooks_page_lists_endpoints_and_deliveries(page, language):
    admin = UserFactory(role="admin", department=None)
    endpoint = webhook_endpoint_save(
        url="https://erp.example.com/hooks/voronka/deals-with-a-rather-long-path",
        secret="s3cret-s3cret-s3cret",
        event_names=["deal.won", "deal.lost"],
        user=admin,
        description="ERP",
    )
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        delivery_id="00000000-0000-0000-0000-000000000001",
        event="deal.won",
        payload={"deal_id": 1},
        attempt=2,
        status_code=503,
        error="Service Unavailable",
        duration_ms=120,
    )
    sign_in(page, admin, language)
    page.goto(f"{page.base_url}/api/v1/settings/webhooks/")
    assert "erp.example.com" in page.content()
    assert "503" in page.locator("body").inner_text()
    screenshot(page, f"webhooks-{language}")
