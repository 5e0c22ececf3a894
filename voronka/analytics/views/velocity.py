"""Analytics page: velocity (time spent in each stage)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _

from voronka.core import charts

from ..presentation import (
    Chart,
    Table,
    analytics_page,
    format_money,
    format_number,
    format_percent,
)
from ..velocity import velocity

# --- Velocity ------------------------------------------------------------------------------


def _days(value, longest=None) -> str:
    if value is None:
        return _("not reached") + (f" (> {longest})" if longest is not None else "")
    return str(value)


def _build_velocity(analytics_filter, user) -> dict:
    result = velocity(analytics_filter, user)
    names = [row.name for row in result.stages]
    speed = charts.bar_chart(
        names,
        [
            (_("Median, days"), [row.median_days for row in result.stages]),
            (_("P75, days"), [row.p75_days for row in result.stages]),
            (_("Rotting after, days"), [row.rotting_days for row in result.stages]),
        ],
        y_title=_("Days in stage"),
    )
    drop = charts.bar_chart(
        names, [(_("Drop-off"), [row.drop_off for row in result.stages])], percent=True
    )
    rows = [
        [
            row.name,
            format_number(row.stays),
            format_number(row.open_stays),
            _days(row.median_days, row.longest_days),
            _days(row.p75_days, row.longest_days),
            format_number(row.entered),
            format_number(row.lost),
            format_percent(row.drop_off, 1),
            format_money(row.lost_amount),
        ]
        for row in result.stages
    ]
    bottleneck_rows = [
        [
            str(row.rank),
            row.name,
            format_number(row.score, 3),
            format_percent(row.drop_off, 1),
            f"{format_number(row.slowness, 2)}×",
            format_money(row.lost_amount),
        ]
        for row in result.bottlenecks
    ]
    return {
        "charts": [
            Chart("velocity-chart", speed, _("Time in stage (Kaplan–Meier)")),
            Chart(
                "dropoff-chart", drop, _("Drop-off: deals lost from the stage / deals that entered")
            ),
        ],
        "tables": [
            Table(
                headers=[
                    _("Rank"),
                    _("Stage"),
                    _("Score"),
                    _("Drop-off"),
                    _("Slowness"),
                    _("Lost amount"),
                ],
                rows=bottleneck_rows,
                title=_("Bottlenecks"),
                note=_(
                    "Score = drop-off × slowness; slowness = (median days + 1) / the average of "
                    "(median days + 1) over the stages. Lost amount: deals lost from the stage."
                ),
                numeric_from=2,
                testid="bottleneck-table",
            ),
            Table(
                headers=[
                    _("Stage"),
                    _("Stays"),
                    _("Open (censored)"),
                    _("Median, days"),
                    _("P75, days"),
                    _("Deals entered"),
                    _("Lost here"),
                    _("Drop-off"),
                    _("Lost amount"),
                ],
                rows=rows,
                title=_("Time in stage and drop-off"),
                note=_(
                    "Kaplan–Meier estimate over stays in whole days: deals still in the stage "
                    "are censored at their current age."
                ),
                testid="velocity-table",
            ),
        ],
    }


@login_required
def velocity_page(request):
    return analytics_page(
        request,
        report="velocity",
        template="analytics/page.html",
        tab="velocity",
        title=_("Velocity and bottlenecks"),
        build=_build_velocity,
    )
