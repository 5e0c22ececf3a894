"""Filters for report cells (templates/analytics/_cell.html) beyond `numbers`' ones."""

from decimal import Decimal

from django import template

from voronka.core import formatting

from ..presentation import format_delta

register = template.Library()


@register.filter
def points(difference):
    """A difference of two rates in percentage points: «+2,1 pp»."""
    return format_delta(difference, 0) or formatting.MISSING


@register.filter
def quantity(value, digits=3):
    """A number with only the decimals it has (at most ``digits``): «12», «2,5»."""
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-int(digits))).normalize()
    return formatting.format_number(rounded, max(0, -rounded.as_tuple().exponent))
