"""Field types and pagination shared by every router.

Input strings are bounded by their column length and refuse NUL bytes (PostgreSQL cannot store
them); decimals by their column precision; ids by the 64-bit key range. So bad input is a 422,
never a database error.
"""

from decimal import Decimal
from typing import Annotated, Any

from django.db.models import QuerySet
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import StringConstraints

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_ID = 2**63 - 1
NO_NUL = r"^[^\x00]*$"


def Text(max_length: int, *, min_length: int = 0):
    return Annotated[
        str, StringConstraints(max_length=max_length, min_length=min_length, pattern=NO_NUL)
    ]


Name = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00]*\S[^\x00]*$")
]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
Version = Annotated[int, Field(ge=1, le=2**31 - 1)]


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
