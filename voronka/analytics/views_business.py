"""Business-figure analytics pages: inflow vs conversion, channels, forecast and demand, repeat
purchases. They share ``analytics_page`` (filter bar, export, visibility) with the funnel pages.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _

from . import charts
from .channels import channels
from .forecast import product_demand, repeat_purchases, weighted_forecast
from .inflow import inflow_vs_conversion
from .views import Chart, Table, _number, _percent, analytics_page

SCATTER_COLOURS = ["#2f6fed", "#c2410c", "#15803d", "#7c3aed", "#0891b2", "#94a3b8"]


def _layout(**extra) -> dict:
    layout = charts._layout()
    layout.update(extra)
    return layout


def _slope_value(slope, per: int) -> str:
    """The change of conversion in percentage points for ``per`` more deals, e.g. "−2.1 pp"."""
    if slope is None:
        return "—"
    return _("%(difference)s pp") % {"difference": f"{slope.slope * per * 100:+.1f}"}


def _slope_note(slope, per: int) -> str:
    if slope is None:
        return _("not enough settled weeks")
    return _("95%% interval %(low)+.1f … %(high)+.1f pp; %(n)s points") % {
        "low": slope.low * per * 100,
        "high": slope.high * per * 100,
        "n": slope.points,
    }


def _fit_line(slope, xs: list[float]) -> dict | None:
    if slope is None or not xs:
        return None
    low, high = min(xs), max(xs)
    return {
        "type": "scatter",
        "mode": "lines",
        "name": _("Fitted line"),
        "x": [low, high],
        "y": [slope.intercept + slope.slope * low, slope.intercept + slope.slope * high],
        "line": {"color": "#c2410c", "dash": "dash"},
    }


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
        "layout": _layout(
            yaxis={"title": {"text": _("Inbound deals")}, "rangemode": "tozero"},
            yaxis2={
                "title": {"text": _("Conversion to won")},
                "overlaying": "y",
                "side": "right",
                "tickformat": ".0%",
                "rangemode": "tozero",
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
            "text": [week.week.isoformat() for week in settled],
            "marker": {"color": "#2f6fed", "size": 8},
        }
    ]
    line = _fit_line(result.slope, xs)
    if line:
        scatter_data.append(line)
    scatter = {
        "data": scatter_data,
        "layout": _layout(
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
                "marker": {"color": SCATTER_COLOURS[index % len(SCATTER_COLOURS)], "size": 6},
                "opacity": 0.7,
            }
        )
    line = _fit_line(result.manager_slope, all_x)
    if line:
        manager_data.append(line)
    load_chart = {
        "data": manager_data,
        "layout": _layout(
            xaxis={"title": {"text": _("Open deals that week (load)")}},
            yaxis={"title": {"text": _("Conversion of the week's new deals")}, "tickformat": ".0%"},
            legend={"orientation": "v", "x": 1.02, "y": 1, "font": {"size": 11}},
            margin={"l": 60, "r": 20, "t": 30, "b": 50},
        ),
    }
    slope = result.slope
    kpis = [
        (_("Weeks"), _number(len(weeks)), ""),
        (_("Settled weeks in the fit"), _number(len(settled)), ""),
        (_("Conversion per +10 inbound deals"), _slope_value(slope, 10), _slope_note(slope, 10)),
        (
            _("Correlation r"),
            "—" if slope is None else f"{slope.r:.2f}",
            "" if slope is None else f"p = {slope.p_value:.3f}",
        ),
        (
            _("Conversion per +10 open deals of a manager"),
            _slope_value(result.manager_slope, 10),
            _slope_note(result.manager_slope, 10),
        ),
    ]
    week_rows = [
        [
            week.week.isoformat(),
            _number(week.inbound),
            _number(week.won),
            _number(week.lost),
            _number(week.open),
            _percent(week.conversion, 1),
            _percent(week.open_share),
            _("yes") if week.settled else _("no"),
        ]
        for week in weeks
    ]
    manager_rows = [
        [
            manager.name,
            _number(manager.deals),
            _number(manager.won),
            _percent(manager.conversion, 1),
            "—" if manager.average_load is None else f"{manager.average_load:.1f}",
        ]
        for manager in result.managers
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
            Table(
                headers=[
                    _("Week"),
                    _("Inbound"),
                    _("Won"),
                    _("Lost"),
                    _("Open"),
                    _("Conversion"),
                    _("Still open"),
                    _("Settled"),
                ],
                rows=week_rows,
                title=_("Weekly cohorts"),
                note=_(
                    "A week's cohort: deals first contacted that week. The slope is an "
                    "ordinary least-squares fit over settled weeks with a 95% t-interval."
                ),
                testid="inflow-table",
            ),
            Table(
                headers=[
                    _("Manager"),
                    _("New deals"),
                    _("Won"),
                    _("Conversion"),
                    _("Average open load"),
                ],
                rows=manager_rows,
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


# --- Channels ------------------------------------------------------------------------------


def _split_cell(split) -> str:
    if split is None or not split.deals:
        return "—"
    return f"{_percent(split.conversion)} ({split.won}/{split.deals})"


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
        "layout": _layout(yaxis={"title": {"text": _("Conversion to won")}, "tickformat": ".0%"}),
    }
    rows = [
        [
            name,
            _number(row.deals),
            _number(row.won),
            _number(row.lost),
            _number(row.open),
            _percent(row.conversion, 1),
            _number(row.revenue),
            "—" if row.median_cycle_days is None else f"{row.median_cycle_days:g}",
            _number(row.cost),
            _number(row.cost_per_won),
        ]
        for name, row in zip(names, result.rows, strict=True)
    ]
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
            Table(
                headers=[
                    _("Lead source"),
                    _("Deals"),
                    _("Won"),
                    _("Lost"),
                    _("Open"),
                    _("Conversion"),
                    _("Revenue"),
                    _("Median cycle, days"),
                    _("Cost"),
                    _("Cost per won deal"),
                ],
                rows=rows,
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
            _number(m.deals),
            _number(m.amount),
            _number(m.weighted),
        ]
        for m in forecast.months
    ]
    demand_rows = [
        [
            p.name,
            p.direction,
            _number(p.deals),
            f"{p.quantity:g} {p.unit}",
            _number(p.revenue),
            _number(p.weighted),
        ]
        for p in demand
    ]
    return {
        "kpis": [
            (_("Open deals"), _number(forecast.deals), ""),
            (_("Open amount"), _number(forecast.amount), ""),
            (_("Weighted amount"), _number(forecast.weighted), ""),
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
    )
    gaps["layout"]["xaxis"] = {"title": {"text": _("Days from the first to the second purchase")}}
    months = list(result.by_month.items())
    rate_chart = charts.bar_chart(
        [month.strftime("%Y-%m") for month, _counts in months],
        [(_("Repeat rate"), [(r / c if c else None) for _month, (c, r) in months])],
        percent=True,
        y_title=_("Bought again"),
    )
    rows = [
        [
            month.strftime("%Y-%m"),
            _number(customers),
            _number(repeat),
            _percent(repeat / customers if customers else None, 1),
        ]
        for month, (customers, repeat) in months
    ]
    return {
        "kpis": [
            (_("New customers"), _number(result.customers), ""),
            (_("Bought again"), _number(result.repeat_customers), ""),
            (_("Repeat rate"), _percent(result.repeat_rate, 1), ""),
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
            Table(
                headers=[
                    _("First purchase"),
                    _("New customers"),
                    _("Bought again"),
                    _("Repeat rate"),
                ],
                rows=rows,
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
