"""Reports of the funnel-mechanics pages: funnel, transitions, velocity, managers, advice and
win probability (see `columns` for how a definition serves page, export and API)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.core.report_columns import NOT_APPLICABLE, Column, Report, Row

from ..effectiveness import manager_effectiveness, reassignment_advice
from ..funnel import funnel
from ..transitions import transition_matrix
from ..velocity import velocity
from ..win_probability import win_probability_overview

# --- Funnel ----------------------------------------------------------------------------------

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
    """One row per stage, then the Won row."""
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


FUNNEL = Report(funnel, FUNNEL_COLUMNS, funnel_rows)

# --- Transitions: a pair of columns per target stage -----------------------------------------


def transition_columns(matrix) -> list[Column]:
    columns = [Column(_("From stage"), "text"), Column(_("Closed stays"))]
    for name in matrix.target_names:
        columns += [
            Column(_("→ %(target)s, stays") % {"target": name}),
            Column(_("→ %(target)s, probability") % {"target": name}, "rate"),
        ]
    return columns + [
        Column(_("Win probability (Markov chain)"), "rate"),
        Column(_("Manual probability"), "rate", digits=0),
    ]


def transition_rows(matrix) -> list[list]:
    rows = []
    for row in matrix.stages:
        line = [row.name, row.exits]
        for target in matrix.targets:
            line += [row.counts[target], row.probabilities[target]]
        rows.append(line + [row.win_probability, row.manual_probability])
    return rows


TRANSITIONS = Report(transition_matrix, transition_columns, transition_rows)

# --- Velocity ------------------------------------------------------------------------------

VELOCITY_COLUMNS = (
    Column(gettext_lazy("Stage"), "text"),
    Column(gettext_lazy("Stays")),
    Column(gettext_lazy("Open stays (censored)")),
    Column(gettext_lazy("Median, days"), missing=gettext_lazy("not reached")),
    Column(gettext_lazy("P75, days"), missing=gettext_lazy("not reached")),
    Column(gettext_lazy("Longest, days")),
    Column(gettext_lazy("Deals entered")),
    Column(gettext_lazy("Deals lost here")),
    Column(gettext_lazy("Drop-off"), "rate"),
    Column(gettext_lazy("Lost amount"), "amount"),
    Column(gettext_lazy("Slowness"), "number", digits=2),
    Column(gettext_lazy("Bottleneck score"), "number", digits=3),
    Column(gettext_lazy("Rank")),
)


def velocity_rows(result) -> list[list]:
    return [
        [
            row.name,
            row.stays,
            row.open_stays,
            row.median_days,
            row.p75_days,
            row.longest_days,
            row.entered,
            row.lost,
            row.drop_off,
            row.lost_amount,
            row.slowness,
            row.score,
            row.rank,
        ]
        for row in result.stages
    ]


VELOCITY = Report(velocity, VELOCITY_COLUMNS, velocity_rows)

# --- Managers: effectiveness per stage, and reassignment advice ------------------------------

MANAGER_COLUMNS = (
    Column(gettext_lazy("Manager"), "text"),
    Column(gettext_lazy("Stage"), "text"),
    Column(gettext_lazy("Successes")),
    Column(gettext_lazy("Closed stays")),
    Column(gettext_lazy("Raw rate"), "rate"),
    Column(gettext_lazy("Shrunken rate"), "rate"),
    # xgettext:no-python-format
    Column(gettext_lazy("90% interval, low"), "rate"),
    # xgettext:no-python-format
    Column(gettext_lazy("90% interval, high"), "rate"),
)


def manager_rows(result) -> list[list]:
    rows = []
    for manager in result.managers:
        for stage in result.stages:
            cell = result.cells.get((manager.pk, stage.pk))
            if cell is not None:
                rows.append(
                    [
                        str(manager),
                        stage.name,
                        cell.successes,
                        cell.trials,
                        cell.raw_rate,
                        cell.shrunken_rate,
                        cell.low,
                        cell.high,
                    ]
                )
    return rows


MANAGERS = Report(manager_effectiveness, MANAGER_COLUMNS, manager_rows)

ADVICE_COLUMNS = (
    Column(gettext_lazy("Deal"), "text", cell="analytics/cells/advice_deal.html", grouped=True),
    Column(gettext_lazy("Stage"), "text", grouped=True),
    Column(gettext_lazy("Owner"), "text", grouped=True),
    Column(gettext_lazy("Days in stage"), cell="analytics/cells/advice_days.html", grouped=True),
    Column(gettext_lazy("Owner's expected rate"), "rate", digits=0, grouped=True),
    Column(
        gettext_lazy("Suggested manager"),
        "text",
        missing=gettext_lazy("Nobody better placed has capacity"),
        cell="analytics/cells/advice_candidate.html",
    ),
    Column(gettext_lazy("Shrunken rate"), "rate", digits=0),
    Column(gettext_lazy("Open deals")),
    Column(gettext_lazy("Capacity")),
    Column(gettext_lazy("Expected rate with load"), "rate", digits=0),
)


def advice_rows(advice) -> list[Row]:
    """One row per suggested manager of a stalled deal (one with none when nobody fits)."""
    rows = []
    for item in advice:
        for index, candidate in enumerate(item.candidates or [None]):
            rows.append(
                Row(
                    [
                        item.deal.title,
                        item.deal.stage.name,
                        str(item.deal.owner),
                        item.days_in_stage,
                        item.current_rate,
                        str(candidate.manager) if candidate else None,
                        candidate.shrunken_rate if candidate else None,
                        candidate.open_deals if candidate else None,
                        candidate.capacity if candidate else None,
                        candidate.expected_rate if candidate else None,
                    ],
                    source=(item, candidate),
                    continued=index > 0,
                )
            )
    return rows


ADVICE = Report(reassignment_advice, ADVICE_COLUMNS, advice_rows)

# --- Win probability -------------------------------------------------------------------------

WIN_PROBABILITY_COLUMNS = (
    Column(gettext_lazy("Stage"), "text"),
    Column(gettext_lazy("Open deals")),
    Column(gettext_lazy("Estimated")),
    Column(gettext_lazy("Amount"), "amount"),
    Column(gettext_lazy("Average estimate"), "rate"),
    Column(gettext_lazy("Manual probability"), "rate", digits=0),
    Column(gettext_lazy("Weighted amount"), "amount"),
)


def win_probability_rows(overview) -> list[list]:
    return [
        [
            stage.name,
            stage.open_deals,
            stage.estimated,
            stage.amount,
            stage.average_probability,
            stage.manual_probability,
            stage.weighted_amount,
        ]
        for stage in overview.stages
    ]


WIN_PROBABILITY = Report(win_probability_overview, WIN_PROBABILITY_COLUMNS, win_probability_rows)
