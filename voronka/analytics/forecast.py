"""Forecast and demand: what the open pipeline is worth and when, and who buys again.

* Weighted revenue by expected close month: open deals of the filter's dimensions (any first
  contact date: the forecast looks at today's pipeline, not at a cohort), grouped by the month
  of ``expected_close_date``; weighted = amount × the deal's win probability now
  (``Deal.win_probability``, or the stage's manual probability while it is not computed yet).
  Deals without an expected close date form their own row.
* Demand per product: line items of those open deals grouped by product: quantity, revenue
  (quantity × price) and weighted revenue.
* Repeat purchases: customers (companies) whose first won deal closed in the period; the share
  of them that won a second deal (at any time until now) and the days between the first and the
  second win in whole days (median, p75): each company's wins numbered by window functions
  (first win = number 1, the next win's date by LEAD), one row per first-time customer. The
  wins are read in the window's order from a covering index (migration analytics 0002) and
  counted per month and gap around the window query.

Every figure is a handful of grouped queries whatever the number of deals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Count,
    F,
    FloatField,
    Sum,
    Window,
)
from django.db.models.functions import (
    Cast,
    FirstValue,
    Lead,
    RowNumber,
    TruncMonth,
)

from voronka.core.local_time import local_date_sql
from voronka.pipeline.models import DealLineItem, DealStatus
from voronka.pipeline.probability import effective_probability

from .channels import weighted_median
from .filters import AnalyticsFilter

LATEST = date(2999, 12, 31)


def _as_date(value) -> date | None:
    if value is None:
        return None
    return value.date() if hasattr(value, "date") else value


def _money(value) -> Decimal:
    return Decimal(str(round(value or 0, 2))).quantize(Decimal("0.01"))


@dataclass
class ForecastMonth:
    month: date | None  # None: no expected close date
    deals: int
    amount: Decimal
    weighted: Decimal


@dataclass
class ForecastResult:
    months: list[ForecastMonth]

    @property
    def deals(self) -> int:
        return sum(m.deals for m in self.months)

    @property
    def amount(self) -> Decimal:
        return sum((m.amount for m in self.months), Decimal(0))

    @property
    def weighted(self) -> Decimal:
        return sum((m.weighted for m in self.months), Decimal(0))


def open_deals(analytics_filter: AnalyticsFilter, user):
    return analytics_filter.deals_of_any_period(user).filter(status=DealStatus.OPEN)


def weighted_forecast(analytics_filter: AnalyticsFilter, user) -> ForecastResult:
    weighted = Cast("amount", FloatField()) * effective_probability()
    rows = (
        open_deals(analytics_filter, user)
        .annotate(month=TruncMonth("expected_close_date"))
        .values("month")
        .annotate(deals=Count("pk"), total=Sum("amount"), total_weighted=Sum(weighted))
        .order_by()
    )
    months = [
        ForecastMonth(
            month=_as_date(r["month"]),
            deals=r["deals"],
            amount=r["total"] or Decimal(0),
            weighted=_money(r["total_weighted"]),
        )
        for r in rows
    ]
    months.sort(key=lambda m: (m.month is None, m.month or LATEST))
    return ForecastResult(months=months)


@dataclass
class ProductDemand:
    product_id: int
    name: str
    direction: str
    unit: str
    deals: int
    quantity: Decimal
    revenue: Decimal
    weighted: Decimal


def product_demand(analytics_filter: AnalyticsFilter, user) -> list[ProductDemand]:
    line_total = Cast(F("quantity"), FloatField()) * Cast(F("unit_price"), FloatField())
    items = DealLineItem.objects.filter(deal__in=open_deals(analytics_filter, user).values("pk"))
    if analytics_filter.product_id is not None:
        items = items.filter(product_id=analytics_filter.product_id)
    rows = (
        items.values("product_id", "product__name", "product__direction__name", "product__unit")
        .annotate(
            deals=Count("deal_id", distinct=True),
            total_quantity=Sum("quantity"),
            revenue=Sum(line_total),
            weighted=Sum(line_total * effective_probability("deal__")),
        )
        .order_by()
    )
    result = [
        ProductDemand(
            product_id=r["product_id"],
            name=r["product__name"],
            direction=r["product__direction__name"] or "",
            unit=r["product__unit"],
            deals=r["deals"],
            quantity=r["total_quantity"] or Decimal(0),
            revenue=_money(r["revenue"]),
            weighted=_money(r["weighted"]),
        )
        for r in rows
    ]
    result.sort(key=lambda p: (-p.revenue, p.name))
    return result


@dataclass
class RepeatResult:
    customers: int  # companies whose first win closed in the period
    repeat_customers: int  # … that won a second deal since
    gap_days: dict[int, int] = field(default_factory=dict)  # days to 2nd win → customers
    by_month: dict[date, tuple[int, int]] = field(default_factory=dict)  # (customers, repeat)

    @property
    def repeat_rate(self) -> float | None:
        return self.repeat_customers / self.customers if self.customers else None

    @property
    def median_days(self) -> float | None:
        return weighted_median(self.gap_days)

    @property
    def p75_days(self) -> float | None:
        total = sum(self.gap_days.values())
        if not total:
            return None
        rank, seen = 0.75 * total, 0
        for days, count in sorted(self.gap_days.items()):
            seen += count
            if seen >= rank:
                return days
        return None


def _day(value) -> date:
    """A raw truncated month: a timestamp on PostgreSQL, ISO text on SQLite."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return _as_date(value)


def _grouped_first_wins(firsts, start, end) -> list[tuple]:
    """(month, whole days or None, customers) of (first win, second win) rows, local time."""
    sql, params = firsts.order_by().query.sql_with_params()
    month, month_params = local_date_sql("month", "q.closed_at", start, end)
    first, first_params = local_date_sql("day", "q.closed_at", start, end)
    second, second_params = local_date_sql("day", "q.second_at", start, end)
    if connection.vendor == "sqlite":  # dates are text there
        days = f"CAST(julianday({second}) - julianday({first}) AS INTEGER)"
    else:
        days = f"({second}) - ({first})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {month}, {days}, COUNT(*) FROM ({sql}) q GROUP BY 1, 2",
            (*month_params, *second_params, *first_params, *params),
        )
        return cursor.fetchall()


def repeat_purchases(analytics_filter: AnalyticsFilter, user) -> RepeatResult:
    won = analytics_filter.deals_of_any_period(user).filter(
        status=DealStatus.WON, company__isnull=False
    )
    start, end = analytics_filter.start, analytics_filter.end
    # Each company's wins in order (ties broken by id), numbered, each with the next one's date:
    # one sort of the wins instead of a search per win. Undated wins have no place in the order.
    by_company = {
        "partition_by": [F("company_id")],
        "order_by": [F("closed_at").asc(), F("pk").asc()],
    }
    ordered = won.filter(closed_at__isnull=False).annotate(
        purchase_number=Window(RowNumber(), **by_company),
        second_at=Window(Lead("closed_at"), **by_company),
        first_at=Window(FirstValue("closed_at"), **by_company),
    )
    # First purchases in the period. The period filter names the window's own value so that it
    # applies after the numbering, not to the wins being numbered.
    firsts = ordered.filter(purchase_number=1, first_at__gte=start, first_at__lt=end)
    by_month: dict[date, list[int]] = {}
    gap_days: dict[int, int] = {}
    # Counted per (local month of the first win, local days to the second or NULL) around the
    # window's rows: the ORM cannot group a window-filtered query, and fetching one row per
    # customer cost more than the query at 1M deals (45k timestamps decoded in Python).
    rows = _grouped_first_wins(firsts.values_list("closed_at", "second_at"), start, end)
    for month, days, customers in rows:
        counts = by_month.setdefault(_day(month), [0, 0])
        counts[0] += customers
        if days is not None:
            counts[1] += customers
            gap_days[int(days)] = gap_days.get(int(days), 0) + customers
    return RepeatResult(
        customers=sum(v[0] for v in by_month.values()),
        repeat_customers=sum(v[1] for v in by_month.values()),
        gap_days=gap_days,
        by_month={month: (v[0], v[1]) for month, v in sorted(by_month.items())},
    )
