"""Analytics page: repeat purchases."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _

from voronka.core import charts
from voronka.core.formatting import format_month

from ..forecast import repeat_purchases
from ..presentation import (
    Chart,
    analytics_page,
    format_number,
    format_percent,
    report_table,
)
from ..reports.business import REPEAT

# --- Repeat purchases ----------------------------------------------------------------------

GAP_BUCKET_DAYS = 30


def _build_repeat(analytics_filter, user) -> dict:
    result = repeat_purchases(analytics_filter, user)
    buckets: dict[int, int] = {}
    for days, count in result.gap_days.items():
        bucket = days // GAP_BUCKET_DAYS
        buckets[bucket] = buckets.get(bucket, 0) + count
    bucket_range = range(max(buckets) + 1) if buckets else range(0)
    gaps = charts.bar_chart(
        [f"{b * GAP_BUCKET_DAYS}–{(b + 1) * GAP_BUCKET_DAYS - 1}" for b in bucket_range],
        [(_("Customers"), [buckets.get(b, 0) for b in bucket_range])],
        y_title=_("Customers"),
        count=True,
    )
    gaps["layout"]["xaxis"] = {"title": {"text": _("Days from the first to the second purchase")}}
    months = list(result.by_month.items())
    rate_chart = charts.bar_chart(
        [format_month(month) for month, _counts in months],
        [(_("Repeat rate"), [(r / c if c else None) for _month, (c, r) in months])],
        percent=True,
        y_title=_("Bought again"),
    )
    return {
        "kpis": [
            (_("New customers"), format_number(result.customers), ""),
            (_("Bought again"), format_number(result.repeat_customers), ""),
            (_("Repeat rate"), format_percent(result.repeat_rate, 1), ""),
            (
                _("Median days to 2nd purchase"),
                "—" if result.median_days is None else f"{result.median_days:g}",
                "",
            ),
            (
                _("P75 days to 2nd purchase"),
                "—" if result.p75_days is None else f"{result.p75_days:g}",
                "",
            ),
        ],
        "charts": [
            Chart("repeat-gap-chart", gaps, _("Time to the second purchase")),
            Chart("repeat-rate-chart", rate_chart, _("Repeat rate by month of first purchase")),
        ],
        "tables": [
            report_table(
                REPEAT,
                result,
                title=_("Customers by month of first purchase"),
                note=_(
                    "Customers whose first won deal closed in the period; bought again: won a "
                    "second deal since. Recent months have had less time to buy again."
                ),
                testid="repeat-table",
            )
        ],
    }


@login_required
def repeat_page(request):
    return analytics_page(
        request,
        report="repeat",
        template="analytics/business_page.html",
        tab="repeat",
        title=_("Repeat purchases"),
        build=_build_repeat,
    )
