"""Custom fields: definitions (admins) and the values of a deal or a company.

Values are checked by kind before they reach a deal or a company: text (trimmed, at most
``MAX_TEXT`` characters), number (``1 234,5`` or ``1234.5``; stored as a JSON number), date (ISO
``2017-03-01`` or Russian ``01.03.2017``; stored as ISO text) and one of a list (matched without
regard to case and spacing; stored as the list's spelling). An empty value removes the key.

The importer uses ``custom_field_targets(entity)`` and ``custom_value_parse(definition, raw)``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from voronka.core.control_characters import reject_control_characters
from voronka.core.errors import DomainError

from .models import CustomFieldDefinition, CustomFieldEntity, CustomFieldKind

MAX_TEXT = 500
MAX_CHOICES = 100
MAX_NUMBER = Decimal("1e15")
RUSSIAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


class CustomFieldInvalid(DomainError):
    # Pages answer 400; the API 409 like every business rule (the schema checks only the shape).
    code = "custom_field_invalid"
    default_message = _("The custom field's value is not valid.")


def _normalised(text: str) -> str:
    return " ".join(str(text).split()).casefold()


# Reads ------------------------------------------------------------------------------------------


def custom_field_targets(entity: str) -> list[CustomFieldDefinition]:
    """The active definitions of an entity ("deal" or "company") in their order."""
    return list(CustomFieldDefinition.objects.filter(entity=entity, is_active=True))


def custom_value_display(definition: CustomFieldDefinition, value) -> str:
    """A stored value as the current language writes it (``1 234,5``, ``01.03.2017``)."""
    if value is None or value == "":
        return ""
    if definition.kind == CustomFieldKind.NUMBER:
        return formats.number_format(Decimal(str(value)), force_grouping=True)
    if definition.kind == CustomFieldKind.DATE:
        try:
            return formats.date_format(date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
        except ValueError:
            return str(value)
    return str(value)


def custom_values_for_display(entity: str, values: dict | None) -> list[tuple]:
    """(definition, shown value, stored value) for each active field, in order."""
    values = values or {}
    return [
        (
            definition,
            custom_value_display(definition, values.get(definition.code)),
            values.get(definition.code),
        )
        for definition in custom_field_targets(entity)
    ]


# Values -----------------------------------------------------------------------------------------


def _invalid(definition: CustomFieldDefinition, message) -> CustomFieldInvalid:
    return CustomFieldInvalid(
        _("%(label)s: %(problem)s") % {"label": definition.label, "problem": message},
        field=definition.code,
    )


def _parse_number(definition, raw):
    if isinstance(raw, bool):
        raise _invalid(definition, _("enter a number."))
    if isinstance(raw, int | float | Decimal):
        number = Decimal(str(raw))
    else:
        text = str(raw).replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        text = text.replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _invalid(definition, _("enter a number, for example 1 234,5.")) from None
    if not number.is_finite() or abs(number) >= MAX_NUMBER:
        raise _invalid(definition, _("enter a number below a quadrillion."))
    return int(number) if number == number.to_integral_value() else float(number)


def _parse_date(definition, raw) -> str:
    if isinstance(raw, datetime):
        return raw.date().isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    text = str(raw).strip()
    parts = None
    if match := ISO_DATE.match(text):
        parts = (int(match[1]), int(match[2]), int(match[3]))
    elif match := RUSSIAN_DATE.match(text):
        parts = (int(match[3]), int(match[2]), int(match[1]))
    try:
        if parts is None:
            raise ValueError
        return date(*parts).isoformat()
    except ValueError:
        raise _invalid(definition, _("enter a date as 2017-03-01 or 01.03.2017.")) from None


def _parse_choice(definition, raw) -> str:
    wanted = _normalised(raw)
    for choice in definition.choices:
        if _normalised(choice) == wanted:
            return choice
    raise _invalid(
        definition,
        _("choose one of: %(choices)s.") % {"choices": ", ".join(definition.choices)},
    )


def custom_value_parse(definition: CustomFieldDefinition, raw):
    """The stored form of ``raw`` for the definition, None when empty.

    Raises CustomFieldInvalid (field = the definition's code) with a message naming the field.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if definition.kind == CustomFieldKind.NUMBER:
        return _parse_number(definition, raw)
    if definition.kind == CustomFieldKind.DATE:
        return _parse_date(definition, raw)
    if definition.kind == CustomFieldKind.CHOICE:
        return _parse_choice(definition, raw)
    text = reject_control_characters(" ".join(str(raw).split()), field=definition.code)
    if len(text) > MAX_TEXT:
        raise _invalid(definition, _("use at most %(count)d characters.") % {"count": MAX_TEXT})
    return text


def custom_values_clean(*, entity: str, values: dict, current: dict | None = None) -> dict:
    """``current`` with ``values`` applied (an empty value removes the key).

    Only active fields of the entity may be set. Raises CustomFieldInvalid.
    """
    if not isinstance(values, dict):
        raise CustomFieldInvalid(_("Send the custom fields as an object of code: value."))
    definitions = {definition.code: definition for definition in custom_field_targets(entity)}
    result = dict(current or {})
    for code, raw in values.items():
        definition = definitions.get(code)
        if definition is None:
            raise CustomFieldInvalid(
                _("There is no active custom field “%(code)s”.") % {"code": str(code)[:40]},
                field=str(code)[:40],
            )
        value = custom_value_parse(definition, raw)
        if value is None:
            result.pop(code, None)
        else:
            result[code] = value
    return result


# Definitions ------------------------------------------------------------------------------------


def _clean_choices(kind: str, choices) -> list[str]:
    if kind != CustomFieldKind.CHOICE:
        return []
    cleaned, seen = [], set()
    for choice in choices or []:
        text = " ".join(str(choice).split())
        if text and _normalised(text) not in seen:
            seen.add(_normalised(text))
            cleaned.append(text[:MAX_TEXT])
    if not cleaned:
        raise CustomFieldInvalid(_("List at least one value to choose from."), field="choices")
    if len(cleaned) > MAX_CHOICES:
        raise CustomFieldInvalid(
            _("List at most %(count)d values.") % {"count": MAX_CHOICES}, field="choices"
        )
    return cleaned


@transaction.atomic
def custom_field_create(
    *,
    entity: str,
    code: str,
    label: str,
    kind: str,
    choices=(),
    order: int = 0,
    is_active: bool = True,
) -> CustomFieldDefinition:
    """Define a field. The code and kind are fixed afterwards (stored values depend on them).

    Raises CustomFieldInvalid (duplicate code, no choices for a list).
    """
    if entity not in CustomFieldEntity.values:
        raise CustomFieldInvalid(_("Choose deals or companies."), field="entity")
    if kind not in CustomFieldKind.values:
        raise CustomFieldInvalid(_("Choose the kind of value."), field="kind")
    if CustomFieldDefinition.objects.filter(entity=entity, code=code).exists():
        raise CustomFieldInvalid(_("A field with this code already exists."), field="code")
    definition = CustomFieldDefinition(
        entity=entity,
        code=code,
        label=label.strip(),
        kind=kind,
        choices=_clean_choices(kind, choices),
        order=order,
        is_active=is_active,
    )
    try:
        with transaction.atomic():
            definition.save()
    except IntegrityError:
        raise CustomFieldInvalid(
            _("A field with this code already exists."), field="code"
        ) from None
    return definition


def custom_field_update(
    *, definition: CustomFieldDefinition, label: str, choices=(), order: int = 0, is_active=True
) -> CustomFieldDefinition:
    """Rename, reorder, (de)activate a field or change its list. Raises CustomFieldInvalid."""
    definition.label = label.strip()
    definition.choices = _clean_choices(definition.kind, choices)
    definition.order = order
    definition.is_active = is_active
    definition.save()
    return definition
