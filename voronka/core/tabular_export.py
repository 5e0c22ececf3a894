"""CSV and XLSX downloads of any table: lists and analytics pages share this one helper."""

import csv
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook

EXPORT_FORMATS = ("csv", "xlsx")


class _Echo:
    def write(self, value):
        return value


def _plain(value):
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if value is None or isinstance(value, int | float | Decimal | date | str):
        return value
    return str(value)


def tabular_response(
    filename_stem: str, headers: Sequence[str], rows: Iterable[Sequence], fmt: str
) -> HttpResponse:
    """A download of `rows` under `headers` as CSV (streamed, UTF-8 with BOM for Excel) or XLSX.

    `fmt` must be one of EXPORT_FORMATS; callers validate it from the request first.
    """
    if fmt == "csv":
        writer = csv.writer(_Echo(), delimiter=";")

        def lines():
            yield "\ufeff" + writer.writerow([str(header) for header in headers])
            for row in rows:
                yield writer.writerow(["" if value is None else _plain(value) for value in row])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(filename_stem[:31])
        sheet.append([str(header) for header in headers])
        for row in rows:
            sheet.append([_plain(value) for value in row])
        response = HttpResponse(
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        workbook.save(response)
    else:
        raise ValueError(f"Unknown export format {fmt!r}")
    response["Content-Disposition"] = content_disposition_header(True, f"{filename_stem}.{fmt}")
    return response
