"""Custom fields: the settings page (admins) and the forms that edit a deal's or a company's
values (through the deal and company services, which check each value by kind)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from voronka.accounts.visibility import visible_companies, visible_deals
from voronka.core.errors import DomainError
from voronka.core.form_pages import admin_required, form_page
from voronka.crm.services import company_update
from voronka.pipeline.services import deal_update

from . import services
from .forms import CustomFieldCreateForm, CustomFieldEditForm, CustomValuesForm
from .models import CustomFieldDefinition, CustomFieldEntity


@admin_required
def custom_fields(request):
    return form_page(
        request,
        form=CustomFieldCreateForm(
            request.POST if request.method == "POST" else None,
            initial={"is_active": True, "entity": CustomFieldEntity.DEAL},
        ),
        save=lambda data: services.custom_field_create(**data),
        template="customfields/settings.html",
        context={"section": "custom_fields", "definitions": CustomFieldDefinition.objects.all()},
        success_url=reverse("customfields:settings"),
        success_message=_("The custom field is added."),
    )


@admin_required
def custom_field_edit(request, pk):
    definition = get_object_or_404(CustomFieldDefinition, pk=pk)
    return form_page(
        request,
        form=CustomFieldEditForm(
            request.POST if request.method == "POST" else None, instance=definition
        ),
        save=lambda data: services.custom_field_update(definition=definition, **data),
        template="administration/simple_edit.html",
        context={
            "section": "custom_fields",
            "title": _("Custom field"),
            "back_url": reverse("customfields:settings"),
        },
        success_url=reverse("customfields:settings"),
        success_message=_("The custom field is saved."),
    )


def _values_page(request, *, entity, target, back_url, save):
    if not request.user.can_edit:
        raise PermissionDenied
    form = CustomValuesForm(
        request.POST if request.method == "POST" else None,
        entity=entity,
        values=target.custom_fields,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                save(form.values())
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, _("The custom fields are saved."))
                return redirect(back_url)
        status = 400
    context = {"form": form, "target": target, "back_url": back_url, "entity": entity}
    return render(request, "customfields/values_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def deal_custom_fields(request, pk):
    deal = get_object_or_404(visible_deals(request.user), pk=pk)
    return _values_page(
        request,
        entity=CustomFieldEntity.DEAL,
        target=deal,
        back_url=reverse("pipeline:deal_detail", args=[deal.pk]),
        save=lambda values: deal_update(deal=deal, user=request.user, custom_fields=values),
    )


@login_required
@require_http_methods(["GET", "POST"])
def company_custom_fields(request, pk):
    company = get_object_or_404(visible_companies(request.user), pk=pk)
    return _values_page(
        request,
        entity=CustomFieldEntity.COMPANY,
        target=company,
        back_url=reverse("crm:company_detail", args=[company.pk]),
        save=lambda values: company_update(
            company=company, user=request.user, custom_fields=values
        ),
    )
