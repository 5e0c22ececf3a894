"""Figures in the active language: one set of rules for pages, analytics tables and charts."""

from datetime import date
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from voronka.core.formatting import (
    format_money,
    format_money_short,
    format_month,
    format_number,
    format_percent,
    format_signed,
)

NBSP = "\u00a0"


def nb(text: str) -> str:
    return text.replace(" ", NBSP)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "ru",
            [
                "1 234,5",
                "21,1 %",
                "21,7 %",
                "100 000,00 ₽",
                "1,5 млн ₽",
                "250 тыс. ₽",
                "−2,1",
                "0,0",
            ],
        ),
        (
            "en",
            [
                "1,234.5",
                "21.1 %",
                "21.7 %",
                "100,000.00 ₽",
                "1.5 M ₽",
                "250 K ₽",
                "−2.1",
                "0.0",
            ],
        ),
    ],
)
def test_figures_follow_the_active_language(language, expected):
    with translation.override(language):
        written = [
            format_number(1234.5, 1),
            format_percent(0.2114, 1),
            format_percent(Decimal("0.2165"), 1),  # rounds half up, never cut off
            format_money(Decimal("100000"), "RUB", 2),
            format_money_short(1_500_000),
            format_money_short(250_000),
            format_signed(-2.08),
            format_number(-0.04, 1),  # never «-0,0»
        ]

    assert written == [nb(text) for text in expected]


def test_months_are_named_in_the_active_language():
    with translation.override("ru"):
        assert format_month(date(2026, 5, 1)) == "Май 2026"
    with translation.override("en"):
        assert format_month(date(2026, 5, 1)) == "May 2026"


def test_missing_figures_are_a_dash():
    assert [format_number(None), format_percent(None), format_money(None)] == ["—", "—", "—"]


def test_template_filters_share_the_rules():
    template = Template(
        "{% load numbers %}{{ amount|money:'RUB' }}|{{ amount|money2:'USD' }}|"
        "{{ share|percent:1 }}|{{ count|number }}|{{ probability|percent_points }}"
    )
    context = Context(
        {"amount": Decimal("1250000"), "share": 0.217, "count": 12345, "probability": 15}
    )

    with translation.override("ru"):
        assert template.render(context) == nb("1 250 000 ₽|1 250 000,00 $|21,7 %|12 345|15 %")
    with translation.override("en"):
        assert template.render(context) == nb("1,250,000 ₽|1,250,000.00 $|21.7 %|12,345|15 %")
