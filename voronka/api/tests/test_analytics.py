"""Analytics read endpoints: thin wrappers over voronka.analytics with the shared filter; a
token counts only the deals its user may see."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import LeadSourceFactory, UserFactory, make_deal
from voronka.pipeline import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(manager, stages):
    """Three deals of the manager (one won, one at stage 2, one new) and one of someone else."""
    at = timezone.now() - timedelta(days=10)
    source = LeadSourceFactory(name="Сайт")
    won = make_deal(owner=manager, amount=Decimal("500"), at=at, lead_source=source)
    services.deal_move_stage(deal=won, stage=stages[1], user=manager)
    services.deal_win(deal=won, user=manager)
    moved = make_deal(owner=manager, amount=Decimal("300"), at=at, lead_source=source)
    services.deal_move_stage(deal=moved, stage=stages[1], user=manager)
    make_deal(owner=manager, amount=Decimal("200"), at=at)
    make_deal(owner=UserFactory(), amount=Decimal("999"), at=at)
    return source


def test_funnel_counts_only_visible_deals(manager_api, cohort, pipeline, stages):
    response = manager_api.get("analytics/funnel", {"pipeline_id": pipeline.pk})
    assert response.status_code == 200
    body = response.json()
    assert (body["deals"], body["won"], body["lost"], body["open"]) == (3, 1, 0, 2)
    assert body["win_rate"] == pytest.approx(1 / 3)
    assert Decimal(body["won_amount"]) == Decimal("500")
    assert [stage["reached"] for stage in body["stages"]] == [3, 2, 1, 1, 1]
    assert [stage["stage_id"] for stage in body["stages"]] == [s.pk for s in stages]


def test_an_admin_counts_every_deal(admin_api, cohort):
    assert admin_api.get("analytics/funnel").json()["deals"] == 4


def test_channels_per_lead_source(manager_api, cohort):
    rows = manager_api.get("analytics/channels").json()
    by_name = {row["name"]: row for row in rows}
    site = by_name["Сайт"]
    assert (site["source_id"], site["deals"], site["won"], site["open"]) == (cohort.pk, 2, 1, 1)
    assert Decimal(site["revenue"]) == Decimal("500")
    assert site["conversion"] == pytest.approx(0.5)


def test_filters_narrow_the_cohort(manager_api, cohort):
    body = manager_api.get("analytics/funnel", {"lead_source_id": cohort.pk}).json()
    assert body["deals"] == 2
    past = manager_api.get(
        "analytics/funnel", {"date_from": "2001-01-01", "date_to": "2001-12-31"}
    ).json()
    assert past["deals"] == 0


def test_inflow_and_reports_answer(manager_api, cohort):
    inflow = manager_api.get("analytics/inflow")
    assert inflow.status_code == 200
    assert sum(week["inbound"] for week in inflow.json()["weeks"]) == 3
    report = manager_api.get("analytics/reports/funnel").json()
    assert report["name"] == "funnel"
    assert [row[1] for row in report["rows"]] == [3, 2, 1, 1, 1, 1]
    for name in ("transitions", "velocity", "managers", "advice"):
        assert manager_api.get(f"analytics/reports/{name}").status_code == 200, name


def test_bad_analytics_parameters(manager_api, stages):
    unknown = manager_api.get("analytics/reports/horoscope")
    assert unknown.status_code == 422
    reversed_period = manager_api.get(
        "analytics/funnel", {"date_from": "2026-02-01", "date_to": "2026-01-01"}
    )
    assert reversed_period.status_code == 409
    assert list(reversed_period.json()["fields"]) == ["date_from"]
    missing = manager_api.get("analytics/funnel", {"pipeline_id": 999999})
    assert missing.status_code == 404
    assert missing.json()["code"] == "invalid_reference"
    assert manager_api.get("analytics/funnel", {"date_from": "01.02.2026"}).status_code == 422


def test_funnel_query_count_does_not_grow(
    manager_api, manager, stages, django_assert_max_num_queries
):
    make_deal(owner=manager)
    with django_assert_max_num_queries(12):
        assert manager_api.get("analytics/funnel").json()["deals"] == 1
    for _ in range(10):
        make_deal(owner=manager)
    with django_assert_max_num_queries(12):
        assert manager_api.get("analytics/funnel").json()["deals"] == 11
