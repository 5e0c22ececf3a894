"""An empty install (`DEMO_DEALS=0 make run`) in a real browser: the first admin signs in, is led
to create the pipeline from a template, creates a deal and sees it on the board."""

import pytest
from django.core.cache import cache

from tests.browser.helpers import screenshot, sign_in
from tests.factories import UserFactory
from voronka.pipeline.models import Deal, Pipeline

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def clean_throttle():
    cache.clear()
    yield
    cache.clear()


def test_first_admin_sets_up_a_pipeline_creates_a_deal_and_sees_it_on_the_board(page, login):
    admin = UserFactory(
        username="admin", role="admin", is_staff=True, is_superuser=True, department=None
    )
    login(admin)
    # Signing in lands on the getting-started page, not on an empty home.
    assert page.url.endswith("/settings/start/")
    assert page.get_by_test_id("start-steps").is_visible()
    screenshot(page, "empty-start-ru-1366")

    page.get_by_test_id("start-template-b2b").get_by_role("button").click()
    page.wait_for_load_state("networkidle")
    assert "Продажи B2B" in page.get_by_test_id("start-pipeline").inner_text()
    pipeline = Pipeline.objects.get()
    assert pipeline.stages.count() == 5

    page.get_by_test_id("start-new-deal").click()
    page.fill("input[name=title]", "Первая сделка: станки для «Вектора»")
    page.select_option("select[name=pipeline]", str(pipeline.pk))
    page.fill("input[name=amount]", "250000")
    page.get_by_test_id("deal-create-submit").click()
    page.wait_for_load_state("networkidle")
    deal = Deal.objects.get()
    assert deal.stage == pipeline.stages.order_by("order").first()

    page.goto(f"{page.base_url}/board/")
    card = page.locator(f'[data-deal-id="{deal.pk}"]')
    assert card.is_visible()
    assert "Первая сделка" in card.inner_text()
    screenshot(page, "empty-start-board-ru-1366")


@pytest.mark.parametrize(("language", "width"), [("ru", 390), ("en", 390), ("en", 1366)])
def test_getting_started_reads_well_in_both_languages_and_on_a_phone(page, language, width):
    admin = UserFactory(role="admin", is_staff=True, is_superuser=True, department=None)
    sign_in(page, admin, language=language)
    page.set_viewport_size({"width": width, "height": 844 if width < 500 else 800})
    page.goto(f"{page.base_url}/settings/start/")
    heading = {"ru": "Настройка Воронки", "en": "Set up Voronka"}[language]
    assert page.get_by_role("heading", level=1).inner_text() == heading
    screenshot(page, f"empty-start-{language}-{width}")
