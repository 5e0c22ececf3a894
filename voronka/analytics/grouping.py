"""“Group by” on the funnel, win-rate, channels and managers pages: the same figures split by the
owner's department, the company's industry or size, or a custom field of the deal or company.

One grouped SQL query per table over ``AnalyticsFilter.deals``; a custom field is read from the
JSON column by key (``KeyTextTransform``: ``->>`` on PostgreSQL, ``JSON_EXTRACT`` on SQLite).
Deals without a value form their own «Not set» group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, F, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.crm.models import CompanySize
from voronka.customfields.models import CustomFieldDefinition, CustomFieldEntity
from voronka.customfields.services import custom_value_display
from voronka.pipeline.models import DealStatus

GROUPED_TABS = frozenset({"funnel", "win_probability", "channels", "managers"})
CUSTOM_PREFIXES = {CustomFieldEntity.DEAL: "deal.", CustomFieldEntity.COMPANY: "company."}


@dataclass(frozen=True)
class GroupDimension:
    key: str
    label: str
    expression: object
    display: Callable[[object], str]


def _plain(value) -> str:
    return str(value)


def _size(value) -> str:
    return str(dict(CompanySize.choices).get(value, value))


def group_by_choices() -> list[tuple[str, str]]:
    """The select's options: built-in dimensions, then the active custom fields."""
    choices = [
        ("", gettext_lazy("No grouping")),
        ("department", gettext_lazy("Department")),
        ("industry", gettext_lazy("Company industry")),
        ("size", gettext_lazy("Company size")),
    ]
    for definition in CustomFieldDefinition.objects.filter(is_active=True):
        prefix = CUSTOM_PREFIXES[definition.entity]
        entity = _("Deal") if definition.entity == CustomFieldEntity.DEAL else _("Company")
        choices.append((prefix + definition.code, f"{entity}: {definition.label}"))
    return choices


def group_dimension(key: str) -> GroupDimension | None:
    """The dimension for a ``group_by`` value, None for no (or an unknown) grouping."""
    if key == "department":
        return GroupDimension(key, _("Department"), F("owner__department__name"), _plain)
    if key == "industry":
        return GroupDimension(key, _("Company industry"), F("company__industry"), _plain)
    if key == "size":
        return GroupDimension(key, _("Company size"), F("company__size"), _size)
    for entity, prefix in CUSTOM_PREFIXES.items():
        if key.startswith(prefix):
            definition = CustomFieldDefinition.objects.filter(
                entity=entity, code=key.removeprefix(prefix), is_active=True
            ).first()
            if definition is None:
                return None
            column = (
                "custom_fields" if entity == CustomFieldEntity.DEAL else "company__custom_fields"
            )
            return GroupDimension(
                key,
                definition.label,
                KeyTextTransform(definition.code, column),
                lambda value, definition=definition: custom_value_display(definition, value),
            )
    return None


def _label(dimension: GroupDimension, value) -> str:
    if value is None or value == "":
        return _("Not set")
    return dimension.display(value)


def _grouped(analytics_filter, user, dimension: GroupDimension, **aggregates) -> list[dict]:
    rows = (
        analytics_filter.deals(user)
        .annotate(group_value=dimension.expression)
        .values("group_value")
        .annotate(**aggregates)
        .order_by()
    )
    merged: dict[str, dict] = {}
    for row in rows:
        # "" and NULL (and a JSON null) are one «Not set» group.
        label = _label(dimension, row.pop("group_value"))
        if label in merged:
            for name, value in row.items():
                merged[label][name] = (merged[label][name] or 0) + (value or 0)
        else:
            merged[label] = row
    return sorted(
        ({"group": label, **row} for label, row in merged.items()),
        key=lambda row: (row["group"] == _("Not set"), -row["deals"], row["group"]),
    )


def grouped_outcomes(analytics_filter, user, dimension: GroupDimension) -> list[dict]:
    """Per group: deals, won, lost, open, win rate (won / closed, None without closed deals) and
    won amount."""
    won = Q(status=DealStatus.WON)
    rows = _grouped(
        analytics_filter,
        user,
        dimension,
        deals=Count("pk"),
        won=Count("pk", filter=won),
        lost=Count("pk", filter=Q(status=DealStatus.LOST)),
        won_amount=Sum("amount", filter=won),
    )
    for row in rows:
        closed = row["won"] + row["lost"]
        row["open"] = row["deals"] - closed
        row["win_rate"] = row["won"] / closed if closed else None
    return rows


def grouped_funnel(analytics_filter, user, dimension: GroupDimension) -> tuple[list, list[dict]]:
    """Per group: how many deals reached each stage (its furthest stage at or beyond it) and won."""
    stages = analytics_filter.stages()
    aggregates = {
        f"stage_{stage.pk}": Count("pk", filter=Q(furthest_stage__order__gte=stage.order))
        for stage in stages
    }
    rows = _grouped(
        analytics_filter,
        user,
        dimension,
        deals=Count("pk"),
        won=Count("pk", filter=Q(status=DealStatus.WON)),
        **aggregates,
    )
    return stages, rows
