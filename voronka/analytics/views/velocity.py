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
    report_table,
)
from ..reports.mechanics import VELOCITY
from ..velocity import velocity

# --- Velocity ------------------------------------------------------------------------------


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
            report_table(
                VELOCITY,
                result,
                title=_("Time in stage and drop-off"),
                note=_(
                    "Kaplan–Meier estimate over stays in whole days: deals still in the stage "
                    "are censored at their current age. Not reached: fewer than half (for P75, "
                    "three quarters) of the stays have ended so far."
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
