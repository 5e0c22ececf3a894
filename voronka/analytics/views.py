"""Funnel-mechanics analytics pages: funnel, transitions, velocity, managers, advice.

Every page: login required, filter bar (``analytics_filter_from_request``), Plotly charts built
from aggregated rows, a table, and CSV/XLSX export of the page's report (``?export=csv|xlsx``).
Row-level visibility comes from the filter (``visible_deals``). ``analytics_page`` is shared
with the business pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.accounts.visibility import visible_deals, visible_users
from voronka.core.errors import DomainError
from voronka.core.tabular_export import EXPORT_FORMATS, tabular_response
from voronka.pipeline.models import DealStatus
from voronka.pipeline.services import deal_reassign

from . import charts
from .effectiveness import manager_effectiveness, reassignment_advice
from .filters import analytics_filter_from_request
from .funnel import funnel
from .reports import REPORTS
from .transitions import transition_matrix
from .velocity import velocity
from .win_probability import age_band_label, trend_label, win_probability_overview


@dataclass
class Chart:
    id: str
    figure: dict
    title: str = ""
    note: str = ""
    wide: bool = False  # spans the whole row (heatmaps with many columns)

    @property
    def data_id(self) -> str:
        return f"{self.id}-data"


@dataclass
class Table:
    headers: list
    rows: list
    title: str = ""
    note: str = ""
    numeric_from: int = 1
    testid: str = "analytics-table"
    extra: dict = field(default_factory=dict)
    anchor: str = ""  # an id for links to the table


def analytics_page(request, *, report: str, template: str, tab: str, title: str, build):
    """Parse the filter; answer ``?export=`` with the report, otherwise render the page.

    ``build(analytics_filter, user) -> dict`` adds the page's charts and tables to the context.
    """
    analytics_filter, form = analytics_filter_from_request(request)
    export = request.GET.get("export")
    if export is not None:
        if export not in EXPORT_FORMATS:
            return HttpResponse(
                _("Unknown export format: choose csv or xlsx."),
                status=400,
                content_type="text/plain",
            )
        if analytics_filter is None:
            raise Http404(_("There is no pipeline yet."))
        headers, rows = REPORTS[report](analytics_filter, request.user)
        stem = f"{report}-{analytics_filter.date_from:%Y%m%d}-{analytics_filter.date_to:%Y%m%d}"
        return tabular_response(stem, headers, rows, export)
    context = {
        "analytics_filter": analytics_filter,
        "filter_form": form,
        "filter_query": urlencode(analytics_filter.as_query()) if analytics_filter else "",
        "active_tab": tab,
        "page_title": title,
        "export_enabled": True,
    }
    if analytics_filter is not None:
        context |= build(analytics_filter, request.user)
    return render(request, template, context, status=400 if form.errors else 200)


def _percent(value, digits=0) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f} %"


def _number(value) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}".replace(",", "\u00a0")


def _delta(current, previous) -> str:
    if current is None or previous is None:
        return ""
    difference = (current - previous) * 100
    return _("%(difference)s pp") % {"difference": f"{difference:+.1f}"}


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
    rows = [
        [
            stage.name,
            _number(stage.reached),
            _percent(stage.share_of_first, 1),
            _percent(stage.conversion, 1),
            _percent(stage.expected_conversion),
            _delta(stage.conversion, stage.expected_conversion),
            _number(stage.amount),
            _number(stage.open_here),
            _number(stage.previous_reached),
            _percent(stage.previous_conversion, 1),
        ]
        for stage in result.stages
    ]
    rows.append(
        [
            _("Won"),
            _number(result.won),
            _percent(result.win_rate, 1),
            "",
            "",
            "",
            _number(result.won_amount),
            "",
            _number(previous.won if previous else None),
            "",
        ]
    )
    table = Table(
        headers=[
            _("Stage"),
            _("Reached"),
            _("Share of cohort"),
            _("Conversion to next"),
            _("Expected"),
            _("Observed − expected"),
            _("Amount"),
            _("Open, furthest here"),
            _("Reached, previous"),
            _("Conversion, previous"),
        ],
        rows=rows,
        title=_("Stages"),
        note=_(
            "A deal counts as having reached every stage up to the furthest one it got to, even "
            "if it skipped some. The last stage converts into won deals. Open deals may still "
            "advance, so a recent cohort's conversion is still growing."
        ),
        testid="funnel-table",
    )
    kpis = [
        (_("Deals in cohort"), _number(result.deals), _number(previous.deals) if previous else ""),
        (_("Won"), _number(result.won), _number(previous.won) if previous else ""),
        (
            _("Win rate"),
            _percent(result.win_rate, 1),
            _delta(result.win_rate, previous.win_rate if previous else None),
        ),
        (
            _("Win rate of closed"),
            _percent(result.closed_win_rate, 1),
            _delta(result.closed_win_rate, previous.closed_win_rate if previous else None),
        ),
        (_("Won amount"), _number(result.won_amount), ""),
        (_("Still open"), _number(result.open), ""),
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


# --- Transitions ---------------------------------------------------------------------------


def _build_transitions(analytics_filter, user) -> dict:
    matrix = transition_matrix(analytics_filter, user)
    stage_names = [row.name for row in matrix.stages]
    z = [[row.probabilities[target] for target in matrix.targets] for row in matrix.stages]
    text = [
        [
            "" if not row.counts[t] else f"{row.probabilities[t] * 100:.0f}% ({row.counts[t]})"
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
    headers = [_("From \\ to"), _("Closed stays")] + matrix.target_names
    rows = []
    for row in matrix.stages:
        line = [row.name, _number(row.exits)]
        for target in matrix.targets:
            probability = row.probabilities[target]
            line.append(
                ""
                if probability is None or not row.counts[target]
                else f"{probability * 100:.1f} % ({row.counts[target]})"
            )
        rows.append(line)
    win_rows = [
        [
            row.name,
            _percent(row.win_probability, 1),
            _percent(row.manual_probability),
            _delta(row.win_probability, row.manual_probability),
            "—" if row.expected_steps is None else f"{row.expected_steps:.2f}",
        ]
        for row in matrix.stages
    ]
    return {
        "charts": [
            Chart("transition-chart", heatmap, _("Where deals go from each stage"), wide=True),
            Chart("win-chart", win, _("Probability of winning from each stage")),
        ],
        "tables": [
            Table(
                headers=headers,
                rows=rows,
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
            _number(row.stays),
            _number(row.open_stays),
            _days(row.median_days, row.longest_days),
            _days(row.p75_days, row.longest_days),
            _number(row.entered),
            _number(row.lost),
            _percent(row.drop_off, 1),
            _number(row.lost_amount),
        ]
        for row in result.stages
    ]
    bottleneck_rows = [
        [
            str(row.rank),
            row.name,
            f"{row.score:.3f}",
            _percent(row.drop_off, 1),
            f"{row.slowness:.2f}×",
            _number(row.lost_amount),
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


# --- Win probability -----------------------------------------------------------------------


def _build_win_probability(analytics_filter, user, *, with_model=False) -> dict:
    overview = win_probability_overview(analytics_filter, user, with_model=with_model)
    for deal in overview.deals:  # the same number format as the other tables
        deal.amount_text, deal.weighted_text = _number(deal.amount), _number(deal.weighted)
    names = [stage.name for stage in overview.stages]
    amounts = charts.bar_chart(
        names,
        [
            (_("Open amount"), [stage.amount for stage in overview.stages]),
            (_("Weighted by win probability"), [s.weighted_amount for s in overview.stages]),
        ],
        y_title=_("Amount"),
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
    stage_rows = [
        [
            stage.name,
            _number(stage.open_deals),
            _number(stage.estimated),
            _number(stage.amount),
            _percent(stage.average_probability, 1),
            _percent(stage.manual_probability),
            _number(stage.weighted_amount),
        ]
        for stage in overview.stages
    ]
    tables = [
        Table(
            headers=[
                _("Stage"),
                _("Open deals"),
                _("Estimated"),
                _("Amount"),
                _("Average estimate"),
                _("Manual probability"),
                _("Weighted amount"),
            ],
            rows=stage_rows,
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
                    _percent(cell.won / cell.deals if cell.deals else None, 1),
                    _percent(cell.probability, 1),
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
            % {"rate": _percent(model.pipeline_rate, 1), "deals": model.pipeline_deals},
            numeric_from=3,
            testid="win-model-table",
            anchor="model",
        )
    kpis = [
        (_("Open deals"), _number(overview.open_deals), ""),
        (_("Open amount"), _number(overview.amount), ""),
        (_("Weighted pipeline"), _number(overview.weighted_amount), ""),
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


# --- Managers ------------------------------------------------------------------------------


def _build_managers(analytics_filter, user) -> dict:
    result = manager_effectiveness(analytics_filter, user)
    stage_names = [stage.name for stage in result.stages]
    manager_names = [str(manager) for manager in result.managers]
    z, text = [], []
    rows = []
    for manager in result.managers:
        z_row, text_row = [], []
        for stage in result.stages:
            cell = result.cells.get((manager.pk, stage.pk))
            z_row.append(cell.shrunken_rate if cell else None)
            text_row.append(f"{cell.shrunken_rate * 100:.0f}% (n={cell.trials})" if cell else "")
            if cell:
                rows.append(
                    [
                        str(manager),
                        stage.name,
                        f"{cell.successes} / {cell.trials}",
                        _percent(cell.raw_rate, 1),
                        _percent(cell.shrunken_rate, 1),
                        f"{cell.low * 100:.1f} – {cell.high * 100:.1f} %",
                    ]
                )
        z.append(z_row)
        text.append(text_row)
    prior_rows = [
        [
            stage.name,
            _percent(result.priors[stage.pk].mean, 1),
            f"{result.priors[stage.pk].strength:.1f}",
            _("fitted") if result.priors[stage.pk].fitted else _("fallback"),
        ]
        for stage in result.stages
    ]
    return {
        "charts": [
            Chart(
                "managers-chart",
                charts.heatmap_chart(
                    stage_names,
                    manager_names,
                    z,
                    text,
                    colorbar_title=_("Success"),
                    full_range=False,
                ),
                _("Success rate per manager and stage (shrunken)"),
                wide=True,
            )
        ],
        "tables": [
            Table(
                headers=[
                    _("Manager"),
                    _("Stage"),
                    _("Successes / closed stays"),
                    _("Raw rate"),
                    _("Shrunken rate"),
                    # xgettext:no-python-format
                    _("90% credible interval"),
                ],
                rows=rows,
                title=_("Managers by stage"),
                note=_(
                    "Success: the stay ended by moving forward or winning; failure: moving back "
                    "or losing. Rates are shrunk towards the stage's prior (empirical Bayes)."
                ),
                numeric_from=2,
                testid="managers-table",
            ),
            Table(
                headers=[_("Stage"), _("Prior mean"), _("Prior strength (α+β)"), _("Prior")],
                rows=prior_rows,
                title=_("Stage priors"),
                testid="priors-table",
            ),
        ],
    }


@login_required
def managers_page(request):
    return analytics_page(
        request,
        report="managers",
        template="analytics/page.html",
        tab="managers",
        title=_("Manager effectiveness"),
        build=_build_managers,
    )


# --- Reassignment advice -------------------------------------------------------------------


def _build_advice(analytics_filter, user) -> dict:
    return {
        "advice": reassignment_advice(analytics_filter, user),
        "can_apply": user.can_manage_team,
    }


@login_required
def advice_page(request):
    return analytics_page(
        request,
        report="advice",
        template="analytics/advice.html",
        tab="advice",
        title=_("Reassignment advice"),
        build=_build_advice,
    )


@login_required
@require_POST
def advice_apply(request):
    """Give a stalled deal to the suggested manager (heads and admins only)."""
    if not request.user.can_manage_team:
        return HttpResponseForbidden(_("Only heads of sales and administrators reassign deals."))
    try:
        deal_id = int(request.POST.get("deal", ""))
        manager_id = int(request.POST.get("manager", ""))
    except ValueError:
        return HttpResponse(
            _("Choose a deal and a manager."), status=400, content_type="text/plain"
        )
    deal = get_object_or_404(visible_deals(request.user), pk=deal_id, status=DealStatus.OPEN)
    manager = get_object_or_404(visible_users(request.user), pk=manager_id)
    try:
        deal_reassign(deal=deal, new_owner=manager, user=request.user, at=timezone.now())
    except DomainError as error:
        messages.error(request, error.message)
        return HttpResponse(str(error.message), status=error.status, content_type="text/plain")
    messages.success(
        request,
        _("«%(deal)s» is now with %(manager)s.") % {"deal": deal.title, "manager": manager},
    )
    next_url = request.POST.get("next", "")
    if not next_url.startswith("/") or next_url.startswith("//"):
        from django.urls import reverse

        next_url = reverse("analytics:advice")
    return redirect(next_url)
