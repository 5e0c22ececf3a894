"""CSV and XLSX downloads of any table: lists and analytics pages share this one helper.

Every cell passes through `export_cell`, which keeps a spreadsheet from running what a user
typed: text that a spreadsheet would read as a formula (it starts with = + - @, a tab or a
carriage return) gets a leading apostrophe, the OWASP "CSV injection" defence, and control
characters that XLSX cannot hold are stripped. Numbers stay numbers, negative ones included.
"""

import csv
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

EXPORT_FORMATS = ("csv", "xlsx")

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Text that is only a number ("-12,5", "+7") cannot run anything; it keeps its look.
_PLAIN_NUMBER_RE = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


class _Echo:
    def write(self, value):
        return value


def neutralise_text(text: str) -> str:
    """`text` without XLSX-illegal control characters, and inert if it looks like a formula."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if text.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER_RE.fullmatch(text):
        return "'" + text
    return text


def export_cell(value):
    """A value a CSV writer or openpyxl can store as plain data: number, date, text or None."""
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if value is None or isinstance(value, int | float | Decimal | date):
        return value
    return neutralise_text(str(value))


def export_row(row: Sequence) -> list:
    """One row of `export_cell` values, for writers outside this module (CLI reports)."""
    return ["" if value is None else export_cell(value) for value in row]


def _xlsx_cell(sheet, value) -> WriteOnlyCell:
    value = export_cell(value)
    cell = WriteOnlyCell(sheet, value=value)
    # Explicit types: text is never stored as a formula, whatever openpyxl would guess.
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        cell.data_type = "n"
    return cell


def tabular_response(
    filename_stem: str, headers: Sequence[str], rows: Iterable[Sequence], fmt: str
) -> HttpResponse:
    """A download of `rows` under `headers` as CSV (streamed, UTF-8 with BOM for Excel) or XLSX.

    `fmt` must be one of EXPORT_FORMATS; callers validate it from the request first.
    """
    if fmt == "csv":
        writer = csv.writer(_Echo(), delimiter=";")

        def lines():
            yield "\ufeff" + writer.writerow(export_row([str(header) for header in headers]))
            for row in rows:
                yield writer.writerow(export_row(row))

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(filename_stem[:31])
        sheet.append([_xlsx_cell(sheet, str(header)) for header in headers])
        for row in rows:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
        response = HttpResponse(
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        workbook.save(response)
    else:
        raise ValueError(f"Unknown export format {fmt!r}")
    response["Content-Disposition"] = content_disposition_header(True, f"{filename_stem}.{fmt}")
    return response
