"""Backups made in the background: one at a time, with progress, kept as files for download.

A whole-database archive takes minutes at a real team's volume, so the page only asks for one
(`backup_job_start`); the task worker writes it (`backup_job_run`) and the page polls its
progress. The archive format is `archive.py`'s, the same as `manage.py backup_data`.
"""

import logging
import tempfile
from datetime import timedelta
from pathlib import PurePosixPath

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from voronka.accounts.models import User
from voronka.core.errors import DomainError, NotPermitted

from .archive import backed_up_models, backup_write
from .models import BackupJob, BackupStatus
from .tasks import backup_run_task

logger = logging.getLogger(__name__)

# A running backup whose progress has not moved for this long lost its worker (a restart).
STALE_AFTER = timedelta(minutes=15)
WORKER_STOPPED = gettext_noop("The worker stopped while making this backup.")
# Archives kept on disk; older ones are deleted when a new backup is ready.
ARCHIVES_KEPT = 5


class BackupAlreadyRunning(DomainError):
    code = "backup_already_running"
    status = 409
    default_message = _("A backup is already being made; wait for it to finish.")


class BackupNotReady(DomainError):
    code = "backup_not_ready"
    status = 404
    default_message = _("This backup is not ready for download.")


def backup_job_start(*, user: User) -> BackupJob:
    """Ask for a backup (admins only). Raises NotPermitted, BackupAlreadyRunning."""
    if not user.is_admin:
        raise NotPermitted(_("Only admins may make a backup."))
    backup_jobs_fail_stale()
    try:
        with transaction.atomic():
            job = BackupJob.objects.create(requested_by=user, tables_total=len(backed_up_models()))
    except IntegrityError:
        raise BackupAlreadyRunning() from None
    transaction.on_commit(lambda: backup_run_task.enqueue(job.pk))
    return job


def backup_jobs_fail_stale(now=None) -> int:
    """Mark backups whose worker died as failed, so that a new one can start."""
    now = now or timezone.now()
    return BackupJob.objects.filter(in_progress=True, updated_at__lt=now - STALE_AFTER).update(
        status=BackupStatus.FAILED,
        in_progress=None,
        # Stored untranslated and translated where shown: the reader's language, not the
        # language of whichever request happened to notice the dead worker.
        error=WORKER_STOPPED,
        finished_at=now,
    )


def backup_job_run(job_id: int) -> BackupJob | None:
    """Write the archive for a queued job, recording progress per table; runs in the worker."""
    claimed = BackupJob.objects.filter(pk=job_id, status=BackupStatus.QUEUED).update(
        status=BackupStatus.RUNNING, updated_at=timezone.now()
    )
    if not claimed:
        return None  # already run, or failed meanwhile

    def progress(label: str, rows: int) -> None:
        BackupJob.objects.filter(pk=job_id).update(
            tables_done=F("tables_done") + 1,
            rows_done=F("rows_done") + rows,
            updated_at=timezone.now(),
        )

    started = timezone.now()
    try:
        with tempfile.TemporaryFile() as archive:
            backup_write(archive, progress=progress)
            size = archive.tell()
            archive.seek(0)
            name = default_storage.save(
                f"backups/voronka-backup-{timezone.localtime(started):%Y%m%d-%H%M%S}.zip",
                File(archive),
            )
    except Exception as error:
        logger.exception("Backup %s failed", job_id)
        BackupJob.objects.filter(pk=job_id).update(
            status=BackupStatus.FAILED,
            in_progress=None,
            error=f"{type(error).__name__}: {error}"[:2000],
            finished_at=timezone.now(),
        )
        return BackupJob.objects.get(pk=job_id)
    BackupJob.objects.filter(pk=job_id).update(
        status=BackupStatus.DONE,
        in_progress=None,
        archive=name,
        size=size,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    _delete_old_archives()
    return BackupJob.objects.get(pk=job_id)


def backup_archive_open(*, job: BackupJob, user: User):
    """The ready archive as an open binary file and its download name. Admins only."""
    if not user.is_admin:
        raise NotPermitted(_("Only admins may download a backup."))
    if job.status != BackupStatus.DONE or not job.archive:
        raise BackupNotReady()
    try:
        return default_storage.open(job.archive, "rb"), PurePosixPath(job.archive).name
    except (FileNotFoundError, OSError):
        raise BackupNotReady(_("The archive file is gone; make a new backup.")) from None


def _delete_old_archives() -> None:
    old = BackupJob.objects.filter(status=BackupStatus.DONE).exclude(archive="")[ARCHIVES_KEPT:]
    for job in list(old):
        default_storage.delete(job.archive)
        BackupJob.objects.filter(pk=job.pk).update(archive="")
