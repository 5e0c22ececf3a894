"""“Group by” on the funnel, win-rate, channels and managers pages: the figures split by
department, company industry and size, and custom fields of deals and companies, in SQL."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import (
    CompanyFactory,
    DepartmentFactory,
    LostReasonFactory,
    UserFactory,
    make_deal,
)
from voronka.analytics.filters import AnalyticsFilter
from voronka.analytics.grouping import group_dimension, grouped_funnel, grouped_outcomes
from voronka.customfields.services import custom_field_create
from voronka.pipeline.services import deal_lose, deal_move_stage, deal_win

pytestmark = pytest.mark.django_db

MAY = datetime(2026, 5, 4, 10, tzinfo=UTC)


@pytest.fixture
def history(pipeline, stages):
    """Six deals: segments SMB ×3, Enterprise ×2, none ×1; two industries; two departments."""
    custom_field_create(
        entity="deal", code="segment", label="Segment", kind="choice", choices=["SMB", "Enterprise"]
    )
    custom_field_create(entity="company", code="tier", label="Tier", kind="number")
    north, south = DepartmentFactory(name="North"), DepartmentFactory(name="South")
    anna = UserFactory(role="manager", department=north)
    boris = UserFactory(role="manager", department=south)
    retail = CompanyFactory(owner=anna, industry="Retail", size="11-50", custom_fields={"tier": 1})
    oil = CompanyFactory(owner=boris, industry="Oil", size="1000+", custom_fields={"tier": 2})
    reason = LostReasonFactory()
    plan = [
        # owner, company, segment, amount, outcome, furthest stage index
        (anna, retail, "SMB", 100, "won", 4),
        (anna, retail, "SMB", 200, "lost", 1),
        (anna, oil, "SMB", 300, "open", 2),
        (boris, oil, "Enterprise", 1000, "won", 4),
        (boris, oil, "Enterprise", 500, "open", 0),
        (boris, None, None, 50, "lost", 0),
    ]
    for index, (owner, company, segment, amount, outcome, furthest) in enumerate(plan):
        deal = make_deal(
            owner=owner,
            pipeline=pipeline,
            company=company,
            amount=Decimal(amount),
            at=MAY,
            custom_fields={"segment": segment} if segment else {},
            title=f"deal {index}",
        )
        if furthest:
            deal_move_stage(deal=deal, stage=stages[furthest], user=None, at=MAY)
        if outcome == "won":
            deal_win(deal=deal, user=None, at=MAY)
        elif outcome == "lost":
            deal_lose(deal=deal, user=None, reason=reason, at=MAY)
    return pipeline


def the_filter(pipeline, group_by=""):
    return AnalyticsFilter(
        pipeline=pipeline, date_from=date(2026, 5, 1), date_to=date(2026, 5, 31), group_by=group_by
    )


def outcomes(pipeline, user, key):
    rows = grouped_outcomes(the_filter(pipeline), user, group_dimension(key))
    return [
        (
            row["group"],
            row["deals"],
            row["open"],
            row["won"],
            row["lost"],
            row["win_rate"],
            row["won_amount"],
        )
        for row in rows
    ]


def test_outcomes_by_a_deal_custom_field(history, admin_user):
    assert outcomes(history, admin_user, "deal.segment") == [
        ("SMB", 3, 1, 1, 1, 0.5, Decimal(100)),
        ("Enterprise", 2, 1, 1, 0, 1.0, Decimal(1000)),
        ("Not set", 1, 0, 0, 1, 0.0, None),
    ]


def test_outcomes_by_a_company_number_field_industry_size_and_department(history, admin_user):
    assert outcomes(history, admin_user, "company.tier") == [
        ("2", 3, 2, 1, 0, 1.0, Decimal(1000)),
        ("1", 2, 0, 1, 1, 0.5, Decimal(100)),
        ("Not set", 1, 0, 0, 1, 0.0, None),
    ]
    assert [row[:2] for row in outcomes(history, admin_user, "industry")] == [
        ("Oil", 3),
        ("Retail", 2),
        ("Not set", 1),
    ]
    assert [row[:2] for row in outcomes(history, admin_user, "size")] == [
        ("over 1000 employees", 3),
        ("11–50 employees", 2),
        ("Not set", 1),
    ]
    assert [row[:5] for row in outcomes(history, admin_user, "department")] == [
        ("North", 3, 1, 1, 1),
        ("South", 3, 1, 1, 1),
    ]


def test_grouping_respects_visibility(history):
    anna = UserFactory._meta.model.objects.get(department__name="North")
    assert [row[:2] for row in outcomes(history, anna, "deal.segment")] == [("SMB", 3)]


def test_funnel_by_segment_counts_deals_that_reached_each_stage(history, admin_user):
    stages, rows = grouped_funnel(the_filter(history), admin_user, group_dimension("deal.segment"))
    assert [(row["group"], [row[f"stage_{s.pk}"] for s in stages], row["won"]) for row in rows] == [
        ("SMB", [3, 3, 2, 1, 1], 1),
        ("Enterprise", [2, 1, 1, 1, 1], 1),
        ("Not set", [1, 0, 0, 0, 0], 0),
    ]


def test_an_unknown_or_inactive_dimension_is_no_grouping(history):
    assert group_dimension("deal.nothing") is None
    assert group_dimension("bogus") is None


@pytest.mark.parametrize(
    "page",
    ["analytics:funnel", "analytics:win-probability", "analytics:channels", "analytics:managers"],
)
def test_the_pages_show_the_group_table(client, history, admin_user, page):
    client.force_login(admin_user)
    response = client.get(
        reverse(page),
        {"date_from": "2026-05-01", "date_to": "2026-05-31", "group_by": "deal.segment"},
    )
    assert response.status_code == 200
    table = response.context["group_table"]
    assert table.title == "By Segment"
    assert [row[0] for row in table.rows] == ["SMB", "Enterprise", "Not set"]
    assert 'data-testid="group-table"' in response.content.decode()
    assert 'name="group_by"' in response.content.decode()


def test_the_win_rate_table_row_is_formatted(client, history, admin_user):
    client.force_login(admin_user)
    response = client.get(
        reverse("analytics:managers"),
        {"date_from": "2026-05-01", "date_to": "2026-05-31", "group_by": "deal.segment"},
    )
    assert response.context["group_table"].rows[0] == [
        "SMB",
        "3",
        "1",
        "1",
        "1",
        "50.0\u00a0%",
        "100\u00a0₽",
    ]


def test_pages_without_grouping_offer_no_group_by(client, history, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("analytics:transitions"), {"group_by": "deal.segment"})
    assert response.status_code == 200
    assert response.context["group_table"] is None
    assert 'name="group_by"' not in response.content.decode()
