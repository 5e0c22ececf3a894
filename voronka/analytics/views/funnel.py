"""Analytics page: the funnel (deals reaching each stage, stage-to-stage conversion)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _

from voronka.core import charts

from ..funnel import funnel
from ..presentation import (
    Chart,
    analytics_page,
    format_delta,
    format_money,
    format_number,
    format_percent,
    report_table,
)
from ..reports.mechanics import FUNNEL

# --- Funnel --------------------------------------------------------------------------------


def _build_funnel(analytics_filter, user) -> dict:
    result = funnel(analytics_filter, user)
    previous = result.previous
    labels = [stage.name for stage in result.stages] + [_("Won")]
    series = [(_("This period"), [s.reached for s in result.stages] + [result.won])]
    if previous is not None and previous.deals:
        series.append((_("Previous period"), [s.reached for s in previous.stages] + [previous.won]))
    conversion_labels = [stage.name for stage in result.stages]
    conversion = charts.bar_chart(
        conversion_labels,
        [
            (_("Observed conversion"), [s.conversion for s in result.stages]),
            (_("Previous period"), [s.previous_conversion for s in result.stages]),
            (_("Expected (manual)"), [s.expected_conversion for s in result.stages]),
        ],
        percent=True,
        y_title=_("Conversion to the next step"),
    )
    table = report_table(
        FUNNEL,
        result,
        title=_("Stages"),
        note=_(
            "A deal counts as having reached every stage up to the furthest one it got to, even "
            "if it skipped some. The last stage converts into won deals. Open deals may still "
            "advance, so a recent cohort's conversion is still growing."
        ),
        testid="funnel-table",
    )
    kpis = [
        (
            _("Deals in cohort"),
            format_number(result.deals),
            format_number(previous.deals) if previous else "",
        ),
        (_("Won"), format_number(result.won), format_number(previous.won) if previous else ""),
        (
            _("Win rate"),
            format_percent(result.win_rate, 1),
            format_delta(result.win_rate, previous.win_rate if previous else None),
        ),
        (
            _("Win rate of closed"),
            format_percent(result.closed_win_rate, 1),
            format_delta(result.closed_win_rate, previous.closed_win_rate if previous else None),
        ),
        (_("Won amount"), format_money(result.won_amount), ""),
        (_("Still open"), format_number(result.open), ""),
    ]
    return {
        "funnel": result,
        "kpis": kpis,
        "charts": [
            Chart(
                "funnel-chart", charts.funnel_chart(labels, series), _("Deals reaching each stage")
            ),
            Chart("conversion-chart", conversion, _("Stage-to-stage conversion")),
        ],
        "tables": [table],
    }


@login_required
def funnel_page(request):
    return analytics_page(
        request,
        report="funnel",
        template="analytics/page.html",
        tab="funnel",
        title=_("Funnel"),
        build=_build_funnel,
    )
