"""Analytics page: stage-to-stage transitions (forward, skips, returns, losses)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _

from voronka.core import charts

from ..presentation import (
    Chart,
    Table,
    analytics_page,
    format_delta,
    format_number,
    format_percent,
    report_table,
)
from ..reports.mechanics import TRANSITIONS
from ..transitions import transition_matrix

# --- Transitions ---------------------------------------------------------------------------


def _build_transitions(analytics_filter, user) -> dict:
    matrix = transition_matrix(analytics_filter, user)
    stage_names = [row.name for row in matrix.stages]
    z = [[row.probabilities[target] for target in matrix.targets] for row in matrix.stages]
    text = [
        [
            ""
            if not row.counts[t]
            else f"{format_percent(row.probabilities[t])} ({format_number(row.counts[t])})"
            for t in matrix.targets
        ]
        for row in matrix.stages
    ]
    heatmap = charts.heatmap_chart(
        matrix.target_names, stage_names, z, text, colorbar_title=_("Probability")
    )
    win = charts.bar_chart(
        stage_names,
        [
            (_("From history (Markov chain)"), [row.win_probability for row in matrix.stages]),
            (_("Manual stage probability"), [row.manual_probability for row in matrix.stages]),
        ],
        percent=True,
        y_title=_("Probability of winning"),
    )
    win_rows = [
        [
            row.name,
            format_percent(row.win_probability, 1),
            format_percent(row.manual_probability),
            format_delta(row.win_probability, row.manual_probability),
            "—" if row.expected_steps is None else format_number(row.expected_steps, 2),
        ]
        for row in matrix.stages
    ]
    return {
        "charts": [
            Chart("transition-chart", heatmap, _("Where deals go from each stage"), wide=True),
            Chart("win-chart", win, _("Probability of winning from each stage")),
        ],
        "tables": [
            report_table(
                TRANSITIONS,
                matrix,
                title=_("Transition matrix"),
                note=_(
                    "Each closed stay in a stage counts once: moves forward and back, wins and "
                    "losses. Deals still in a stage (open stays) are not counted."
                ),
                testid="transition-table",
            ),
            Table(
                headers=[
                    _("Stage"),
                    _("Win probability (history)"),
                    _("Manual probability"),
                    _("History − manual"),
                    _("Expected stays before closing"),
                ],
                rows=win_rows,
                title=_("Probability of winning"),
                note=_(
                    "Absorbing Markov chain over the transition matrix: N = (I − Q)⁻¹, B = N·R; "
                    "a stage never left in the period has no estimate."
                ),
                testid="win-table",
            ),
        ],
    }


@login_required
def transitions_page(request):
    return analytics_page(
        request,
        report="transitions",
        template="analytics/page.html",
        tab="transitions",
        title=_("Transition matrix"),
        build=_build_transitions,
    )
