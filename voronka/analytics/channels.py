"""Channels: which lead sources bring deals that close, for whom, how fast and at what cost.

For the cohort of the filter (deals first contacted in the period), per lead source:
deals, won, lost, open, conversion to won = won / deals, revenue = sum of won amounts, median
cycle = median of whole days between the first contact day and the win day (site time zone)
over won deals, computed from per-day counts (one grouped query; works on SQLite and
PostgreSQL), and cost per won deal = the source's ``LeadSourceCost`` entered for the months
the period touches / won deals (unknown when no cost is entered or nothing was won). Costs are
the channel's whole spend, not split by manager or department. Deals without a source form
their own row. Also split by customer type and by maturity (new vs returning customer) and a
monthly conversion trend per source; all of them come from one grouped scan: of the channel
summary (`summary.ChannelDaySummary`, the same counts per cohort day and owner) once it is
built, else (and when filtering by product) of the deals themselves.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from voronka.core.local_time import local_days_between, local_trunc
from voronka.crm.models import CustomerType, LeadSource, LeadSourceCost
from voronka.pipeline.models import DealStatus

from .filters import AnalyticsFilter
from .summary_reads import channel_summary_rows, channel_summary_serves

WON = Q(status=DealStatus.WON)


@dataclass
class Split:
    deals: int = 0
    won: int = 0

    @property
    def conversion(self) -> float | None:
        return self.won / self.deals if self.deals else None


@dataclass
class ChannelRow:
    source_id: int | None
    name: str
    deals: int = 0
    won: int = 0
    lost: int = 0
    open: int = 0
    revenue: Decimal = Decimal(0)
    median_cycle_days: float | None = None
    cost: Decimal | None = None
    by_type: dict[str, Split] = field(default_factory=dict)
    by_maturity: dict[bool, Split] = field(default_factory=dict)
    trend: dict[date, Split] = field(default_factory=dict)

    @property
    def conversion(self) -> float | None:
        return self.won / self.deals if self.deals else None

    @property
    def cost_per_won(self) -> Decimal | None:
        if self.cost is None or not self.won:
            return None
        return (self.cost / self.won).quantize(Decimal("0.01"))


@dataclass
class ChannelsResult:
    rows: list[ChannelRow]
    months: list[date]
    customer_types: list[tuple[str, str]]


def weighted_median(counts: dict[float, int]) -> float | None:
    """Median of a multiset given as {value: count} (mean of the two middle values if even)."""
    total = sum(counts.values())
    if not total:
        return None
    ordered = sorted(counts.items())
    lower_rank, upper_rank = (total - 1) // 2, total // 2
    seen, lower = 0, None
    for value, count in ordered:
        if lower is None and seen + count > lower_rank:
            lower = value
        if seen + count > upper_rank:
            return (lower + value) / 2
        seen += count
    return None


def _days(value) -> float:
    """Grouped date differences arrive as timedelta (or as whole days on some backends)."""
    return value.days if hasattr(value, "days") else float(value)


def _as_date(value) -> date:
    return value.date() if hasattr(value, "date") else value


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _splits(analytics_filter: AnalyticsFilter, user):
    """Rows of (lead_source_id, customer_type, returning, month) with n (deals), n_won,
    n_lost, n_open and won_amount: summed from the channel summary, or counted over the deals."""
    if channel_summary_serves(analytics_filter):
        return (
            channel_summary_rows(analytics_filter, user)
            .annotate(month=TruncMonth("cohort_day"), returning=F("is_returning"))
            .values("lead_source_id", "customer_type", "returning", "month")
            .annotate(
                n=Sum("deals"),
                n_won=Sum("won"),
                n_lost=Sum("lost"),
                n_open=Sum("open"),
                won_amount=Sum("revenue"),
            )
            .order_by()
        )
    start, end = analytics_filter.start, analytics_filter.end
    return (
        analytics_filter.deals(user)
        .annotate(
            month=local_trunc("month", "first_contact_at", start, end),
            customer_type=F("company__customer_type"),
            returning=F("is_returning_customer"),
        )
        .values("lead_source_id", "customer_type", "returning", "month")
        .annotate(
            n=Count("pk"),
            n_won=Count("pk", filter=WON),
            n_lost=Count("pk", filter=Q(status=DealStatus.LOST)),
            n_open=Count("pk", filter=Q(status=DealStatus.OPEN)),
            won_amount=Sum("amount", filter=WON),
        )
        .order_by()
    )


def channels(analytics_filter: AnalyticsFilter, user) -> ChannelsResult:
    deals = analytics_filter.deals(user)
    start, end = analytics_filter.start, analytics_filter.end
    rows: dict[int | None, ChannelRow] = {}
    names = dict(LeadSource.objects.values_list("pk", "name"))

    def row(source_id) -> ChannelRow:
        if source_id not in rows:
            rows[source_id] = ChannelRow(source_id, names.get(source_id, ""))
        return rows[source_id]

    # One grouped scan gives every split: (source, customer type, maturity, month).
    months: set[date] = set()
    for r in _splits(analytics_filter, user):
        channel = row(r["lead_source_id"])
        channel.deals += r["n"]
        channel.won += r["n_won"]
        channel.lost += r["n_lost"]
        channel.open += r["n_open"]
        channel.revenue += r["won_amount"] or Decimal(0)
        for splits, key in (
            (channel.by_type, r["customer_type"] or ""),
            (channel.by_maturity, r["returning"]),
            (channel.trend, _as_date(r["month"])),
        ):
            split = splits.setdefault(key, Split())
            split.deals += r["n"]
            split.won += r["n_won"]
        months.add(_as_date(r["month"]))

    cycle = local_days_between("first_contact_at", "closed_at", start, end)
    buckets: dict[int | None, dict[float, int]] = defaultdict(dict)
    for r in (
        deals.filter(WON)
        .annotate(cycle=cycle)
        .values("lead_source_id", "cycle")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        days = _days(r["cycle"])
        source_buckets = buckets[r["lead_source_id"]]
        source_buckets[days] = source_buckets.get(days, 0) + r["n"]
    for source_id, counts in buckets.items():
        row(source_id).median_cycle_days = weighted_median(counts)

    for r in (
        LeadSourceCost.objects.filter(
            month__gte=_month_start(analytics_filter.date_from),
            month__lte=analytics_filter.date_to,
            source_id__in=[key for key in rows if key is not None],
        )
        .values("source_id")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        rows[r["source_id"]].cost = r["total"]

    ordered = sorted(rows.values(), key=lambda c: (c.source_id is None, -c.deals, c.name))
    types = list(CustomerType.choices)
    present_types = {kind for channel in ordered for kind in channel.by_type}
    if "" in present_types:
        types.append(("", _("No company")))
    return ChannelsResult(
        rows=ordered,
        months=sorted(months),
        customer_types=[(k, label) for k, label in types if k in present_types],
    )
