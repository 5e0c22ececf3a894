"""The channel summary gives exactly the channels figures of the raw computation.

Random histories of deals with companies of several customer types and lead sources go through
the services (create, win, lose, reopen, amount, reassign, change of company or source), the
bulk writer, company type changes and the returning-customer refresh, with the summary kept by
them; then the channels page's figures from the summary and from raw rows (summary switched
off) must be equal for several users and filters, and a full rebuild must give the same rows.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import (
    CompanyFactory,
    DepartmentFactory,
    LeadSourceFactory,
    LostReasonFactory,
    UserFactory,
    make_deal,
    make_pipeline,
)
from voronka.analytics.channels import channels
from voronka.analytics.filters import AnalyticsFilter
from voronka.analytics.models import ChannelDaySummary
from voronka.analytics.summary import summary_rebuild
from voronka.analytics.summary_reads import channel_summary_serves
from voronka.crm.models import CustomerType
from voronka.crm.services import company_update
from voronka.pipeline.bulk import (
    HistoricalDeal,
    NewDeal,
    refresh_returning_customers,
    write_historical_deals,
)
from voronka.pipeline.models import Deal, DealStatus
from voronka.pipeline.services import (
    deal_change_amount,
    deal_lose,
    deal_reassign,
    deal_reopen,
    deal_update,
    deal_win,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 30, 21, 30, tzinfo=UTC)  # 00:30 the next day in Moscow: months differ
TYPES = [CustomerType.SMALL, CustomerType.ENTERPRISE, CustomerType.PUBLIC]

steps = st.lists(
    st.one_of(
        st.tuples(st.just("win"), st.just(0)),
        st.tuples(st.just("lose"), st.just(0)),
        st.tuples(st.just("reopen"), st.just(0)),
        st.tuples(st.just("amount"), st.integers(1, 50)),
        st.tuples(st.just("reassign"), st.integers(0, 2)),
        st.tuples(st.just("company"), st.integers(0, 3)),  # 3: no company
        st.tuples(st.just("source"), st.integers(0, 2)),  # 2: no source
        st.tuples(st.just("retype"), st.integers(0, len(TYPES) - 1)),  # the deal's company
    ),
    max_size=5,
)
deal_histories = st.lists(
    st.tuples(
        st.integers(0, 2),  # owner index
        st.integers(0, 3),  # company index (3: none)
        st.integers(0, 2),  # source index (2: none)
        st.integers(0, 60),  # hours after T0: cohort days and months differ
        steps,
        st.booleans(),  # written by the bulk writer instead of the services
    ),
    max_size=8,
)


def build(histories):
    department = DepartmentFactory()
    owners = [
        UserFactory(role="manager", department=department),
        UserFactory(role="manager", department=department),
        UserFactory(role="manager", department=DepartmentFactory()),
    ]
    admin = UserFactory(role="admin", department=None)
    companies = [CompanyFactory(owner=owners[0], customer_type=kind) for kind in TYPES] + [None]
    sources = [LeadSourceFactory(name="Сайт"), LeadSourceFactory(name="Выставка"), None]
    reason = LostReasonFactory()
    pipeline = make_pipeline(names=["s0", "s1"], name="channels history", is_default=False)
    stage = pipeline.stages.order_by("order").first()
    for owner_index, company_index, source_index, hours, deal_steps, bulk in histories:
        moment = T0 + timedelta(hours=hours)
        if bulk:
            outcome = {"win": DealStatus.WON, "lose": DealStatus.LOST}.get(
                deal_steps[-1][0] if deal_steps else "", DealStatus.OPEN
            )
            write_historical_deals(
                [
                    HistoricalDeal(
                        deal=Deal(
                            title="bulk",
                            owner=owners[owner_index],
                            pipeline=pipeline,
                            company=companies[company_index],
                            lead_source=sources[source_index],
                            amount=Decimal(7000),
                            first_contact_at=moment,
                            # As the importer writes it before refreshing the flags.
                            is_returning_customer=company_index == 0,
                        ),
                        path=[(stage, moment)],
                        outcome=outcome,
                        closed_at=moment + timedelta(days=3) if outcome != "open" else None,
                        lost_reason_id=reason.pk if outcome == DealStatus.LOST else None,
                    )
                ]
            )
            continue
        deal = make_deal(
            owner=owners[owner_index],
            pipeline=pipeline,
            at=moment,
            company=companies[company_index],
            lead_source=sources[source_index],
        )
        for step, (action, value) in enumerate(deal_steps, 1):
            at = moment + timedelta(days=step, hours=step)
            deal.refresh_from_db()
            if action == "win" and deal.is_open:
                deal_win(deal=deal, user=deal.owner, at=at)
            elif action == "lose" and deal.is_open:
                deal_lose(deal=deal, user=deal.owner, reason=reason, at=at)
            elif action == "reopen" and not deal.is_open:
                deal_reopen(deal=deal, user=deal.owner, at=at)
            elif action == "amount":
                deal_change_amount(deal=deal, amount=Decimal(value * 1000), user=None, at=at)
            elif action == "reassign" and owners[value] != deal.owner:
                deal_reassign(deal=deal, new_owner=owners[value], user=None, at=at)
            elif action == "company":
                deal_update(deal=deal, user=None, company=companies[value])
            elif action == "source":
                deal_update(deal=deal, user=None, lead_source=sources[value])
            elif action == "retype" and deal.company is not None:
                company_update(company=deal.company, user=admin, customer_type=TYPES[value])
    refresh_returning_customers([company.pk for company in companies if company is not None])
    return pipeline, owners, department, admin, sources


def figures(analytics_filter, user):
    result = channels(analytics_filter, user)
    return (
        [
            (
                row.source_id,
                row.deals,
                row.won,
                row.lost,
                row.open,
                row.revenue,
                row.median_cycle_days,
                sorted((key, split.deals, split.won) for key, split in row.by_type.items()),
                sorted((key, split.deals, split.won) for key, split in row.by_maturity.items()),
                sorted((key, split.deals, split.won) for key, split in row.trend.items()),
            )
            for row in result.rows
        ],
        result.months,
        result.customer_types,
    )


def raw_figures(analytics_filter, user):
    with mock.patch("voronka.analytics.summary_reads.summary_is_built", return_value=False):
        assert not channel_summary_serves(analytics_filter)
        return figures(analytics_filter, user)


def summary_totals():
    return sorted(
        ChannelDaySummary.objects.values(
            "pipeline", "cohort_day", "owner", "lead_source", "customer_type", "is_returning"
        )
        .annotate(n=Sum("deals"), w=Sum("won"), lo=Sum("lost"), o=Sum("open"), r=Sum("revenue"))
        .filter(n__gt=0)
        .values_list(
            "cohort_day", "owner", "lead_source", "customer_type", "is_returning", "n", "w", "lo",
            "o", "r",
        ),
        key=str,
    )  # fmt: skip


@given(histories=deal_histories)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_channel_summary_figures_equal_the_raw_computation_after_random_histories(histories):
    with transaction.atomic():
        summary_rebuild()  # built (empty) first: from here on only the writers keep it
        pipeline, owners, department, admin, sources = build(histories)
        head = UserFactory(role="head", department=department)
        may, june = (date(2026, 5, 1), date(2026, 6, 30)), (date(2026, 6, 1), date(2026, 6, 1))
        filters = [
            AnalyticsFilter(pipeline=pipeline, date_from=may[0], date_to=may[1]),
            AnalyticsFilter(pipeline=pipeline, date_from=june[0], date_to=june[1]),
            AnalyticsFilter(
                pipeline=pipeline, date_from=may[0], date_to=may[1], owner_id=owners[1].pk
            ),
            AnalyticsFilter(
                pipeline=pipeline, date_from=may[0], date_to=may[1], department_id=department.pk
            ),
            AnalyticsFilter(
                pipeline=pipeline, date_from=may[0], date_to=may[1], lead_source_id=sources[0].pk
            ),
            AnalyticsFilter(
                pipeline=pipeline,
                date_from=may[0],
                date_to=may[1],
                customer_type=CustomerType.ENTERPRISE,
            ),
        ]
        for user in (admin, head, owners[0], owners[2]):
            for analytics_filter in filters:
                assert channel_summary_serves(analytics_filter)
                assert figures(analytics_filter, user) == raw_figures(analytics_filter, user)
        incremental = summary_totals()
        summary_rebuild()
        assert summary_totals() == incremental
        transaction.set_rollback(True)


def test_a_company_type_change_and_the_returning_refresh_move_deals_between_rows():
    owner = UserFactory(role="manager")
    admin = UserFactory(role="admin", department=None)
    company = CompanyFactory(owner=owner, customer_type=CustomerType.SMALL)
    pipeline = make_pipeline(names=["s0", "s1"], name="p", is_default=False)
    summary_rebuild()
    first = make_deal(owner=owner, pipeline=pipeline, at=T0, company=company, amount=Decimal(5))
    deal_win(deal=first, user=owner, at=T0 + timedelta(days=1))
    make_deal(owner=owner, pipeline=pipeline, at=T0 + timedelta(days=2), company=company)

    def rows():
        return sorted(
            ChannelDaySummary.objects.values_list(
                "cohort_day", "customer_type", "is_returning", "deals", "won", "open", "revenue"
            )
        )

    day = date(2026, 5, 31)
    assert rows() == [
        (day, "small", False, 1, 1, 0, Decimal(5)),
        (day + timedelta(days=2), "small", True, 1, 0, 1, Decimal(0)),
    ]
    company_update(company=company, user=admin, customer_type=CustomerType.PUBLIC)
    assert [row[1] for row in rows()] == ["public", "public"]
    # The importer's refresh: the first deal's win is undone behind the services' back.
    Deal.objects.filter(pk=first.pk).update(status=DealStatus.OPEN, closed_at=None)
    refresh_returning_customers([company.pk])
    assert [row[2] for row in rows()] == [False, False]


def _historical(owner, pipeline, company, created, *, won_at=None, amount=Decimal(10)):
    first = pipeline.stages.order_by("order").first()
    return HistoricalDeal(
        deal=NewDeal(
            title="d",
            owner_id=owner.pk,
            pipeline_id=pipeline.pk,
            company_id=company.pk,
            amount=amount,
            first_contact_at=created,
        ),  # fmt: skip
        path=[(first, created)],
        outcome=DealStatus.WON if won_at else DealStatus.OPEN,
        closed_at=won_at,
    )


def test_the_returning_refresh_moves_flipped_deals_between_rows_that_were_added_beside():
    """Deals written newest first get their flags only from the refresh: the flipped deals
    leave their rows (a key written by two batches has two rows) and the result is what a
    rebuild computes."""
    owner = UserFactory(role="manager")
    pipeline = make_pipeline(names=["s0", "s1"], name="p", is_default=False)
    small = CompanyFactory(owner=owner, customer_type=CustomerType.SMALL)
    public = CompanyFactory(owner=owner, customer_type=CustomerType.PUBLIC)
    summary_rebuild()
    later = T0 + timedelta(days=10)
    # Two batches with deals in the same cells, written before the wins that make them
    # returning: every key of these open deals has two rows.
    for _batch in range(2):
        write_historical_deals(
            [
                _historical(owner, pipeline, small, later),
                _historical(owner, pipeline, small, later, amount=Decimal(7)),
                _historical(owner, pipeline, public, later),
            ]
        )
    write_historical_deals(
        [
            _historical(owner, pipeline, small, T0, won_at=T0 + timedelta(days=1)),
            _historical(owner, pipeline, public, T0, won_at=T0 + timedelta(days=2)),
        ]
    )
    assert ChannelDaySummary.objects.filter(is_returning=False).count() == 6
    refresh_returning_customers([small.pk, public.pk])
    assert Deal.objects.filter(is_returning_customer=True).count() == 6
    incremental = summary_totals()
    # One row per key now, the deals that stayed new untouched.
    assert ChannelDaySummary.objects.count() == 4
    summary_rebuild()
    assert summary_totals() == incremental
    day = date(2026, 6, 10)
    assert [row[3:] for row in incremental if row[0] == day] == [
        ("public", True, 2, 0, 0, 2, Decimal(0)),
        ("small", True, 4, 0, 0, 4, Decimal(0)),
    ]


def test_the_returning_refresh_recomputes_cells_whose_rows_do_not_hold_the_moved_deals():
    """Rows that no longer match the deals (written behind the summary's back) are
    recomputed from the deals rather than given negative counts."""
    owner = UserFactory(role="manager")
    pipeline = make_pipeline(names=["s0", "s1"], name="p", is_default=False)
    company = CompanyFactory(owner=owner, customer_type=CustomerType.SMALL)
    summary_rebuild()
    later = T0 + timedelta(days=10)
    write_historical_deals([_historical(owner, pipeline, company, later)])
    write_historical_deals(
        [_historical(owner, pipeline, company, T0, won_at=T0 + timedelta(days=1))]
    )
    ChannelDaySummary.objects.filter(cohort_day=date(2026, 6, 10)).delete()
    refresh_returning_customers([company.pk])
    incremental = summary_totals()
    summary_rebuild()
    assert summary_totals() == incremental
    assert ChannelDaySummary.objects.filter(is_returning=True).count() == 1
