"""Analytics page: inflow of deals versus conversion."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _

from voronka.core import charts
from voronka.core.formatting import format_date

from ..inflow import inflow_vs_conversion
from ..presentation import (
    Chart,
    analytics_page,
    format_number,
    format_slope,
    format_slope_interval,
    report_table,
)
from ..reports.business import INFLOW, INFLOW_MANAGERS

# --- Inflow vs conversion ------------------------------------------------------------------


def _build_inflow(analytics_filter, user) -> dict:
    result = inflow_vs_conversion(analytics_filter, user)
    weeks = result.weeks
    labels = [week.week.isoformat() for week in weeks]
    weekly = {
        "data": [
            {
                "type": "bar",
                "name": _("Inbound deals"),
                "x": labels,
                "y": [week.inbound for week in weeks],
                "marker": {"color": ["#2f6fed" if w.settled else "#bcd0fb" for w in weeks]},
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _("Cohort conversion"),
                "x": labels,
                "y": [week.conversion for week in weeks],
                "yaxis": "y2",
                "line": {"color": "#15803d"},
            },
        ],
        "layout": charts.chart_layout(
            yaxis={
                "title": {"text": _("Inbound deals")},
                "rangemode": "tozero",
                **charts.count_ticks([week.inbound for week in weeks]),
            },
            yaxis2={
                "title": {"text": _("Conversion to won")},
                "overlaying": "y",
                "side": "right",
                "tickformat": ".0%",
                # Its own even ticks (0 %, 25 % … 100 %), not ones synced to the count axis.
                "tickmode": "linear",
                "tick0": 0,
                "dtick": 0.25,
                "range": [0, 1.05],
                "showgrid": False,
            },
            margin={"l": 60, "r": 60, "t": 30, "b": 50},
        ),
    }
    settled = [week for week in weeks if week.settled]
    xs = [week.inbound for week in settled]
    scatter_data = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": _("Settled week"),
            "x": xs,
            "y": [week.conversion for week in settled],
            "text": [format_date(week.week) for week in settled],
            "marker": {"color": "#2f6fed", "size": 8},
        }
    ]
    line = charts.fit_line(result.slope, xs)
    if line:
        scatter_data.append(line)
    scatter = {
        "data": scatter_data,
        "layout": charts.chart_layout(
            xaxis={"title": {"text": _("Inbound deals per week")}},
            yaxis={"title": {"text": _("Conversion to won")}, "tickformat": ".0%"},
            legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.02, "yanchor": "bottom"},
            margin={"l": 60, "r": 20, "t": 40, "b": 50},
        ),
    }
    manager_data = []
    all_x = []
    for index, manager in enumerate(result.managers):
        points = [week for week in manager.weeks if week.settled]
        if not points:
            continue
        all_x += [week.load for week in points]
        manager_data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": manager.name,
                "x": [week.load for week in points],
                "y": [week.conversion for week in points],
                "marker": {
                    "color": charts.SCATTER_COLOURS[index % len(charts.SCATTER_COLOURS)],
                    "size": 6,
                },
                "opacity": 0.7,
            }
        )
    line = charts.fit_line(result.manager_slope, all_x)
    if line:
        manager_data.append(line)
    load_chart = {
        "data": manager_data,
        "layout": charts.chart_layout(
            xaxis={"title": {"text": _("Open deals that week (load)")}},
            yaxis={"title": {"text": _("Conversion of the week's new deals")}, "tickformat": ".0%"},
            legend={"orientation": "v", "x": 1.02, "y": 1, "font": {"size": 11}},
            margin={"l": 60, "r": 20, "t": 30, "b": 50},
        ),
    }
    slope = result.slope
    kpis = [
        (_("Weeks"), format_number(len(weeks)), ""),
        (_("Settled weeks in the fit"), format_number(len(settled)), ""),
        (
            _("Conversion per +10 inbound deals"),
            format_slope(slope, 10),
            format_slope_interval(slope, 10),
        ),
        (
            _("Correlation r"),
            format_number(None if slope is None else slope.r, 2),
            "" if slope is None else f"p\u00a0=\u00a0{format_number(slope.p_value, 3)}",
        ),
        (
            _("Conversion per +10 open deals of a manager"),
            format_slope(result.manager_slope, 10),
            format_slope_interval(result.manager_slope, 10),
        ),
    ]
    return {
        "kpis": kpis,
        "wide_charts": True,
        "charts": [
            Chart("inflow-chart", weekly, _("Inbound deals and cohort conversion per week")),
            Chart(
                "inflow-scatter",
                scatter,
                _("Conversion against inflow"),
                _("Only settled weeks (at most a quarter of the deals still open)."),
            ),
            Chart("load-chart", load_chart, _("Manager load against conversion")),
        ],
        "tables": [
            report_table(
                INFLOW,
                weeks,
                title=_("Weekly cohorts"),
                note=_(
                    "A week's cohort: deals first contacted that week. The slope is an "
                    "ordinary least-squares fit over settled weeks with a 95% t-interval."
                ),
                testid="inflow-table",
            ),
            report_table(
                INFLOW_MANAGERS,
                result,
                title=_("Managers"),
                note=_(
                    "Load: deals of the manager open at some point of the week, averaged over "
                    "the weeks of the period."
                ),
                testid="inflow-managers-table",
            ),
        ],
    }


@login_required
def inflow_page(request):
    return analytics_page(
        request,
        report="inflow",
        template="analytics/business_page.html",
        tab="inflow",
        title=_("Inflow vs conversion"),
        build=_build_inflow,
    )
