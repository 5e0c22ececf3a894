"""The summary rows of bulk-written deals are counted in Python from the rows written: they must
be the rows the database computes from the raw history (a rebuild), on both back ends."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import DateTimeField, Sum, Value

from tests.factories import LostReasonFactory, UserFactory, make_pipeline
from voronka.analytics.models import StageDaySummary
from voronka.analytics.summary import summary_rebuild
from voronka.analytics.velocity import whole_days, whole_days_function
from voronka.pipeline.bulk import HistoricalDeal, NewDeal, write_historical_deals
from voronka.pipeline.models import DealStatus

pytestmark = pytest.mark.django_db
T0 = datetime(2024, 3, 10, 21, 30, tzinfo=UTC)  # 00:30 the next day in Moscow


def _database_whole_days(pairs):
    anchor = UserFactory()  # any row: the pairs are literals
    found = []
    for start, end in pairs:
        found.append(
            type(anchor)
            .objects.filter(pk=anchor.pk)
            .annotate(
                days=whole_days(
                    Value(start, output_field=DateTimeField()),
                    Value(end, output_field=DateTimeField()),
                )
            )
            .values_list("days", flat=True)
            .get()
        )
    return found


def test_whole_days_in_python_equal_the_database_ones_at_the_edges():
    from django.db import connection

    pairs = []
    for days in (0, 1, 2, 30, 365):
        for micro in (-1_000_000, -1000, -501, -500, -499, -1, 0, 1, 499, 500, 501, 1000):
            start = T0 + timedelta(microseconds=123_456)
            pairs.append((start, start + timedelta(days=days, microseconds=micro)))
    pairs.append((T0, T0 + timedelta(hours=23, minutes=59, seconds=59, microseconds=999_999)))
    in_python = whole_days_function(connection.vendor)
    assert [in_python(start, end) for start, end in pairs] == _database_whole_days(pairs)


def _summary_cells():
    return list(
        StageDaySummary.objects.values("pipeline", "owner", "cohort_day", "stage", "measure", "key")
        .annotate(n=Sum("count"), ok=Sum("successes"), total=Sum("amount"))
        .order_by("pipeline", "owner", "cohort_day", "stage", "measure", "key")
    )


def test_the_rows_added_for_new_deals_are_the_rows_a_rebuild_computes():
    """Paths that go back and forth, several owners and sellers, deals of a day that starts at
    a different UTC date in Moscow, stays ending a microsecond before a whole day, two batches."""
    rnd = random.Random(5)
    pipeline = make_pipeline()
    stages = list(pipeline.stages.order_by("order"))
    owners = [UserFactory() for _ in range(3)]
    reason = LostReasonFactory()
    items = []
    for number in range(120):
        moment = T0 + timedelta(hours=rnd.randrange(0, 24 * 20), microseconds=rnd.randrange(10**6))
        path = [(stages[rnd.randrange(2)], moment)]
        for _step in range(rnd.randrange(4)):
            moment += timedelta(days=rnd.randrange(0, 4)) + timedelta(
                microseconds=rnd.choice([-1, 0, 1, 250_000])
            )
            stage = stages[rnd.randrange(len(stages))]
            if stage != path[-1][0]:
                path.append((stage, moment))
        outcome = rnd.choice([DealStatus.OPEN, DealStatus.WON, DealStatus.LOST])
        owner = owners[number % 3]
        deal = NewDeal(
            title=f"deal {number}",
            owner_id=owner.pk,
            pipeline_id=pipeline.pk,
            amount=Decimal(rnd.randrange(0, 10**6)) / 100,
        )
        items.append(
            HistoricalDeal(
                deal=deal,
                path=path,
                outcome=outcome,
                closed_at=moment + timedelta(days=rnd.randrange(3), seconds=1)
                if outcome != DealStatus.OPEN
                else None,
                lost_reason_id=reason.pk if outcome == DealStatus.LOST else None,
                amount_changes=[(path[0][1] + timedelta(hours=5), Decimal("99.99"))]
                if number % 4 == 0
                else (),
                actor_id=owners[(number + 1) % 3].pk,
            )
        )
    write_historical_deals(items, batch_size=50)

    added = _summary_cells()
    summary_rebuild()
    assert _summary_cells() == added
    measures = {row["measure"] for row in added}
    assert measures == {"stay", "entered", "trial", "lost", "exit"}
