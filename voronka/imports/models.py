"""Import jobs (one uploaded file on its way through the wizard) and remembered column mappings."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    DEALS = "deals", _("Deals")
    COMPANIES = "companies", _("Companies")
    CONTACTS = "contacts", _("Contacts")
    PRODUCTS = "products", _("Products")
    USERS = "users", _("Users")  # admins only; see voronka/imports/users.py


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Checked")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    ROLLING_BACK = "reverting", _("Rolling back")
    ROLLED_BACK = "reverted", _("Rolled back")


class OnMatch(models.TextChoices):
    UPDATE = "update", _("Update the existing record")
    SKIP = "skip", _("Skip the row")


class ImportJob(models.Model):
    """One uploaded file: its mapping, the dry-run report, progress and the outcome.

    The file's bytes live in the row so a task worker on another machine can read them.
    """

    kind = models.CharField(_("what"), max_length=12, choices=ImportKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("file content"))
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=2, blank=True)
    headers = models.JSONField(_("header row"), default=list)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    # {field: column index}
    mapping = models.JSONField(_("column mapping"), default=dict)
    # {"stage": {"file value": stage id}, "owner": {...}, "lead_source": {"x": "new"|id}, ...}
    value_map = models.JSONField(_("value mapping"), default=dict)
    on_match = models.CharField(
        _("when a row matches an existing record"),
        max_length=8,
        choices=OnMatch.choices,
        default=OnMatch.UPDATE,
    )
    valid_only = models.BooleanField(_("import valid rows only"), default=False)
    # Dry run: {"valid": n, "invalid": n, "errors": [{"line", "column", "message"}], "preview": []}
    report = models.JSONField(_("check report"), default=dict, blank=True)
    processed = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    # Errors found while importing: [{"line", "column", "message"}]
    errors = models.JSONField(_("errors"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    # Wizard choices that are not column or value mappings, e.g. the stage a closed deal
    # ended at when the file does not say: {"won_stage": "last", "lost_stage": "first"}.
    options = models.JSONField(_("options"), default=dict, blank=True)
    # The worker touches this between batches; a running job without a recent one has died.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    # Set by the worker that runs the job; a worker whose token is gone (the job was resumed
    # by another, rolled back or cancelled as stalled) stops without touching the job.
    worker_token = models.CharField(_("worker token"), max_length=32, blank=True, editable=False)
    # Lines of the file already written (committed), as [first, last] ranges: what a resumed
    # job skips and what the page reports after a worker died.
    written_lines = models.JSONField(_("lines written"), default=list, blank=True)
    # Records this job created that have no `import_job` column, {"user": [pk, …],
    # "department": […], "lead_source": […], "lost_reason": […], "product": […], "direction":
    # […]}: the reference records a deals file needs, made before writing rows, and the rows a
    # products or users file creates, recorded in each batch's transaction. Rolling back
    # removes those still unused. Deals, companies and contacts point to their job instead.
    created_records = models.JSONField(_("records created"), default=dict, blank=True)
    # What rolling back removed and kept, per kind: {"removed": {"deal": n, …}, "kept": {…}}.
    rollback_report = models.JSONField(_("rollback report"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.file_name}"

    @property
    def percent(self) -> int:
        if not self.row_count:
            return 100 if self.status == ImportStatus.DONE else 0
        return min(100, round(100 * self.processed / self.row_count))

    @property
    def is_running(self) -> bool:
        if self.status == ImportStatus.ROLLING_BACK:
            return not self.is_silent
        return self.status in {ImportStatus.QUEUED, ImportStatus.RUNNING} and not self.is_stalled

    @property
    def is_stalled(self) -> bool:
        """Running, but its worker has given no sign of life for IMPORT_STALLED_MINUTES: it
        died (a restart, a killed process). Such a job can be resumed or cancelled."""
        return self.status == ImportStatus.RUNNING and self.is_silent

    @property
    def is_silent(self) -> bool:
        """No sign of life from a worker for IMPORT_STALLED_MINUTES."""
        if self.heartbeat_at is None:
            return False
        minutes = getattr(settings, "IMPORT_STALLED_MINUTES", 5)
        return timezone.now() - self.heartbeat_at > timedelta(minutes=minutes)

    @property
    def written_lines_text(self) -> str:
        """The lines written so far, as «2–1001, 1003»."""
        return ", ".join(
            f"{first}–{last}" if first != last else str(first) for first, last in self.written_lines
        )


class ImportMapping(models.Model):
    """The column mapping last used for a header row, offered again for the next such file."""

    kind = models.CharField(_("what"), max_length=12, choices=ImportKind.choices)
    header_hash = models.CharField(_("header row hash"), max_length=64)
    headers = models.JSONField(_("header row"), default=list)
    mapping = models.JSONField(_("column mapping"), default=dict)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("remembered column mapping")
        verbose_name_plural = _("remembered column mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "header_hash"], name="import_mapping_once_per_header_row"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {', '.join(self.headers)[:80]}"
