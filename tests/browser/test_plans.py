"""Sales plans in a real browser: a head creates a plan and sees its progress; screenshots."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.helpers import screenshot
from tests.factories import DepartmentFactory, UserFactory, make_deal, make_pipeline
from voronka.pipeline.services import deal_win
from voronka.plans.models import Plan

pytestmark = pytest.mark.django_db(transaction=True)


def test_head_creates_a_plan_and_sees_progress(page, login):
    department = DepartmentFactory(name="Москва")
    head = UserFactory(role="head", department=department, username="head")
    manager = UserFactory(
        role="manager", department=department, first_name="Анна", last_name="Соколова"
    )
    pipeline = make_pipeline()
    now = timezone.now()
    deal = make_deal(owner=manager, pipeline=pipeline, amount=Decimal(60000), at=now)
    deal_win(deal=deal, user=manager, at=now + timedelta(minutes=1))
    make_deal(
        owner=manager,
        pipeline=pipeline,
        amount=Decimal(100000),
        at=now,
        expected_close_date=timezone.localdate(),
    )

    login(head)
    page.goto(f"{page.base_url}/plans/")
    page.wait_for_selector("[data-testid=plans-empty]")
    page.click("[data-testid=plan-create]")
    # Only the employee field shows for an employee plan (plans.js hides the others once it has
    # run: wait for that rather than racing the script on a busy machine).
    expect(page.locator("[data-field=product]")).to_be_hidden()
    expect(page.locator("[data-field=user]")).to_be_visible()
    page.select_option("select[name=period]", "month")
    page.select_option("select[name=user]", str(manager.pk))
    page.fill("input[name=target_amount]", "200000")
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-testid=plans-table]")
    plan = Plan.objects.get()
    assert (plan.user_id, plan.target_amount) == (manager.pk, Decimal(200000))
    row = page.locator("[data-testid=plans-table] tbody tr").first
    assert "Анна Соколова" in row.inner_text()
    assert "30\u00a0%" in row.inner_text()  # 60 000 of 200 000, «30 %» with a non-breaking space
    page.wait_for_selector("#plans-chart .main-svg")
    screenshot(page, "browser-plans-head-ru")

    page.click(f"[data-testid=plan-{plan.pk}] a")
    page.fill("input[name=target_amount]", "-5")
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-testid=error-target_amount]")
    screenshot(page, "browser-plan-edit-error-ru")


def test_business_analytics_pages_draw_their_charts(page, login):
    head = UserFactory(role="head", username="head2")
    manager = UserFactory(role="manager", department=head.department)
    pipeline = make_pipeline()
    now = timezone.now()
    for index in range(6):
        deal = make_deal(
            owner=manager,
            pipeline=pipeline,
            amount=Decimal(10000 * (index + 1)),
            at=now - timedelta(days=7 * index + 20),
            expected_close_date=timezone.localdate() + timedelta(days=30),
        )
        if index % 2:
            deal_win(deal=deal, user=manager, at=now - timedelta(days=7 * index + 10))
    login(head)
    for path, chart in [
        ("inflow", "inflow-chart"),
        ("channels", "channels-conversion"),
        ("forecast", "forecast-chart"),
        ("repeat", "repeat-rate-chart"),
    ]:
        page.goto(f"{page.base_url}/analytics/{path}/")
        page.wait_for_selector(f"#{chart} .main-svg")
        screenshot(page, f"browser-{path}-head-ru")


def test_a_customer_plan_finds_its_company_by_typing(page, login):
    """The company select lists the first OPTION_LIMIT companies; typing asks the server for
    the matching ones, so a company beyond the first page can be chosen and saved."""
    from tests.factories import CompanyFactory
    from voronka.core.choices import OPTION_LIMIT

    admin = UserFactory(role="admin", department=None, username="boss")
    for index in range(OPTION_LIMIT + 5):
        CompanyFactory(owner=admin, name=f"Альфа {index:03}")
    wanted = CompanyFactory(owner=admin, name="Яблоко и сыновья")

    login(admin)
    page.goto(f"{page.base_url}/plans/new/")
    page.select_option("select[name=dimension]", "customer")
    search = page.get_by_test_id("company-search")
    expect(search).to_be_visible()
    options = page.locator("select[name=company] option")
    expect(options).to_have_count(OPTION_LIMIT + 1)
    search.fill("яблоко")
    expect(options).to_have_count(2)  # the empty choice and the match
    page.select_option("select[name=company]", str(wanted.pk))
    page.fill("input[name=target_amount]", "500000")
    page.click("[data-testid=save]")
    page.wait_for_url(f"{page.base_url}/plans/**")
    expect(page.get_by_test_id("plan-form")).to_have_count(0)
    plan = Plan.objects.get()
    assert (plan.company_id, plan.target_amount) == (wanted.pk, Decimal(500000))
