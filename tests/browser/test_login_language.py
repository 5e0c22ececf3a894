"""Signing in and out, the language switch and the home page in a real browser."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from tests.browser.helpers import screenshot
from tests.factories import UserFactory, make_deal, make_pipeline
from voronka.activities.models import ActivityKind
from voronka.activities.services import activity_log
from voronka.core.models import Organisation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def clean_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def seller(db):
    organisation = Organisation.current()
    organisation.name = "ООО «Вектор Продаж»"
    organisation.save()
    user = UserFactory(username="anna", first_name="Анна", last_name="Смирнова")
    pipeline = make_pipeline()
    stages = list(pipeline.stages.order_by("order"))
    stages[0].rotting_days = 5
    stages[0].save()
    idle = make_deal(
        owner=user,
        pipeline=pipeline,
        title="Поставка станков",
        amount=Decimal("1250000"),
        at=timezone.now() - timedelta(days=9),
    )
    make_deal(owner=user, pipeline=pipeline, stage=stages[1], amount=Decimal("300000"))
    activity_log(
        kind=ActivityKind.TASK,
        subject="Перезвонить главному инженеру",
        owner=user,
        deal=idle,
        due_at=timezone.now() - timedelta(days=1),
    )
    return user


def test_sign_in_switch_language_and_sign_out(page, seller):
    page.set_default_timeout(30_000)  # the test machine is shared and often busy
    page.goto(f"{page.base_url}/")
    # Not signed in: the login page, in Russian for a Russian browser.
    assert "/accounts/login/" in page.url
    assert page.get_attribute("html", "lang") == "ru"
    assert page.inner_text("[data-testid=login-organisation]") == "ООО «Вектор Продаж»"
    assert page.get_attribute("header .brand", "title") == "ООО «Вектор Продаж»"
    screenshot(page, "login-ru")

    page.fill("input[name=username]", "anna")
    page.fill("input[name=password]", "pass-Word-123")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=home-mine]")
    assert page.inner_text("[data-testid=mine-tasks]") == "1"
    assert page.inner_text("[data-testid=mine-rotting]") == "1"
    assert page.inner_text("[data-testid=mine-open]") == "2"
    screenshot(page, "home-ru")

    page.click("[data-testid=lang-en]")
    page.wait_for_selector("html[lang=en]")
    assert "Tasks due today and overdue" in page.inner_text("main")
    screenshot(page, "home-en")
    # The choice survives navigation.
    page.click("[data-testid=nav-board]")
    page.wait_for_selector("[data-testid=column]")
    assert page.get_attribute("html", "lang") == "en"

    page.goto(f"{page.base_url}/accounts/password/")
    assert page.inner_text("h1") == "Change password"
    screenshot(page, "password-change-en")

    page.click("[data-testid=user-menu]")
    page.click("[data-testid=logout]")
    page.wait_for_selector("input[name=username]")
    assert "/accounts/login/" in page.url
    page.goto(f"{page.base_url}/board/")
    assert "/accounts/login/" in page.url


def test_repeated_wrong_passwords_are_stopped_with_a_message(page, seller):
    page.set_default_timeout(30_000)
    page.goto(f"{page.base_url}/accounts/login/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        page.fill("input[name=username]", "anna")
        page.fill("input[name=password]", "wrong")
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=login-error]")
    # The fifth failure locks; then even the right password is refused.
    page.fill("input[name=username]", "anna")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=login-throttled]")
    page.fill("input[name=username]", "anna")
    page.fill("input[name=password]", "pass-Word-123")
    page.click("button[type=submit]")
    message = page.locator("[data-testid=login-throttled]")
    message.wait_for()
    assert "15" in message.inner_text()
    screenshot(page, "login-throttled-ru")
