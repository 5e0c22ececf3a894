"""A running import can be stopped between batches; one whose worker died is shown as such and
resumes after the lines it wrote, without duplicating them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from voronka.crm.models import Company, LeadSource
from voronka.imports import running, services
from voronka.imports.models import ImportJob, ImportStatus
from voronka.imports.reading import RowReader
from voronka.pipeline.models import Deal, Stage

from .helpers import csv_bytes

HEADERS = ["ID", "Название", "Этап"]


@pytest.fixture
def admin(db, pipeline):
    return UserFactory(role="admin", username="admin")


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(running, "BATCH_SIZE", 2)


def _checked_job(admin, count=6):
    rows = [[f"J-{n}", f"Сделка {n}", "Переговоры"] for n in range(count)]
    job = services.import_job_create(
        user=admin, kind="deals", file_name="j.csv", data=csv_bytes(HEADERS, rows)
    )
    services.import_check(job=job)
    job.status = ImportStatus.QUEUED
    job.save()
    return job


def _cancel_after_first_batch(job):
    def progress(done, total):
        if done == 2:
            ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)

    return progress


def test_a_cancel_request_stops_the_import_after_the_current_batch(admin, small_batches):
    job = _checked_job(admin)
    job = running.import_run(job=job, progress=_cancel_after_first_batch(job))
    assert job.status == ImportStatus.CANCELLED
    assert job.written_lines == [[2, 3]]
    assert job.message == "Cancelled. Lines written before the stop: 2–3."
    assert sorted(Deal.objects.values_list("external_id", flat=True)) == ["J-0", "J-1"]


def test_cancelling_a_running_job_from_the_page_asks_the_worker_to_stop(client, admin):
    job = _checked_job(admin)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=timezone.now()
    )
    client.force_login(admin)
    response = client.post(reverse("imports:job_cancel", args=[job.pk]))
    assert response.url == reverse("imports:job", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.cancel_requested) == (ImportStatus.RUNNING, True)


def test_a_job_whose_worker_died_is_shown_and_resumes_after_the_written_lines(
    client, admin, small_batches, django_capture_on_commit_callbacks
):
    job = _checked_job(admin)
    running.import_run(job=job, progress=_cancel_after_first_batch(job))
    # as if the worker had been killed after the first batch, ten minutes ago
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=timezone.now() - timedelta(minutes=10),
        message="",
    )  # fmt: skip
    client.force_login(admin)
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert 'data-testid="import-stalled"' in page
    assert "Lines of the file written so far: 2–3." in page
    assert 'hx-trigger="every 1s"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:job_resume", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.processed, job.row_count) == (6, 6, 6)
    assert job.written_lines == [[2, 7]]
    assert Deal.objects.count() == 6


def test_only_a_stalled_job_can_be_resumed(admin):
    job = _checked_job(admin)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=timezone.now()
    )
    job.refresh_from_db()
    with pytest.raises(services.ImportNotReady):
        services.import_job_resume(job=job, user=admin)


def _after_first_batch(action):
    def progress(done, total):
        if done == 2:
            action()

    return progress


def test_a_worker_thought_dead_stops_when_its_job_was_rolled_back_meanwhile(admin, small_batches):
    """The worker stalls after its first batch; the user rolls the job back; when the worker
    wakes up it writes nothing more and leaves the job rolled back."""
    job = _checked_job(admin)

    def roll_back():
        ImportJob.objects.filter(pk=job.pk).update(
            heartbeat_at=timezone.now() - timedelta(minutes=10)
        )
        stalled = ImportJob.objects.get(pk=job.pk)
        services.import_job_roll_back(job=stalled, user=admin, in_background=False)

    running.import_run(job=job, progress=_after_first_batch(roll_back))
    job.refresh_from_db()
    assert job.status == ImportStatus.ROLLED_BACK
    assert job.written_lines == [[2, 3]]
    assert job.rollback_report["removed"]["deal"] == 2
    assert Deal.objects.count() == 0


def test_a_worker_thought_dead_stops_when_another_worker_resumed_its_job(admin, small_batches):
    """The job is resumed by a second worker while the first still runs: the first stops at
    its next batch and saves nothing; the second writes every line exactly once."""
    job = _checked_job(admin)
    second: list[ImportJob] = []

    def resume():
        ImportJob.objects.filter(pk=job.pk).update(
            heartbeat_at=timezone.now() - timedelta(minutes=10)
        )
        stalled = ImportJob.objects.get(pk=job.pk)
        services.import_job_resume(job=stalled, user=admin)
        second.append(running.import_run(job=ImportJob.objects.get(pk=job.pk)))

    first = running.import_run(job=job, progress=_after_first_batch(resume))
    assert first.worker_token != second[0].worker_token
    job.refresh_from_db()
    assert (job.status, job.processed, job.created_count) == (ImportStatus.DONE, 6, 6)
    assert job.written_lines == [[2, 7]]
    assert sorted(Deal.objects.values_list("external_id", flat=True)) == [
        f"J-{n}" for n in range(6)
    ]


@pytest.fixture
def counted_reads(monkeypatch):
    reads = []
    original = RowReader.read

    def read(self, line, cells):
        reads.append(line)
        return original(self, line, cells)

    monkeypatch.setattr(RowReader, "read", read)
    return reads


def test_the_file_is_read_once_when_nothing_changed_since_the_check(admin, counted_reads):
    job = _checked_job(admin)
    counted_reads.clear()
    job = running.import_run(job=job)
    assert (job.status, job.created_count, job.processed, job.row_count) == (
        ImportStatus.DONE, 6, 6, 6
    )  # fmt: skip
    assert counted_reads == [2, 3, 4, 5, 6, 7]


def test_a_change_since_the_check_makes_the_import_check_every_row_first(admin, counted_reads):
    job = _checked_job(admin)
    LeadSource.objects.create(name="Новый источник")  # harmless, but the check may be stale
    counted_reads.clear()
    job = running.import_run(job=job)
    assert (job.status, job.created_count) == (ImportStatus.DONE, 6)
    assert counted_reads == [2, 3, 4, 5, 6, 7] * 2


def test_a_row_made_invalid_since_the_check_fails_the_job_before_anything_is_written(admin):
    job = _checked_job(admin)
    Stage.objects.filter(name="Переговоры").update(name="Встреча")
    job = running.import_run(job=job)
    assert (job.status, job.failed_count, job.processed) == (ImportStatus.FAILED, 6, 0)
    assert job.errors[0]["line"] == 2
    assert Deal.objects.count() == 0


def test_invalid_rows_of_a_valid_only_import_are_counted_as_they_are_read(admin, small_batches):
    rows = [[f"J-{n}", f"Сделка {n}", "Переговоры" if n % 3 else "Нет такого"] for n in range(7)]
    job = services.import_job_create(
        user=admin, kind="deals", file_name="j.csv", data=csv_bytes(HEADERS, rows)
    )
    services.import_check(job=job)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED, valid_only=True)
    job.refresh_from_db()
    seen = []
    job = running.import_run(job=job, progress=lambda done, total: seen.append(done))
    # Lines 2, 5 and 8 are invalid; batches of two valid rows: 3–4, 6–7.
    assert seen == [3, 6]  # line 8 is counted when the job ends
    assert (job.status, job.created_count, job.failed_count, job.processed, job.row_count) == (
        ImportStatus.DONE, 4, 3, 7, 7
    )  # fmt: skip
    assert [error["line"] for error in job.errors] == [2, 5, 8]


def test_later_batches_find_the_companies_and_deals_of_earlier_ones(admin, small_batches):
    """Each batch looks its companies and deals up again: nothing is made twice."""
    headers = [*HEADERS, "Компания"]
    rows = [
        ["J-1", "Сделка 1", "Переговоры", "ООО Ромашка"],
        ["J-2", "Сделка 2", "Переговоры", "ООО Лютик"],
        ["J-3", "Сделка 3", "Переговоры", "ООО Ромашка"],
        ["J-1", "Сделка 1", "Переговоры", "ООО Ромашка"],
        ["J-4", "Сделка 4", "Переговоры", "ООО Лютик"],
    ]
    job = services.import_job_create(
        user=admin, kind="deals", file_name="j.csv", data=csv_bytes(headers, rows)
    )
    services.import_check(job=job)
    job = services.import_job_start(job=job, user=admin, valid_only=False, on_match="skip")
    assert (job.status, job.created_count, job.skipped_count) == (ImportStatus.DONE, 4, 1)
    assert sorted(Company.objects.values_list("name", flat=True)) == ["ООО Лютик", "ООО Ромашка"]
    assert sorted(Deal.objects.values_list("external_id", "company__name")) == [
        ("J-1", "ООО Ромашка"), ("J-2", "ООО Лютик"), ("J-3", "ООО Ромашка"),
        ("J-4", "ООО Лютик"),
    ]  # fmt: skip


def _traced_peak_of_import(admin, rows: int) -> int:
    import tracemalloc

    lines = [
        [f"M-{rows}-{n}", f"Сделка {n}", "Переговоры", f"ООО «Компания {n % 97}»"]
        for n in range(rows)
    ]
    job = services.import_job_create(
        user=admin, kind="deals", file_name="m.csv", data=csv_bytes([*HEADERS, "Компания"], lines)
    )
    services.import_check(job=job)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    job.refresh_from_db()
    tracemalloc.start()
    try:
        job = running.import_run(job=job)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (job.status, job.created_count) == (ImportStatus.DONE, rows)
    return peak


@pytest.mark.slow
def test_the_memory_an_import_holds_does_not_grow_with_the_file(admin, monkeypatch):
    """Rows are read as they are written, batch by batch: no parsed row outlives its batch.
    What still grows with the file is the file itself (its bytes and decoded text, about 250
    bytes a row here); holding every parsed row, as the importer once did, cost 1,300."""
    monkeypatch.setattr(running, "BATCH_SIZE", 200)
    _traced_peak_of_import(admin, 50)  # what the first import of a process allocates once
    small = _traced_peak_of_import(admin, 500)
    large = _traced_peak_of_import(admin, 4000)
    assert (large - small) / 3500 < 500, (small, large)
