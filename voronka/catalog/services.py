"""Writes to the product catalogue: product lines (directions) and products."""

from decimal import Decimal

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext_lazy as _

from voronka.core.errors import DomainError

from .models import Direction, Product


def direction_save(*, name: str, direction: Direction | None = None) -> Direction:
    """Create a product line, or rename one when `direction` is given."""
    name = name.strip()
    if not name:
        raise DomainError(_("Give the product line a name."), field="name")
    others = Direction.objects.exclude(pk=direction.pk if direction else None)
    # Compared in Python: SQLite's case-insensitive match only folds ASCII, not Cyrillic.
    if name.casefold() in {other.casefold() for other in others.values_list("name", flat=True)}:
        raise DomainError(_("A product line with this name already exists."), field="name")
    direction = direction or Direction()
    direction.name = name
    direction.save()
    return direction


def product_save(
    *,
    name: str,
    sku: str,
    direction: Direction,
    price: Decimal,
    unit: str = "шт.",
    is_active: bool = True,
    product: Product | None = None,
) -> Product:
    """Create a product, or update one when `product` is given. The price is never negative."""
    if price < 0:
        raise DomainError(_("The price must be zero or positive."), field="price")
    sku = sku.strip()
    duplicate = Product.objects.filter(sku__iexact=sku)
    if product is not None:
        duplicate = duplicate.exclude(pk=product.pk)
    if duplicate.exists():
        raise DomainError(_("A product with this SKU already exists."), field="sku")
    product = product or Product()
    product.name, product.sku, product.direction = name.strip(), sku, direction
    product.price, product.unit, product.is_active = price, unit, is_active
    product.save()
    return product


class CatalogueRowInUse(DomainError):
    code = "in_use"
    status = 409
    default_message = _("The row is still used by other rows, so it cannot be deleted.")


def _delete_unless_used(row) -> None:
    try:
        with transaction.atomic():
            row.delete()
    except ProtectedError as error:
        raise CatalogueRowInUse() from error


def direction_delete(*, direction: Direction) -> None:
    """Delete a product line no product uses (CatalogueRowInUse otherwise)."""
    _delete_unless_used(direction)


def product_delete(*, product: Product) -> None:
    """Delete a product no deal line uses (CatalogueRowInUse otherwise; deactivate it instead)."""
    _delete_unless_used(product)
