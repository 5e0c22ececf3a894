"""Settings: lost reasons and lead sources with their monthly costs."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.core.form_pages import admin_required, form_page
from voronka.crm.models import LeadSource, LeadSourceCost
from voronka.crm.selectors import lead_sources_with_usage
from voronka.pipeline.models import (
    LostReason,
)

from .. import services
from ..forms import (
    LeadSourceCostForm,
    LeadSourceForm,
    LostReasonForm,
)

# Lost reasons and lead sources -----------------------------------------------------------------


@admin_required
def lost_reasons(request):
    reasons = LostReason.objects.annotate(deal_count=Count("deals"))
    return form_page(
        request,
        form=LostReasonForm(
            request.POST if request.method == "POST" else None, initial={"is_active": True}
        ),
        save=lambda data: services.lost_reason_save(**data),
        template="administration/lost_reasons.html",
        context={"section": "lost_reasons", "reasons": reasons},
        success_url=reverse("administration:lost_reasons"),
        success_message=_("The lost reason is added."),
    )


@admin_required
def lost_reason_edit(request, pk):
    reason = get_object_or_404(LostReason, pk=pk)
    return form_page(
        request,
        form=LostReasonForm(request.POST if request.method == "POST" else None, instance=reason),
        save=lambda data: services.lost_reason_save(reason=reason, **data),
        template="administration/simple_edit.html",
        context={
            "section": "lost_reasons",
            "title": _("Lost reason"),
            "back_url": reverse("administration:lost_reasons"),
        },
        success_url=reverse("administration:lost_reasons"),
        success_message=_("The lost reason is saved."),
    )


@admin_required
def lead_sources(request):
    sources = lead_sources_with_usage()
    return form_page(
        request,
        form=LeadSourceForm(
            request.POST if request.method == "POST" else None, initial={"is_active": True}
        ),
        save=lambda data: services.lead_source_save(**data),
        template="administration/lead_sources.html",
        context={"section": "lead_sources", "sources": sources},
        success_url=reverse("administration:lead_sources"),
        success_message=_("The lead source is added."),
    )


@admin_required
def lead_source_detail(request, pk):
    source = get_object_or_404(LeadSource, pk=pk)
    form = LeadSourceForm(request.POST if request.method == "POST" else None, instance=source)
    cost_form = LeadSourceCostForm()
    if request.method == "POST" and request.POST.get("form") == "cost":
        form = LeadSourceForm(instance=source)
        cost_form = LeadSourceCostForm(request.POST)
        if cost_form.is_valid():
            services.lead_source_cost_set(source=source, **cost_form.cleaned_data)
            messages.success(request, _("The monthly cost is saved."))
            return redirect("administration:lead_source", pk=source.pk)
        return render(
            request,
            "administration/lead_source_detail.html",
            {
                "section": "lead_sources",
                "source": source,
                "form": form,
                "cost_form": cost_form,
                "costs": source.costs.order_by("-month"),
            },
            status=400,
        )
    return form_page(
        request,
        form=form,
        save=lambda data: services.lead_source_save(source=source, **data),
        template="administration/lead_source_detail.html",
        context={
            "section": "lead_sources",
            "source": source,
            "cost_form": cost_form,
            "costs": source.costs.order_by("-month"),
        },
        success_url=reverse("administration:lead_source", args=[source.pk]),
        success_message=_("The lead source is saved."),
    )


@admin_required
@require_POST
def lead_source_cost_delete(request, pk):
    cost = get_object_or_404(LeadSourceCost, pk=pk)
    services.lead_source_cost_delete(cost=cost)
    messages.success(request, _("The monthly cost is removed."))
    return redirect("administration:lead_source", pk=cost.source_id)
