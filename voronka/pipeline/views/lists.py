"""The deal list: filters (the shared `DealFilterSet`), sortable columns, pages of 50, CSV/XLSX
export of the filtered rows, and bulk reassignment or stage moves for heads and admins.

Reads start from `visible_deals(user)`; bulk actions call the deal services one deal at a time,
apply what they can and report every refused deal with its reason.
"""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from voronka.accounts.visibility import owner_choices_queryset, visible_deals
from voronka.core.control_characters import ControlCharacterGuard
from voronka.core.errors import DomainError
from voronka.core.tabular_export import tabular_response
from voronka.crm.listing import (
    SortColumn,
    apply_sort,
    cached_totals,
    export_format,
    header_links,
    paginate,
    parse_sort,
    query_without,
)
from voronka.pipeline.bulk_services import BULK_LIMIT, deals_bulk_change
from voronka.pipeline.filters import DealFilterSet
from voronka.pipeline.models import Pipeline, Stage
from voronka.pipeline.selectors import deals_data_stamp

# Refused deals listed one by one; the rest are counted.
REFUSALS_SHOWN = 20

DEAL_COLUMNS = {
    column.key: column
    for column in (
        SortColumn("title", gettext_lazy("Deal"), "title"),
        SortColumn("company", gettext_lazy("Company"), "company__name"),
        SortColumn("amount", gettext_lazy("Amount"), "amount", numeric=True),
        SortColumn("stage", gettext_lazy("Stage"), "stage__order"),
        SortColumn("owner", gettext_lazy("Owner"), "owner__last_name"),
        SortColumn("created", gettext_lazy("Created"), "created_at"),
        SortColumn("expected_close", gettext_lazy("Expected close"), "expected_close_date"),
        SortColumn("status", gettext_lazy("Status"), "status"),
    )
}
DEFAULT_SORT = "-created"

EXPORT_HEADERS = (
    gettext_lazy("ID"),
    gettext_lazy("Deal"),
    gettext_lazy("Company"),
    gettext_lazy("Pipeline"),
    gettext_lazy("Stage"),
    gettext_lazy("Status"),
    gettext_lazy("Amount"),
    gettext_lazy("Currency"),
    gettext_lazy("Owner"),
    gettext_lazy("Lead source"),
    gettext_lazy("Created"),
    gettext_lazy("Expected close"),
    gettext_lazy("Closed"),
    gettext_lazy("Lost reason"),
)


def _filtered_deals(request, params: QueryDict):
    """The user's visible deals through the shared filter set (related rows are the caller's
    choice: the page and the export read different ones)."""
    filterset = DealFilterSet(params, queryset=visible_deals(request.user), request=request)
    form = filterset.form
    if "q" in form.fields:
        # A search box refreshes the table as the user types (see the form's hx-trigger).
        form.fields["q"].widget.input_type = "search"
        form.fields["q"].widget.attrs["placeholder"] = _("Title or company")
    for name in ("created", "expected_close"):
        if name in form.fields:
            for widget in form.fields[name].widget.widgets:
                widget.input_type = "date"
    if "only_rotting" in form.fields:
        # A checkbox reads better than a yes/no/unknown select; it sends "true" like the board's.
        form.fields["only_rotting"].widget = forms.CheckboxInput(attrs={"value": "true"})
    return filterset


def _export_rows(deals):
    for deal in deals.iterator(chunk_size=2000):
        yield [
            deal.pk,
            deal.title,
            deal.company.name if deal.company else "",
            deal.pipeline.name,
            deal.stage.name,
            deal.get_status_display(),
            deal.amount,
            deal.currency,
            str(deal.owner),
            deal.lead_source.name if deal.lead_source else "",
            deal.created_at,
            deal.expected_close_date,
            deal.closed_at,
            deal.lost_reason.name if deal.lost_reason else "",
        ]


def _bulk_stage_choices(filterset) -> list:
    """Stages grouped by pipeline; only the filtered pipeline's when the list is narrowed to one."""
    pipelines = Pipeline.objects.filter(is_active=True)
    data = filterset.form.cleaned_data if filterset.is_valid() else {}
    if data.get("pipeline"):
        pipelines = pipelines.filter(pk=data["pipeline"].pk)
    stages = Stage.objects.filter(pipeline__in=pipelines).select_related("pipeline")
    groups: dict = {}
    for stage in stages.order_by("pipeline__order", "pipeline__name", "order"):
        groups.setdefault(stage.pipeline.name, []).append((stage.pk, stage.name))
    return list(groups.items())


@login_required
@require_GET
def deal_list(request):
    user = request.user
    filterset = _filtered_deals(request, request.GET)
    sorting = parse_sort(request.GET.get("sort"), DEAL_COLUMNS, DEFAULT_SORT)
    deals = apply_sort(filterset.qs, sorting, DEAL_COLUMNS)
    fmt = export_format(request.GET)
    if fmt:
        deals = deals.select_related(
            "company", "stage", "pipeline", "owner", "lead_source", "lost_reason"
        )
        return tabular_response("deals", EXPORT_HEADERS, _export_rows(deals), fmt)

    totals = cached_totals(
        filterset.qs,
        user=user,
        params=request.GET,
        data_stamp=deals_data_stamp(),
        count=Count("pk"),
        amount=Sum("amount"),
    )
    # The paginator would count again; the totals query already did.
    # The page joins only company and owner; stages, pipelines and lost reasons (a few rows)
    # come in three small queries. PostgreSQL spent 25-40 ms planning the seven-table join on every visit,
    # for a query that ran in one millisecond.
    rows = deals.select_related("company", "owner").prefetch_related(
        "stage", "pipeline", "lost_reason"
    )
    page = paginate(rows, request.GET.get("page"), count=totals["count"])
    can_bulk = user.can_manage_team
    list_query = query_without(request.GET, "page", "export")
    context = {
        "filter": filterset,
        "page": page,
        "total_amount": totals["amount"] or Decimal(0),
        "headers": header_links(request.GET, sorting, DEAL_COLUMNS),
        "sort": sorting.param,
        "page_query": list_query,
        "export_query": list_query,
        "can_bulk": can_bulk,
        "bulk_limit": BULK_LIMIT,
    }
    if can_bulk:
        context["bulk_owners"] = list(owner_choices_queryset(user))
        context["bulk_stages"] = _bulk_stage_choices(filterset)
        context["list_url"] = f"{reverse('pipeline:deal_list')}?{list_query}"
    status = 400 if filterset.errors and not request.htmx else 200
    if request.htmx and not request.htmx.boosted:
        return render(request, "pipeline/deal_list_table.html", context, status=status)
    return render(request, "pipeline/deal_list.html", context, status=status)


class BulkActionForm(ControlCharacterGuard, forms.Form):
    ACTIONS = (("reassign", gettext_lazy("Reassign")), ("move", gettext_lazy("Move to stage")))

    action = forms.ChoiceField(choices=ACTIONS)
    scope = forms.ChoiceField(choices=(("selected", "selected"), ("all", "all")), required=False)
    filters = forms.CharField(required=False)
    owner = forms.ModelChoiceField(queryset=None, required=False)
    stage = forms.ModelChoiceField(queryset=Stage.objects.all(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_choices_queryset(user)
        self.fields["owner"].error_messages["invalid_choice"] = _(
            "Choose one of your team's sellers."
        )

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == "reassign" and not data.get("owner"):
            self.add_error("owner", _("Choose who gets the deals."))
        if action == "move" and not data.get("stage"):
            self.add_error("stage", _("Choose the stage to move the deals to."))
        return data


def _selected_ids(values: list[str]) -> set[int]:
    """Deal ids from the checkboxes; anything that is not a number is ignored."""
    return {int(value) for value in values if value.isdigit()}


@login_required
@require_POST
def deal_bulk(request):
    """Reassign or move the selected (or all filtered) deals; report the refused ones."""
    user = request.user
    if not user.can_manage_team:
        raise PermissionDenied(_("Only heads of sales and admins change deals in bulk."))
    form = BulkActionForm(request.POST, user=user)
    filters_query = request.POST.get("filters", "")
    back = reverse("pipeline:deal_list") + (f"?{filters_query}" if filters_query else "")
    selected = _selected_ids(request.POST.getlist("deals"))
    if form.is_valid() and form.cleaned_data["scope"] != "all" and not selected:
        form.add_error(None, _("Select at least one deal."))
    if not form.is_valid():
        return _refuse(request, back, [e for errors in form.errors.values() for e in errors])

    data = form.cleaned_data
    if data["scope"] == "all":
        filterset = _filtered_deals(request, QueryDict(filters_query))
        if filterset.errors:
            # An ignored filter would widen "all filtered deals" beyond what the user saw.
            message = _("Some filters are not valid: fix them and repeat.")
            return _refuse(request, back, [message])
        deals = filterset.qs
    else:
        deals = visible_deals(user).filter(pk__in=selected)
    deals = deals.select_related("stage", "furthest_stage", "pipeline", "owner").order_by("pk")
    chosen = list(deals[: BULK_LIMIT + 1])
    missing = 0 if data["scope"] == "all" else len(selected - {deal.pk for deal in chosen})
    try:
        result = deals_bulk_change(
            deals=chosen,
            action=data["action"],
            user=user,
            owner=data.get("owner"),
            stage=data.get("stage"),
        )
    except DomainError as error:
        return _refuse(request, back, [str(error.message)])
    applied, refused = result.applied, result.refused

    if applied:
        if data["action"] == "reassign":
            text = ngettext(
                "%(count)d deal reassigned to %(owner)s.",
                "%(count)d deals reassigned to %(owner)s.",
                applied,
            ) % {"count": applied, "owner": data["owner"]}
        else:
            text = ngettext(
                "%(count)d deal moved to «%(stage)s».",
                "%(count)d deals moved to «%(stage)s».",
                applied,
            ) % {"count": applied, "stage": data["stage"].name}
        messages.success(request, text)
    if refused:
        messages.error(
            request,
            ngettext(
                "%(count)d deal was not changed:",
                "%(count)d deals were not changed:",
                len(refused),
            )
            % {"count": len(refused)},
        )
        for deal, reason in refused[:REFUSALS_SHOWN]:
            messages.error(request, f"«{deal.title}» (#{deal.pk}): {reason}")
        if len(refused) > REFUSALS_SHOWN:
            messages.error(
                request,
                _("…and %(count)s more.") % {"count": len(refused) - REFUSALS_SHOWN},
            )
    if missing:
        messages.warning(
            request,
            ngettext(
                "%(count)d selected deal was not found.",
                "%(count)d selected deals were not found.",
                missing,
            )
            % {"count": missing},
        )
    return redirect(back)


def _refuse(request, back: str, errors: list) -> object:
    """Nothing was changed: a 400 page that says why, with a link back to the same list."""
    return render(
        request, "pipeline/deal_list_bulk_error.html", {"back": back, "errors": errors}, status=400
    )
