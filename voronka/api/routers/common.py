"""Small helpers the routers share: fetching a visible row or a referenced row."""

from contextlib import contextmanager

from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

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
