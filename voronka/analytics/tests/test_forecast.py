"""Forecast, product demand and repeat purchases on hand-made data."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import (
    CompanyFactory,
    LostReasonFactory,
    ProductFactory,
    UserFactory,
    make_deal,
    make_pipeline,
)
from voronka.analytics.filters import AnalyticsFilter
from voronka.analytics.forecast import product_demand, repeat_purchases, weighted_forecast
from voronka.pipeline.models import Deal
from voronka.pipeline.services import deal_lose, deal_win, line_item_add

pytestmark = pytest.mark.django_db


def day(month, number, year=2026):
    return datetime(year, month, number, 10, tzinfo=UTC)


def march(pipeline, **kwargs):
    return AnalyticsFilter(
        pipeline=pipeline, date_from=date(2026, 3, 1), date_to=date(2026, 3, 31), **kwargs
    )


@pytest.fixture
def open_pipeline():
    """Open deals: 100 000 (p 0.5, May), 200 000 (p 0.25, May), 40 000 (no probability yet:
    stage 10 %, June), 10 000 (p 0.9, no date); a won and a lost deal do not count."""
    pipeline = make_pipeline()
    m1 = UserFactory(role="manager")
    m2 = UserFactory(role="manager", department=m1.department)
    server = ProductFactory(name="Сервер", price=Decimal(1000))
    licence = ProductFactory(name="Лицензия", price=Decimal(500))

    def deal(owner, amount, close, probability):
        created = make_deal(
            owner=owner,
            pipeline=pipeline,
            amount=Decimal(amount),
            expected_close_date=close,
            at=day(1, 10),
        )
        Deal.objects.filter(pk=created.pk).update(win_probability=probability)
        created.refresh_from_db()
        return created

    a = deal(m1, 100000, date(2026, 5, 20), 0.5)
    deal(m1, 200000, date(2026, 5, 3), 0.25)
    c = deal(m2, 40000, date(2026, 6, 1), None)
    deal(m2, 10000, None, 0.9)
    won = deal(m1, 500000, date(2026, 5, 1), 0.9)
    deal_win(deal=won, user=m1, at=day(2, 1))
    lost = deal(m1, 300000, date(2026, 5, 1), 0.9)
    deal_lose(deal=lost, user=m1, reason=LostReasonFactory(), at=day(2, 1))
    # Line items replace amounts: a = 2 servers + 4 licences = 4 000; c = 3 servers = 3 000.
    line_item_add(deal=a, product=server, quantity=Decimal(2), unit_price=None, user=m1)
    line_item_add(deal=a, product=licence, quantity=Decimal(4), unit_price=None, user=m1)
    line_item_add(deal=c, product=server, quantity=Decimal(3), unit_price=Decimal(1000), user=m2)
    line_item_add(deal=won, product=server, quantity=Decimal(9), unit_price=None, user=m1)
    return pipeline, m1, m2, server, licence


def test_weighted_revenue_by_expected_close_month(open_pipeline, admin_user):
    pipeline, *_ = open_pipeline
    result = weighted_forecast(march(pipeline), admin_user)
    assert [(m.month, m.deals, m.amount, m.weighted) for m in result.months] == [
        # a: 4 000 × 0.5 + b: 200 000 × 0.25
        (date(2026, 5, 1), 2, Decimal(204000), Decimal("52000.00")),
        # c: 3 000 × stage probability 10 %
        (date(2026, 6, 1), 1, Decimal(3000), Decimal("300.00")),
        (None, 1, Decimal(10000), Decimal("9000.00")),
    ]
    assert result.weighted == Decimal("61300.00")


def test_forecast_respects_visibility(open_pipeline):
    pipeline, _m1, m2, *_ = open_pipeline
    result = weighted_forecast(march(pipeline), m2)
    assert [(m.month, m.weighted) for m in result.months] == [
        (date(2026, 6, 1), Decimal("300.00")),
        (None, Decimal("9000.00")),
    ]


def test_demand_per_product_from_open_line_items(open_pipeline, admin_user):
    pipeline, _m1, _m2, server, licence = open_pipeline
    demand = product_demand(march(pipeline), admin_user)
    assert [(p.product_id, p.deals, p.quantity, p.revenue, p.weighted) for p in demand] == [
        # servers: a 2 × 1 000 × 0.5 + c 3 × 1 000 × 0.1 (the won deal's 9 are not demand)
        (server.pk, 2, Decimal(5), Decimal("5000.00"), Decimal("1300.00")),
        (licence.pk, 1, Decimal(4), Decimal("2000.00"), Decimal("1000.00")),
    ]


def test_demand_filtered_by_product(open_pipeline, admin_user):
    pipeline, _m1, _m2, _server, licence = open_pipeline
    demand = product_demand(march(pipeline, product_id=licence.pk), admin_user)
    assert [(p.product_id, p.quantity) for p in demand] == [(licence.pk, Decimal(4))]


@pytest.fixture
def purchases():
    """K1 wins 5 Mar, 4 Apr (30 days later), 1 Jun; K2 wins 10 Mar only; K3 won first in
    February (not a March customer) and again 15 Mar; K4 only lost."""
    pipeline = make_pipeline()
    m1 = UserFactory(role="manager")
    m2 = UserFactory(role="manager", department=m1.department)
    k1, k2, k3, k4 = (CompanyFactory(owner=m1) for _ in range(4))
    reason = LostReasonFactory()

    def won(owner, company, closed):
        created = make_deal(owner=owner, pipeline=pipeline, company=company, at=day(1, 5))
        deal_win(deal=created, user=owner, at=closed)

    won(m1, k1, day(3, 5))
    won(m2, k1, day(4, 4))
    won(m1, k1, day(6, 1))
    won(m2, k2, day(3, 10))
    won(m1, k3, day(2, 1))
    won(m1, k3, day(3, 15))
    lost = make_deal(owner=m1, pipeline=pipeline, company=k4, at=day(1, 5))
    deal_lose(deal=lost, user=m1, reason=reason, at=day(3, 20))
    return pipeline, m1, m2


def test_repeat_rate_and_time_to_second_purchase(purchases, admin_user):
    pipeline, *_ = purchases
    result = repeat_purchases(march(pipeline), admin_user)
    assert (result.customers, result.repeat_customers, result.repeat_rate) == (2, 1, 0.5)
    assert result.gap_days == {30: 1}
    assert (result.median_days, result.p75_days) == (30, 30)
    assert result.by_month == {date(2026, 3, 1): (2, 1)}


def test_repeat_purchases_see_only_visible_wins(purchases):
    pipeline, _m1, m2 = purchases
    # m2 sees K1's April win (its first visible one, in April) and K2's March win.
    result = repeat_purchases(march(pipeline), m2)
    assert (result.customers, result.repeat_customers) == (1, 0)
    assert result.median_days is None


def test_repeat_purchases_in_an_empty_period(purchases, admin_user):
    pipeline, *_ = purchases
    empty = AnalyticsFilter(
        pipeline=pipeline, date_from=date(2025, 1, 1), date_to=date(2025, 1, 31)
    )
    result = repeat_purchases(empty, admin_user)
    assert (result.customers, result.repeat_customers, result.repeat_rate) == (0, 0, None)
    assert result.by_month == {}


def test_two_wins_at_the_same_moment_are_a_first_and_a_second_purchase(admin_user):
    """Ties on the closing moment are broken by the deal's id: one customer, repeat after 0
    days; a third win a month and a half later does not change the gap."""
    pipeline = make_pipeline()
    owner = UserFactory(role="manager")
    customer = CompanyFactory(owner=owner)
    for closed in (day(3, 12), day(3, 12), day(4, 26)):
        deal = make_deal(owner=owner, pipeline=pipeline, company=customer, at=day(1, 5))
        deal_win(deal=deal, user=owner, at=closed)

    result = repeat_purchases(march(pipeline), admin_user)

    assert (result.customers, result.repeat_customers) == (1, 1)
    assert result.gap_days == {0: 1}
    assert result.by_month == {date(2026, 3, 1): (1, 1)}


def test_the_first_purchase_is_the_first_win_within_the_filters_dimensions(purchases, admin_user):
    """Filtered to m1's deals, K1's second win (m2's, in April) is outside: K1's next win within
    the filter is June's (88 days); K3's February win still makes it no March customer."""
    pipeline, m1, _m2 = purchases
    result = repeat_purchases(march(pipeline, owner_id=m1.pk), admin_user)
    assert (result.customers, result.repeat_customers) == (1, 1)
    assert result.gap_days == {88: 1}


REPEAT_EXAMPLES = count()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2),  # company
            st.integers(-40, 80),  # days after 1 March 2026 of the win
            st.integers(0, 23),  # UTC hour: around midnight in Moscow the local day differs
        ),
        max_size=8,
    )
)
def test_repeat_purchases_match_a_plain_python_count(admin_user, wins):
    """Property: customers per month of their first win in March–April and the local days to
    their second win, counted company by company in Python."""
    pipeline = make_pipeline(name=f"Повторы {next(REPEAT_EXAMPLES)}", is_default=False)
    owner = UserFactory(role="manager")
    companies = [CompanyFactory(owner=owner) for _ in range(3)]
    moments: dict[int, list[tuple[datetime, int]]] = {}
    for company_index, offset, hour in wins:
        closed = datetime(2026, 3, 1, hour, tzinfo=UTC) + timedelta(days=offset)
        deal = make_deal(
            owner=owner, pipeline=pipeline, company=companies[company_index], at=day(1, 1)
        )
        deal_win(deal=deal, user=owner, at=closed)
        moments.setdefault(company_index, []).append((closed, deal.pk))
    by_month: dict[date, list[int]] = {}
    gap_days: dict[int, int] = {}
    for ordered in (sorted(wins_of_one) for wins_of_one in moments.values()):
        first_day = timezone.localtime(ordered[0][0]).date()
        if not date(2026, 3, 1) <= first_day <= date(2026, 4, 30):
            continue
        counts = by_month.setdefault(first_day.replace(day=1), [0, 0])
        counts[0] += 1
        if len(ordered) > 1:
            counts[1] += 1
            days = (timezone.localtime(ordered[1][0]).date() - first_day).days
            gap_days[days] = gap_days.get(days, 0) + 1
    period = AnalyticsFilter(
        pipeline=pipeline, date_from=date(2026, 3, 1), date_to=date(2026, 4, 30)
    )
    result = repeat_purchases(period, admin_user)
    assert result.by_month == {month: tuple(counts) for month, counts in sorted(by_month.items())}
    assert result.gap_days == gap_days
