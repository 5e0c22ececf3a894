"""Velocity and bottlenecks: time in each stage (Kaplan–Meier), drop-off, lost value, ranking.

Time in stage is measured per stay (``StageVisit``) in whole days, rounded down, computed by the
database. A closed stay is an *event* at its duration; an open stay is *censored* at its age
now (we only know it lasted at least that long). The database groups stays into
(stage, whole days, censored) buckets; Kaplan–Meier runs over those few rows in Python:

    S(t) = Π_{t_i ≤ t} (1 − d_i / n_i)

with d_i stays ending after t_i days and n_i stays still in the stage at t_i (censored stays at
t_i are counted at risk at t_i). The median is the smallest t with S(t) ≤ 0.5, the p75 the
smallest t with S(t) ≤ 0.25; when the curve never gets there the value is unknown ("not
reached") and the longest observed time is shown as a lower bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from statistics import mean

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    Func,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from voronka.pipeline.models import DealStatus, StageVisit

from .filters import AnalyticsFilter
from .summary_reads import summary_entered, summary_lost, summary_serves, summary_stay_buckets


class WholeDaysBetween(Func):
    """Whole days (rounded down) from the first to the second datetime expression."""

    output_field = IntegerField()
    arity = 2

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            # julianday() is a float: a tiny epsilon keeps an exact whole day from becoming 0.999….
            template="CAST(julianday(%(expressions)s) + 1e-8 AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="FLOOR(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400)::integer",
            arg_joiner=" - ",
            **extra_context,
        )

    def as_sql(self, compiler, connection, **extra_context):
        if "template" not in extra_context and connection.vendor == "sqlite":
            return self.as_sqlite(compiler, connection, **extra_context)
        return super().as_sql(compiler, connection, **extra_context)


def whole_days(start, end) -> WholeDaysBetween:
    # julianday(end) - julianday(start): arguments go in as (end, start) for both back ends.
    return WholeDaysBetween(end, start)


@lru_cache(maxsize=65536)  # depends on the instant only; bulk writes repeat moments
def _julian_milliseconds(moment: datetime) -> int:
    """SQLite's julianday() of a stored datetime (naive UTC text), in its integer milliseconds:
    the day exactly, the seconds with their fraction as a double, rounded to the millisecond."""
    utc = moment.astimezone(UTC)
    day = (utc.toordinal() * 2 + 3442849) * 43_200_000  # (Julian day at 00:00) × 86,400,000
    seconds = utc.second + utc.microsecond / 1e6 if utc.microsecond else float(utc.second)
    return day + utc.hour * 3_600_000 + utc.minute * 60_000 + int(seconds * 1000 + 0.5)


def _whole_days_sqlite(start: datetime, end: datetime) -> int:
    days = _julian_milliseconds(end) / 86_400_000.0 - _julian_milliseconds(start) / 86_400_000.0
    return int(days + 1e-8)  # CAST(… AS INTEGER) truncates toward zero


def _whole_days_postgresql(start: datetime, end: datetime) -> int:
    return (end - start) // timedelta(days=1)  # FLOOR of the exact interval


def whole_days_function(vendor: str):
    """`WholeDaysBetween` computed in Python, to the same integer as the database computes it
    (the bulk writer counts the stays it writes without reading them back)."""
    return _whole_days_sqlite if vendor == "sqlite" else _whole_days_postgresql


@dataclass
class Survival:
    """A Kaplan–Meier curve: times (days) and S(t) right after each time."""

    times: list[int]
    survival: list[float]
    stays: int
    events: int
    censored: int
    longest: int | None

    def quantile(self, level: float) -> int | None:
        """Smallest t with S(t) ≤ 1 − level (level 0.5 = median, 0.75 = p75)."""
        for time, value in zip(self.times, self.survival, strict=True):
            if value <= 1 - level + 1e-12:
                return time
        return None


def kaplan_meier(buckets: dict[int, tuple[int, int]]) -> Survival:
    """KM over {days: (events, censored)}: stays that ended / are still open at that age."""
    at_risk = sum(events + censored for events, censored in buckets.values())
    total = at_risk
    times, curve = [], []
    value = 1.0
    events_total = censored_total = 0
    for time in sorted(buckets):
        events, censored = buckets[time]
        if events and at_risk:
            value *= 1 - events / at_risk
            times.append(time)
            curve.append(value)
        at_risk -= events + censored
        events_total += events
        censored_total += censored
    return Survival(
        times=times,
        survival=curve,
        stays=total,
        events=events_total,
        censored=censored_total,
        longest=max(buckets) if buckets else None,
    )


@dataclass
class StageVelocity:
    stage_id: int
    name: str
    stays: int
    open_stays: int
    median_days: int | None
    p75_days: int | None
    longest_days: int | None
    entered: int  # distinct deals that had a stay in the stage
    lost: int  # deals lost from this stage (status lost, closed in it)
    drop_off: float | None  # lost / entered
    lost_amount: Decimal
    rotting_days: int | None
    slowness: float | None = None
    score: float | None = None
    rank: int | None = None


@dataclass
class Velocity:
    stages: list[StageVelocity]
    bottlenecks: list[StageVelocity]  # stages ranked by score, highest first


def _duration_rows(analytics_filter: AnalyticsFilter, user, now: datetime):
    end = Coalesce(F("left_at"), Value(now, output_field=DateTimeField()))
    return (
        analytics_filter.visits(user)
        .annotate(
            days=whole_days(F("entered_at"), end),
            censored=Case(
                When(left_at__isnull=True, then=1), default=0, output_field=IntegerField()
            ),
        )
        .values("stage_id", "days", "censored")
        .annotate(n=Count("id"))
        .order_by()
    )


def _open_duration_rows(analytics_filter: AnalyticsFilter, user, now: datetime):
    """Open stays only, found through the open deals (an open stay belongs to an open deal;
    there are few of them, so this avoids scanning every visit of the period)."""
    open_deals = analytics_filter.deals(user).filter(status=DealStatus.OPEN).values("pk")
    return (
        StageVisit.objects.filter(
            pipeline_id=analytics_filter.pipeline.pk, left_at__isnull=True, deal__in=open_deals
        )
        .annotate(days=whole_days(F("entered_at"), Value(now, output_field=DateTimeField())))
        .values("stage_id", "days")
        .annotate(censored=Value(1, output_field=IntegerField()), n=Count("id"))
        .order_by()
    )


def stage_survival(analytics_filter: AnalyticsFilter, user, now: datetime | None = None):
    """Kaplan–Meier curve of time in stage for every stage of the pipeline."""
    now = now or timezone.now()
    buckets: dict[int, dict[int, list[int]]] = {}
    if summary_serves(analytics_filter):
        # Closed stays from the summary; open stays (few, aged by "now") from raw visits.
        rows = summary_stay_buckets(analytics_filter, user) + list(
            _open_duration_rows(analytics_filter, user, now)
        )
    else:
        rows = _duration_rows(analytics_filter, user, now)
    for row in rows:
        days = max(int(row["days"] or 0), 0)
        cell = buckets.setdefault(row["stage_id"], {}).setdefault(days, [0, 0])
        cell[1 if row["censored"] else 0] += row["n"]
    return {
        stage_id: kaplan_meier({d: (e, c) for d, (e, c) in cells.items()})
        for stage_id, cells in buckets.items()
    }


def velocity(analytics_filter: AnalyticsFilter, user, now: datetime | None = None) -> Velocity:
    now = now or timezone.now()
    stages = analytics_filter.stages()
    survival = stage_survival(analytics_filter, user, now)
    if summary_serves(analytics_filter):
        # Every open stay is a censored point of its stage's curve.
        entered = {
            stage_id: {
                "entered": n,
                "open_stays": survival[stage_id].censored if stage_id in survival else 0,
            }
            for stage_id, n in summary_entered(analytics_filter, user).items()
        }
        lost = summary_lost(analytics_filter, user)
    else:
        entered = {
            row["stage_id"]: row
            for row in analytics_filter.visits(user)
            .values("stage_id")
            .annotate(
                entered=Count("deal_id", distinct=True),
                open_stays=Count("id", filter=Q(left_at__isnull=True)),
            )
            .order_by()
        }
        lost = {
            row["stage_id"]: row
            for row in analytics_filter.deals(user)
            .filter(status=DealStatus.LOST)
            .values("stage_id")
            .annotate(n=Count("id"), total_amount=Sum("amount"))
            .order_by()
        }
    result = []
    for stage in stages:
        curve = survival.get(stage.pk)
        entered_n = entered.get(stage.pk, {}).get("entered", 0)
        lost_n = lost.get(stage.pk, {}).get("n", 0)
        result.append(
            StageVelocity(
                stage_id=stage.pk,
                name=stage.name,
                stays=curve.stays if curve else 0,
                open_stays=entered.get(stage.pk, {}).get("open_stays", 0),
                median_days=curve.quantile(0.5) if curve else None,
                p75_days=curve.quantile(0.75) if curve else None,
                longest_days=curve.longest if curve else None,
                entered=entered_n,
                lost=lost_n,
                drop_off=lost_n / entered_n if entered_n else None,
                lost_amount=lost.get(stage.pk, {}).get("total_amount") or Decimal(0),
                rotting_days=stage.rotting_days,
            )
        )
    _score(result)
    ranked = sorted(
        (row for row in result if row.score is not None),
        key=lambda row: (-row.score, -row.lost_amount, row.name),
    )
    for rank, row in enumerate(ranked, 1):
        row.rank = rank
    return Velocity(stages=result, bottlenecks=ranked)


def _typical_days(row: StageVelocity) -> float | None:
    """The median, or when it is not reached the longest observed time (a lower bound)."""
    if row.median_days is not None:
        return float(row.median_days)
    return float(row.longest_days) if row.longest_days is not None else None


def _score(rows: list[StageVelocity]) -> None:
    """score = drop-off × slowness, slowness = (median + 1) / mean over stages of (median + 1).

    The +1 day keeps same-day stages from scoring zero slowness. A stage nobody entered has no
    score.
    """
    typical = [_typical_days(row) for row in rows]
    known = [t + 1 for t in typical if t is not None]
    if not known:
        return
    average = mean(known)
    for row, days in zip(rows, typical, strict=True):
        if days is None or row.drop_off is None:
            continue
        row.slowness = (days + 1) / average
        row.score = row.drop_off * row.slowness
