"""Analytics page: win probability of open deals and its model."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _

from voronka.core import charts
from voronka.core.formatting import organisation_currency

from ..presentation import (
    Chart,
    Table,
    analytics_page,
    format_money,
    format_number,
    format_percent,
    report_table,
)
from ..reports.mechanics import WIN_PROBABILITY
from ..win_probability import age_band_label, trend_label, win_probability_overview

# --- Win probability -----------------------------------------------------------------------


def _build_win_probability(analytics_filter, user, *, with_model=False) -> dict:
    overview = win_probability_overview(analytics_filter, user, with_model=with_model)
    for deal in overview.deals:  # the same number format as the other tables
        deal.amount_text, deal.weighted_text = (
            format_money(deal.amount),
            format_money(deal.weighted),
        )
    names = [stage.name for stage in overview.stages]
    amounts = charts.bar_chart(
        names,
        [
            (_("Open amount"), [stage.amount for stage in overview.stages]),
            (_("Weighted by win probability"), [s.weighted_amount for s in overview.stages]),
        ],
        y_title=_("Amount"),
        money=organisation_currency(),
    )
    probabilities = charts.bar_chart(
        names,
        [
            (_("Average estimate"), [s.average_probability for s in overview.stages]),
            (_("Manual stage probability"), [s.manual_probability for s in overview.stages]),
        ],
        percent=True,
        y_title=_("Probability of winning"),
    )
    tables = [
        report_table(
            WIN_PROBABILITY,
            overview,
            title=_("Open deals by stage"),
            note=_(
                "Weighted amount = amount × the deal's win probability (the stage's manual "
                "probability while a deal has no estimate yet)."
            ),
            testid="win-stages-table",
        )
    ]
    model, model_table = overview.model, None
    if model is not None:
        model_rows = []
        for (stage_id, band, trend), cell in sorted(
            model.cells.items(), key=lambda item: (_stage_order(overview, item[0][0]), item[0][1:])
        ):
            model_rows.append(
                [
                    _stage_name(overview, stage_id),
                    age_band_label(band),
                    trend_label(trend),
                    f"{cell.won} / {cell.deals}",
                    format_percent(cell.won / cell.deals if cell.deals else None, 1),
                    format_percent(cell.probability, 1),
                ]
            )
        model_table = Table(
            headers=[
                _("Stage"),
                _("Days since first contact"),
                _("Budget"),
                _("Won / closed deals"),
                _("Raw rate"),
                _("Estimate (smoothed)"),
            ],
            rows=model_rows,
            title=_("Model: closed deals of the pipeline by stage, age and budget"),
            note=_(
                "Pipeline win rate %(rate)s over %(deals)s closed deals. Each cell is shrunk "
                "towards its stage's rate, each stage towards the pipeline's (empirical Bayes)."
            )
            % {"rate": format_percent(model.pipeline_rate, 1), "deals": model.pipeline_deals},
            numeric_from=3,
            testid="win-model-table",
            anchor="model",
        )
    kpis = [
        (_("Open deals"), format_number(overview.open_deals), ""),
        (_("Open amount"), format_money(overview.amount), ""),
        (_("Weighted pipeline"), format_money(overview.weighted_amount), ""),
    ]
    return {
        "kpis": kpis,
        "overview": overview,
        "charts": [
            Chart("win-amount-chart", amounts, _("Open and weighted amount by stage")),
            Chart("win-probability-chart", probabilities, _("Estimated and manual probability")),
        ],
        "tables": tables,
        "model_table": model_table,
        "model_available": user.sees_everything or user.can_manage_team,
    }


def _stage_order(overview, stage_id) -> int:
    for index, stage in enumerate(overview.stages):
        if stage.stage_id == stage_id:
            return index
    return len(overview.stages)


def _stage_name(overview, stage_id) -> str:
    index = _stage_order(overview, stage_id)
    return overview.stages[index].name if index < len(overview.stages) else str(stage_id)


@login_required
def win_probability_page(request):
    return analytics_page(
        request,
        report="win_probability",
        template="analytics/win_probability.html",
        tab="win_probability",
        title=_("Win probability"),
        build=lambda analytics_filter, user: _build_win_probability(
            analytics_filter, user, with_model=request.GET.get("model") == "1"
        ),
    )
