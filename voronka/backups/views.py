"""Backups page (admins): ask for one, watch its progress, download it when ready."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from voronka.core.errors import DomainError, NotPermitted
from voronka.core.form_pages import admin_required

from . import services
from .models import BackupJob

JOBS_SHOWN = 10


@admin_required
@require_GET
def backup_list(request):
    services.backup_jobs_fail_stale()
    jobs = list(BackupJob.objects.select_related("requested_by")[:JOBS_SHOWN])
    return render(
        request,
        "backups/list.html",
        {"section": "backups", "jobs": jobs, "running": any(job.is_active for job in jobs)},
    )


@admin_required
@require_POST
def backup_start(request):
    try:
        services.backup_job_start(user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("backups:list")
    messages.success(request, _("The backup is being made; this page shows its progress."))
    return redirect("backups:list")


@admin_required
@require_GET
def backup_progress(request, pk):
    """One job's row, polled by the page while the backup runs."""
    job = get_object_or_404(BackupJob.objects.select_related("requested_by"), pk=pk)
    return render(request, "backups/_job_row.html", {"job": job})


@admin_required
@require_GET
def backup_download(request, pk):
    job = get_object_or_404(BackupJob, pk=pk)
    try:
        archive, name = services.backup_archive_open(job=job, user=request.user)
    except NotPermitted:
        raise PermissionDenied from None
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("backups:list")
    return FileResponse(archive, as_attachment=True, filename=name, content_type="application/zip")
