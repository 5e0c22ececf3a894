"""Filters of the company and contact lists (the same sets serve the page, htmx and exports)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.accounts.visibility import visible_companies, visible_users
from voronka.core.choices import limit_choices
from voronka.core.text_search import text_match

from .models import Company, Contact, CustomerType
from .selectors import Maturity, visible_industries

# Industries offered in the filter: the most common among visible companies.
INDUSTRY_CHOICES_LIMIT = 100


def _owners(request):
    if request is None:
        return User.objects.none()
    return visible_users(request.user).order_by("last_name", "first_name", "username")


class CompanyFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name or INN"), method="filter_q")
    customer_type = django_filters.ChoiceFilter(
        label=_("Customer type"), choices=CustomerType.choices, empty_label=_("Any type")
    )
    industry = django_filters.ChoiceFilter(
        label=_("Industry"), choices=(), empty_label=_("Any industry")
    )
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"), queryset=_owners, empty_label=_("Any owner")
    )
    maturity = django_filters.ChoiceFilter(
        label=_("Maturity"),
        choices=Maturity.CHOICES,
        method="filter_maturity",
        empty_label=_("Any maturity"),
    )

    class Meta:
        model = Company
        fields = ["q", "customer_type", "industry", "owner", "maturity"]

    def __init__(self, *args, user, offer_industries: bool = True, data_stamp=None, **kwargs):
        """`offer_industries=False` (the API, which has no industry filter) spares the query
        that lists the industries for the page's select; with `data_stamp` (the page's
        `companies_data_stamp()`) the list is read from the cache until the data changes."""
        super().__init__(*args, **kwargs)
        industries = []
        if offer_industries:
            industries = visible_industries(
                user=user, limit=INDUSTRY_CHOICES_LIMIT, data_stamp=data_stamp
            )
        self.filters["industry"].extra["choices"] = [(name, name) for name in industries]
        self.filters["q"].field.widget.attrs.update(
            {"placeholder": _("Name or INN"), "type": "search"}
        )

    def filter_q(self, queryset, name, value):
        value = " ".join(value.split())
        if not value:
            return queryset
        return queryset.filter(text_match("name", value) | text_match("inn", value))

    def filter_maturity(self, queryset, name, value):
        return queryset.filter(Maturity.filter_q(value))


class ContactFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name, phone or email"), method="filter_q")
    company = django_filters.ModelChoiceFilter(
        label=_("Company"), queryset=Company.objects.none(), empty_label=_("Any company")
    )
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"), queryset=_owners, empty_label=_("Any owner")
    )

    class Meta:
        model = Contact
        fields = ["q", "company", "owner"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.filters["company"].queryset = visible_companies(user).order_by("name")
        self.filters["q"].field.widget.attrs.update(
            {"placeholder": _("Name, phone or email"), "type": "search"}
        )

    @property
    def form(self) -> forms.Form:
        form = super().form
        if not getattr(form, "_choices_limited", False):
            # The select shows a short list; any visible company still validates.
            companies = self.filters["company"].queryset
            selected = []
            value = self.data.get("company", "") if self.data else ""
            if str(value).isdigit():
                selected = list(companies.filter(pk=value)[:1])
            limit_choices(form.fields["company"], companies, selected)
            form.fields["company"].widget.choices[0] = ("", _("Any company"))
            form._choices_limited = True
        return form

    def filter_q(self, queryset, name, value):
        value = " ".join(value.split())
        if not value:
            return queryset
        return queryset.filter(
            text_match("first_name", value)
            | text_match("last_name", value)
            | text_match("email", value)
            | text_match("phone", value)
            | text_match("mobile", value)
        )
