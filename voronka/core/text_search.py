"""Text search conditions that behave the same on SQLite and PostgreSQL."""

from django.db.models import Q


def text_match(field: str, query: str) -> Q:
    """Case-insensitive "contains" that also works for Cyrillic on SQLite.

    SQLite's LIKE folds ASCII letters only, so the query is also tried in lower, upper and
    capitalised forms; PostgreSQL's ILIKE matches them all anyway.
    """
    variants = {query, query.lower(), query.upper(), query.capitalize(), query.title()}
    condition = Q()
    for variant in sorted(variants):
        condition |= Q(**{f"{field}__icontains": variant})
    return condition
