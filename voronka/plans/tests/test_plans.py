"""Sales plans: services (who may set what), plan vs fact vs potential, and the pages."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import (
    CompanyFactory,
    DepartmentFactory,
    LostReasonFactory,
    ProductFactory,
    UserFactory,
    make_deal,
    make_pipeline,
)
from voronka.pipeline.models import Deal
from voronka.pipeline.services import deal_lose, deal_win, line_item_add
from voronka.plans import services
from voronka.plans.models import Plan
from voronka.plans.selectors import plan_progress, plan_rollups, plans_active_on, visible_plans

pytestmark = pytest.mark.django_db

MAY = date(2026, 5, 1)


def day(month, number):
    return datetime(2026, month, number, 10, tzinfo=UTC)


@pytest.fixture
def team():
    department = DepartmentFactory(name="Москва")
    other = DepartmentFactory(name="Питер")
    return {
        "department": department,
        "other": other,
        "head": UserFactory(role="head", department=department),
        "m1": UserFactory(role="manager", department=department, first_name="Анна"),
        "m2": UserFactory(role="manager", department=department, first_name="Борис"),
        "stranger": UserFactory(role="manager", department=other, first_name="Вера"),
    }


def employee_plan(user, by, amount=100000, period="month", start=MAY, **kwargs):
    return services.plan_create(
        user=by,
        period=period,
        period_start=start,
        dimension="employee",
        target=user,
        target_amount=Decimal(amount),
        **kwargs,
    )


# --- services ------------------------------------------------------------------------------


def test_heads_set_plans_for_their_people_only(team):
    plan = employee_plan(team["m1"], team["head"], target_count=3)
    assert (plan.user, plan.target_amount, plan.target_count, plan.created_by) == (
        team["m1"],
        Decimal(100000),
        3,
        team["head"],
    )
    with pytest.raises(services.PlanNotAllowed):
        employee_plan(team["stranger"], team["head"])
    with pytest.raises(services.PlanNotAllowed):
        services.plan_create(
            user=team["head"],
            period="quarter",
            period_start=date(2026, 4, 1),
            dimension="department",
            target=team["other"],
            target_amount=Decimal(1),
        )


def test_heads_set_customer_plans_only_for_customers_they_see(team):
    hidden = CompanyFactory(owner=team["stranger"])
    with pytest.raises(services.PlanNotAllowed):
        services.plan_create(
            user=team["head"],
            period="month",
            period_start=MAY,
            dimension="customer",
            target=hidden,
            target_amount=Decimal(1),
        )
    own = CompanyFactory(owner=team["m1"])
    plan = services.plan_create(
        user=team["head"],
        period="month",
        period_start=MAY,
        dimension="customer",
        target=own,
        target_amount=Decimal(1),
    )
    assert list(visible_plans(team["head"])) == [plan]


def test_managers_cannot_set_plans(team):
    with pytest.raises(services.PlanNotAllowed) as error:
        employee_plan(team["m1"], team["m1"])
    assert error.value.status == 403


def test_a_plan_starts_on_its_period_start(team, admin_user):
    with pytest.raises(services.InvalidPlan) as error:
        employee_plan(team["m1"], admin_user, period="quarter", start=MAY)
    assert error.value.field == "period_start"
    plan = employee_plan(team["m1"], admin_user, period="quarter", start=date(2026, 4, 1))
    assert plan.period_start == date(2026, 4, 1)


def test_negative_targets_and_duplicates_are_refused(team, admin_user):
    with pytest.raises(services.InvalidPlan):
        employee_plan(team["m1"], admin_user, amount=-1)
    employee_plan(team["m1"], admin_user)
    with pytest.raises(services.PlanExists):
        employee_plan(team["m1"], admin_user, amount=5)
    assert Plan.objects.count() == 1


def test_update_and_delete(team):
    plan = employee_plan(team["m1"], team["head"])
    services.plan_update(plan=plan, user=team["head"], target_amount=Decimal(7), target_count=2)
    plan.refresh_from_db()
    assert (plan.target_amount, plan.target_count) == (Decimal(7), 2)
    with pytest.raises(services.PlanNotAllowed):
        services.plan_delete(plan=plan, user=team["m1"])
    services.plan_delete(plan=plan, user=team["head"])
    assert not Plan.objects.exists()


def test_period_bounds():
    assert services.period_start_of("quarter", date(2026, 8, 15)) == date(2026, 7, 1)
    assert services.period_start_of("year", date(2026, 8, 15)) == date(2026, 1, 1)
    assert services.period_end_of("month", date(2026, 12, 1)) == date(2027, 1, 1)
    assert services.period_end_of("quarter", date(2026, 10, 1)) == date(2027, 1, 1)
    assert services.period_end_of("year", date(2026, 1, 1)) == date(2027, 1, 1)


# --- plan vs fact vs potential ---------------------------------------------------------------


@pytest.fixture
def sales(team, admin_user):
    """May 2026. m1: won 60 000 (10 May) and 40 000 (31 May, 23:00 Moscow = still May); won
    90 000 on 1 June (not May); open 100 000 at p 0.5 expected 20 May; open 80 000 expected in
    June; lost 50 000 in May. m2: one open deal of 30 000 (stage 10 %) expected 5 May.
    The stranger (other department) won 70 000 in May."""
    pipeline = make_pipeline()
    m1, m2, stranger = team["m1"], team["m2"], team["stranger"]
    customer = CompanyFactory(owner=m1)
    server = ProductFactory(name="Сервер", price=Decimal(1000))
    reason = LostReasonFactory()

    def deal(owner, amount, *, won=None, lost=None, close=None, probability=None, company=None):
        created = make_deal(
            owner=owner,
            pipeline=pipeline,
            amount=Decimal(amount),
            expected_close_date=close,
            company=company,
            at=day(4, 1),
        )
        if probability is not None:
            Deal.objects.filter(pk=created.pk).update(win_probability=probability)
        if won:
            deal_win(deal=created, user=owner, at=won)
        if lost:
            deal_lose(deal=created, user=owner, reason=reason, at=lost)
        return created

    deal(m1, 60000, won=day(5, 10), company=customer)
    deal(m1, 40000, won=datetime(2026, 5, 31, 20, 0, tzinfo=UTC))
    deal(m1, 90000, won=day(6, 1))
    open_deal = deal(m1, 100000, close=date(2026, 5, 20), probability=0.5, company=customer)
    deal(m1, 80000, close=date(2026, 6, 2), probability=0.9)
    deal(m1, 50000, lost=day(5, 12))
    deal(m2, 30000, close=date(2026, 5, 5))
    deal(stranger, 70000, won=day(5, 15))
    # The open deal sells 20 servers at 5 000 (its amount stays 100 000).
    line_item_add(
        deal=open_deal, product=server, quantity=Decimal(20), unit_price=Decimal(5000), user=m1
    )
    won_with_server = deal(m2, 0, close=None)
    line_item_add(
        deal=won_with_server, product=server, quantity=Decimal(2), unit_price=None, user=m2
    )
    deal_win(
        deal=won_with_server.__class__.objects.get(pk=won_with_server.pk), user=m2, at=day(5, 3)
    )

    plans = {
        "m1": employee_plan(m1, admin_user, amount=200000, target_count=4),
        "m2": employee_plan(m2, admin_user, amount=0),
        "stranger": employee_plan(stranger, admin_user, amount=100000),
        "department": services.plan_create(
            user=admin_user,
            period="quarter",
            period_start=date(2026, 4, 1),
            dimension="department",
            target=team["department"],
            target_amount=Decimal(500000),
        ),
        "product": services.plan_create(
            user=admin_user,
            period="year",
            period_start=date(2026, 1, 1),
            dimension="product",
            target=server,
            target_amount=Decimal(10000),
        ),
        "direction": services.plan_create(
            user=admin_user,
            period="month",
            period_start=MAY,
            dimension="direction",
            target=server.direction,
            target_amount=Decimal(4000),
        ),
        "customer": services.plan_create(
            user=admin_user,
            period="month",
            period_start=MAY,
            dimension="customer",
            target=customer,
            target_amount=Decimal(120000),
        ),
    }
    return plans


def progress_of(viewer, plans):
    return {item.plan.pk: item for item in plan_progress(Plan.objects.all(), viewer)}


def test_employee_plan_fact_and_potential(team, sales, admin_user):
    progress = progress_of(admin_user, sales)
    m1 = progress[sales["m1"].pk]
    assert (m1.fact_amount, m1.fact_count) == (Decimal(100000), 2)
    assert (m1.weighted_open, m1.open_count) == (Decimal("50000.00"), 1)
    assert m1.potential == Decimal("150000.00")
    assert (m1.fact_share, m1.potential_share, m1.gap) == (0.5, 0.75, Decimal(100000))
    m2 = progress[sales["m2"].pk]
    # Zero target: no share; the won line-item deal (2 000) and 30 000 × stage 10 %.
    assert (m2.fact_amount, m2.weighted_open, m2.fact_share) == (
        Decimal(2000),
        Decimal("3000.00"),
        None,
    )


def test_department_product_direction_and_customer_plans(team, sales, admin_user):
    progress = progress_of(admin_user, sales)
    department = progress[sales["department"].pk]
    # Q2: m1 100 000 + 90 000 (June) + m2 2 000; open: 50 000 + 72 000 + 3 000.
    assert (department.fact_amount, department.fact_count) == (Decimal(192000), 4)
    assert department.weighted_open == Decimal("125000.00")
    product = progress[sales["product"].pk]
    # Line items: 2 servers won (2 000); 20 × 5 000 open at p 0.5.
    assert (product.fact_amount, product.fact_count) == (Decimal("2000.00"), 1)
    assert product.weighted_open == Decimal("50000.00")
    direction = progress[sales["direction"].pk]
    assert (direction.fact_amount, direction.weighted_open) == (
        Decimal("2000.00"),
        Decimal("50000.00"),
    )
    customer = progress[sales["customer"].pk]
    assert (customer.fact_amount, customer.weighted_open) == (Decimal(60000), Decimal("50000.00"))


def test_heads_count_only_their_department_deals(team, sales):
    plans = list(visible_plans(team["head"]))
    assert sales["stranger"] not in plans
    assert {p.pk for p in plans} == {
        sales[key].pk for key in ("m1", "m2", "department", "product", "direction", "customer")
    }


def test_managers_see_only_own_plans(team, sales):
    assert list(visible_plans(team["m1"])) == [sales["m1"]]
    progress = plan_progress(visible_plans(team["m1"]), team["m1"])
    assert [(p.fact_amount, p.weighted_open) for p in progress] == [
        (Decimal(100000), Decimal("50000.00"))
    ]


def test_plans_in_force_and_rollups(team, sales, admin_user):
    active = plans_active_on(Plan.objects.all(), date(2026, 5, 15))
    assert active.count() == 7
    assert not plans_active_on(Plan.objects.all(), date(2026, 7, 1)).exclude(period="year")
    rollups = plan_rollups(plan_progress(active, admin_user))
    employees = [r for r in rollups if r.dimension == "employee"][0]
    # 200 000 + 0 + 100 000; facts 100 000 + 2 000 + 70 000.
    assert (employees.plans, employees.target_amount, employees.fact_amount) == (
        3,
        Decimal(300000),
        Decimal(172000),
    )
    assert [r.period for r in rollups] == ["month", "month", "month", "quarter", "year"]


# --- pages ---------------------------------------------------------------------------------


def test_plans_page_for_each_role(client, team, sales, admin_user):
    url = reverse("plans:list") + "?on=2026-05-15"
    for user, visible, hidden in [
        (admin_user, ["Вера"], []),
        (team["head"], ["Анна", "Борис"], ["Вера"]),
        (team["m1"], ["Анна"], ["Борис", "Вера"]),
    ]:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        for name in visible:
            assert name in html
        for name in hidden:
            assert name not in html
        assert ('data-testid="plan-create"' in html) == user.can_manage_team


def test_plans_page_export(client, sales, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("plans:list") + "?on=2026-05-15&export=csv")
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 8
    assert client.get(reverse("plans:list") + "?export=pdf").status_code == 400


def test_plans_page_bad_date_is_a_400_not_a_500(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("plans:list") + "?on=not-a-date").status_code == 400


def test_create_plan_through_the_form(client, team):
    client.force_login(team["head"])
    response = client.post(
        reverse("plans:create"),
        {
            "period": "quarter",
            "period_day": "2026-05-17",
            "dimension": "employee",
            "user": team["m2"].pk,
            "target_amount": "300000",
        },
    )
    assert response.status_code == 302
    plan = Plan.objects.get()
    assert (plan.period_start, plan.user, plan.target_amount) == (
        date(2026, 4, 1),
        team["m2"],
        Decimal(300000),
    )
    # The same again is refused with a message, and a stranger is not a valid choice.
    again = client.post(
        reverse("plans:create"),
        {
            "period": "quarter",
            "period_day": "2026-04-01",
            "dimension": "employee",
            "user": team["m2"].pk,
            "target_amount": "1",
        },
    )
    assert again.status_code == 400
    stranger = client.post(
        reverse("plans:create"),
        {
            "period": "month",
            "period_day": "2026-04-01",
            "dimension": "employee",
            "user": team["stranger"].pk,
            "target_amount": "1",
        },
    )
    assert stranger.status_code == 400
    missing = client.post(
        reverse("plans:create"),
        {
            "period": "month",
            "period_day": "2026-04-01",
            "dimension": "product",
            "target_amount": "1",
        },
    )
    assert missing.status_code == 400
    assert Plan.objects.count() == 1


def test_managers_cannot_open_the_plan_forms(client, team, sales):
    client.force_login(team["m1"])
    assert client.get(reverse("plans:create")).status_code == 403
    assert client.get(reverse("plans:edit", args=[sales["m1"].pk])).status_code == 403
    assert client.post(reverse("plans:delete", args=[sales["m1"].pk])).status_code == 403


def test_heads_get_404_for_plans_they_cannot_see(client, team, sales):
    client.force_login(team["head"])
    assert client.get(reverse("plans:edit", args=[sales["stranger"].pk])).status_code == 404
    response = client.post(
        reverse("plans:edit", args=[sales["m1"].pk]), {"target_amount": "250000"}
    )
    assert response.status_code == 302
    sales["m1"].refresh_from_db()
    assert sales["m1"].target_amount == Decimal(250000)
    assert client.post(reverse("plans:delete", args=[sales["m1"].pk])).status_code == 302
    assert not Plan.objects.filter(pk=sales["m1"].pk).exists()


def _more_plans_and_deals(admin_user, count):
    pipeline = make_pipeline(name=f"Ещё {count}", is_default=False)
    department = DepartmentFactory()
    for _ in range(count):
        user = UserFactory(role="manager", department=department)
        employee_plan(user, admin_user)
        deal = make_deal(owner=user, pipeline=pipeline, at=day(4, 2))
        deal_win(deal=deal, user=user, at=day(5, 2))
        make_deal(owner=user, pipeline=pipeline, at=day(4, 2), expected_close_date=MAY)
        product = ProductFactory()
        services.plan_create(
            user=admin_user,
            period="month",
            period_start=MAY,
            dimension="product",
            target=product,
            target_amount=Decimal(1),
        )


@pytest.mark.parametrize("count", [2, 12])
def test_plans_page_queries_do_not_grow_with_data(
    client, admin_user, sales, count, django_assert_max_num_queries
):
    _more_plans_and_deals(admin_user, count)
    client.force_login(admin_user)
    with django_assert_max_num_queries(16):
        assert client.get(reverse("plans:list") + "?on=2026-05-15").status_code == 200
