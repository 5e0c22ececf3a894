"""Every report's page table, CSV/XLSX export and API endpoint come from one definition: the same
headings in the same order, and the page's first row shows the export's first row."""

from datetime import date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from io import BytesIO

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from voronka.analytics.reports import REPORTS
from voronka.core.models import Organisation
from voronka.plans.services import plan_create

from .scenario import build_scenario
from .test_business_pages import fill

pytestmark = pytest.mark.django_db

QUERY = {"date_from": "2026-03-01", "date_to": "2026-04-30"}

# Report -> (its page, the test id of its table there, whether the page's export is this report).
# A report without a table of its own is None, with the reason.
REPORT_TABLES = {
    "funnel": ("analytics:funnel", "funnel-table", True),
    "transitions": ("analytics:transitions", "transition-table", True),
    "velocity": ("analytics:velocity", "velocity-table", True),
    "managers": ("analytics:managers", "managers-table", True),
    "advice": ("analytics:advice", "advice-table", True),
    "win_probability": ("analytics:win-probability", "win-stages-table", True),
    "inflow": ("analytics:inflow", "inflow-table", True),
    "inflow-managers": ("analytics:inflow", "inflow-managers-table", False),
    "channels": ("analytics:channels", "channels-table", True),
    "channels-trend": None,  # drawn as a chart on the channels page, no table
    "forecast": ("analytics:forecast", "forecast-table", True),
    "demand": ("analytics:forecast", "demand-table", False),
    "repeat": ("analytics:repeat", "repeat-table", True),
    "plans": ("plans:list", "plans-table", True),
}


class TableReader(HTMLParser):
    """Header texts and body rows (cell texts) of the table with a given data-testid."""

    def __init__(self, testid: str):
        super().__init__()
        self.testid, self.depth = testid, 0
        self.headers: list[str] = []
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("data-testid") == self.testid:
            self.depth = 1
        elif tag == "table" and self.depth:
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in {"th", "td"}:
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in {"th", "td"} and self.cell is not None:
            text = " ".join("".join(self.cell).split())
            (self.headers if tag == "th" else self.rows[-1]).append(text)
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def read_table(html: str, testid: str) -> tuple[list[str], list[list[str]]]:
    reader = TableReader(testid)
    reader.feed(html)
    return reader.headers, [row for row in reader.rows if row]


def read_xlsx(content: bytes) -> list[list]:
    sheet = load_workbook(BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def shown(column, value, currency: str) -> str:
    """The text the definition gives a value on the page."""
    if isinstance(value, datetime):
        value = value.date()
    html = render_to_string(
        "analytics/_cell.html", {"column": column, "value": value, "currency": currency}
    )
    return " ".join(html.split())


@pytest.fixture
def history(admin_user):
    scenario = build_scenario()
    fill(scenario.pipeline, [scenario.m1, scenario.m2], 3)
    for manager, amount in ((scenario.m1, 5000), (scenario.m2, 1000)):
        plan_create(
            user=admin_user,
            period="month",
            period_start=date(2026, 4, 1),
            dimension="employee",
            target=manager,
            target_amount=Decimal(amount),
        )
    return scenario


def test_every_report_is_classified():
    assert set(REPORT_TABLES) == set(REPORTS)


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("name", [name for name, table in REPORT_TABLES.items() if table])
def test_page_table_export_and_api_share_the_definition(
    client, admin_user, history, name, language
):
    page_name, testid, page_exports_it = REPORT_TABLES[name]
    client.force_login(admin_user)
    client.cookies["django_language"] = language
    # The plans page shows the plans in force on a day: the report's end of period.
    query = (
        {"on": QUERY["date_to"]} if name == "plans" else QUERY | {"pipeline": history.pipeline.pk}
    )
    page = client.get(reverse(page_name), query)
    assert page.status_code == 200
    headers, rows = read_table(page.content.decode(), testid)
    assert rows, f"{name}: the page table has no rows"

    api = client.get(
        f"/api/v1/analytics/reports/{name}",
        {"pipeline_id": history.pipeline.pk, **QUERY},
        headers={"accept-language": language},
    ).json()
    if page_exports_it:
        exported = read_xlsx(client.get(reverse(page_name), query | {"export": "xlsx"}).content)
        export_headers, first = list(exported[0]), exported[1]
    else:
        export_headers, first = api["headers"], api["rows"][0]

    report = REPORTS[name]
    with translation.override(language):
        result = None
        if callable(report.columns):  # a column set that depends on the figures
            result = report.compute(page.context["analytics_filter"], admin_user)
        columns = report.columns_of(result)
        definition = [str(column.heading) for column in columns]
        currency = Organisation.current().currency
        expected = [shown(c, value, currency) for c, value in zip(columns, first, strict=True)]
    assert headers == definition
    assert export_headers == definition
    assert api["headers"] == definition
    assert len(rows[0]) == len(columns)
    for column, text, value in zip(columns, rows[0], expected, strict=True):
        if column.cell:  # a cell template adds a link, a badge or a button around the value
            assert value in text, (name, str(column.heading))
        else:
            assert text == value, (name, str(column.heading))


def test_a_row_group_shows_its_grouped_columns_once_on_the_page(client, admin_user, history):
    """Both April plans are one group (month, employee): the page names the group once, the
    export on every row."""
    client.force_login(admin_user)
    query = {"on": QUERY["date_to"]}
    headers, rows = read_table(
        client.get(reverse("plans:list"), query).content.decode(), "plans-table"
    )
    exported = read_xlsx(client.get(reverse("plans:list"), query | {"export": "xlsx"}).content)
    names = [row[3] for row in rows]
    assert sorted(names) == sorted(str(user) for user in (history.m1, history.m2))
    assert rows[0][:3] == ["Month", "04/01/2026", "Employee"]
    assert rows[1][:3] == ["", "", ""]
    assert [row[:4] for row in exported[1:]] == [
        ["Month", datetime(2026, 4, 1), "Employee", name] for name in names
    ]
