"""Every analytics page writes figures the way its language does, in the HTML and in the chart
JSON: Russian «33,3 %», «100 000 ₽», «Май 2026», «50 тыс. ₽» (non-breaking spaces), Plotly
separators «,» + non-breaking space; English «33.3 %», «100,000 ₽», «May 2026», «50 K ₽»."""

import json
import re
from datetime import date

import pytest
from django.urls import reverse

from .scenario import PERIOD, build_scenario

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
PAGES = [
    "funnel",
    "transitions",
    "velocity",
    "win-probability",
    "managers",
    "advice",
    "inflow",
    "channels",
    "forecast",
    "repeat",
]
SEPARATORS = {"ru": "," + NBSP, "en": ".,"}
# A decimal figure written with the other language's decimal mark, e.g. «21.1 %» on a Russian page.
FOREIGN_PERCENT = {"ru": re.compile(r"\d\.\d+\s?%"), "en": re.compile(r"\d,\d+\s?%")}
CHART_DATA = re.compile(r'<script id="[^"]+-data" type="application/json">(.*?)</script>', re.S)


@pytest.fixture
def head_client(client):
    scenario = build_scenario()
    # Deal C (open, 50 000) is expected to close in May: the forecast has a month row.
    deal = scenario.deals["C"]
    deal.expected_close_date = date(2026, 5, 20)
    deal.save()
    client.force_login(scenario.head)
    return client


def page_html(client, page, language):
    client.cookies["django_language"] = language
    response = client.get(
        reverse(f"analytics:{page}"),
        {"date_from": PERIOD[0].isoformat(), "date_to": PERIOD[1].isoformat()},
    )
    assert response.status_code == 200
    return response.content.decode()


def chart_layouts(html):
    return [json.loads(data)["layout"] for data in CHART_DATA.findall(html)]


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_every_analytics_page_follows_the_language(head_client, page, language):
    html = page_html(head_client, page, language)
    body = html[html.index("<main") :]

    assert FOREIGN_PERCENT[language].search(CHART_DATA.sub("", body)) is None
    for layout in chart_layouts(html):
        assert layout["separators"] == SEPARATORS[language]


@pytest.mark.parametrize(
    ("language", "won_amount", "conversion"),
    [
        ("ru", f"100{NBSP}000{NBSP}₽", f"33,3{NBSP}%"),
        ("en", f"100,000{NBSP}₽", f"33.3{NBSP}%"),
    ],
)
def test_funnel_writes_money_with_the_currency_and_percentages_unbroken(
    head_client, language, won_amount, conversion
):
    html = page_html(head_client, "funnel", language)

    assert won_amount in html
    assert conversion in html
    assert "100000" not in html.replace('value="100000"', "")  # never an ungrouped amount


@pytest.mark.parametrize(
    ("language", "ticks"),
    [
        ("ru", ["0 ₽", "10 тыс. ₽", "20 тыс. ₽", "30 тыс. ₽", "40 тыс. ₽", "50 тыс. ₽"]),
        ("en", ["0 ₽", "10 K ₽", "20 K ₽", "30 K ₽", "40 K ₽", "50 K ₽"]),
    ],
)
def test_money_axes_are_labelled_in_the_currency_without_si_suffixes(head_client, language, ticks):
    html = page_html(head_client, "win-probability", language)

    amounts_chart = chart_layouts(html)[0]
    assert amounts_chart["yaxis"]["ticktext"] == [tick.replace(" ", NBSP) for tick in ticks]
    assert amounts_chart["yaxis"]["tickvals"] == [0, 10000, 20000, 30000, 40000, 50000]


@pytest.mark.parametrize(
    ("language", "month", "amount"),
    [("ru", "Май 2026", f"50{NBSP}000{NBSP}₽"), ("en", "May 2026", f"50,000{NBSP}₽")],
)
def test_forecast_months_are_named_in_the_language(head_client, language, month, amount):
    html = page_html(head_client, "forecast", language)

    assert f"<td>{month}</td>" in html
    assert amount in html
    months_chart = json.loads(CHART_DATA.findall(html)[0])
    assert months_chart["data"][0]["x"] == [month]  # a named month, not «2026-05»


@pytest.mark.parametrize(
    ("language", "week", "delta"),
    [("ru", "02.03.2026", "+23,3 п.п."), ("en", "03/02/2026", "+23.3 pp")],
)
def test_dates_and_changes_follow_the_language(head_client, language, week, delta):
    assert f"<td>{week}</td>" in page_html(head_client, "inflow", language)
    assert delta in page_html(head_client, "transitions", language)


def test_count_axes_have_whole_ticks_only(head_client):
    inflow = chart_layouts(page_html(head_client, "inflow", "ru"))[0]

    # Two or three deals a week: ticks at 0, 1, 2, 3 — never 0,5 of a deal.
    assert inflow["yaxis"]["tickformat"] == ",d"
    assert inflow["yaxis"]["dtick"] == 1
