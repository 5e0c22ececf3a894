"""Hostile and broken files: a clear message, bounded work in the request, no half-written rows."""

import io
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import UserFactory
from voronka.imports import services
from voronka.imports.models import ImportJob, ImportStatus
from voronka.pipeline.models import Deal

from .helpers import csv_bytes, xlsx_bytes

HEADERS = ["Название", "Этап", "Сумма"]


@pytest.fixture
def admin(db, pipeline):
    return UserFactory(role="admin", username="admin")


def _upload(client, data: bytes, name: str):
    return client.post(
        reverse("imports:start"), {"kind": "deals", "file": SimpleUploadedFile(name, data)}
    )


def _form_errors(response) -> list[str]:
    return response.context["form"].errors["file"]


def test_an_xlsx_that_inflates_past_the_limit_is_refused_before_it_is_read(client, admin, settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 10 * 2**20
    buffer = io.BytesIO(xlsx_bytes(HEADERS, [["Сделка", "Переговоры", "1"]]))
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/bomb.bin", b"\0" * (20 * 2**20))
    data = buffer.getvalue()
    assert len(data) < 100 * 1024  # 20 MB of zeros compress to a few kilobytes
    client.force_login(admin)
    response = _upload(client, data, "bomb.xlsx")
    assert response.status_code == 400
    assert _form_errors(response) == ["The XLSX file unpacks to 20 MB; the limit is 10 MB."]
    tracemalloc.start()
    with pytest.raises(services.DomainError):
        services.import_job_create(user=admin, kind="deals", file_name="b.xlsx", data=data)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2**20
    assert not ImportJob.objects.exists()


def test_an_xlsx_declaring_more_rows_than_the_limit_is_refused_at_upload(client, admin, settings):
    settings.IMPORT_MAX_ROWS = 1000
    rows = [[f"Сделка {n}", "Переговоры", "1"] for n in range(1500)]
    client.force_login(admin)
    response = _upload(client, xlsx_bytes(HEADERS, rows), "many.xlsx")
    assert response.status_code == 400
    assert _form_errors(response) == [
        "The file has more than 1 000 rows; split it into several files."
    ]


def test_a_csv_with_too_many_rows_fails_its_check_and_writes_nothing(admin, settings):
    settings.IMPORT_MAX_ROWS = 1000
    data = csv_bytes(HEADERS, [[f"Сделка {n}", "Переговоры", "1"] for n in range(1500)])
    job = services.import_job_create(user=admin, kind="deals", file_name="m.csv", data=data)
    assert job.row_count == 0  # the upload reads only the header and a few rows
    with pytest.raises(services.DomainError):
        services.import_check(job=job)
    job.refresh_from_db()
    assert (job.status, job.message) == (
        ImportStatus.FAILED,
        "The file has more than 1 000 rows; split it into several files.",
    )
    assert Deal.objects.count() == 0


def test_a_5_mb_csv_field_gets_a_clear_message_not_a_500(client, admin):
    data = csv_bytes(HEADERS, [["Сделка", "Переговоры", "x" * (5 * 2**20)]])
    client.force_login(admin)
    response = _upload(client, data, "huge.csv")
    assert response.status_code == 400
    assert _form_errors(response) == ["Line 2 has a cell longer than 32768 characters."]


def test_a_huge_cell_deep_in_a_file_fails_the_check_with_its_line(admin):
    rows = [[f"Сделка {n}", "Переговоры", "1"] for n in range(100)]
    rows.append(["Сделка", "Переговоры", "y" * 200_000])
    job = services.import_job_create(
        user=admin, kind="deals", file_name="h.csv", data=csv_bytes(HEADERS, rows)
    )
    with pytest.raises(services.DomainError):
        services.import_check(job=job)
    job.refresh_from_db()
    assert job.message == "Line 102 has a cell longer than 32768 characters."
    assert Deal.objects.count() == 0


def test_a_file_with_too_many_columns_is_refused(client, admin, settings):
    settings.IMPORT_MAX_COLUMNS = 50
    client.force_login(admin)
    response = _upload(client, csv_bytes([f"c{n}" for n in range(60)], [["x"] * 60]), "wide.csv")
    assert response.status_code == 400
    assert _form_errors(response) == ["The file has 60 columns; the limit is 50."]


def test_ragged_rows_are_read_with_missing_cells_empty_and_extra_cells_ignored(admin):
    data = ("Название,Этап,Сумма\nКороткая,Переговоры\nДлинная,Переговоры,5,лишнее,ещё\n").encode()
    job = services.import_job_create(user=admin, kind="deals", file_name="r.csv", data=data)
    report = services.import_check(job=job)
    assert (report["valid"], report["invalid"]) == (2, 0)
    services.import_job_start(job=job, user=admin, valid_only=False, on_match="update")
    assert sorted(Deal.objects.values_list("title", "amount")) == [
        ("Длинная", 5),
        ("Короткая", 0),
    ]


def test_a_binary_or_mis_encoded_file_gets_a_clear_message(client, admin):
    client.force_login(admin)
    response = _upload(client, b"\x00\x01\x02binary\xff\xfe" * 100, "junk.csv")
    assert response.status_code == 400
    assert _form_errors(response) == ["The file could not be read as CSV or XLSX."]
    assert not ImportJob.objects.exists()
