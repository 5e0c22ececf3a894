"""XLSX cells carry number and date formats the spreadsheet shows in its reader's language;
CSV stays machine-readable (dot decimals, ISO dates) in every page language."""

from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO

from django.utils import translation
from openpyxl import load_workbook

from voronka.core.tabular_export import tabular_response

ROWS = [["A", Decimal("1234567.50"), 12, date(2026, 1, 5), datetime(2026, 1, 5, 9, 30, tzinfo=UTC)]]
HEADERS = ["Title", "Amount", "Deals", "Day", "When"]


def test_xlsx_numbers_and_dates_carry_locale_neutral_formats():
    response = tabular_response("deals", HEADERS, ROWS, "xlsx")

    row = list(load_workbook(BytesIO(response.content)).active.iter_rows())[1]
    assert [cell.value for cell in row[:3]] == ["A", 1234567.5, 12]
    assert [cell.number_format for cell in row] == [
        "General",
        "#,##0.00",
        "#,##0",
        "mm-dd-yy",
        "m/d/yy h:mm",
    ]


def test_csv_stays_machine_readable_in_russian():
    with translation.override("ru"):
        response = tabular_response("deals", HEADERS, ROWS, "csv")
        body = b"".join(response.streaming_content).decode("utf-8")

    assert body.splitlines()[1] == "A;1234567.50;12;2026-01-05;2026-01-05 12:30:00"
