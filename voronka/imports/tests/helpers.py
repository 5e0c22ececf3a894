"""Builders of import files for the tests: generated in the test run, never committed."""

import csv
import io

from openpyxl import Workbook

DEAL_HEADERS = [
    "Внешний ID", "Название сделки", "Сумма", "Этап", "Статус", "Ответственный", "Источник",
    "Дата создания", "Дата закрытия", "Причина отказа", "Компания", "ИНН", "Контакт",
    "Телефон", "Email",
]  # fmt: skip


def csv_bytes(headers, rows, *, delimiter=",", encoding="utf-8", bom=False) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(headers, rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_file(
    user, data, *, kind="deals", name="deals.csv", valid_only=False, on_match="update", values=None
):
    """Run the whole wizard through the services; returns (job, report)."""
    from voronka.imports import services

    job = services.import_job_create(user=user, kind=kind, file_name=name, data=data)
    if values:
        services.import_job_set_values(job=job, value_map=values)
    report = services.import_check(job=job)
    job = services.import_job_start(job=job, user=user, valid_only=valid_only, on_match=on_match)
    return job, report
