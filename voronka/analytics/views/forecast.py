"""Analytics page: weighted forecast and product demand."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _

from voronka.core import charts
from voronka.core.formatting import format_month, organisation_currency

from ..forecast import product_demand, weighted_forecast
from ..presentation import (
    Chart,
    analytics_page,
    format_money,
    format_number,
    report_table,
)
from ..reports.business import DEMAND, FORECAST

# --- Forecast and demand -------------------------------------------------------------------


def _build_forecast(analytics_filter, user) -> dict:
    forecast = weighted_forecast(analytics_filter, user)
    demand = product_demand(analytics_filter, user)
    dated = [m for m in forecast.months if m.month is not None]
    months_chart = charts.bar_chart(
        [format_month(m.month) for m in dated],
        [
            (_("Weighted"), [m.weighted for m in dated]),
            (_("Full amount"), [m.amount for m in dated]),
        ],
        y_title=_("Amount"),
        money=organisation_currency(),
    )
    top = demand[:15]
    demand_chart = charts.bar_chart(
        [p.name for p in top],
        [(_("Revenue"), [p.revenue for p in top]), (_("Weighted"), [p.weighted for p in top])],
        horizontal=True,
        money=organisation_currency(),
    )
    demand_chart["layout"]["height"] = max(300, 80 + 30 * len(top))
    return {
        "kpis": [
            (_("Open deals"), format_number(forecast.deals), ""),
            (_("Open amount"), format_money(forecast.amount), ""),
            (_("Weighted amount"), format_money(forecast.weighted), ""),
        ],
        "charts": [
            Chart("forecast-chart", months_chart, _("Weighted revenue by expected close month")),
            Chart("demand-chart", demand_chart, _("Demand per product (open deals)")),
        ],
        "tables": [
            report_table(
                FORECAST,
                forecast,
                title=_("Forecast"),
                note=_(
                    "Open deals of any first-contact date; weighted = amount × the deal's win "
                    "probability now (the stage's probability until it is computed)."
                ),
                testid="forecast-table",
            ),
            report_table(
                DEMAND,
                demand,
                title=_("Demand per product"),
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
