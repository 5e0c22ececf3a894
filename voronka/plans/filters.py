"""The plan filters, shared by the plans page and the API's plan list.

Build it on `visible_plans(user)`: the filters narrow the visible plans and never widen them.
The page offers the plans in force on a day, the dimension and the department (with its
sub-departments); the API adds the period kind and a range of period starts.
"""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.accounts.departments import department_choice_label, department_tree
from voronka.accounts.models import Department
from voronka.accounts.visibility import head_department_ids

from .models import Plan, PlanDimension, PlanPeriod
from .selectors import plans_active_on, plans_of_department

# What the plans page shows; the other filters are the API's.
PAGE_FILTERS = ("on", "dimension", "department")


class PlanFilterSet(django_filters.FilterSet):
    on = django_filters.DateFilter(
        method="filter_on",
        label=_("Plans in force on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    dimension = django_filters.ChoiceFilter(
        choices=PlanDimension.choices, label=_("Plan for"), empty_label=_("All")
    )
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.none(),
        method="filter_department",
        label=_("Department"),
        empty_label=_("All departments"),
    )
    period = django_filters.ChoiceFilter(choices=PlanPeriod.choices, label=_("Period"))
    period_from = django_filters.DateFilter(
        field_name="period_start", lookup_expr="gte", label=_("Period starts on or after")
    )
    period_to = django_filters.DateFilter(
        field_name="period_start", lookup_expr="lte", label=_("Period starts on or before")
    )

    class Meta:
        model = Plan
        fields = ["on", "dimension", "department", "period", "period_from", "period_to"]

    def __init__(self, data=None, queryset=None, *, request=None, user=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = user or request.user
        departments = (
            Department.objects.all()
            if user.sees_everything
            else Department.objects.filter(pk__in=head_department_ids(user))
        )
        self.filters["department"].queryset = departments
        # A plain choice field: every level (office → team), each shown under its parent.
        field = forms.ModelChoiceField(
            queryset=departments,
            required=False,
            label=_("Department"),
            empty_label=_("All departments"),
        )
        field.choices = [("", field.empty_label)] + [
            (choice.pk, department_choice_label(choice, depth))
            for choice, depth in department_tree(departments)
        ]
        self.form.fields["department"] = field

    def filter_on(self, queryset, name, value):
        return plans_active_on(queryset, value)

    def filter_department(self, queryset, name, value):
        return plans_of_department(queryset, value.pk)
