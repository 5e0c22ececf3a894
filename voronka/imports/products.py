"""Products in imported files: matching names across spellings, creating the unknown ones,
line items of deal rows, and the "products" import kind.

Names match ignoring case, spaces, hyphens and punctuation («Сервер R200» = «сервер R-200»).
Products are created through the catalogue's services; line items follow the deal card's
rules (a positive quantity, a price from zero up to the amount limit, the product's price when
the file gives none, and the deal's amount is the sum of its lines).
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from django.utils.translation import gettext as _

from voronka.catalog.models import Direction, Product
from voronka.catalog.services import direction_save, product_save
from voronka.core.errors import DomainError

from .cells import CellError

NEW_PRODUCT = "new"
SKU_PREFIX = "IMP-"


@lru_cache(maxsize=4096)  # a file repeats a few product names many times
def product_key(name: str) -> str:
    """The name as compared: lower case, ё as е, letters and digits only."""
    return re.sub(r"[\W_]+", "", name.casefold().replace("ё", "е"))


@dataclass
class LineItemValue:
    """A row's product before writing: a known product id, or a name to create."""

    product_id: int | None
    name: str
    quantity: Decimal
    unit_price: Decimal | None


class ProductResolver:
    """Looks up products by name key; unknown names become NEW unless the user mapped them."""

    def __init__(self, value_map: dict):
        self.value_map = value_map.get("product_name", {})
        self.products = {product.pk: product for product in Product.objects.all()}
        self.by_key: dict[str, int] = {}
        for product in sorted(
            self.products.values(), key=lambda item: (not item.is_active, item.pk)
        ):
            self.by_key.setdefault(product_key(product.name), product.pk)
        self.created: dict[str, int] = {}  # name key -> product made by this import
        self.created_direction: int | None = None  # the line made for them, when there was none

    def valid_choice(self, choice: str) -> bool:
        return choice == NEW_PRODUCT or (choice.isdigit() and int(choice) in self.products)

    def known(self, raw: str) -> bool:
        return product_key(raw) in self.by_key

    def resolve(self, raw: str) -> int | None:
        """The product id, or None for a product this import will create."""
        choice = str(self.value_map.get(raw, ""))
        if choice.isdigit():
            return int(choice)
        key = product_key(raw)
        if not key:
            raise CellError(_("«%(value)s» is not a product name.") % {"value": raw})
        return self.by_key.get(key)

    def create_missing(self, wanted: dict[str, LineItemValue]) -> None:
        """Create the products a file names but the catalogue lacks (`wanted`: one line item
        per name key, the first naming it), priced at that line's unit price, in the first
        product line (or a new one). Rows then find them in `by_key`."""
        if not wanted:
            return
        direction = Direction.objects.order_by("pk").first()
        if direction is None:
            direction = direction_save(name=_("Imported products"))
            self.created_direction = direction.pk
        taken = set(Product.objects.values_list("sku", flat=True))
        for key, item in wanted.items():
            if key in self.by_key:
                continue
            product = product_save(
                name=item.name[:200],
                sku=_free_sku(key, taken),
                direction=direction,
                price=item.unit_price or Decimal(0),
            )
            self.by_key[key] = self.created[key] = product.pk
            self.products[product.pk] = product


def _free_sku(key: str, taken: set[str]) -> str:
    base = (SKU_PREFIX + key.upper())[:60]
    sku, number = base, 1
    while sku in taken:
        number += 1
        sku = f"{base[:58]}-{number}"
    taken.add(sku)
    return sku


# ----------------------------------------------------------------------------- products kind
def write_products(rows, *, update: bool, made: dict[str, list[int]]) -> list[str]:
    """Create or update products from a products file: matched by SKU, else by name key.
    Appends the products and product lines it creates to `made["product"]`, `made["direction"]`
    (the job records them, so rolling it back can remove them)."""
    by_sku = {product.sku.casefold(): product for product in Product.objects.all()}
    by_key = {}
    for product in by_sku.values():
        by_key.setdefault(product_key(product.name), product)
    directions = {direction.name.casefold(): direction for direction in Direction.objects.all()}
    taken = {sku for sku in by_sku}
    outcomes = []
    for row in rows:
        values = row.values
        name = values["product_name"]
        sku = values.get("sku", "")
        product = by_sku.get(sku.casefold()) if sku else by_key.get(product_key(name))
        direction_name = values.get("direction", "")
        direction = directions.get(direction_name.casefold()) if direction_name else None
        if direction is None and direction_name:
            direction = directions[direction_name.casefold()] = direction_save(name=direction_name)
            made["direction"].append(direction.pk)
        if product is not None:
            if not update:
                outcomes.append("skipped")
                continue
            changed = (
                product.name != name
                or values.get("unit_price") not in (None, product.price)
                or (direction is not None and direction.pk != product.direction_id)
                or (values.get("unit") and values["unit"] != product.unit)
            )
            if not changed:
                outcomes.append("skipped")
                continue
            product_save(
                name=name, sku=product.sku, direction=direction or product.direction,
                price=values.get("unit_price") if values.get("unit_price") is not None
                else product.price,
                unit=values.get("unit") or product.unit, is_active=product.is_active,
                product=product,
            )  # fmt: skip
            outcomes.append("updated")
            continue
        if direction is None:
            direction = Direction.objects.order_by("pk").first()
            if direction is None:
                direction = direction_save(name=_("Imported products"))
                made["direction"].append(direction.pk)
            directions[direction.name.casefold()] = direction
        product = product_save(
            name=name, sku=sku or _free_sku(product_key(name), taken), direction=direction,
            price=values.get("unit_price") or Decimal(0), unit=values.get("unit") or "шт.",
        )  # fmt: skip
        made["product"].append(product.pk)
        by_sku[product.sku.casefold()] = product
        by_key.setdefault(product_key(name), product)
        outcomes.append("created")
    return outcomes


def check_quantity(quantity: Decimal) -> Decimal:
    if quantity <= 0:
        raise DomainError(_("The quantity must be positive."), field="quantity")
    return quantity
