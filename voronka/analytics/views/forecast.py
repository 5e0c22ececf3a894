"""Analytics page: weighted forecast and product demand."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _

from voronka.core import charts
from voronka.core.formatting import format_month, organisation_currency

from ..forecast import product_demand, weighted_forecast
from ..presentation import (
    Chart,
    Table,
    analytics_page,
    format_money,
    format_number,
)

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
    month_rows = [
        [
            format_month(m.month) if m.month else _("No expected date"),
            format_number(m.deals),
            format_money(m.amount),
            format_money(m.weighted),
        ]
        for m in forecast.months
    ]
    demand_rows = [
        [
            p.name,
            p.direction,
            format_number(p.deals),
            f"{p.quantity:g} {p.unit}",
            format_money(p.revenue),
            format_money(p.weighted),
        ]
        for p in demand
    ]
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
