"""Analytics open on the latest twelve months that hold deals, never on an empty period when
there is history (an imported 2016–2017 history, for example)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests.factories import DepartmentFactory, UserFactory, make_deal, make_pipeline
from voronka.analytics.filters import default_period, history_period

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")
TODAY = date(2026, 11, 30)


def moment(year, month, day, hour=10):
    return datetime(year, month, day, hour, tzinfo=MOSCOW)


@pytest.fixture
def old_history(pipeline, manager):
    """Five deals that first came in between March 2016 and September 2017."""
    for year, month, day in [
        (2016, 3, 1),
        (2016, 8, 15),
        (2016, 12, 1),
        (2017, 5, 2),
        (2017, 9, 20),
    ]:
        make_deal(owner=manager, pipeline=pipeline, at=moment(year, month, day))
    return pipeline


def test_without_deals_the_period_is_the_last_twelve_months(pipeline, manager):
    assert default_period(TODAY, user=manager, pipeline=pipeline) == (
        date(2025, 12, 1),
        date(2026, 11, 30),
    )


def test_an_old_history_opens_on_the_twelve_months_ending_with_its_latest_deal(
    old_history, manager
):
    assert default_period(TODAY, user=manager, pipeline=old_history) == (
        date(2016, 9, 21),
        date(2017, 9, 20),
    )


def test_a_recent_deal_keeps_the_period_ending_today(old_history, manager):
    make_deal(owner=manager, pipeline=old_history, at=moment(2026, 1, 10))
    assert default_period(TODAY, user=manager, pipeline=old_history) == (
        date(2025, 12, 1),
        date(2026, 11, 30),
    )


def test_the_period_follows_what_the_user_may_see(old_history, manager):
    other = UserFactory(role="manager", department=DepartmentFactory())
    make_deal(owner=other, pipeline=old_history, at=moment(2019, 2, 1))
    assert history_period(manager, old_history, today=TODAY) == (
        date(2016, 9, 21),
        date(2017, 9, 20),
    )
    assert history_period(other, old_history, today=TODAY) == (date(2018, 2, 2), date(2019, 2, 1))
    admin = UserFactory(role="admin", department=None)
    assert history_period(admin, old_history, today=TODAY) == (date(2018, 2, 2), date(2019, 2, 1))


def test_the_period_is_per_pipeline(old_history, manager):
    other_pipeline = make_pipeline(name="Партнёры", is_default=False)
    assert history_period(manager, other_pipeline, today=TODAY) is None
    make_deal(owner=manager, pipeline=other_pipeline, at=moment(2015, 6, 30))
    assert history_period(manager, other_pipeline, today=TODAY) == (
        date(2014, 7, 1),
        date(2015, 6, 30),
    )


def test_the_funnel_page_opens_on_the_history_and_counts_its_deals(client, old_history, manager):
    client.force_login(manager)
    response = client.get(reverse("analytics:funnel"))
    assert response.status_code == 200
    analytics_filter = response.context["analytics_filter"]
    latest = (date(2016, 9, 21), date(2017, 9, 20))
    assert (analytics_filter.date_from, analytics_filter.date_to) == latest
    assert response.context["filter_form"].initial["date_from"] == latest[0]
    # 2016-12-01, 2017-05-02 and 2017-09-20 fall in the period.
    assert response.context["funnel"].stages[0].reached == 3
    assert response.context["period_offer"] is None


def test_choosing_another_pipeline_without_dates_uses_its_history(client, old_history, manager):
    other_pipeline = make_pipeline(name="Партнёры", is_default=False)
    make_deal(owner=manager, pipeline=other_pipeline, at=moment(2015, 6, 30))
    client.force_login(manager)
    response = client.get(reverse("analytics:funnel"), {"pipeline": other_pipeline.pk})
    analytics_filter = response.context["analytics_filter"]
    assert (analytics_filter.date_from, analytics_filter.date_to) == (
        date(2014, 7, 1),
        date(2015, 6, 30),
    )


def test_an_empty_chosen_period_says_so_and_offers_the_one_with_deals(client, old_history, manager):
    client.force_login(manager)
    response = client.get(
        reverse("analytics:funnel"), {"date_from": "2020-01-01", "date_to": "2020-12-31"}
    )
    assert response.status_code == 200
    offer = response.context["period_offer"]
    assert (offer.date_from, offer.date_to) == (date(2016, 9, 21), date(2017, 9, 20))
    content = response.content.decode()
    assert 'data-testid="empty-period-offer"' in content
    assert "date_from=2016-09-21&amp;date_to=2017-09-20" in content


def test_the_api_defaults_to_the_history_period(client, old_history, manager):
    client.force_login(manager)
    body = client.get("/api/v1/analytics/funnel").json()
    assert (body["date_from"], body["date_to"]) == ("2016-09-21", "2017-09-20")
