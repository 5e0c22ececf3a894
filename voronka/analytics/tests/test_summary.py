"""The stage summary gives exactly the figures of the raw computation, after any history.

Random histories go through the services (create, move, amount, reassign, win, lose, reopen)
and the bulk writer, with the summary kept by them incrementally; then velocity, transitions
and managers are computed from the summary and from raw rows (summary switched off) for
several users and filters, and must be equal. A full rebuild must give the same sums too.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import (
    DepartmentFactory,
    LostReasonFactory,
    UserFactory,
    make_deal,
    make_pipeline,
)
from voronka.analytics.effectiveness import manager_effectiveness, pipeline_trials
from voronka.analytics.filters import AnalyticsFilter
from voronka.analytics.models import StageDaySummary, SummaryState
from voronka.analytics.summary import summary_rebuild
from voronka.analytics.summary_reads import summary_serves
from voronka.analytics.transitions import transition_counts
from voronka.analytics.velocity import velocity
from voronka.pipeline.bulk import HistoricalDeal, write_historical_deals
from voronka.pipeline.models import Deal, DealStatus
from voronka.pipeline.services import (
    deal_change_amount,
    deal_lose,
    deal_move_stage,
    deal_reassign,
    deal_reopen,
    deal_win,
)

pytestmark = pytest.mark.django_db

STAGES = 4
T0 = datetime(2026, 5, 4, 21, 30, tzinfo=UTC)  # 00:30 the next day in Moscow: day edges matter
NOW = datetime(2026, 8, 1, 12, 0, tzinfo=UTC)

steps = st.lists(
    st.one_of(
        st.tuples(st.just("move"), st.integers(0, STAGES - 1)),
        st.tuples(st.just("amount"), st.integers(1, 50)),
        st.tuples(st.just("reassign"), st.integers(0, 2)),
        st.tuples(st.just("win"), st.just(0)),
        st.tuples(st.just("lose"), st.just(0)),
        st.tuples(st.just("reopen"), st.just(0)),
    ),
    max_size=6,
)
deal_histories = st.lists(
    st.tuples(
        st.integers(0, 2),  # owner index
        st.integers(0, STAGES - 1),  # created in
        st.integers(0, 40),  # hours after T0 (cohort days differ)
        steps,
        st.booleans(),  # written by the bulk writer instead of the services
    ),
    max_size=8,
)


def build(histories):
    department, other_department = DepartmentFactory(), DepartmentFactory()
    owners = [
        UserFactory(role="manager", department=department),
        UserFactory(role="manager", department=department),
        UserFactory(role="manager", department=other_department),
    ]
    reason = LostReasonFactory()
    pipeline = make_pipeline(
        names=[f"s{index}" for index in range(STAGES)],
        name="summary history",
        is_default=False,
        probabilities=(10, 30, 50, 70),
    )
    stages = list(pipeline.stages.order_by("order"))
    for owner_index, start, hours, deal_steps, bulk in histories:
        moment = T0 + timedelta(hours=hours)
        if bulk:
            path = [(stages[start], moment)]
            for step, (action, value) in enumerate(deal_steps, 1):
                if action == "move" and stages[value] != path[-1][0]:
                    path.append((stages[value], moment + timedelta(days=step, hours=step)))
            outcome = deal_steps[-1][0] if deal_steps else "open"
            closed = outcome in ("win", "lose")
            write_historical_deals(
                [
                    HistoricalDeal(
                        deal=Deal(
                            title="bulk",
                            owner=owners[owner_index],
                            pipeline=pipeline,
                            amount=Decimal(7000),
                        ),
                        path=path,
                        outcome={"win": DealStatus.WON, "lose": DealStatus.LOST}.get(
                            outcome, DealStatus.OPEN
                        ),
                        closed_at=moment + timedelta(days=10) if closed else None,
                        lost_reason_id=reason.pk if outcome == "lose" else None,
                    )
                ]
            )
            continue
        deal = make_deal(
            owner=owners[owner_index], pipeline=pipeline, stage=stages[start], at=moment
        )
        for step, (action, value) in enumerate(deal_steps, 1):
            at = moment + timedelta(days=step, hours=step)
            deal.refresh_from_db()
            if action == "move" and deal.is_open and stages[value] != deal.stage:
                deal_move_stage(deal=deal, stage=stages[value], user=deal.owner, at=at)
            elif action == "amount":
                deal_change_amount(deal=deal, amount=Decimal(value * 1000), user=None, at=at)
            elif action == "reassign" and owners[value] != deal.owner:
                deal_reassign(deal=deal, new_owner=owners[value], user=None, at=at)
            elif action == "win" and deal.is_open:
                deal_win(deal=deal, user=deal.owner, at=at)
            elif action == "lose" and deal.is_open:
                deal_lose(deal=deal, user=deal.owner, reason=reason, at=at)
            elif action == "reopen" and not deal.is_open:
                deal_reopen(deal=deal, user=deal.owner, at=at)
    return pipeline, owners, department


def figures(analytics_filter, user):
    result = velocity(analytics_filter, user, now=NOW)
    stages = [
        (
            row.stage_id,
            row.stays,
            row.open_stays,
            row.median_days,
            row.p75_days,
            row.longest_days,
            row.entered,
            row.lost,
            row.lost_amount,
            row.score,
        )
        for row in result.stages
    ]
    effectiveness = manager_effectiveness(analytics_filter, user)
    cells = {
        key: (cell.successes, cell.trials, round(cell.shrunken_rate, 12))
        for key, cell in effectiveness.cells.items()
    }
    # Reassignment advice reads every closed stay of the pipeline (no period, every owner).
    trials = pipeline_trials(analytics_filter.pipeline)
    return stages, transition_counts(analytics_filter, user), cells, trials


def raw_figures(analytics_filter, user):
    with mock.patch("voronka.analytics.summary_reads.summary_is_built", return_value=False):
        assert not summary_serves(analytics_filter)
        return figures(analytics_filter, user)


def summary_totals():
    return sorted(
        StageDaySummary.objects.values("pipeline", "cohort_day", "owner", "stage", "measure", "key")
        .annotate(n=Sum("count"), ok=Sum("successes"), total=Sum("amount"))
        .filter(n__gt=0)
        .values_list("cohort_day", "owner", "stage", "measure", "key", "n", "ok", "total")
    )


@given(histories=deal_histories)
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_summary_figures_equal_the_raw_computation_after_random_histories(histories):
    with transaction.atomic():
        summary_rebuild()  # built (empty) first: from here on only the writers keep it
        pipeline, owners, department = build(histories)
        admin = UserFactory(role="admin", department=None)
        head = UserFactory(role="head", department=department)
        filters = [
            AnalyticsFilter(
                pipeline=pipeline, date_from=date(2026, 5, 1), date_to=date(2026, 5, 31)
            ),
            AnalyticsFilter(
                pipeline=pipeline, date_from=date(2026, 5, 5), date_to=date(2026, 5, 5)
            ),
            AnalyticsFilter(
                pipeline=pipeline,
                date_from=date(2026, 5, 1),
                date_to=date(2026, 5, 31),
                owner_id=owners[1].pk,
            ),
            AnalyticsFilter(
                pipeline=pipeline,
                date_from=date(2026, 5, 1),
                date_to=date(2026, 5, 31),
                department_id=department.pk,
            ),
        ]
        for user in (admin, head, owners[0], owners[2]):
            for analytics_filter in filters:
                assert summary_serves(analytics_filter)
                assert figures(analytics_filter, user) == raw_figures(analytics_filter, user)
        incremental = summary_totals()
        summary_rebuild()
        assert summary_totals() == incremental
        transaction.set_rollback(True)


def test_pages_compute_from_raw_rows_until_the_summary_is_built_and_for_other_dimensions():
    pipeline = make_pipeline(name="p", is_default=False)
    owner = UserFactory(role="manager")
    make_deal(owner=owner, pipeline=pipeline, at=T0)
    analytics_filter = AnalyticsFilter(
        pipeline=pipeline, date_from=date(2026, 5, 1), date_to=date(2026, 5, 31)
    )
    assert not SummaryState.objects.exists()
    assert not summary_serves(analytics_filter)
    call_command("rebuild_analytics_summary", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert summary_serves(analytics_filter)
    by_source = AnalyticsFilter(
        pipeline=pipeline, date_from=date(2026, 5, 1), date_to=date(2026, 5, 31), lead_source_id=1
    )
    assert not summary_serves(by_source)
    # One deal created in stage 1: one deal entered it, no closed stay yet.
    entered = StageDaySummary.objects.filter(measure="entered").values_list("count", flat=True)
    assert list(entered) == [1]
    assert not StageDaySummary.objects.filter(measure="stay").exists()


def test_a_department_filter_counts_its_sub_departments_as_the_raw_computation_does():
    office = DepartmentFactory()
    team = DepartmentFactory(parent=office)
    pipeline = make_pipeline(names=["s0", "s1"], name="p", is_default=False)
    make_deal(owner=UserFactory(role="manager", department=team), pipeline=pipeline, at=T0)
    summary_rebuild()
    admin = UserFactory(role="admin", department=None)
    analytics_filter = AnalyticsFilter(
        pipeline=pipeline,
        date_from=date(2026, 5, 1),
        date_to=date(2026, 5, 31),
        department_id=office.pk,
    )
    assert summary_serves(analytics_filter)
    summary = figures(analytics_filter, admin)
    assert summary == raw_figures(analytics_filter, admin)
    assert [entered for _stage, *_, entered, _lost, _amount, _score in summary[0]] == [1, 0]
