"""Template filters for figures in the active language: `{% load numbers %}` then
`{{ deal.amount|money:deal.currency }}`, `{{ share|percent:1 }}`, `{{ count|number }}`.

One set for every page (see voronka/core/formatting.py for the rules).
"""

from django import template

from voronka.core import formatting

register = template.Library()


@register.filter
def number(value, digits=0):
    """«1 234» / «1 234,5» with ``|number:1``."""
    return formatting.format_number(value, int(digits))


@register.filter
def money(value, currency="RUB"):
    """«100 000 ₽»; pass the deal's or the organisation's currency code."""
    return formatting.format_money(value, currency or "RUB")


@register.filter
def money2(value, currency="RUB"):
    """With kopecks: «100 000,00 ₽»."""
    return formatting.format_money(value, currency or "RUB", digits=2)


@register.filter
def percent(fraction, digits=0):
    """A share 0..1 as «21 %»; ``|percent:1`` gives «21,1 %»."""
    return formatting.format_percent(fraction, int(digits))


@register.filter
def percent_points(value, digits=0):
    """A number already in percent (a stage's 0..100 probability) as «15 %»."""
    if value is None or value == "":
        return formatting.MISSING
    return f"{formatting.format_number(value, int(digits))}{formatting.NBSP}%"
