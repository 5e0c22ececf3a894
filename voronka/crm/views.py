"""Company and contact pages, the global search.

Views only adapt: filters and selectors read (always from the user's visible rows), services
write. Another seller's company or contact is a 404; viewers may read but not create or edit.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from voronka.accounts.visibility import visible_companies, visible_contacts
from voronka.core.errors import DomainError
from voronka.core.tabular_export import tabular_response

from . import selectors, services
from .filters import CompanyFilterSet, ContactFilterSet
from .forms import CompanyForm, ContactForm
from .listing import (
    SortColumn,
    apply_sort,
    cached_totals,
    export_format,
    header_links,
    paginate,
    parse_sort,
    query_without,
)
from .models import Company, Contact

COMPANY_COLUMNS = {
    column.key: column
    for column in (
        SortColumn("name", gettext_lazy("Company"), "name"),
        SortColumn("inn", gettext_lazy("INN"), "inn"),
        SortColumn("type", gettext_lazy("Customer type"), "customer_type"),
        SortColumn("industry", gettext_lazy("Industry"), "industry"),
        SortColumn("owner", gettext_lazy("Owner"), "owner__last_name"),
        SortColumn("won", gettext_lazy("Purchases"), "won_count", numeric=True),
        SortColumn("last_purchase", gettext_lazy("Latest purchase"), "last_purchase_at"),
        SortColumn("created", gettext_lazy("Added"), "created_at"),
    )
}
CONTACT_COLUMNS = {
    column.key: column
    for column in (
        SortColumn("name", gettext_lazy("Name"), "last_name"),
        SortColumn("company", gettext_lazy("Company"), "company__name"),
        SortColumn("position", gettext_lazy("Position"), "position"),
        SortColumn("phone", gettext_lazy("Phone"), "phone"),
        SortColumn("email", gettext_lazy("Email"), "email"),
        SortColumn("owner", gettext_lazy("Owner"), "owner__last_name"),
        SortColumn("created", gettext_lazy("Added"), "created_at"),
    )
}


def _require_editor(user) -> None:
    if not user.can_edit:
        raise PermissionDenied(_("Viewers cannot create or edit records."))


def _list_page(
    request, *, filterset, columns, default_sort, template, partial, data_stamp, extra=None
):
    """Filter, sort and page a list; the same URL answers htmx with the table only.

    The number of rows is counted once per filter and data change (``data_stamp``), like the
    deal list's totals: counting every visible row on each visit is what a head's list paid."""
    sorting = parse_sort(request.GET.get("sort"), columns, default_sort)
    rows = apply_sort(filterset.qs, sorting, columns)
    totals = cached_totals(
        filterset.qs,
        user=request.user,
        params=request.GET,
        data_stamp=data_stamp,
        count=Count("pk"),
    )
    context = {
        "filter": filterset,
        "page": paginate(rows, request.GET.get("page"), count=totals["count"]),
        "headers": header_links(request.GET, sorting, columns),
        "sort": sorting.param,
        "page_query": query_without(request.GET, "page", "export"),
        "export_query": query_without(request.GET, "page", "export"),
        **(extra or {}),
    }
    # Values that do not validate are ignored and reported beside the filters; a full page
    # answers 400 so the mistake is visible, an htmx refresh swaps the table with the message.
    status = 400 if filterset.is_bound and filterset.errors and not request.htmx else 200
    if request.htmx and not request.htmx.boosted:
        return render(request, partial, context, status=status)
    return render(request, template, context, status=status)


# ---------------------------------------------------------------- companies


def _company_rows(companies: QuerySet):
    for company in companies.iterator(chunk_size=2000):
        yield [
            company.pk,
            company.name,
            company.inn,
            company.get_customer_type_display(),
            company.industry,
            company.get_size_display(),
            str(company.owner),
            company.won_count,
            company.last_purchase_at,
            selectors.Maturity.LABELS[selectors.Maturity.of(company.won_count)],
            company.phone,
            company.email,
            company.website,
            company.created_at,
        ]


COMPANY_EXPORT_HEADERS = (
    gettext_lazy("ID"),
    gettext_lazy("Company"),
    gettext_lazy("INN"),
    gettext_lazy("Customer type"),
    gettext_lazy("Industry"),
    gettext_lazy("Size"),
    gettext_lazy("Owner"),
    gettext_lazy("Purchases"),
    gettext_lazy("Latest purchase"),
    gettext_lazy("Maturity"),
    gettext_lazy("Phone"),
    gettext_lazy("Email"),
    gettext_lazy("Website"),
    gettext_lazy("Added"),
)


@login_required
@require_GET
def company_list(request):
    user = request.user
    # Counting the visible companies and listing their industries read every one of them:
    # both are cached until a company or a deal changes.
    data_stamp = selectors.companies_data_stamp()
    filterset = CompanyFilterSet(
        request.GET,
        queryset=selectors.company_list(user=user),
        request=request,
        user=user,
        data_stamp=data_stamp,
    )
    fmt = export_format(request.GET)
    if fmt:
        sorting = parse_sort(request.GET.get("sort"), COMPANY_COLUMNS, "name")
        rows = apply_sort(filterset.qs, sorting, COMPANY_COLUMNS)
        return tabular_response("companies", COMPANY_EXPORT_HEADERS, _company_rows(rows), fmt)
    return _list_page(
        request,
        filterset=filterset,
        columns=COMPANY_COLUMNS,
        default_sort="name",
        template="crm/company_list.html",
        partial="crm/partials/company_table.html",
        data_stamp=data_stamp,
        extra={"maturity_labels": selectors.Maturity.LABELS},
    )


def _get_company(user, pk) -> Company:
    return get_object_or_404(visible_companies(user).select_related("owner"), pk=pk)


@login_required
@require_GET
def company_detail(request, pk):
    user = request.user
    company = _get_company(user, pk)
    context = {
        "company": company,
        "history": selectors.company_purchase_history(company=company, user=user),
        "deals": selectors.company_deals(company=company, user=user),
        "contacts": selectors.company_contacts(company=company, user=user),
        "timeline": selectors.company_timeline(company=company, user=user),
        "detail_limit": selectors.DETAIL_LIMIT,
    }
    return render(request, "crm/company_detail.html", context)


def _form_page(request, *, form, template, context, save):
    """Validate the form, call the service; a DomainError goes back to its field with a 400."""
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = save(form.service_fields())
            except DomainError as error:
                field = error.field if error.field in form.fields else None
                form.add_error(field, str(error.message))
            else:
                return saved
        return render(request, template, {**context, "form": form}, status=400)
    return render(request, template, {**context, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def company_create(request):
    user = request.user
    _require_editor(user)
    form = CompanyForm(request.POST if request.method == "POST" else None, user=user)

    def save(fields):
        fields.setdefault("owner", user)
        return services.company_create(user=user, **fields)

    result = _form_page(request, form=form, template="crm/company_form.html", context={}, save=save)
    if isinstance(result, Company):
        messages.success(request, _("Company «%(name)s» added.") % {"name": result.name})
        return redirect("crm:company_detail", pk=result.pk)
    return result


@login_required
@require_http_methods(["GET", "POST"])
def company_edit(request, pk):
    user = request.user
    company = _get_company(user, pk)
    _require_editor(user)
    form = CompanyForm(
        request.POST if request.method == "POST" else None, instance=company, user=user
    )

    def save(fields):
        return services.company_update(company=company, user=user, **fields)

    result = _form_page(
        request,
        form=form,
        template="crm/company_form.html",
        context={"company": company},
        save=save,
    )
    if isinstance(result, Company):
        messages.success(request, _("Changes saved."))
        return redirect("crm:company_detail", pk=result.pk)
    return result


# ---------------------------------------------------------------- contacts


CONTACT_EXPORT_HEADERS = (
    gettext_lazy("ID"),
    gettext_lazy("First name"),
    gettext_lazy("Last name"),
    gettext_lazy("Company"),
    gettext_lazy("Position"),
    gettext_lazy("Phone"),
    gettext_lazy("Mobile"),
    gettext_lazy("Email"),
    gettext_lazy("Owner"),
    gettext_lazy("Added"),
)


def _contact_rows(contacts: QuerySet):
    for contact in contacts.iterator(chunk_size=2000):
        yield [
            contact.pk,
            contact.first_name,
            contact.last_name,
            contact.company.name if contact.company else "",
            contact.position,
            contact.phone,
            contact.mobile,
            contact.email,
            str(contact.owner),
            contact.created_at,
        ]


@login_required
@require_GET
def contact_list(request):
    user = request.user
    filterset = ContactFilterSet(
        request.GET, queryset=selectors.contact_list(user=user), request=request, user=user
    )
    fmt = export_format(request.GET)
    if fmt:
        sorting = parse_sort(request.GET.get("sort"), CONTACT_COLUMNS, "name")
        rows = apply_sort(filterset.qs, sorting, CONTACT_COLUMNS)
        return tabular_response("contacts", CONTACT_EXPORT_HEADERS, _contact_rows(rows), fmt)
    return _list_page(
        request,
        filterset=filterset,
        columns=CONTACT_COLUMNS,
        default_sort="name",
        template="crm/contact_list.html",
        partial="crm/partials/contact_table.html",
        data_stamp=selectors.contacts_data_stamp(),
    )


def _get_contact(user, pk) -> Contact:
    return get_object_or_404(visible_contacts(user).select_related("company", "owner"), pk=pk)


@login_required
@require_GET
def contact_detail(request, pk):
    user = request.user
    contact = _get_contact(user, pk)
    company_visible = (
        contact.company_id is not None
        and visible_companies(user).filter(pk=contact.company_id).exists()
    )
    context = {
        "contact": contact,
        "company_visible": company_visible,
        "deals": selectors.contact_deals(contact=contact, user=user),
        "timeline": selectors.contact_timeline(contact=contact, user=user),
        "detail_limit": selectors.DETAIL_LIMIT,
    }
    return render(request, "crm/contact_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request):
    user = request.user
    _require_editor(user)
    initial = {}
    company_id = request.GET.get("company", "")
    if company_id.isdigit():
        initial["company"] = company_id
    form = ContactForm(
        request.POST if request.method == "POST" else None, initial=initial, user=user
    )

    def save(fields):
        fields.setdefault("owner", user)
        return services.contact_create(user=user, **fields)

    result = _form_page(request, form=form, template="crm/contact_form.html", context={}, save=save)
    if isinstance(result, Contact):
        messages.success(request, _("Contact «%(name)s» added.") % {"name": result.full_name})
        return redirect("crm:contact_detail", pk=result.pk)
    return result


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request, pk):
    user = request.user
    contact = _get_contact(user, pk)
    _require_editor(user)
    form = ContactForm(
        request.POST if request.method == "POST" else None, instance=contact, user=user
    )

    def save(fields):
        return services.contact_update(contact=contact, user=user, **fields)

    result = _form_page(
        request,
        form=form,
        template="crm/contact_form.html",
        context={"contact": contact},
        save=save,
    )
    if isinstance(result, Contact):
        messages.success(request, _("Changes saved."))
        return redirect("crm:contact_detail", pk=result.pk)
    return result


# ---------------------------------------------------------------- search


@login_required
@require_GET
def search(request):
    """Grouped results; `?quick=1` (the header dropdown) answers a short fragment."""
    query = request.GET.get("q", "")
    if request.GET.get("quick"):
        results = selectors.global_search(
            user=request.user, query=query, limit=selectors.QUICK_SEARCH_LIMIT
        )
        return render(request, "crm/partials/search_quick.html", {"results": results})
    results = selectors.global_search(user=request.user, query=query)
    return render(
        request,
        "crm/search.html",
        {"results": results, "limit": selectors.SEARCH_LIMIT},
    )
