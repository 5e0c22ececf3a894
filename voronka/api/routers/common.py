"""Small helpers the routers share: fetching a visible row or a referenced row."""

from contextlib import contextmanager

from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from ninja.errors import ValidationError

from voronka.accounts.visibility import visible_users
from voronka.core.errors import DomainError

from ..services import DuplicateValue


class InvalidReference(DomainError):
    code = "invalid_reference"
    status = 404
    default_message = _("The referenced row does not exist or is not visible to you.")


def visible_or_404(queryset: QuerySet, pk: int) -> Model:
    return get_object_or_404(queryset, pk=pk)


def reference(queryset: QuerySet, pk: int | None, field: str):
    """The row `pk` of `queryset` for a body field; an unknown or invisible id is a 404."""
    if pk is None:
        return None
    row = queryset.filter(pk=pk).first()
    if row is None:
        raise InvalidReference(field=field)
    return row


def owner_reference(user, pk: int | None, field: str = "owner_id"):
    """An owner the caller may assign: someone whose work they see (a manager: themselves)."""
    return reference(visible_users(user), pk, field)


@contextmanager
def unique_on(field: str):
    """Run a write in a savepoint; a unique constraint it breaks is a 409 on `field`."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        raise DuplicateValue(field=field) from error


def filtered(filterset_class, queryset: QuerySet, request, data: dict, **kwargs) -> QuerySet:
    """Filter an API list with the page's FilterSet, so search and filters are defined once.

    `data` maps the FilterSet's names to the query's values (None: not given). A value the
    FilterSet refuses (an owner the caller may not see) is a 422 naming the query parameter.
    """
    api_names = kwargs.pop("api_names", {})
    given = {name: value for name, value in data.items() if value is not None and value != ""}
    filterset = filterset_class(given, queryset=queryset, request=request, **kwargs)
    if not filterset.is_valid():
        raise ValidationError(
            [
                {"loc": ("query", api_names.get(name, name)), "msg": " ".join(errors)}
                for name, errors in filterset.errors.items()
            ]
        )
    return filterset.qs
