"""Numbers, money, percentages and months as the active language writes them.

Russian: «1 234,5», «21,1 %», «100 000 ₽», «1,5 млн ₽», «Январь 2026»; English: «1,234.5»,
«21.1 %», «100,000 ₽», «1.5 M ₽», «January 2026». The thousands separator and the space before
a unit are non-breaking, so a figure never wraps away from its unit. Pages (the `number`,
`money` and `percent` template filters in `core/templatetags/numbers.py`), analytics tables and
chart ticks all go through these functions; machine-readable exports keep plain numbers.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.formats import date_format, get_format, number_format
from django.utils.translation import get_language, pgettext

NBSP = "\u00a0"
MISSING = "—"
CURRENCY_SYMBOLS = {"RUB": "₽", "USD": "$", "EUR": "€", "KZT": "₸", "BYN": "Br", "CNY": "¥"}


def currency_symbol(code: str | None) -> str:
    return CURRENCY_SYMBOLS.get(code or "RUB", code or "")


def _rounded(value, digits: int) -> Decimal | None:
    """Round half up (Django's number_format cuts extra decimals off instead of rounding)."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        rounded = number.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        return None
    return abs(rounded) if rounded == 0 else rounded  # never «-0»


def format_number(value, digits: int = 0) -> str:
    """«1 234,5» (ru) / «1,234.5» (en); «—» for a missing value."""
    if value is None or value == "":
        return MISSING
    rounded = _rounded(value, digits)
    if rounded is None:
        return str(value)
    text = number_format(rounded, decimal_pos=digits, use_l10n=True, force_grouping=True)
    # Russian groups with a non-breaking space already; make sure every locale does.
    return text.replace(" ", NBSP)


def format_percent(fraction, digits: int = 0) -> str:
    """A share 0..1 as «21,1 %»."""
    if fraction is None or fraction == "":
        return MISSING
    return f"{format_number(Decimal(str(fraction)) * 100, digits)}{NBSP}%"


def format_money(value, currency: str | None = "RUB", digits: int = 0) -> str:
    """«100 000 ₽»; ``digits=2`` gives «100 000,00 ₽»."""
    if value is None or value == "":
        return MISSING
    return f"{format_number(value, digits)}{NBSP}{currency_symbol(currency)}"


def format_money_short(value, currency: str | None = "RUB") -> str:
    """A compact amount for chart ticks and tiles: «1,5 млн ₽», «250 тыс. ₽», «900 ₽»."""
    if value is None:
        return MISSING
    number = Decimal(str(value))
    size = abs(number)
    for threshold, unit in (
        (Decimal(10) ** 9, pgettext("amount scale", "bn")),
        (Decimal(10) ** 6, pgettext("amount scale", "M")),
        (Decimal(10) ** 3, pgettext("amount scale", "K")),
    ):
        if size >= threshold:
            scaled = (number / threshold).normalize()
            digits = (
                0 if scaled == scaled.to_integral_value() else min(1, -scaled.as_tuple().exponent)
            )
            return f"{format_number(number / threshold, digits)}{NBSP}{unit}{NBSP}{currency_symbol(currency)}"
    return format_money(number, currency)


def format_month(month: date) -> str:
    """«Январь 2026» / «January 2026»."""
    return date_format(month, "F Y")


def format_date(day: date) -> str:
    """The locale's short date: «05.01.2026» / «01/05/2026»."""
    return date_format(day, "SHORT_DATE_FORMAT")


def plotly_separators() -> str:
    """Plotly's ``layout.separators``: the decimal mark, then the thousands separator."""
    decimal = get_format("DECIMAL_SEPARATOR")
    thousands = get_format("THOUSAND_SEPARATOR")
    return f"{decimal}{NBSP if thousands in (' ', NBSP) else thousands}"


def plotly_locale() -> str:
    """The Plotly locale the analytics script registers (month names on date axes)."""
    return "ru" if (get_language() or "").startswith("ru") else "en"


_page_currency: ContextVar[str | None] = ContextVar("voronka_page_currency", default=None)


@contextmanager
def amounts_in(currency: str):
    """While a page is built, amounts are in this currency (read once, not once per cell)."""
    token = _page_currency.set(currency)
    try:
        yield
    finally:
        _page_currency.reset(token)


def organisation_currency() -> str:
    """The currency amounts are summed in on analytics pages (the organisation's)."""
    from .models import Organisation

    return _page_currency.get() or Organisation.current().currency


def format_signed(value, digits: int = 1) -> str:
    """A change with its sign: «+2,1», «−0,5» (a true minus sign), «0,0»."""
    if value is None:
        return MISSING
    rounded = _rounded(value, digits)
    text = format_number(abs(rounded), digits)
    if rounded > 0:
        return f"+{text}"
    if rounded < 0:
        return f"\u2212{text}"
    return text
