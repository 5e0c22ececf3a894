"""Sales plans pages: plan vs fact vs potential with progress bars, and plan editing.

Everyone signed in sees the plans they may see (``visible_plans``); heads and admins create,
change and delete them through ``plans.services``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from voronka.core import charts, formatting
from voronka.core.errors import DomainError
from voronka.core.models import Organisation
from voronka.core.report_columns import report_table
from voronka.core.tabular_export import EXPORT_FORMATS, tabular_response

from . import services
from .filters import PAGE_FILTERS, PlanFilterSet
from .forms import PlanForm, PlanTargetForm
from .models import PlanDimension
from .reports import PLANS
from .selectors import (
    plan_progress,
    plan_rollups,
    visible_plans,
)


def _share(value) -> float:
    """A bar width in percent, capped at 100."""
    return 0.0 if value is None else round(min(max(value, 0.0), 1.0) * 100, 1)


@login_required
def plan_list(request):
    data = request.GET.copy()
    if not data.get("on"):
        data["on"] = timezone.localdate().isoformat()
    filters = PlanFilterSet(data, queryset=visible_plans(request.user), user=request.user)
    for name in set(filters.form.fields) - set(PAGE_FILTERS):
        del filters.form.fields[name]
    if "on" in filters.errors:  # an unreadable day: today's plans, and the error shown
        filters.form.cleaned_data["on"] = timezone.localdate()
    cleaned = filters.form.cleaned_data
    on = cleaned["on"]
    dimension = cleaned.get("dimension") or ""
    department = cleaned.get("department")
    plans = filters.filter_queryset(filters.queryset)
    progress = plan_progress(plans, request.user)
    export = request.GET.get("export")
    if export is not None:
        if export not in EXPORT_FORMATS:
            return HttpResponse(
                _("Unknown export format: choose csv or xlsx."),
                status=400,
                content_type="text/plain",
            )
        headers, rows = PLANS.export(progress)
        return tabular_response(f"plans-{on:%Y%m%d}", headers, rows, export)
    rollups = plan_rollups(progress)
    for rollup in rollups:
        rollup.fact_width = _share(rollup.fact_share)
        rollup.potential_width = _share(rollup.potential_share)
        for item in rollup.items:
            item.fact_width = _share(item.fact_share)
            item.potential_width = _share(item.potential_share)
    employees = [r for r in rollups if r.dimension == PlanDimension.EMPLOYEE]
    chart, table = None, None
    if rollups:
        # Read once: the layout reuses it; amounts are labelled in its currency.
        request.organisation = Organisation.current()
        with formatting.amounts_in(request.organisation.currency):
            table = report_table(PLANS, progress, title=_("Plans"), testid="plans-table")
    if employees:
        items = employees[0].items
        chart = {
            "id": "plans-chart",
            "data_id": "plans-chart-data",
            "figure": charts.bar_chart(
                [item.target_name for item in items],
                [
                    (_("Fact (won)"), [item.fact_amount for item in items]),
                    (_("Target"), [item.plan.target_amount for item in items]),
                    (_("Potential"), [item.potential for item in items]),
                ],
                horizontal=True,
                money=request.organisation.currency,
            ),
            "title": _("Employees: plan, fact and potential"),
        }
        chart["figure"]["layout"]["height"] = max(300, 80 + 48 * len(items))
    query = {"on": on.isoformat()} | ({"dimension": dimension} if dimension else {})
    if department is not None:
        query["department"] = str(department.pk)
    context = {
        "filter_form": filters.form,
        "on": on,
        "rollups": rollups,
        "table": table,
        "chart": chart,
        "filter_query": urlencode(query),
        "can_edit": request.user.can_manage_team,
    }
    return render(
        request, "plans/plan_list.html", context, status=400 if filters.form.errors else 200
    )


def _require_planner(user) -> None:
    if not user.can_manage_team:
        raise PermissionDenied(_("Only heads of sales and administrators set plans."))


def _form_error(form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    if field == "period_start":
        field = "period_day"
    form.add_error(field, str(error.message))


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request):
    _require_planner(request.user)
    initial = {"period": "month", "period_day": timezone.localdate(), "dimension": "employee"}
    form = PlanForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                plan = services.plan_create(user=request.user, **form.service_fields())
            except DomainError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("Plan saved."))
                return redirect(f"{_list_url()}?on={plan.period_start.isoformat()}")
        return render(request, "plans/plan_form.html", {"form": form}, status=400)
    return render(request, "plans/plan_form.html", {"form": form})


def _list_url() -> str:
    from django.urls import reverse

    return reverse("plans:list")


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request, pk: int):
    _require_planner(request.user)
    plan = get_object_or_404(visible_plans(request.user), pk=pk)
    form = PlanTargetForm(
        request.POST or None,
        initial={"target_amount": plan.target_amount, "target_count": plan.target_count},
    )
    context = {"form": form, "plan": plan}
    if request.method == "POST":
        if form.is_valid():
            try:
                services.plan_update(plan=plan, user=request.user, **form.cleaned_data)
            except DomainError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("Plan saved."))
                return redirect(f"{_list_url()}?on={plan.period_start.isoformat()}")
        return render(request, "plans/plan_form.html", context, status=400)
    return render(request, "plans/plan_form.html", context)


@login_required
@require_POST
def plan_delete_view(request, pk: int):
    _require_planner(request.user)
    plan = get_object_or_404(visible_plans(request.user), pk=pk)
    try:
        services.plan_delete(plan=plan, user=request.user)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect(_list_url())
    messages.success(request, _("Plan deleted."))
    return redirect(f"{_list_url()}?on={plan.period_start.isoformat()}")
