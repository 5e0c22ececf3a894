"""Filters on custom fields for the shared ``DealFilterSet`` (board, deal list): one per active
field of deals and of their companies, named ``cf_<code>`` and ``cf_company_<code>``."""

from datetime import date
from decimal import Decimal

import django_filters
from django import forms

from voronka.core.text_search import text_match

from .models import CustomFieldDefinition, CustomFieldEntity, CustomFieldKind


def _lookup(path: str, kind: str):
    def apply(queryset, name, value):
        if value in (None, ""):
            return queryset
        if kind == CustomFieldKind.TEXT:
            return queryset.filter(text_match(path, value.strip()))
        if isinstance(value, Decimal):
            value = int(value) if value == value.to_integral_value() else float(value)
        elif isinstance(value, date):
            value = value.isoformat()
        return queryset.filter(**{path: value})

    return apply


def _filter_for(definition, path: str, label: str):
    method = _lookup(path, definition.kind)
    if definition.kind == CustomFieldKind.CHOICE:
        return django_filters.ChoiceFilter(
            label=label,
            method=method,
            choices=[(choice, choice) for choice in definition.choices],
        )
    if definition.kind == CustomFieldKind.NUMBER:
        return django_filters.NumberFilter(label=label, method=method)
    if definition.kind == CustomFieldKind.DATE:
        return django_filters.DateFilter(
            label=label, method=method, widget=forms.DateInput(attrs={"type": "date"})
        )
    return django_filters.CharFilter(label=label, method=method)


def custom_field_filters() -> dict[str, django_filters.Filter]:
    """Filters for the active custom fields of deals, then of their companies (one query)."""
    filters = {}
    definitions = CustomFieldDefinition.objects.filter(is_active=True).order_by(
        "-entity", "order", "label"
    )
    for definition in definitions:
        if definition.entity == CustomFieldEntity.DEAL:
            name, path = f"cf_{definition.code}", f"custom_fields__{definition.code}"
        else:
            name = f"cf_company_{definition.code}"
            path = f"company__custom_fields__{definition.code}"
        filters[name] = _filter_for(definition, path, definition.label)
    return filters
