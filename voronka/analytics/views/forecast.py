"""Analytics page: weighted forecast and product demand."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _

from .. import charts
from ..forecast import product_demand, weighted_forecast
from ..presentation import (
    Chart,
    Table,
    analytics_page,
    format_number,
)

# --- Forecast and demand -------------------------------------------------------------------


def _build_forecast(analytics_filter, user) -> dict:
    forecast = weighted_forecast(analytics_filter, user)
    demand = product_demand(analytics_filter, user)
    dated = [m for m in forecast.months if m.month is not None]
    months_chart = charts.bar_chart(
        [m.month.strftime("%Y-%m") for m in dated],
        [
            (_("Weighted"), [m.weighted for m in dated]),
            (_("Full amount"), [m.amount for m in dated]),
        ],
        y_title=_("Amount"),
    )
    top = demand[:15]
    demand_chart = charts.bar_chart(
        [p.name for p in top],
        [(_("Revenue"), [p.revenue for p in top]), (_("Weighted"), [p.weighted for p in top])],
        horizontal=True,
    )
    demand_chart["layout"]["height"] = max(300, 80 + 30 * len(top))
    month_rows = [
        [
            m.month.strftime("%Y-%m") if m.month else _("No expected date"),
            format_number(m.deals),
            format_number(m.amount),
            format_number(m.weighted),
        ]
        for m in forecast.months
    ]
    demand_rows = [
        [
            p.name,
            p.direction,
            format_number(p.deals),
            f"{p.quantity:g} {p.unit}",
            format_number(p.revenue),
            format_number(p.weighted),
        ]
        for p in demand
    ]
    return {
        "kpis": [
            (_("Open deals"), format_number(forecast.deals), ""),
            (_("Open amount"), format_number(forecast.amount), ""),
            (_("Weighted amount"), format_number(forecast.weighted), ""),
        ],
        "charts": [
            Chart("forecast-chart", months_chart, _("Weighted revenue by expected close month")),
            Chart("demand-chart", demand_chart, _("Demand per product (open deals)")),
        ],
        "tables": [
            Table(
                headers=[_("Expected close"), _("Open deals"), _("Amount"), _("Weighted")],
                rows=month_rows,
                title=_("Forecast"),
                note=_(
                    "Open deals of any first-contact date; weighted = amount × the deal's win "
                    "probability now (the stage's probability until it is computed)."
                ),
                testid="forecast-table",
            ),
            Table(
                headers=[
                    _("Product"),
                    _("Product line"),
                    _("Open deals"),
                    _("Quantity"),
                    _("Revenue"),
                    _("Weighted"),
                ],
                rows=demand_rows,
                title=_("Demand per product"),
                numeric_from=2,
                testid="demand-table",
            ),
        ],
    }


@login_required
def forecast_page(request):
    return analytics_page(
        request,
        report="forecast",
        template="analytics/business_page.html",
        tab="forecast",
        title=_("Forecast and demand"),
        build=_build_forecast,
    )
