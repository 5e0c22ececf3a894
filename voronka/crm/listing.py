"""Sorting, paging and export parameters shared by the list pages (deals, companies, contacts).

Each list declares the columns it may be sorted by; anything else in `?sort=` falls back to the
default order, and a page number out of range shows the last page: bad parameters never 500.
"""

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet
from django.http import QueryDict

from voronka.core.tabular_export import EXPORT_FORMATS

PAGE_SIZE = 50
# Totals of a filtered list are counted once per filter and data change, then read from the
# cache; this bounds how long a change the stamp cannot see (a deleted row) stays uncounted.
TOTALS_CACHE_SECONDS = 300
# Parameters that page or order a list without changing which rows it holds.
_NOT_FILTERS = ("page", "sort", "export")


@dataclass(frozen=True)
class SortColumn:
    """A sortable column: the `?sort=` key, its label and the ORM expression it orders by."""

    key: str
    label: str
    field: str
    numeric: bool = False


@dataclass(frozen=True)
class Sorting:
    key: str
    descending: bool

    @property
    def param(self) -> str:
        return f"-{self.key}" if self.descending else self.key


def parse_sort(value: str | None, columns: dict[str, SortColumn], default: str) -> Sorting:
    """`title` ascending, `-title` descending; an unknown column gives the default."""
    value = (value or "").strip()
    descending = value.startswith("-")
    key = value[1:] if descending else value
    if key not in columns:
        descending = default.startswith("-")
        key = default.lstrip("-")
    return Sorting(key=key, descending=descending)


def _may_be_null(model, path: str) -> bool:
    """Whether `path` (field names joined by __) can be NULL; annotations count as nullable."""
    options = model._meta
    for name in path.split("__"):
        try:
            field = options.get_field(name)
        except FieldDoesNotExist:
            return True
        if field.null or field.many_to_many or field.one_to_many:
            return True
        if field.is_relation:
            options = field.related_model._meta
    return False


def apply_sort(queryset: QuerySet, sorting: Sorting, columns: dict[str, SortColumn]) -> QuerySet:
    """Order by the chosen column with NULLs last, then by pk so pages are stable.

    NULLS LAST is asked for only when the column can be NULL: on PostgreSQL it keeps a plain
    index from serving a descending sort, so the first page would sort every row."""
    field = columns[sorting.key].field
    expression = F(field)
    nulls_last = True if _may_be_null(queryset.model, field) else None
    expression = (
        expression.desc(nulls_last=nulls_last)
        if sorting.descending
        else expression.asc(nulls_last=nulls_last)
    )
    return queryset.order_by(expression, "-pk" if sorting.descending else "pk")


def paginate(
    queryset: QuerySet,
    page_number: str | None,
    *,
    count: int | None = None,
    per_page: int = PAGE_SIZE,
) -> Page:
    """One page of rows; a missing, malformed or out-of-range number gives the nearest page.

    Pass `count` when a totals query already counted the rows, to save the paginator's COUNT.
    """
    paginator = Paginator(queryset, per_page)
    if count is not None:
        paginator.count = count  # overrides the cached property
    return paginator.get_page(page_number)


def export_format(params: QueryDict) -> str | None:
    """The requested download format (`?export=csv|xlsx`) or None; unknown values are ignored."""
    value = params.get("export", "")
    return value if value in EXPORT_FORMATS else None


def header_links(params: QueryDict, sorting: Sorting, columns: dict[str, SortColumn]) -> list[dict]:
    """One entry per column for the table header: its label, link and the current arrow."""
    headers = []
    for column in columns.values():
        query = params.copy()
        query.pop("page", None)
        query.pop("export", None)
        active = column.key == sorting.key
        query["sort"] = f"-{column.key}" if active and not sorting.descending else column.key
        headers.append(
            {
                "key": column.key,
                "label": column.label,
                "query": query.urlencode(),
                "active": active,
                "descending": active and sorting.descending,
                "numeric": column.numeric,
            }
        )
    return headers


def query_without(params: QueryDict, *names: str) -> str:
    """The current query string minus some parameters (for pagination and export links)."""
    query = params.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def cached_for_user(kind: str, *, user, parts, data_stamp, compute):
    """`compute()`, cached per user (and the user's role and department, which decide what the
    user sees), `parts` and `data_stamp`. A None result is not cached."""
    fingerprint = repr((kind, user.pk, user.role, user.department_id, parts, data_stamp))
    key = f"{kind}:" + hashlib.sha256(fingerprint.encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TOTALS_CACHE_SECONDS)
    return value


def cached_totals(queryset: QuerySet, *, user, params: QueryDict, data_stamp, **aggregates) -> dict:
    """`queryset.aggregate(**aggregates)`, cached per user, filter values and `data_stamp`.

    Counting and summing every visible row on each page turn is what makes a long list slow;
    the totals only change when the filters do or when the data does (the caller's stamp, e.g.
    the latest `updated_at`, read from an index)."""
    filters = sorted(
        (name, sorted(params.getlist(name))) for name in params if name not in _NOT_FILTERS
    )
    return cached_for_user(
        "list-totals",
        user=user,
        parts=(queryset.model._meta.label, filters),
        data_stamp=data_stamp,
        compute=lambda: queryset.order_by().aggregate(**aggregates),
    )
