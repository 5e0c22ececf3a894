"""CSV and XLSX downloads of any table: lists and analytics pages share this one helper.

Every cell passes through `export_cell`, which keeps a spreadsheet from running what a user
typed: text that a spreadsheet would read as a formula (it starts with = + - @, a tab or a
carriage return) gets a leading apostrophe, the OWASP "CSV injection" defence, and control
characters that XLSX cannot hold are stripped. Numbers stay numbers, negative ones included.

Formats: XLSX cells are real numbers and dates with a number format, so the spreadsheet shows
them in its reader's language. CSV stays machine-readable whatever the page language: a dot
as the decimal mark, no thousands separator, ISO dates (2026-01-05), «;» between fields.
"""

import csv
import math
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


# Number formats Excel and LibreOffice show in the reader's own locale: «1 234,50» and
# «05.01.2026» in Russian, «1,234.50» and «1/5/2026» in English. The cell keeps the number.
XLSX_INTEGER_FORMAT = "#,##0"
XLSX_DECIMAL_FORMAT = "#,##0.00"
XLSX_DATE_FORMAT = "mm-dd-yy"  # built-in format 14: the reader's short date
XLSX_DATETIME_FORMAT = "m/d/yy h:mm"  # built-in format 22: the reader's date and time


def _xlsx_cell(sheet, value) -> WriteOnlyCell:
    value = export_cell(value)
    cell = WriteOnlyCell(sheet, value=value)
    # Explicit types: text is never stored as a formula, whatever openpyxl would guess.
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        cell.data_type = "n"
        is_whole = isinstance(value, int) or (math.isfinite(value) and float(value).is_integer())
        cell.number_format = XLSX_INTEGER_FORMAT if is_whole else XLSX_DECIMAL_FORMAT
    elif isinstance(value, datetime):
        cell.number_format = XLSX_DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = XLSX_DATE_FORMAT
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
