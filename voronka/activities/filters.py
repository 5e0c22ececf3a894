"""The activity filters, shared by the API's activity list and the My tasks page (kind, owner).

Build it on a queryset that already went through `visible_activities(user)`: the ids narrow
the visible rows and never widen them, so an id the caller may not see simply matches nothing.
"""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Activity, ActivityKind


class IdFilter(django_filters.NumberFilter):
    """A row id (whole number) compared with a foreign key column."""

    field_class = forms.IntegerField


class ActivityFilterSet(django_filters.FilterSet):
    deal = IdFilter(field_name="deal_id", label=_("Deal"))
    contact = IdFilter(field_name="contact_id", label=_("Contact"))
    company = IdFilter(field_name="company_id", label=_("Company"))
    owner = IdFilter(field_name="owner_id", label=_("Owner"))
    kind = django_filters.ChoiceFilter(choices=ActivityKind.choices, label=_("Kind"))
    done = django_filters.BooleanFilter(method="filter_done", label=_("Done"))

    class Meta:
        model = Activity
        fields = ["deal", "contact", "company", "owner", "kind", "done"]

    def filter_done(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(done_at__isnull=not value)
