"""Departments with a parent (office → team): a head of the office sees its teams' deals, a head
of a team only the team's; the settings page edits the parent without cycles; analytics and plans
filtered by a department include its sub-departments."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import DepartmentFactory, UserFactory, make_deal
from voronka.accounts.departments import department_scope_ids, department_tree
from voronka.accounts.models import Department
from voronka.accounts.visibility import visible_deals, visible_users
from voronka.administration.services import DepartmentCycle, department_save
from voronka.analytics.filters import AnalyticsFilter
from voronka.pipeline.services import deal_win
from voronka.plans import services as plan_services
from voronka.plans.selectors import plan_progress, visible_plans

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(pipeline):
    """Moscow office with teams A and B (B has a sub-team B1), and a separate Kazan office."""
    moscow = DepartmentFactory(name="Московский офис")
    team_a = DepartmentFactory(name="Команда А", parent=moscow)
    team_b = DepartmentFactory(name="Команда Б", parent=moscow)
    team_b1 = DepartmentFactory(name="Команда Б1", parent=team_b)
    kazan = DepartmentFactory(name="Казанский офис")
    people = {
        "office_head": UserFactory(role="head", department=moscow),
        "office_seller": UserFactory(role="manager", department=moscow),
        "head_b": UserFactory(role="head", department=team_b),
        "seller_a": UserFactory(role="manager", department=team_a),
        "seller_b": UserFactory(role="manager", department=team_b),
        "seller_b1": UserFactory(role="manager", department=team_b1),
        "seller_kazan": UserFactory(role="manager", department=kazan),
    }
    deals = {
        name: make_deal(
            owner=user, pipeline=pipeline, title=name, at=datetime(2026, 5, 4, tzinfo=UTC)
        )
        for name, user in people.items()
        if name.startswith(("seller", "office_seller"))
    }
    return {
        "moscow": moscow,
        "team_a": team_a,
        "team_b": team_b,
        "team_b1": team_b1,
        "kazan": kazan,
        **people,
        "deals": deals,
    }


def titles(queryset):
    return sorted(queryset.values_list("title", flat=True))


def test_head_of_a_parent_department_sees_every_sub_department(org):
    assert titles(visible_deals(org["office_head"])) == [
        "office_seller",
        "seller_a",
        "seller_b",
        "seller_b1",
    ]
    assert set(visible_users(org["office_head"]).values_list("username", flat=True)) == {
        org[name].username
        for name in ["office_head", "office_seller", "head_b", "seller_a", "seller_b", "seller_b1"]
    }


def test_head_of_a_child_department_sees_its_own_and_below_only(org):
    assert titles(visible_deals(org["head_b"])) == ["seller_b", "seller_b1"]


def test_manager_sees_own_deals_only(org):
    assert titles(visible_deals(org["seller_b"])) == ["seller_b"]


def test_department_scope_and_tree_order(org):
    assert department_scope_ids(org["moscow"].pk) == {
        org[name].pk for name in ["moscow", "team_a", "team_b", "team_b1"]
    }
    assert department_scope_ids(org["team_b1"].pk) == {org["team_b1"].pk}
    assert [(department.name, depth) for department, depth in department_tree()] == [
        ("Казанский офис", 0),
        ("Московский офис", 0),
        ("Команда А", 1),
        ("Команда Б", 1),
        ("Команда Б1", 2),
    ]


@pytest.mark.parametrize(
    ("department", "new_parent"),
    [("team_b", "team_b"), ("team_b", "team_b1"), ("moscow", "team_b1"), ("moscow", "team_a")],
)
def test_a_department_cannot_move_under_itself_or_its_teams(org, department, new_parent):
    before = Department.objects.get(pk=org[department].pk).parent_id
    with pytest.raises(DepartmentCycle):
        department_save(department=org[department], name="X", parent=org[new_parent])
    assert Department.objects.get(pk=org[department].pk).parent_id == before


def test_a_team_moves_to_another_office(org):
    department_save(department=org["team_b"], name="Команда Б", parent=org["kazan"])
    assert department_scope_ids(org["kazan"].pk) == {
        org[name].pk for name in ["kazan", "team_b", "team_b1"]
    }
    assert titles(visible_deals(org["office_head"])) == ["office_seller", "seller_a"]


def test_the_settings_page_moves_a_team_to_another_office(client, org, admin_user):
    client.force_login(admin_user)
    url = reverse("administration:department", args=[org["team_b"].pk])
    response = client.post(url, {"name": "Команда Б", "parent": org["kazan"].pk})
    assert response.status_code == 302
    assert Department.objects.get(pk=org["team_b"].pk).parent_id == org["kazan"].pk
    page = client.get(reverse("administration:departments")).content.decode()
    assert "— — Команда Б1" in page


def test_the_settings_page_refuses_a_cycle_with_a_form_error(client, org, admin_user):
    client.force_login(admin_user)
    url = reverse("administration:department", args=[org["moscow"].pk])
    response = client.post(url, {"name": "Московский офис", "parent": org["team_b1"].pk})
    assert response.status_code == 400
    assert response.context["form"].errors["parent"] == [
        "A department cannot be placed under itself or under one of its teams."
    ]
    assert Department.objects.get(pk=org["moscow"].pk).parent_id is None


def test_the_department_page_is_for_admins_only(client, org):
    client.force_login(org["office_head"])
    url = reverse("administration:department", args=[org["team_b"].pk])
    response = client.post(url, {"name": "Команда Б", "parent": org["kazan"].pk})
    assert response.status_code in {302, 403}
    assert Department.objects.get(pk=org["team_b"].pk).parent_id == org["moscow"].pk


def test_analytics_department_filter_includes_sub_departments(org, pipeline, admin_user):
    def count(department):
        return (
            AnalyticsFilter(
                pipeline=pipeline,
                date_from=date(2026, 5, 1),
                date_to=date(2026, 5, 31),
                department_id=org[department].pk,
            )
            .deals(admin_user)
            .count()
        )

    assert count("moscow") == 4
    assert count("team_b") == 2
    assert count("team_b1") == 1
    assert count("kazan") == 1


def test_analytics_department_choices_show_the_levels_a_head_may_see(client, org):
    client.force_login(org["head_b"])
    response = client.get(reverse("analytics:funnel"))
    choices = [
        label for _value, label in response.context["filter_form"].fields["department"].choices
    ]
    assert [str(label) for label in choices] == ["All departments", "Команда Б", "— Команда Б1"]


def test_a_parent_department_plan_counts_its_teams_won_deals(org, admin_user):
    for name, amount in [("seller_a", 100), ("seller_b1", 250), ("seller_kazan", 999)]:
        deal = org["deals"][name]
        deal.amount = Decimal(amount)
        deal.save(update_fields=["amount"])
        deal_win(deal=deal, user=None, at=datetime(2026, 5, 10, tzinfo=UTC))
    plans = [
        plan_services.plan_create(
            user=admin_user,
            period="month",
            period_start=date(2026, 5, 1),
            dimension="department",
            target=org[name],
            target_amount=Decimal(1000),
        )
        for name in ["moscow", "team_b", "team_a"]
    ]
    progress = plan_progress(plans, admin_user)
    assert [(item.fact_amount, item.fact_count) for item in progress] == [
        (Decimal(350), 2),
        (Decimal(250), 1),
        (Decimal(100), 1),
    ]


def test_head_of_an_office_sets_and_sees_plans_of_its_teams(org):
    plan = plan_services.plan_create(
        user=org["office_head"],
        period="month",
        period_start=date(2026, 5, 1),
        dimension="department",
        target=org["team_b1"],
        target_amount=Decimal(500),
    )
    assert list(visible_plans(org["office_head"])) == [plan]
    assert list(visible_plans(org["head_b"])) == [plan]
    with pytest.raises(plan_services.PlanNotAllowed):
        plan_services.plan_create(
            user=org["head_b"],
            period="month",
            period_start=date(2026, 5, 1),
            dimension="department",
            target=org["team_a"],
            target_amount=Decimal(500),
        )


def test_the_plans_page_filters_by_any_department_level(client, org, admin_user):
    may = date(2026, 5, 1)
    for dimension, target in [
        ("department", org["moscow"]),
        ("department", org["team_b1"]),
        ("department", org["kazan"]),
        ("employee", org["seller_b"]),
        ("employee", org["seller_kazan"]),
    ]:
        plan_services.plan_create(
            user=admin_user,
            period="month",
            period_start=may,
            dimension=dimension,
            target=target,
            target_amount=Decimal(100),
        )
    client.force_login(admin_user)

    def targets(department):
        response = client.get(
            reverse("plans:list"), {"on": "2026-05-15", "department": org[department].pk}
        )
        assert response.status_code == 200
        return sorted(
            item.target_name for rollup in response.context["rollups"] for item in rollup.items
        )

    assert targets("team_b") == sorted(["Команда Б1", str(org["seller_b"])])
    assert targets("moscow") == sorted(["Московский офис", "Команда Б1", str(org["seller_b"])])
    assert targets("kazan") == sorted(["Казанский офис", str(org["seller_kazan"])])
