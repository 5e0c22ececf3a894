"""Analytics pages: manager effectiveness and reassignment advice."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.accounts.visibility import visible_deals, visible_users
from voronka.core import charts
from voronka.core.errors import DomainError
from voronka.core.redirects import safe_next_url
from voronka.pipeline.models import DealStatus
from voronka.pipeline.services import deal_reassign

from ..effectiveness import manager_effectiveness, reassignment_advice
from ..presentation import (
    Chart,
    Table,
    analytics_page,
    format_number,
    format_percent,
    report_table,
)
from ..reports.mechanics import ADVICE, MANAGERS

# --- Managers ------------------------------------------------------------------------------


def _build_managers(analytics_filter, user) -> dict:
    result = manager_effectiveness(analytics_filter, user)
    stage_names = [stage.name for stage in result.stages]
    manager_names = [str(manager) for manager in result.managers]
    z, text = [], []
    for manager in result.managers:
        z_row, text_row = [], []
        for stage in result.stages:
            cell = result.cells.get((manager.pk, stage.pk))
            z_row.append(cell.shrunken_rate if cell else None)
            text_row.append(
                f"{format_percent(cell.shrunken_rate)} (n\u00a0=\u00a0{cell.trials})"
                if cell
                else ""
            )
        z.append(z_row)
        text.append(text_row)
    prior_rows = [
        [
            stage.name,
            format_percent(result.priors[stage.pk].mean, 1),
            format_number(result.priors[stage.pk].strength, 1),
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
            report_table(
                MANAGERS,
                result,
                title=_("Managers by stage"),
                note=_(
                    "Success: the stay ended by moving forward or winning; failure: moving back "
                    "or losing. Rates are shrunk towards the stage's prior (empirical Bayes)."
                ),
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
        "advice_table": report_table(
            ADVICE, reassignment_advice(analytics_filter, user), testid="advice-table"
        ),
        "can_apply": user.can_manage_team,
    }


ADVICE_UNDO_SESSION_KEY = "analytics:advice-undo"


@login_required
def advice_page(request):
    # The last hand-over, offered once for undo (a one-click reassignment must be reversible).
    request.advice_undo = request.session.pop(ADVICE_UNDO_SESSION_KEY, None)
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
    previous_owner = deal.owner
    try:
        deal_reassign(deal=deal, new_owner=manager, user=request.user, at=timezone.now())
    except DomainError as error:
        messages.error(request, error.message)
        return HttpResponse(str(error.message), status=error.status, content_type="text/plain")
    if request.POST.get("undo"):
        messages.success(
            request,
            _("«%(deal)s» is back with %(manager)s.") % {"deal": deal.title, "manager": manager},
        )
    else:
        request.session[ADVICE_UNDO_SESSION_KEY] = {
            "deal": deal.pk,
            "title": deal.title,
            "manager": str(manager),
            "previous_owner": previous_owner.pk,
            "previous_owner_name": str(previous_owner),
        }
    return redirect(
        safe_next_url(request, request.POST.get("next"), fallback=reverse("analytics:advice"))
    )
