from django.contrib import admin

from voronka.core.admin_base import ReadOnlyAdmin

from .models import BackupJob


@admin.register(BackupJob)
class BackupJobAdmin(ReadOnlyAdmin):
    """Backups are asked for on Settings → Backups and written by the worker."""

    list_display = ("created_at", "status", "tables_done", "tables_total", "size", "requested_by")
    list_filter = ("status",)
