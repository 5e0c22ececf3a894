"""The funnel-mechanics pages: roles, row-level visibility, bad input, exports, query counts."""

from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from tests.factories import LostReasonFactory, UserFactory, make_deal
from voronka.pipeline.models import Deal
from voronka.pipeline.services import deal_lose, deal_move_stage, deal_win

from .scenario import PERIOD, at, build_scenario

pytestmark = pytest.mark.django_db

PAGES = [
    "analytics:funnel",
    "analytics:transitions",
    "analytics:velocity",
    "analytics:win-probability",
    "analytics:managers",
    "analytics:advice",
]
PERIOD_QUERY = {"date_from": PERIOD[0].isoformat(), "date_to": PERIOD[1].isoformat()}


@pytest.fixture
def scenario():
    return build_scenario()


def user_of_role(scenario, role):
    if role == "manager":
        return scenario.m2
    if role == "head":
        return scenario.head
    return UserFactory(role=role, department=None)


@pytest.mark.parametrize("role", ["admin", "head", "manager", "viewer"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_for_every_role(client, scenario, role, page):
    client.force_login(user_of_role(scenario, role))
    response = client.get(reverse(page), PERIOD_QUERY)
    assert response.status_code == 200
    assert b'data-testid="analytics-filters"' in response.content


@pytest.mark.parametrize("page", PAGES)
def test_pages_require_login(client, page):
    response = client.get(reverse(page))
    assert response.status_code == 302
    assert "/login" in response["Location"] or "next=" in response["Location"]


def test_manager_funnel_counts_only_own_deals(client, scenario):
    client.force_login(scenario.m2)
    response = client.get(reverse("analytics:funnel"), PERIOD_QUERY)
    funnel = response.context["funnel"]
    # m2 owns C (created in s2) and D (lost after moving back to s1).
    assert (funnel.deals, funnel.won, funnel.lost, funnel.open) == (2, 0, 1, 1)
    assert [stage.reached for stage in funnel.stages] == [2, 2, 0, 0, 0]
    assert funnel.stages[0].amount == Decimal(130000)


def test_admin_funnel_counts_everything(client, scenario, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("analytics:funnel"), PERIOD_QUERY)
    funnel = response.context["funnel"]
    assert (funnel.deals, funnel.won, funnel.lost, funnel.open) == (5, 1, 2, 2)
    assert [stage.reached for stage in funnel.stages] == [5, 4, 2, 1, 1]


def test_manager_win_probability_page_lists_only_own_deals(client, scenario):
    client.force_login(scenario.m1)
    response = client.get(reverse("analytics:win-probability"), PERIOD_QUERY)
    assert [deal.title for deal in response.context["overview"].deals] == ["E"]
    response = client.get(reverse("analytics:win-probability"), PERIOD_QUERY | {"model": "1"})
    assert b'data-testid="win-model-table"' not in response.content
    assert b'data-testid="show-model"' not in response.content


def test_head_sees_the_model_table(client, scenario):
    client.force_login(scenario.head)
    response = client.get(reverse("analytics:win-probability"), PERIOD_QUERY)
    assert b'data-testid="show-model"' in response.content
    assert b'data-testid="win-model-table"' not in response.content
    response = client.get(reverse("analytics:win-probability"), PERIOD_QUERY | {"model": "1"})
    assert b'data-testid="win-model-table"' in response.content
    assert sorted(deal.title for deal in response.context["overview"].deals) == ["C", "E"]


def test_manager_filtering_by_another_manager_sees_nothing(client, scenario):
    client.force_login(scenario.m2)
    # m1 is not among m2's choices: the field is invalid and the default (all visible) is used.
    response = client.get(reverse("analytics:funnel"), PERIOD_QUERY | {"owner": scenario.m1.pk})
    assert response.status_code == 400
    assert response.context["funnel"].deals == 2


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "not-a-date"},
        {"date_from": "2026-03-31", "date_to": "2026-03-01"},
        {"pipeline": "999999"},
        {"owner": "abc", "source": "-1", "product": "x", "customer_type": "alien"},
    ],
)
@pytest.mark.parametrize("page", PAGES)
def test_bad_filter_values_give_400_with_a_message_not_500(client, scenario, page, params):
    client.force_login(scenario.head)
    response = client.get(reverse(page), params)
    assert response.status_code == 400
    assert b"errorlist" in response.content


@pytest.mark.parametrize(
    "report", ["funnel", "transitions", "velocity", "win-probability", "managers", "advice"]
)
def test_csv_and_xlsx_exports(client, scenario, admin_user, report):
    client.force_login(admin_user)
    url = reverse(f"analytics:{report}")
    csv = client.get(url, PERIOD_QUERY | {"export": "csv"})
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    body = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert body.count("\n") >= 1
    xlsx = client.get(url, PERIOD_QUERY | {"export": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
    assert client.get(url, {"export": "pdf"}).status_code == 400


def test_funnel_csv_figures(client, scenario, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("analytics:funnel"), PERIOD_QUERY | {"export": "csv"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    first, won = lines[1].split(";"), lines[-1].split(";")
    # The page's ten columns, in the page's order (the difference in column 6 included).
    assert lines[0].split(";") == [
        "Stage",
        "Reached",
        "Share of cohort",
        "Conversion to next",
        "Expected",
        "Observed − expected",
        "Amount",
        "Open, furthest here",
        "Reached, previous",
        "Conversion, previous",
    ]
    page = client.get(reverse("analytics:funnel"), PERIOD_QUERY)
    assert page.context["tables"][0].headers == lines[0].split(";")
    assert first[:6] + first[7:] == [
        "Новый контакт",
        "5",
        "1.0",
        "0.8",
        "0.8",
        "0.0",
        "1",
        "1",
        "0.0",
    ]
    assert Decimal(first[6]) == Decimal(460000)
    assert won[1:6] + won[7:] == ["1", "0.2", "", "", "", "", "0", ""]
    assert Decimal(won[6]) == Decimal(100000)


def test_advice_apply_reassigns_through_the_service(client, scenario):
    deal = scenario.deals["E"]
    client.force_login(scenario.head)
    response = client.post(
        reverse("analytics:advice-apply"),
        {"deal": deal.pk, "manager": scenario.m2.pk, "next": "/analytics/managers/advice/"},
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.owner_id == scenario.m2.pk
    assert deal.owner_changes.count() == 1


def test_advice_apply_can_be_undone_once_from_the_page(client, scenario):
    deal = scenario.deals["E"]
    client.force_login(scenario.head)
    client.post(reverse("analytics:advice-apply"), {"deal": deal.pk, "manager": scenario.m2.pk})
    page = client.get(reverse("analytics:advice")).content.decode()
    assert 'data-testid="advice-undo"' in page
    assert f'name="manager" value="{scenario.m1.pk}"' in page
    # Offered once: the next visit no longer shows it.
    assert (
        'data-testid="advice-undo"' not in client.get(reverse("analytics:advice")).content.decode()
    )
    response = client.post(
        reverse("analytics:advice-apply"),
        {"deal": deal.pk, "manager": scenario.m1.pk, "undo": "1"},
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.owner_id == scenario.m1.pk
    assert deal.owner_changes.count() == 2  # history keeps both hand-overs


def test_advice_links_deals_and_asks_before_handing_over(client, scenario):
    client.force_login(scenario.head)
    html = client.get(reverse("analytics:advice")).content.decode()
    deal = scenario.deals["C"]
    assert f'<a href="{reverse("pipeline:deal_detail", args=[deal.pk])}">C</a>' in html
    assert "data-confirm=" in html
    assert "Hand «C» over? New owner:" in html


def test_advice_apply_is_for_heads_only(client, scenario):
    client.force_login(scenario.m1)
    response = client.post(
        reverse("analytics:advice-apply"), {"deal": scenario.deals["E"].pk, "manager": 1}
    )
    assert response.status_code == 403


def test_advice_apply_bad_input(client, scenario):
    client.force_login(scenario.head)
    url = reverse("analytics:advice-apply")
    assert client.post(url, {"deal": "x", "manager": "y"}).status_code == 400
    assert client.get(url).status_code == 405
    # A deal outside the head's department: 404.
    outsider = make_deal(owner=UserFactory(role="manager"), pipeline=scenario.pipeline)
    assert client.post(url, {"deal": outsider.pk, "manager": scenario.m2.pk}).status_code == 404
    # A closed deal: 404 (nothing to reassign).
    assert (
        client.post(url, {"deal": scenario.deals["A"].pk, "manager": scenario.m2.pk}).status_code
        == 404
    )


def _more_history(scenario, count):
    """``count`` more deals per manager, moved on, won, lost or left open."""
    s1, s2, s3, *_ = scenario.stages
    reason = LostReasonFactory()
    for index in range(count):
        for owner in (scenario.m1, scenario.m2):
            deal = make_deal(
                title=f"extra {owner.username} {index}",
                owner=owner,
                pipeline=scenario.pipeline,
                amount=Decimal(1000 + index),
                at=at(index % 20),
            )
            deal_move_stage(deal=deal, stage=s2, user=owner, at=at(index % 20 + 1))
            if index % 3 == 0:
                deal_win(deal=deal, user=owner, at=at(index % 20 + 2))
            elif index % 3 == 1:
                deal_move_stage(deal=deal, stage=s3, user=owner, at=at(index % 20 + 2))
                deal_lose(deal=deal, user=owner, reason=reason, at=at(index % 20 + 3))


# Queries per page: session and user, the head's department tree, the filter form's choices,
# whether the period holds any deal (else a better one is offered), the “Group by” options (on
# the funnel, win-probability, channels and managers pages), the figures, the chart data.
MAX_QUERIES = {
    "analytics:funnel": 19,
    "analytics:transitions": 17,
    "analytics:velocity": 20,
    "analytics:win-probability": 20,
    "analytics:managers": 19,
    "analytics:advice": 21,
}


@pytest.mark.parametrize("page", PAGES)
def test_query_count_does_not_grow_with_data(client, scenario, page, django_assert_max_num_queries):
    # PostgreSQL adds the query time limit's SET and reset (SQLite uses a progress handler).
    limit = MAX_QUERIES[page] + (2 if connection.vendor == "postgresql" else 0)
    client.force_login(scenario.head)
    with django_assert_max_num_queries(limit):
        assert client.get(reverse(page), PERIOD_QUERY).status_code == 200
    _more_history(scenario, 12)
    UserFactory.create_batch(3, role="manager", department=scenario.m1.department)
    # Make some of the new deals stalled for the advice page.
    Deal.objects.filter(status="open").update(stage_entered_at=at(-60))
    with django_assert_max_num_queries(limit):
        assert client.get(reverse(page), PERIOD_QUERY).status_code == 200


def test_date_inputs_keep_iso_dates_in_russian(client, scenario):
    client.force_login(scenario.head)
    client.cookies["django_language"] = "ru"
    response = client.get(reverse("analytics:funnel"), PERIOD_QUERY)
    assert b'type="date" name="date_from" value="2026-03-01"' in response.content
