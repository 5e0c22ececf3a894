"""The import wizard's pages, the exports and the backup download: roles, steps, bad uploads."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from tests.factories import DepartmentFactory, LeadSourceFactory, UserFactory, make_deal
from voronka.imports.models import ImportJob, ImportMapping, ImportStatus
from voronka.pipeline.models import Deal

from .helpers import csv_bytes, xlsx_bytes

OWN_HEADERS = ["Сделка №", "Что продаём", "Деньги", "Фаза", "Кто ведёт", "Откуда"]
OWN_ROWS = [
    ["A-1", "Станки для завода", "120000", "Выставление КП", "ivanov", "Сайт"],
    ["A-2", "Сервис", "30 000,50", "Торг", "ivanov", "Сайт"],
]


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def admin(db, pipeline):
    LeadSourceFactory(name="Сайт")
    return UserFactory(role="admin", username="boss")


@pytest.fixture
def seller(db):
    return UserFactory(username="ivanov", first_name="Иван", last_name="Иванов")


def _upload(client, data: bytes, name: str = "deals.csv", kind: str = "deals"):
    return client.post(
        reverse("imports:start"), {"kind": kind, "file": SimpleUploadedFile(name, data)}
    )


def test_managers_and_viewers_get_403_on_every_import_page(client, admin):
    job_pk = ImportJob.objects.create(
        kind="deals", created_by=admin, file_name="x.csv", content=b""
    ).pk
    for role in ("manager", "viewer"):
        client.force_login(UserFactory(role=role))
        for url in (
            reverse("imports:start"),
            reverse("imports:columns", args=[job_pk]),
            reverse("imports:check", args=[job_pk]),
            reverse("imports:job", args=[job_pk]),
            reverse("imports:export", args=["deals", "csv"]),
            reverse("backups:list"),
        ):
            assert client.get(url).status_code == 403, (role, url)


def test_a_head_sees_only_own_import_jobs_and_cannot_download_a_backup(client, admin):
    job = ImportJob.objects.create(kind="deals", created_by=admin, file_name="x.csv", content=b"")
    head = UserFactory(role="head")
    client.force_login(head)
    assert client.get(reverse("imports:start")).status_code == 200
    assert client.get(reverse("imports:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("imports:columns", args=[job.pk])).status_code == 404
    assert client.get(reverse("backups:list")).status_code == 403


@pytest.mark.parametrize(
    "name,data,status,message",
    [
        ("photo.png", b"\x89PNG\r\n\x1a\nbinary", 400, "Upload a CSV or XLSX file."),
        ("empty.csv", b"", 400, "The submitted file is empty."),
        ("blank.csv", b"\n\n  \n", 400, "The file is empty."),
        ("header.csv", "Название;Сумма\n".encode(), 400, "The file has no rows below the header row."),
        ("broken.xlsx", b"PK\x03\x04not really a zip", 400, "The XLSX file could not be opened."),
    ],
)  # fmt: skip
def test_bad_uploads_get_a_clear_4xx_message(client, admin, name, data, status, message):
    client.force_login(admin)
    response = _upload(client, data, name=name)
    assert response.status_code == status
    assert message in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_a_too_large_file_gets_413(client, admin, settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    client.force_login(admin)
    response = _upload(client, b"a,b\n" + b"1,2\n" * 300_000)
    assert response.status_code == 413
    assert "The file is 1.1 MB; the limit is 1 MB." in response.content.decode()


def test_the_wizard_maps_own_columns_and_values_checks_and_imports(client, admin, seller, stages):
    client.force_login(admin)
    response = _upload(client, csv_bytes(OWN_HEADERS, OWN_ROWS, delimiter=";", encoding="cp1251"))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("imports:columns", args=[job.pk])

    page = client.get(response.url)
    assert page.status_code == 200
    assert "Станки для завода" in page.content.decode()  # samples beside each column
    # Nothing required is mapped yet for these headers → a clear form error.
    bad = client.post(response.url, {"title": "", "stage": "3"})
    assert bad.status_code == 400
    assert "Choose a column for: Deal title." in bad.content.decode()

    mapping = {"external_id": "0", "title": "1", "amount": "2", "stage": "3", "owner": "4",
               "lead_source": "5"}  # fmt: skip
    response = client.post(reverse("imports:columns", args=[job.pk]), mapping)
    assert response.url == reverse("imports:values", args=[job.pk])
    page = client.get(response.url)
    assert "Торг" in page.content.decode()
    response = client.post(response.url, {"stage-0": str(stages[1].pk)})
    assert response.url == reverse("imports:check", args=[job.pk])

    page = client.get(response.url)
    assert page.status_code == 200
    assert page.context["report"]["valid"] == 2
    assert page.context["report"]["invalid"] == 0
    assert [row["cells"][:3] for row in page.context["report"]["preview"]] == [
        ["A-1", "Станки для завода", "120 000.00"],
        ["A-2", "Сервис", "30 000.50"],
    ]
    response = client.post(response.url, {"on_match": "update"})
    assert response.url == reverse("imports:job", args=[job.pk])
    page = client.get(response.url)
    assert page.context["job"].status == ImportStatus.DONE
    assert page.context["job"].created_count == 2
    assert sorted(Deal.objects.values_list("external_id", "stage__name")) == [
        ("A-1", "Выставление КП"),
        ("A-2", "Переговоры"),
    ]
    # The mapping is remembered: the next file with these headers starts mapped.
    assert ImportMapping.objects.get().mapping == {key: int(v) for key, v in mapping.items()}
    _upload(client, csv_bytes(OWN_HEADERS, OWN_ROWS[:1]))
    assert ImportJob.objects.first().mapping == ImportMapping.objects.get().mapping


def test_broken_rows_are_reported_and_imported_only_with_consent(client, admin, seller):
    client.force_login(admin)
    rows = [*OWN_ROWS, ["A-3", "", "10", "Переговоры", "ivanov", "Сайт"],
            ["A-4", "Дорогая", "много", "Переговоры", "ivanov", "Сайт"]]  # fmt: skip
    rows[1][3] = "Переговоры"
    _upload(client, xlsx_bytes(OWN_HEADERS, rows), name="deals.xlsx")
    job = ImportJob.objects.get()
    mapping = {"external_id": "0", "title": "1", "amount": "2", "stage": "3", "owner": "4",
               "lead_source": "5"}  # fmt: skip
    response = client.post(reverse("imports:columns", args=[job.pk]), mapping)
    assert response.url == reverse("imports:check", args=[job.pk])
    page = client.get(response.url)
    assert page.context["report"]["errors"] == [
        {"line": 4, "column": "Что продаём", "message": "Required."},
        {"line": 5, "column": "Деньги", "message": "«много» is not a number."},
    ]
    assert "«много» is not a number." in page.content.decode()
    refused = client.post(response.url, {"on_match": "update"})
    assert refused.status_code == 400
    assert "Some rows have errors." in refused.content.decode()
    assert Deal.objects.count() == 0

    errors = client.get(reverse("imports:job_errors", args=[job.pk]) + "?format=csv")
    lines = list(
        csv.reader(
            io.StringIO(b"".join(errors.streaming_content).decode("utf-8-sig")), delimiter=";"
        )
    )
    assert lines == [["Line", "Column", "Problem"], ["4", "Что продаём", "Required."],
                     ["5", "Деньги", "«много» is not a number."]]  # fmt: skip

    client.post(response.url, {"on_match": "update", "valid_only": "on"})
    job.refresh_from_db()
    assert (job.status, job.created_count, job.failed_count) == ("done", 2, 2)
    assert Deal.objects.count() == 2


def test_progress_partial_polls_while_running_and_stops_when_done(client, admin):
    job = ImportJob.objects.create(
        kind="deals", created_by=admin, file_name="big.csv", content=b"",
        status=ImportStatus.RUNNING, row_count=200, processed=50,
    )  # fmt: skip
    client.force_login(admin)
    url = reverse("imports:job", args=[job.pk])
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in partial
    assert 'aria-valuenow="25"' in partial
    assert "<html" not in partial
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE, processed=200)
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in partial
    assert 'aria-valuenow="100"' in partial


def test_a_large_upload_is_imported_by_the_task_worker(
    client, admin, seller, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_BACKGROUND_ROWS = 1
    settings.IMPORT_INLINE_BYTES = 1
    client.force_login(admin)
    rows = [[f"B-{n}", f"Сделка {n}", "100", "Переговоры", "ivanov", "Сайт"] for n in range(5)]
    _upload(client, csv_bytes(OWN_HEADERS, rows))
    job = ImportJob.objects.get()
    mapping = {"external_id": "0", "title": "1", "amount": "2", "stage": "3", "owner": "4",
               "lead_source": "5"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("imports:columns", args=[job.pk]), mapping)
    check_url = reverse("imports:check", args=[job.pk])
    page = client.get(check_url).content.decode()
    assert 'data-testid="import-checking"' in page and 'hx-trigger="every 1s"' in page
    assert (
        'data-testid="import-checking"'
        in client.get(check_url, headers={"HX-Request": "true"}).content.decode()
    )
    for callback in callbacks:  # the task worker checks the file
        callback()
    polled = client.get(check_url, headers={"HX-Request": "true"})
    assert (polled.status_code, polled["HX-Redirect"]) == (204, check_url)
    assert client.get(check_url).context["report"]["valid"] == 5
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("imports:check", args=[job.pk]), {"on_match": "update"})
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED and Deal.objects.count() == 0
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert (job.status, job.created_count) == (ImportStatus.DONE, 5)


def test_exports_give_every_visible_row_with_constant_queries(
    client, db, pipeline, django_assert_max_num_queries
):
    department = DepartmentFactory()
    head = UserFactory(role="head", department=department)
    mine = UserFactory(department=department, username="mine")
    other = UserFactory(username="other")
    make_deal(owner=mine, title="Своя сделка")
    make_deal(owner=other, title="Чужая сделка")
    client.force_login(head)

    def exported(entity):
        response = client.get(reverse("imports:export", args=[entity, "csv"]))
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text), delimiter=";"))

    rows = exported("deals")
    assert rows[0][:3] == ["Id", "External id", "Deal title"]
    assert [row[2] for row in rows[1:]] == ["Своя сделка"]
    # PostgreSQL adds the query time limit's SET and reset, once for the request and once more
    # around the streamed body: four statements that SQLite's progress handler does not need.
    limit = 6 + (4 if connection.vendor == "postgresql" else 0)
    for entity in ("deals", "companies", "contacts", "activities", "stage_history", "users"):
        with django_assert_max_num_queries(limit):
            exported(entity)
    for _ in range(20):
        make_deal(owner=mine)
    for entity in ("deals", "companies", "contacts", "activities", "stage_history", "users"):
        with django_assert_max_num_queries(limit):
            exported(entity)
    assert len(exported("deals")) == 22
    xlsx = client.get(reverse("imports:export", args=["products", "xlsx"]))
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert client.get(reverse("imports:export", args=["secrets", "csv"])).status_code == 404
    assert client.get(reverse("imports:export", args=["deals", "pdf"])).status_code == 404


def test_the_start_page_costs_the_same_queries_with_many_jobs(
    client, admin, django_assert_max_num_queries
):
    client.force_login(admin)
    ImportJob.objects.create(kind="deals", created_by=admin, file_name="a.csv", content=b"")
    with django_assert_max_num_queries(8):
        assert client.get(reverse("imports:start")).status_code == 200
    for number in range(15):
        ImportJob.objects.create(
            kind="deals", created_by=admin, file_name=f"{number}.csv", content=b""
        )
    with django_assert_max_num_queries(8):
        assert client.get(reverse("imports:start")).status_code == 200
