"""Channels per lead source on a hand-made history (expected figures worked out by hand).

    deal  source  company (type)       first contact  outcome           amount
    a     Сайт    K1 (small)           2 Mar          won 12 Mar (10d)  100 000
    b     Сайт    K2 (enterprise)      3 Mar          won 23 Mar (20d)  200 000
    c     Сайт    K1 (returning)       20 Mar         lost 25 Mar        50 000
    d     Сайт    —                    6 Apr          lost 8 Apr         10 000
    e     Выставка K2 (returning)      24 Mar         won 29 Mar (5d)    50 000
    f     Выставка —                   25 Mar         open               70 000
    g     —       —                    10 Mar         lost 11 Mar        30 000
Costs: Сайт 30 000 in March + 10 000 in April (+ 999 in February, outside the period);
Выставка has no cost.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests.factories import (
    CompanyFactory,
    LeadSourceFactory,
    LostReasonFactory,
    UserFactory,
    make_deal,
    make_pipeline,
)
from voronka.analytics.channels import channels, weighted_median
from voronka.analytics.filters import AnalyticsFilter
from voronka.crm.models import LeadSourceCost
from voronka.pipeline.services import deal_lose, deal_win

pytestmark = pytest.mark.django_db


def day(month, number):
    return datetime(2026, month, number, 10, tzinfo=UTC)


@pytest.fixture
def history():
    pipeline = make_pipeline()
    m1 = UserFactory(role="manager")
    m2 = UserFactory(role="manager", department=m1.department)
    site = LeadSourceFactory(name="Сайт")
    fair = LeadSourceFactory(name="Выставка")
    k1 = CompanyFactory(customer_type="small", owner=m1)
    k2 = CompanyFactory(customer_type="enterprise", owner=m1)
    reason = LostReasonFactory()
    LeadSourceCost.objects.create(source=site, month=date(2026, 2, 1), amount=Decimal(999))
    LeadSourceCost.objects.create(source=site, month=date(2026, 3, 1), amount=Decimal(30000))
    LeadSourceCost.objects.create(source=site, month=date(2026, 4, 1), amount=Decimal(10000))

    def deal(owner, source, company, when, amount, outcome=None, closed=None):
        created = make_deal(
            owner=owner,
            pipeline=pipeline,
            lead_source=source,
            company=company,
            amount=Decimal(amount),
            at=when,
        )
        if outcome == "won":
            deal_win(deal=created, user=owner, at=closed)
        elif outcome == "lost":
            deal_lose(deal=created, user=owner, reason=reason, at=closed)
        return created

    deal(m1, site, k1, day(3, 2), 100000, "won", day(3, 12))
    deal(m1, site, k2, day(3, 3), 200000, "won", day(3, 23))
    deal(m1, site, k1, day(3, 20), 50000, "lost", day(3, 25))
    deal(m1, site, None, day(4, 6), 10000, "lost", day(4, 8))
    deal(m2, fair, k2, day(3, 24), 50000, "won", day(3, 29))
    deal(m2, fair, None, day(3, 25), 70000)
    deal(m2, None, None, day(3, 10), 30000, "lost", day(3, 11))
    return pipeline, m1, m2, site, fair


def spring(pipeline, **kwargs):
    return AnalyticsFilter(
        pipeline=pipeline, date_from=date(2026, 3, 1), date_to=date(2026, 4, 30), **kwargs
    )


def test_channels_per_source(history, admin_user):
    pipeline, _m1, _m2, site, fair = history
    result = channels(spring(pipeline), admin_user)
    assert [(r.source_id, r.deals, r.won, r.lost, r.open) for r in result.rows] == [
        (site.pk, 4, 2, 2, 0),
        (fair.pk, 2, 1, 0, 1),
        (None, 1, 0, 1, 0),
    ]
    site_row, fair_row, none_row = result.rows
    assert (site_row.conversion, fair_row.conversion, none_row.conversion) == (0.5, 0.5, 0.0)
    assert (site_row.revenue, fair_row.revenue, none_row.revenue) == (
        Decimal(300000),
        Decimal(50000),
        Decimal(0),
    )
    # Cycles: 10 and 20 days (median of a tie: their mean), 5 days, none won.
    assert (site_row.median_cycle_days, fair_row.median_cycle_days) == (15, 5)
    assert none_row.median_cycle_days is None


def test_cost_per_won_deal_only_where_cost_is_entered(history, admin_user):
    pipeline, *_ = history
    site_row, fair_row, none_row = channels(spring(pipeline), admin_user).rows
    assert site_row.cost == Decimal(40000)  # March + April, not February
    assert site_row.cost_per_won == Decimal("20000.00")
    assert (fair_row.cost, fair_row.cost_per_won) == (None, None)
    assert (none_row.cost, none_row.cost_per_won) == (None, None)


def test_channels_split_by_customer_type_and_maturity(history, admin_user):
    pipeline, *_ = history
    result = channels(spring(pipeline), admin_user)
    site_row, fair_row, _none = result.rows
    assert {k: (s.deals, s.won) for k, s in site_row.by_type.items()} == {
        "small": (2, 1),
        "enterprise": (1, 1),
        "": (1, 0),
    }
    assert [key for key, _label in result.customer_types] == ["small", "enterprise", ""]
    # c (K1 after its March win) and e (K2 after its win on 23 March) are returning customers.
    assert {k: (s.deals, s.won) for k, s in site_row.by_maturity.items()} == {
        False: (3, 2),
        True: (1, 0),
    }
    assert {k: (s.deals, s.won) for k, s in fair_row.by_maturity.items()} == {
        False: (1, 0),
        True: (1, 1),
    }


def test_channel_trend_by_month_of_first_contact(history, admin_user):
    pipeline, *_ = history
    result = channels(spring(pipeline), admin_user)
    assert result.months == [date(2026, 3, 1), date(2026, 4, 1)]
    site_row = result.rows[0]
    assert {m: (s.deals, s.won) for m, s in site_row.trend.items()} == {
        date(2026, 3, 1): (3, 2),
        date(2026, 4, 1): (1, 0),
    }


def test_empty_period_has_no_channels(history, admin_user):
    pipeline, *_ = history
    empty = AnalyticsFilter(
        pipeline=pipeline, date_from=date(2025, 1, 1), date_to=date(2025, 1, 31)
    )
    result = channels(empty, admin_user)
    assert (result.rows, result.months, result.customer_types) == ([], [], [])


def test_a_manager_sees_only_own_channels(history):
    pipeline, _m1, m2, _site, fair = history
    result = channels(spring(pipeline), m2)
    assert [(r.source_id, r.deals, r.won) for r in result.rows] == [(fair.pk, 2, 1), (None, 1, 0)]


def test_weighted_median_with_ties_and_even_counts():
    assert weighted_median({}) is None
    assert weighted_median({5: 1}) == 5
    assert weighted_median({10: 1, 20: 1}) == 15
    assert weighted_median({1: 2, 7: 1}) == 1
    assert weighted_median({1: 1, 3: 2, 9: 1}) == 3
