"""Inflow against conversion: does a busier week convert worse? (the seed's law).

* Weekly cohorts: deals grouped by the week (Monday, site time zone) of ``first_contact_at``;
  a cohort's conversion is won / created. A recent cohort still has open deals and its
  conversion is still growing, so the slope is fitted only over *settled* cohorts: at most
  ``SETTLED_OPEN_SHARE`` of their deals still open. Every cohort is shown with its open share.
* The slope of conversion against inbound volume is an ordinary least-squares fit
  (``scipy.stats.linregress``) with a 95 % t-interval on the slope: slope ± t(0.975, n − 2) · SE.
* Per manager: a manager's open load in a week = deals of the pipeline that the manager owned
  and that were open at some point of that week (open at the week's start plus started during
  it), computed from per-week counts of starts and closes; each (manager, week) with new
  deals in a settled cohort gives one point (load, that week's conversion of the manager's
  new deals). Ownership is the deal's current owner.

Three grouped queries whatever the number of deals; Python only walks weekly rows. Each reads
one range of a covering index (migration analytics 0002): no heap reads at 1M deals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from scipy import stats

from voronka.core.local_time import local_trunc
from voronka.pipeline.models import DealStatus

from .filters import AnalyticsFilter

SETTLED_OPEN_SHARE = 0.25
CONFIDENCE = 0.95
EARLIEST = date(1900, 1, 1)


@dataclass(frozen=True)
class Slope:
    """y ≈ intercept + slope · x over ``points`` points, with a 95 % interval on the slope."""

    slope: float
    intercept: float
    low: float
    high: float
    r: float
    p_value: float
    points: int

    @property
    def falls(self) -> bool:
        """The whole interval is below zero: conversion falls as x grows."""
        return self.high < 0


@dataclass
class InflowWeek:
    week: date
    inbound: int
    won: int
    lost: int
    open: int

    @property
    def conversion(self) -> float | None:
        return self.won / self.inbound if self.inbound else None

    @property
    def open_share(self) -> float | None:
        return self.open / self.inbound if self.inbound else None

    @property
    def settled(self) -> bool:
        return self.inbound > 0 and self.open / self.inbound <= SETTLED_OPEN_SHARE


@dataclass
class ManagerWeek:
    owner_id: int
    week: date
    load: int
    started: int
    won: int
    settled: bool

    @property
    def conversion(self) -> float | None:
        return self.won / self.started if self.started else None


@dataclass
class ManagerLoad:
    owner_id: int
    name: str
    deals: int
    won: int
    average_load: float | None
    weeks: list[ManagerWeek] = field(default_factory=list)

    @property
    def conversion(self) -> float | None:
        return self.won / self.deals if self.deals else None


@dataclass
class InflowResult:
    weeks: list[InflowWeek]
    slope: Slope | None
    managers: list[ManagerLoad]
    manager_slope: Slope | None


def fit_slope(xs: list[float], ys: list[float]) -> Slope | None:
    """Least-squares line with a t-interval on the slope; None below 3 points or with flat x."""
    if len(xs) < 3 or len(set(xs)) < 2:
        return None
    result = stats.linregress(xs, ys)
    if math.isnan(result.slope):
        return None
    # Identical ys: r and the standard error come back as NaN, but the residuals are all zero.
    stderr = 0.0 if math.isnan(result.stderr) else result.stderr
    margin = stats.t.ppf((1 + CONFIDENCE) / 2, len(xs) - 2) * stderr
    return Slope(
        slope=float(result.slope),
        intercept=float(result.intercept),
        low=float(result.slope - margin),
        high=float(result.slope + margin),
        r=0.0 if math.isnan(result.rvalue) else float(result.rvalue),
        p_value=1.0 if math.isnan(result.pvalue) else float(result.pvalue),
        points=len(xs),
    )


def _as_date(value) -> date:
    return value.date() if hasattr(value, "date") else value


def _cohort_rows(analytics_filter: AnalyticsFilter, user) -> list[dict]:
    """New deals per (owner, week of first contact) with their outcomes: one grouped scan."""
    rows = (
        analytics_filter.deals(user)
        .annotate(
            week=local_trunc(
                "week", "first_contact_at", analytics_filter.start, analytics_filter.end
            )
        )
        .values("owner_id", "week")
        .annotate(
            n=Count("pk"),
            won=Count("pk", filter=Q(status=DealStatus.WON)),
            lost=Count("pk", filter=Q(status=DealStatus.LOST)),
            open=Count("pk", filter=Q(status=DealStatus.OPEN)),
        )
        .order_by()
    )
    return [row | {"week": _as_date(row["week"])} for row in rows]


def _weeks_from_rows(rows: list[dict]) -> list[InflowWeek]:
    weeks: dict[date, InflowWeek] = {}
    for row in rows:
        week = weeks.setdefault(row["week"], InflowWeek(row["week"], 0, 0, 0, 0))
        week.inbound += row["n"]
        week.won += row["won"]
        week.lost += row["lost"]
        week.open += row["open"]
    return [weeks[key] for key in sorted(weeks)]


def inflow_weeks(analytics_filter: AnalyticsFilter, user) -> list[InflowWeek]:
    return _weeks_from_rows(_cohort_rows(analytics_filter, user))


def _manager_weeks(
    analytics_filter: AnalyticsFilter, user, cohort_rows: list[dict]
) -> dict[int, list[ManagerWeek]]:
    """Per manager and week of the period: open load and the week's new deals and wins."""
    start, end = analytics_filter.start, analytics_filter.end
    # Same dimensions, any first-contact date: deals started before the period are load too.
    any_time = replace(analytics_filter, date_from=EARLIEST).deals(user)
    started = {
        (row["owner_id"], row["week"]): (row["n"], row["won"], row["open"]) for row in cohort_rows
    }
    # Carried into the period: started before it and not closed before it. Split by when they
    # closed (still open, during the period, after it) so that each part is one index range
    # instead of a scan of the whole history before the period.
    carried: dict[int, int] = {}
    closed: dict[tuple[int, date], int] = {}
    for row in (
        any_time.filter(closed_at__gte=start, closed_at__lt=end)
        .annotate(
            week=local_trunc("week", "closed_at", start, end),
            carried=ExpressionWrapper(Q(first_contact_at__lt=start), output_field=BooleanField()),
        )
        .values("owner_id", "week", "carried")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        key = (row["owner_id"], _as_date(row["week"]))
        closed[key] = closed.get(key, 0) + row["n"]
        if row["carried"]:
            carried[row["owner_id"]] = carried.get(row["owner_id"], 0) + row["n"]
    for owner, n in (
        any_time.filter(first_contact_at__lt=start)
        .filter(Q(status=DealStatus.OPEN) | Q(closed_at__gte=end))
        .values_list("owner_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        carried[owner] = carried.get(owner, 0) + n

    owners = set(carried) | {owner for owner, _ in started} | {owner for owner, _ in closed}
    first_week = analytics_filter.date_from - timedelta(days=analytics_filter.date_from.weekday())
    weeks = []
    week = first_week
    while week <= analytics_filter.date_to:
        weeks.append(week)
        week += timedelta(days=7)
    result: dict[int, list[ManagerWeek]] = {}
    for owner in owners:
        open_at_week_start = carried.get(owner, 0)
        series = []
        for week in weeks:
            n, won, still_open = started.get((owner, week), (0, 0, 0))
            load = open_at_week_start + n
            series.append(
                ManagerWeek(
                    owner_id=owner,
                    week=week,
                    load=load,
                    started=n,
                    won=won,
                    settled=n > 0 and still_open / n <= SETTLED_OPEN_SHARE,
                )
            )
            open_at_week_start = load - closed.get((owner, week), 0)
        result[owner] = series
    return result


def inflow_vs_conversion(analytics_filter: AnalyticsFilter, user) -> InflowResult:
    from voronka.accounts.models import User

    cohort_rows = _cohort_rows(analytics_filter, user)
    weeks = _weeks_from_rows(cohort_rows)
    settled = [week for week in weeks if week.settled]
    slope = fit_slope([w.inbound for w in settled], [w.conversion for w in settled])

    per_owner = _manager_weeks(analytics_filter, user, cohort_rows)
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=list(per_owner))}
    managers = []
    points_x, points_y = [], []
    for owner, series in per_owner.items():
        deals = sum(w.started for w in series)
        won = sum(w.won for w in series)
        loads = [w.load for w in series]
        managers.append(
            ManagerLoad(
                owner_id=owner,
                name=names.get(owner, str(owner)),
                deals=deals,
                won=won,
                average_load=sum(loads) / len(loads) if loads else None,
                weeks=series,
            )
        )
        for week in series:
            if week.settled:
                points_x.append(week.load)
                points_y.append(week.conversion)
    managers.sort(key=lambda m: (-m.deals, m.name))
    return InflowResult(
        weeks=weeks,
        slope=slope,
        managers=managers,
        manager_slope=fit_slope(points_x, points_y),
    )
