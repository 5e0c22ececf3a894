"""Inflow vs conversion on a hand-made history (expected figures worked out by hand)."""

from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import LostReasonFactory, UserFactory, make_deal, make_pipeline
from voronka.analytics.filters import AnalyticsFilter
from voronka.analytics.inflow import fit_slope, inflow_vs_conversion, inflow_weeks
from voronka.pipeline.services import deal_lose, deal_win

pytestmark = pytest.mark.django_db

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
EXAMPLES = count()


def day(month, number, hour=10):
    return datetime(2026, month, number, hour, tzinfo=UTC)


@pytest.fixture
def history():
    """m1: X carried from February (open); weeks of 2, 4, 6 deals with 1 win each, then 3 open.
    m2: a single deal, won in its first week."""
    pipeline = make_pipeline()
    m1 = UserFactory(role="manager", first_name="Анна", last_name="Первая")
    m2 = UserFactory(
        role="manager", department=m1.department, first_name="Борис", last_name="Второй"
    )
    reason = LostReasonFactory()

    def deal(owner, when, outcome=None, closed=None):
        created = make_deal(owner=owner, pipeline=pipeline, at=when)
        if outcome == "won":
            deal_win(deal=created, user=owner, at=closed)
        elif outcome == "lost":
            deal_lose(deal=created, user=owner, reason=reason, at=closed)
        return created

    deal(m1, day(2, 20))
    deal(m1, day(3, 2), "won", day(3, 5))
    deal(m1, day(3, 3), "lost", day(3, 6))
    deal(m1, day(3, 9), "won", day(3, 12))
    for _ in range(3):
        deal(m1, day(3, 10), "lost", day(3, 13))
    deal(m1, day(3, 16), "won", day(3, 18))
    for _ in range(5):
        deal(m1, day(3, 17), "lost", day(3, 18))
    for _ in range(3):
        deal(m1, day(3, 24))
    deal(m2, day(3, 3), "won", day(3, 4))
    return pipeline, m1, m2


def march(pipeline, **kwargs):
    return AnalyticsFilter(pipeline=pipeline, date_from=MARCH[0], date_to=MARCH[1], **kwargs)


def test_weekly_cohorts_count_inbound_and_outcomes(history, admin_user):
    pipeline, m1, _m2 = history
    weeks = inflow_weeks(march(pipeline, owner_id=m1.pk), admin_user)
    assert [(w.week, w.inbound, w.won, w.lost, w.open) for w in weeks] == [
        (date(2026, 3, 2), 2, 1, 1, 0),
        (date(2026, 3, 9), 4, 1, 3, 0),
        (date(2026, 3, 16), 6, 1, 5, 0),
        (date(2026, 3, 23), 3, 0, 0, 3),
    ]
    assert [w.settled for w in weeks] == [True, True, True, False]
    assert weeks[1].conversion == 0.25


def test_slope_is_fitted_over_settled_weeks_with_a_t_interval(history, admin_user):
    pipeline, m1, _m2 = history
    result = inflow_vs_conversion(march(pipeline, owner_id=m1.pk), admin_user)
    slope = result.slope
    # x = 2, 4, 6; y = 1/2, 1/4, 1/6: slope −1/12, intercept 23/36, SE = sqrt(1/1728).
    assert slope.points == 3
    assert slope.slope == pytest.approx(-1 / 12)
    assert slope.intercept == pytest.approx(23 / 36)
    margin = 12.706204736174698 * (1 / 1728) ** 0.5
    assert slope.low == pytest.approx(-1 / 12 - margin)
    assert slope.high == pytest.approx(-1 / 12 + margin)
    assert not slope.falls  # three points: the interval still includes zero


def test_manager_load_counts_carried_and_new_open_deals(history, admin_user):
    pipeline, m1, m2 = history
    result = inflow_vs_conversion(march(pipeline), admin_user)
    by_owner = {m.owner_id: m for m in result.managers}
    first = by_owner[m1.pk]
    # Weeks from Monday 23 Feb: X carried (1), +2, +4, +6 closed the same week, +3 open.
    assert [w.load for w in first.weeks] == [1, 3, 5, 7, 4, 4]
    assert (first.deals, first.won, first.average_load) == (15, 3, 4.0)
    single = by_owner[m2.pk]
    assert [w.load for w in single.weeks] == [0, 1, 0, 0, 0, 0]
    assert (single.deals, single.won, single.conversion) == (1, 1, 1.0)
    assert single.average_load == pytest.approx(1 / 6)
    # Points (3, 1/2), (5, 1/4), (7, 1/6), (1, 1): Sxy = −2.75, Sxx = 20.
    assert result.manager_slope.points == 4
    assert result.manager_slope.slope == pytest.approx(-0.1375)
    assert [m.owner_id for m in result.managers] == [m1.pk, m2.pk]


def test_empty_period_has_no_weeks_and_no_slope(history, admin_user):
    pipeline, _m1, _m2 = history
    empty = AnalyticsFilter(
        pipeline=pipeline, date_from=date(2025, 1, 1), date_to=date(2025, 1, 31)
    )
    result = inflow_vs_conversion(empty, admin_user)
    assert result.weeks == []
    assert result.slope is None
    assert result.manager_slope is None


def test_a_manager_sees_only_own_cohorts(history):
    pipeline, _m1, m2 = history
    result = inflow_vs_conversion(march(pipeline), m2)
    assert [(w.week, w.inbound, w.won) for w in result.weeks] == [(date(2026, 3, 2), 1, 1)]
    assert [m.owner_id for m in result.managers] == [m2.pk]


def test_fit_slope_needs_three_points_and_varying_x():
    assert fit_slope([1, 2], [0.5, 0.4]) is None
    assert fit_slope([3, 3, 3], [0.5, 0.4, 0.3]) is None
    assert fit_slope([1, 2, 3], [0.3, 0.2, 0.1]).slope == pytest.approx(-0.1)
    flat = fit_slope([1, 2, 3], [1.0, 1.0, 1.0])
    assert (flat.slope, flat.low, flat.high) == (0.0, 0.0, 0.0)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(st.integers(0, 27), st.sampled_from(["open", "won", "lost"])),
        min_size=0,
        max_size=8,
    )
)
def test_weekly_cohorts_match_a_plain_python_count(admin_user, deals):
    """Property: the grouped query agrees with counting the deals one by one in Python."""
    # Each example gets its own pipeline: history rows may not be deleted.
    pipeline = make_pipeline(name=f"Свойства {next(EXAMPLES)}", is_default=False)
    owner = UserFactory()
    reason = LostReasonFactory()
    start = datetime(2026, 2, 2, 10, tzinfo=UTC)  # a Monday
    expected: dict[date, list[int]] = {}
    for offset, outcome in deals:
        when = start + timedelta(days=offset)
        deal = make_deal(owner=owner, pipeline=pipeline, at=when)
        if outcome == "won":
            deal_win(deal=deal, user=owner, at=when + timedelta(hours=1))
        elif outcome == "lost":
            deal_lose(deal=deal, user=owner, reason=reason, at=when + timedelta(hours=1))
        monday = (when - timedelta(days=when.weekday())).date()
        counts = expected.setdefault(monday, [0, 0, 0, 0])
        counts[0] += 1
        counts[{"won": 1, "lost": 2, "open": 3}[outcome]] += 1
    analytics_filter = AnalyticsFilter(
        pipeline=pipeline, date_from=date(2026, 2, 1), date_to=date(2026, 3, 31)
    )
    weeks = inflow_weeks(analytics_filter, admin_user)
    assert {w.week: [w.inbound, w.won, w.lost, w.open] for w in weeks} == expected


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 1),  # owner
            st.integers(-20, 25),  # first contact: days after 4 March (before, in, after)
            st.sampled_from(["open", "won", "lost"]),
            st.integers(0, 30),  # days from first contact to the close
        ),
        max_size=8,
    )
)
def test_manager_load_matches_a_plain_python_count(admin_user, deals):
    """Property: each week's load is the manager's deals started before the week's end (within
    the period) and not closed before its start, counted one by one: deals carried in and
    closed during the period, after it, or never."""
    pipeline = make_pipeline(name=f"Нагрузка {next(EXAMPLES)}", is_default=False)
    owners = [UserFactory(), UserFactory()]
    reason = LostReasonFactory()
    date_from, date_to = date(2026, 3, 4), date(2026, 3, 24)  # Wednesday to Tuesday
    start = datetime(2026, 3, 4, 7, tzinfo=UTC)  # 10:00 in Moscow
    made = []  # (owner id, local first-contact day, local close day or None)
    for owner_index, offset, outcome, days in deals:
        owner = owners[owner_index]
        when = start + timedelta(days=offset)
        deal = make_deal(owner=owner, pipeline=pipeline, at=when)
        closed = when + timedelta(days=days, hours=1)
        if outcome == "won":
            deal_win(deal=deal, user=owner, at=closed)
        elif outcome == "lost":
            deal_lose(deal=deal, user=owner, reason=reason, at=closed)
        close_day = None if outcome == "open" else timezone.localtime(closed).date()
        made.append((owner.pk, timezone.localtime(when).date(), close_day))
    analytics_filter = AnalyticsFilter(pipeline=pipeline, date_from=date_from, date_to=date_to)

    mondays = [date(2026, 3, 2) + timedelta(days=7 * n) for n in range(4)]
    expected = {}
    for owner in owners:
        mine = [(first, close) for pk, first, close in made if pk == owner.pk]
        active = any(
            first < date_from
            and (close is None or close >= date_from)
            or date_from <= first <= date_to
            or close is not None
            and date_from <= close <= date_to
            for first, close in mine
        )
        if not active:
            continue
        loads = []
        for monday in mondays:
            week_start = max(monday, date_from)
            week_end = min(monday + timedelta(days=7), date_to + timedelta(days=1))
            loads.append(
                sum(
                    1
                    for first, close in mine
                    if first < week_end and (close is None or close >= week_start)
                )
            )
        expected[owner.pk] = loads
    result = inflow_vs_conversion(analytics_filter, admin_user)
    assert {m.owner_id: [w.load for w in m.weeks] for m in result.managers} == expected
