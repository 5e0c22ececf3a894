"""Field types and pagination shared by every router.

Input strings are bounded by their column length and refuse control characters (PostgreSQL
cannot store NUL, the others break exports; tab and newlines stay allowed); decimals by their
column precision; ids by the 64-bit key range. So bad input is a 422,
never a database error.
"""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import QuerySet
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import (
    AfterValidator,
    BeforeValidator,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from voronka.core.control_characters import (
    CONTROL_CHARACTER_CLASS,
    control_character_message,
    find_control_character,
)

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_ID = 2**63 - 1
# CONTROL_CHARACTER_CLASS of voronka.core.control_characters, published in the OpenAPI patterns.
NO_CONTROL = rf"^[^{CONTROL_CHARACTER_CLASS}]*$"
# Some character other than a space or a control character.
VISIBLE_TEXT = rf"^[^{CONTROL_CHARACTER_CLASS}]*[^\x00-\x20\x7f-\x9f][^{CONTROL_CHARACTER_CLASS}]*$"


def Text(max_length: int, *, min_length: int = 0):
    return Annotated[
        str, StringConstraints(max_length=max_length, min_length=min_length, pattern=NO_CONTROL)
    ]


Name = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=VISIBLE_TEXT)]


class Input(Schema):
    """A request body: a JSON object, never a list or a bare value.

    (ninja's schemas read attributes from any object, so `[]` or `"x"` would pass as an empty
    body; refusing them keeps the API as strict as its schema.)"""

    @model_validator(mode="before")
    @classmethod
    def _body_is_an_object(cls, data):
        if not isinstance(getattr(data, "_obj", data), dict):
            raise ValueError("Send a JSON object.")
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value):
        # Before the field's own checks, so the message names the character, not a pattern.
        for text in value if isinstance(value, list) else [value]:
            character = find_control_character(text) if isinstance(text, str) else None
            if character is not None:
                raise ValueError(str(control_character_message(character)))
        return value


def _not_a_bool(value):
    # JSON true/false must not pass as 1/0 where the schema says integer.
    if isinstance(value, bool):
        raise ValueError("Send an integer.")
    return value


def _whole_number(value):
    # 2.0 is an integer in JSON; 2.5, "2" and true are not.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("Send an integer.")
    return value


def _strict_bool(value):
    if not isinstance(value, bool):
        raise ValueError("Send true or false.")
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_not_a_bool)]
Boolean = Annotated[bool, BeforeValidator(_strict_bool)]


def Integer(minimum: int, maximum: int):
    """A whole number in a JSON body (not a string, a float or a boolean)."""
    return Annotated[int, Field(ge=minimum, le=maximum), BeforeValidator(_whole_number)]


def DecimalAmount(*, whole_digits: int, positive: bool = False):
    """An exact amount: a JSON integer or a decimal string such as "1500.50" (two places at
    most). Floats are refused, so no amount is ever rounded on the way in."""
    pattern = rf"^[0-9]{{1,{whole_digits}}}(\.[0-9]{{1,2}})?$"
    if positive:
        pattern = r"^(?=.*[1-9])" + pattern[1:]
    compiled = re.compile(pattern)

    def check(value):
        if isinstance(value, float) and value.is_integer() and abs(value) < 10**whole_digits:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
            raise ValueError('Send an integer or a decimal string such as "1500.50".')
        if isinstance(value, str) and not compiled.match(value):
            raise ValueError('Send an integer or a decimal string such as "1500.50".')
        return Decimal(value) if not isinstance(value, Decimal) else value

    minimum = 1 if positive else 0
    schema = {
        "anyOf": [
            {"type": "integer", "minimum": minimum, "maximum": 10**whole_digits - 1},
            {"type": "string", "pattern": pattern},
        ],
        "description": 'An integer or a decimal string with at most two places, e.g. "1500.50".',
    }
    constraint = Field(gt=0) if positive else Field(ge=0)
    return Annotated[
        Decimal,
        constraint,
        Field(max_digits=whole_digits + 2, decimal_places=2),
        BeforeValidator(check),
        WithJsonSchema(schema),
    ]


Money = DecimalAmount(whole_digits=12)
Quantity = DecimalAmount(whole_digits=10, positive=True)
Version = Integer(1, 2**31 - 1)

ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _iso_day(value):
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not ISO_DAY.match(value):
        raise ValueError("Send a date as YYYY-MM-DD.")
    return value


def _iso_moment(value):
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not ISO_DAY.match(value[:10]):
        raise ValueError("Send a date and time in ISO 8601, e.g. 2026-03-01T09:30:00+03:00.")
    return value


def _storable(moment: datetime) -> datetime:
    # Years 1 and 9999 could leave Python's range once shifted to UTC.
    if not 2 <= moment.year <= 9998:
        raise ValueError("Use a year between 2 and 9998.")
    return moment


Day = Annotated[date, BeforeValidator(_iso_day)]
Moment = Annotated[
    datetime,
    BeforeValidator(_iso_moment),
    AfterValidator(_storable),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": "^(?!000[01]|9999)"}),
]


class Pagination(LimitOffsetPagination):
    """limit/offset pagination: `limit` 1..200 (default 50); a larger limit is a 422."""

    class Input(Schema):
        limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page (1–200).")
        offset: int = Field(0, ge=0, le=10**9, description="Rows to skip.")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)


def order(queryset: QuerySet, ordering: str | None, allowed: tuple[str, ...]) -> QuerySet:
    """Order by a whitelisted field (`-name` for descending); pk breaks ties for stable pages."""
    if not ordering:
        return queryset
    name = ordering.removeprefix("-")
    if name not in allowed:
        return queryset
    return queryset.order_by(ordering, "-pk" if ordering.startswith("-") else "pk")


def ordering_pattern(allowed: tuple[str, ...]) -> str:
    return "^-?(" + "|".join(allowed) + ")$"


def Ordering(allowed: tuple[str, ...]):
    """A sort field from `allowed`, `-` in front to reverse; anything else is a 422."""
    return Annotated[
        str,
        StringConstraints(pattern=ordering_pattern(allowed)),
        Field(description=f"One of {', '.join(allowed)}; prefix `-` to reverse."),
    ]


CUSTOM_FIELDS_DESCRIPTION = (
    "Custom field values by code (Settings → Custom fields): text, a number, a date "
    "(`2017-03-01` or `01.03.2017`) or one of the field's list. On change, codes not sent keep "
    "their value and an empty string or null clears one; a value of the wrong kind is a 409 `custom_field_invalid` naming the field."
)
CustomFieldCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
CustomFieldValuesIn = dict[CustomFieldCode, int | float | Text(500) | None]


def custom_fields_input(default=None):
    """The field of an input schema; keys outside the code pattern are refused by the schema."""
    options = {"default_factory": dict} if default is dict else {"default": default}
    return Field(
        **options,
        max_length=100,
        description=CUSTOM_FIELDS_DESCRIPTION,
        json_schema_extra={"additionalProperties": False},
    )
