from django.contrib import admin

from .models import BackupJob


@admin.register(BackupJob)
class BackupJobAdmin(admin.ModelAdmin):
    """Read-only: backups are asked for on Settings → Backups and written by the worker."""

    list_display = ("created_at", "status", "tables_done", "tables_total", "size", "requested_by")
    list_filter = ("status",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
