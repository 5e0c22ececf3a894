"""Custom fields (voronka.customfields) as import targets: one column per active field.

Deals files fill the deal's fields, companies files the company's; the values are checked by
the custom-field service's own parser, so the import refuses what the card refuses.
"""

from voronka.customfields.models import CustomFieldDefinition
from voronka.customfields.services import CustomFieldInvalid, custom_value_parse

from .cells import CellError

PREFIX = "custom:"
ENTITY_OF_KIND = {"deals": "deal", "companies": "company"}


def custom_import_fields(kind: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """(field key, label, synonyms) for each active custom field of the kind's entity."""
    entity = ENTITY_OF_KIND.get(kind)
    if entity is None:
        return []
    return [
        (f"{PREFIX}{definition.code}", definition.label, (definition.label, definition.code))
        for definition in CustomFieldDefinition.objects.filter(entity=entity, is_active=True)
    ]


def custom_definitions(kind: str, mapping: dict) -> dict[str, CustomFieldDefinition]:
    """{field key: definition} for the custom fields a mapping reads (loaded once per job)."""
    codes = {key.removeprefix(PREFIX): key for key in mapping if key.startswith(PREFIX)}
    if not codes:
        return {}
    return {
        codes[definition.code]: definition
        for definition in CustomFieldDefinition.objects.filter(
            entity=ENTITY_OF_KIND.get(kind, ""), is_active=True, code__in=list(codes)
        )
    }


def custom_cell(definition: CustomFieldDefinition, raw: str):
    """The stored value of a cell (None when empty). Raises CellError."""
    try:
        return custom_value_parse(definition, raw)
    except CustomFieldInvalid as error:
        raise CellError(str(error.message)) from error
