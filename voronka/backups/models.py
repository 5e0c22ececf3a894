"""A backup made in the background: the page shows its progress and links the archive when ready."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BackupStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class BackupJob(models.Model):
    # A backup of the backup list would restore links to archives of another instance.
    backup_excluded = True

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=BackupStatus.choices, default=BackupStatus.QUEUED
    )
    tables_done = models.PositiveIntegerField(_("tables written"), default=0)
    tables_total = models.PositiveIntegerField(_("tables"), default=0)
    rows_done = models.PositiveBigIntegerField(_("rows written"), default=0)
    archive = models.CharField(_("archive"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("size, bytes"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # True while queued or running, NULL after: the unique constraint lets one run at a time,
    # so two clicks (or two admins) never start overlapping backups.
    in_progress = models.BooleanField(null=True, default=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("backup")
        verbose_name_plural = _("backups")
        constraints = [
            models.UniqueConstraint(
                fields=["in_progress"],
                condition=models.Q(in_progress=True),
                name="one_backup_at_a_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == BackupStatus.DONE:
            return 100
        if not self.tables_total:
            return 0
        return min(99, round(100 * self.tables_done / self.tables_total))

    @property
    def is_active(self) -> bool:
        return self.status in (BackupStatus.QUEUED, BackupStatus.RUNNING)
