"""Tabular reports: (headers, rows) for CSV/XLSX exports of the pages and the CLI.

``REPORTS`` maps a report name to ``(AnalyticsFilter, user) -> (headers, rows)``. Other modules
register theirs with ``REPORTS[name] = function``. Rates are fractions (0..1) rounded to four
places; amounts are Decimals; unknown values are None (an empty cell).
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _

from .effectiveness import manager_effectiveness, reassignment_advice
from .filters import AnalyticsFilter
from .funnel import funnel
from .transitions import transition_matrix
from .velocity import velocity

Report = Callable[[AnalyticsFilter, object], tuple[list[str], list[list]]]


def _rate(value):
    return None if value is None else round(value, 4)


def funnel_report(analytics_filter: AnalyticsFilter, user):
    result = funnel(analytics_filter, user)
    headers = [
        _("Stage"),
        _("Reached"),
        _("Share of cohort"),
        _("Conversion to next"),
        _("Expected conversion"),
        _("Amount"),
        _("Open here"),
        _("Reached, previous period"),
        _("Conversion, previous period"),
    ]
    rows = [
        [
            stage.name,
            stage.reached,
            _rate(stage.share_of_first),
            _rate(stage.conversion),
            _rate(stage.expected_conversion),
            stage.amount,
            stage.open_here,
            stage.previous_reached,
            _rate(stage.previous_conversion),
        ]
        for stage in result.stages
    ]
    rows.append(
        [
            _("Won"),
            result.won,
            _rate(result.win_rate),
            None,
            None,
            result.won_amount,
            None,
            result.previous.won if result.previous else None,
            None,
        ]
    )
    return headers, rows


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
        _("90% interval, low"),
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


REPORTS: dict[str, Report] = {
    "funnel": funnel_report,
    "transitions": transitions_report,
    "velocity": velocity_report,
    "managers": managers_report,
    "advice": advice_report,
}
