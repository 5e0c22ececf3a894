"""Analytics page: lead channels (sources) and their conversion and cost."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _

from voronka.core import charts
from voronka.core.formatting import organisation_currency

from ..channels import channels
from ..presentation import (
    Chart,
    Table,
    analytics_page,
    format_percent,
    report_table,
)
from ..reports.business import CHANNELS

# --- Channels ------------------------------------------------------------------------------


def _split_cell(split) -> str:
    if split is None or not split.deals:
        return "—"
    return f"{format_percent(split.conversion)} ({split.won}/{split.deals})"


def _build_channels(analytics_filter, user) -> dict:
    result = channels(analytics_filter, user)
    names = [row.name or _("No source") for row in result.rows]
    conversion = charts.bar_chart(
        names,
        [(_("Conversion to won"), [row.conversion for row in result.rows])],
        percent=True,
        y_title=_("Conversion to won"),
    )
    revenue = charts.bar_chart(
        names,
        [
            (_("Revenue"), [row.revenue for row in result.rows]),
            (_("Cost"), [row.cost for row in result.rows]),
        ],
        y_title=_("Amount"),
        money=organisation_currency(),
    )
    trend = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": [month.isoformat() for month in result.months],
                "y": [
                    row.trend[month].conversion if month in row.trend else None
                    for month in result.months
                ],
                "line": {"color": charts.PALETTE[index % len(charts.PALETTE)]},
            }
            for index, (name, row) in enumerate(zip(names, result.rows, strict=True))
        ],
        "layout": charts.chart_layout(
            yaxis={"title": {"text": _("Conversion to won")}, "tickformat": ".0%"}
        ),
    }
    type_rows = [
        [name] + [_split_cell(row.by_type.get(key)) for key, _label in result.customer_types]
        for name, row in zip(names, result.rows, strict=True)
    ]
    maturity_rows = [
        [name, _split_cell(row.by_maturity.get(False)), _split_cell(row.by_maturity.get(True))]
        for name, row in zip(names, result.rows, strict=True)
    ]
    return {
        "wide_charts": True,
        "charts": [
            Chart("channels-conversion", conversion, _("Conversion to won per source")),
            Chart("channels-revenue", revenue, _("Revenue and cost per source")),
            Chart("channels-trend", trend, _("Conversion per source by month of first contact")),
        ],
        "tables": [
            report_table(
                CHANNELS,
                result,
                title=_("Lead sources"),
                note=_(
                    "Cycle: days from first contact to the win. Cost: the source's costs for the "
                    "months of the period; cost per won deal is shown only where a cost is known."
                ),
                testid="channels-table",
            ),
            Table(
                headers=[_("Lead source")] + [label for _key, label in result.customer_types],
                rows=type_rows,
                title=_("Conversion by customer type"),
                testid="channels-type-table",
            ),
            Table(
                headers=[_("Lead source"), _("New customers"), _("Returning customers")],
                rows=maturity_rows,
                title=_("Conversion by customer maturity"),
                testid="channels-maturity-table",
            ),
        ],
    }


@login_required
def channels_page(request):
    return analytics_page(
        request,
        report="channels",
        template="analytics/business_page.html",
        tab="channels",
        title=_("Channels"),
        build=_build_channels,
    )
