"""Tabular reports: (headers, rows) for CSV/XLSX exports of the pages and the CLI.

``REPORTS`` maps a report name to ``(AnalyticsFilter, user) -> (headers, rows)``. Other modules
register theirs with ``REPORTS[name] = function``. Rates are fractions (0..1) rounded to four
places; amounts are Decimals; unknown values are None (an empty cell).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .effectiveness import manager_effectiveness, reassignment_advice
from .filters import AnalyticsFilter
from .funnel import funnel
from .transitions import transition_matrix
from .velocity import velocity

Report = Callable[[AnalyticsFilter, object], tuple[list[str], list[list]]]


def _rate(value):
    return None if value is None else round(value, 4)


@dataclass(frozen=True)
class Column:
    """One column of a report, shared by its page table, its CSV/XLSX export and the API's
    report endpoint. `kind` says how a cell is shown: text, count, amount, rate (a fraction
    0..1) or points (a difference of two rates); `digits` the decimals of a rate on the page."""

    heading: object
    kind: str = "count"
    digits: int = 1


# A cell with no meaning in its row (the Won row has no conversion): empty on the page and in
# the export, while None is an unknown value («—» on the page).
NOT_APPLICABLE = ""

FUNNEL_COLUMNS = (
    Column(gettext_lazy("Stage"), "text"),
    Column(gettext_lazy("Reached")),
    Column(gettext_lazy("Share of cohort"), "rate"),
    Column(gettext_lazy("Conversion to next"), "rate"),
    Column(gettext_lazy("Expected"), "rate", digits=0),
    Column(gettext_lazy("Observed − expected"), "points"),
    Column(gettext_lazy("Amount"), "amount"),
    Column(gettext_lazy("Open, furthest here")),
    Column(gettext_lazy("Reached, previous")),
    Column(gettext_lazy("Conversion, previous"), "rate"),
)


def _difference(observed, expected):
    return None if observed is None or expected is None else observed - expected


def funnel_rows(result) -> list[list]:
    """The funnel's rows in FUNNEL_COLUMNS' order: one per stage, then the Won row."""
    rows = [
        [
            stage.name,
            stage.reached,
            stage.share_of_first,
            stage.conversion,
            stage.expected_conversion,
            _difference(stage.conversion, stage.expected_conversion),
            stage.amount,
            stage.open_here,
            stage.previous_reached,
            stage.previous_conversion,
        ]
        for stage in result.stages
    ]
    na = NOT_APPLICABLE
    previous_won = result.previous.won if result.previous else None
    rows.append(
        [_("Won"), result.won, result.win_rate, na, na, na, result.won_amount, na, previous_won, na]
    )
    return rows


def export_row(columns, row: list) -> list:
    """A report row for CSV/XLSX: rates as fractions rounded to four places."""
    return [
        _rate(value) if column.kind in {"rate", "points"} and value != NOT_APPLICABLE else value
        for column, value in zip(columns, row, strict=True)
    ]


def funnel_report(analytics_filter: AnalyticsFilter, user):
    rows = funnel_rows(funnel(analytics_filter, user))
    headers = [str(column.heading) for column in FUNNEL_COLUMNS]
    return headers, [export_row(FUNNEL_COLUMNS, row) for row in rows]


def transitions_report(analytics_filter: AnalyticsFilter, user):
    matrix = transition_matrix(analytics_filter, user)
    headers = [_("From stage"), _("Closed stays")]
    for name in matrix.target_names:
        headers += [
            _("→ %(target)s, stays") % {"target": name},
            _("→ %(target)s, probability") % {"target": name},
        ]
    headers += [_("Win probability (Markov chain)"), _("Manual probability")]
    rows = []
    for row in matrix.stages:
        line = [row.name, row.exits]
        for target in matrix.targets:
            line += [row.counts[target], _rate(row.probabilities[target])]
        line += [_rate(row.win_probability), _rate(row.manual_probability)]
        rows.append(line)
    return headers, rows


def velocity_report(analytics_filter: AnalyticsFilter, user):
    result = velocity(analytics_filter, user)
    headers = [
        _("Stage"),
        _("Stays"),
        _("Open stays (censored)"),
        _("Median, days"),
        _("P75, days"),
        _("Longest, days"),
        _("Deals entered"),
        _("Deals lost here"),
        _("Drop-off"),
        _("Lost amount"),
        _("Slowness"),
        _("Bottleneck score"),
        _("Rank"),
    ]
    rows = [
        [
            row.name,
            row.stays,
            row.open_stays,
            row.median_days,
            row.p75_days,
            row.longest_days,
            row.entered,
            row.lost,
            _rate(row.drop_off),
            row.lost_amount,
            _rate(row.slowness),
            _rate(row.score),
            row.rank,
        ]
        for row in result.stages
    ]
    return headers, rows


def managers_report(analytics_filter: AnalyticsFilter, user):
    result = manager_effectiveness(analytics_filter, user)
    headers = [
        _("Manager"),
        _("Stage"),
        _("Successes"),
        _("Closed stays"),
        _("Raw rate"),
        _("Shrunken rate"),
        # xgettext:no-python-format
        _("90% interval, low"),
        # xgettext:no-python-format
        _("90% interval, high"),
    ]
    rows = []
    for manager in result.managers:
        for stage in result.stages:
            cell = result.cells.get((manager.pk, stage.pk))
            if cell is None:
                continue
            rows.append(
                [
                    str(manager),
                    stage.name,
                    cell.successes,
                    cell.trials,
                    _rate(cell.raw_rate),
                    _rate(cell.shrunken_rate),
                    _rate(cell.low),
                    _rate(cell.high),
                ]
            )
    return headers, rows


def advice_report(analytics_filter: AnalyticsFilter, user):
    headers = [
        _("Deal"),
        _("Stage"),
        _("Owner"),
        _("Days in stage"),
        _("Owner's expected rate"),
        _("Suggested manager"),
        _("Shrunken rate"),
        _("Open deals"),
        _("Capacity"),
        _("Expected rate with load"),
    ]
    rows = []
    for item in reassignment_advice(analytics_filter, user):
        for candidate in item.candidates or [None]:
            rows.append(
                [
                    item.deal.title,
                    item.deal.stage.name,
                    str(item.deal.owner),
                    item.days_in_stage,
                    _rate(item.current_rate),
                    str(candidate.manager) if candidate else None,
                    _rate(candidate.shrunken_rate) if candidate else None,
                    candidate.open_deals if candidate else None,
                    candidate.capacity if candidate else None,
                    _rate(candidate.expected_rate) if candidate else None,
                ]
            )
    return headers, rows


def win_probability_report(analytics_filter: AnalyticsFilter, user):
    from .win_probability import win_probability_overview

    overview = win_probability_overview(analytics_filter, user)
    headers = [
        _("Stage"),
        _("Open deals"),
        _("Estimated"),
        _("Amount"),
        _("Average estimate"),
        _("Manual probability"),
        _("Weighted amount"),
    ]
    rows = [
        [
            stage.name,
            stage.open_deals,
            stage.estimated,
            stage.amount,
            _rate(stage.average_probability),
            _rate(stage.manual_probability),
            stage.weighted_amount,
        ]
        for stage in overview.stages
    ]
    return headers, rows


REPORTS: dict[str, Report] = {
    "funnel": funnel_report,
    "transitions": transitions_report,
    "velocity": velocity_report,
    "managers": managers_report,
    "advice": advice_report,
    "win_probability": win_probability_report,
}


# --- Business figures: inflow, channels, forecast, demand, repeat purchases, plans ---------


def inflow_report(analytics_filter: AnalyticsFilter, user):
    from .inflow import inflow_weeks

    headers = [
        _("Week"),
        _("Inbound deals"),
        _("Won"),
        _("Lost"),
        _("Open"),
        _("Conversion to won"),
        _("Open share"),
        _("Settled"),
    ]
    rows = [
        [
            week.week,
            week.inbound,
            week.won,
            week.lost,
            week.open,
            _rate(week.conversion),
            _rate(week.open_share),
            week.settled,
        ]
        for week in inflow_weeks(analytics_filter, user)
    ]
    return headers, rows


def inflow_managers_report(analytics_filter: AnalyticsFilter, user):
    from .inflow import inflow_vs_conversion

    result = inflow_vs_conversion(analytics_filter, user)
    headers = [_("Manager"), _("New deals"), _("Won"), _("Conversion"), _("Average open load")]
    rows = [
        [
            manager.name,
            manager.deals,
            manager.won,
            _rate(manager.conversion),
            None if manager.average_load is None else round(manager.average_load, 2),
        ]
        for manager in result.managers
    ]
    return headers, rows


def channels_report(analytics_filter: AnalyticsFilter, user):
    from .channels import channels

    result = channels(analytics_filter, user)
    headers = [
        _("Lead source"),
        _("Deals"),
        _("Won"),
        _("Lost"),
        _("Open"),
        _("Conversion to won"),
        _("Revenue"),
        _("Median cycle, days"),
        _("Cost"),
        _("Cost per won deal"),
    ]
    for _key, label in result.customer_types:
        headers.append(_("Conversion: %(type)s") % {"type": label})
    headers += [_("Conversion: new customers"), _("Conversion: returning customers")]
    rows = []
    for row in result.rows:
        line = [
            row.name or _("No source"),
            row.deals,
            row.won,
            row.lost,
            row.open,
            _rate(row.conversion),
            row.revenue,
            row.median_cycle_days,
            row.cost,
            row.cost_per_won,
        ]
        for key, _label in result.customer_types:
            split = row.by_type.get(key)
            line.append(_rate(split.conversion) if split else None)
        for returning in (False, True):
            split = row.by_maturity.get(returning)
            line.append(_rate(split.conversion) if split else None)
        rows.append(line)
    return headers, rows


def channels_trend_report(analytics_filter: AnalyticsFilter, user):
    from .channels import channels

    result = channels(analytics_filter, user)
    headers = [_("Lead source"), _("Month"), _("Deals"), _("Won"), _("Conversion to won")]
    rows = [
        [row.name or _("No source"), month, split.deals, split.won, _rate(split.conversion)]
        for row in result.rows
        for month, split in sorted(row.trend.items())
    ]
    return headers, rows


def forecast_report(analytics_filter: AnalyticsFilter, user):
    from .forecast import weighted_forecast

    result = weighted_forecast(analytics_filter, user)
    headers = [_("Expected close month"), _("Open deals"), _("Amount"), _("Weighted amount")]
    rows = [[m.month, m.deals, m.amount, m.weighted] for m in result.months]
    return headers, rows


def demand_report(analytics_filter: AnalyticsFilter, user):
    from .forecast import product_demand

    headers = [
        _("Product"),
        _("Product line"),
        _("Open deals"),
        _("Quantity"),
        _("Unit"),
        _("Revenue"),
        _("Weighted revenue"),
    ]
    rows = [
        [p.name, p.direction, p.deals, p.quantity, p.unit, p.revenue, p.weighted]
        for p in product_demand(analytics_filter, user)
    ]
    return headers, rows


def repeat_report(analytics_filter: AnalyticsFilter, user):
    from .forecast import repeat_purchases

    result = repeat_purchases(analytics_filter, user)
    headers = [_("First purchase month"), _("New customers"), _("Bought again"), _("Repeat rate")]
    rows = [
        [month, customers, repeat, _rate(repeat / customers if customers else None)]
        for month, (customers, repeat) in result.by_month.items()
    ]
    rows.append([_("Total"), result.customers, result.repeat_customers, _rate(result.repeat_rate)])
    return headers, rows


def plans_report(analytics_filter: AnalyticsFilter, user):
    """Plans in force on the last day of the period (the filter's dimensions do not apply)."""
    from voronka.plans.selectors import (
        plan_progress,
        plan_progress_table,
        plans_active_on,
        visible_plans,
    )

    plans = plans_active_on(visible_plans(user), analytics_filter.date_to)
    return plan_progress_table(plan_progress(plans, user))


REPORTS |= {
    "inflow": inflow_report,
    "inflow-managers": inflow_managers_report,
    "channels": channels_report,
    "channels-trend": channels_trend_report,
    "forecast": forecast_report,
    "demand": demand_report,
    "repeat": repeat_report,
    "plans": plans_report,
}
