"""Backups from the page run in the background: one at a time, with progress, then a download."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import UserFactory
from voronka.backups import services
from voronka.backups.archive import backed_up_models
from voronka.backups.models import BackupJob, BackupStatus
from voronka.core.errors import NotPermitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):
    return UserFactory(role="admin", is_staff=True, is_superuser=True, department=None)


@pytest.fixture
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_asking_for_a_backup_answers_at_once_and_the_worker_writes_it(
    en, admin, django_capture_on_commit_callbacks
):
    en.force_login(admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = en.post(reverse("backups:start"))
    assert response.status_code == 302
    job = BackupJob.objects.get()
    # Nothing written in the request: the archive is the worker's job.
    assert (job.status, job.tables_done, job.archive) == (BackupStatus.QUEUED, 0, "")
    assert job.tables_total == len(backed_up_models())
    assert len(callbacks) == 1

    callbacks[0]()  # the task enqueued after commit (run inline by the test backend)
    job.refresh_from_db()
    assert job.status == BackupStatus.DONE
    assert job.tables_done == job.tables_total
    assert job.in_progress is None
    assert job.size > 0

    download = en.get(reverse("backups:download", args=[job.pk]))
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert "manifest.json" in archive.namelist()
    assert "data/accounts.user.jsonl" in archive.namelist()
    # The list of backups is not itself backed up.
    assert "data/backups.backupjob.jsonl" not in archive.namelist()


def test_a_second_backup_is_refused_while_one_is_being_made(en, admin):
    en.force_login(admin)
    services.backup_job_start(user=admin)
    with pytest.raises(services.BackupAlreadyRunning):
        services.backup_job_start(user=admin)
    response = en.post(reverse("backups:start"), follow=True)
    assert "A backup is already being made; wait for it to finish." in response.content.decode()
    assert BackupJob.objects.count() == 1


def test_the_page_polls_a_running_backup_and_shows_its_progress(en, admin):
    job = BackupJob.objects.create(
        requested_by=admin, status=BackupStatus.RUNNING, tables_total=40, tables_done=10
    )
    en.force_login(admin)
    html = en.get(reverse("backups:list")).content.decode()
    assert f'hx-get="{reverse("backups:progress", args=[job.pk])}"' in html
    assert '<progress max="100" value="25"' in html
    assert "10 of 40 tables" in html
    row = en.get(reverse("backups:progress", args=[job.pk])).content.decode()
    assert row.lstrip().startswith(f'<tr id="backup-{job.pk}"')


def test_a_backup_whose_worker_died_is_failed_and_another_can_start(admin):
    stale = BackupJob.objects.create(requested_by=admin, status=BackupStatus.RUNNING)
    BackupJob.objects.filter(pk=stale.pk).update(
        updated_at=timezone.now() - services.STALE_AFTER - timedelta(minutes=1)
    )
    job = services.backup_job_start(user=admin)
    stale.refresh_from_db()
    assert stale.status == BackupStatus.FAILED
    assert stale.error == "The worker stopped while making this backup."
    assert job.status == BackupStatus.QUEUED


def test_a_dead_workers_message_is_shown_in_the_readers_language(client, admin):
    with translation.override("ru"):  # noticed during a Russian request...
        stale = BackupJob.objects.create(requested_by=admin, status=BackupStatus.RUNNING)
        BackupJob.objects.filter(pk=stale.pk).update(
            updated_at=timezone.now() - services.STALE_AFTER - timedelta(minutes=1)
        )
        services.backup_jobs_fail_stale()
    client.force_login(admin)
    english = client.get(reverse("backups:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    russian = client.get(reverse("backups:list"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "The worker stopped while making this backup." in english  # ...read in English
    assert "Фоновый обработчик остановился, не закончив эту копию." in russian


def test_a_failing_backup_is_recorded_with_its_error(admin, monkeypatch):
    def broken_write(target, *, progress=None):
        raise OSError("disk full")

    monkeypatch.setattr(services, "backup_write", broken_write)
    job = BackupJob.objects.create(requested_by=admin)
    services.backup_job_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error, job.in_progress) == (
        BackupStatus.FAILED,
        "OSError: disk full",
        None,
    )


def test_a_job_not_ready_is_no_download(en, admin):
    job = BackupJob.objects.create(requested_by=admin)
    en.force_login(admin)
    response = en.get(reverse("backups:download", args=[job.pk]), follow=True)
    assert "This backup is not ready for download." in response.content.decode()


@pytest.mark.parametrize("role", ["head", "manager", "viewer"])
def test_only_admins_make_or_download_backups(client, admin, role):
    job = BackupJob.objects.create(requested_by=admin)
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("backups:list")).status_code == 403
    assert client.post(reverse("backups:start")).status_code == 403
    assert client.get(reverse("backups:download", args=[job.pk])).status_code == 403
    assert BackupJob.objects.count() == 1
    with pytest.raises(NotPermitted):
        services.backup_job_start(user=UserFactory(role=role))


def test_only_the_newest_archives_are_kept(admin):
    jobs = []
    for _ in range(services.ARCHIVES_KEPT + 2):
        job = BackupJob.objects.create(requested_by=admin)
        jobs.append(services.backup_job_run(job.pk))
    kept = BackupJob.objects.exclude(archive="").count()
    assert kept == services.ARCHIVES_KEPT
    oldest = BackupJob.objects.get(pk=jobs[0].pk)
    assert oldest.archive == ""
