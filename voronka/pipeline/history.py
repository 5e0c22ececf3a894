"""A deal's history: the append-only logs of stage, amount and owner changes, and the stage
visits (one row per stay in a stage) that analytics reads.

`StageChange`, `AmountChange` and `OwnerChange` are written once and never edited (their
queryset refuses updates and deletes); `StageVisit` is closed when the deal leaves the stage.
Only the pipeline services and the bulk writer (`bulk.py`) write them, in the deal's
transaction. `models.py` imports this module, so the models belong to the pipeline app.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.core.errors import HistoryIsAppendOnly


class AppendOnlyQuerySet(models.QuerySet):
    """History is written once: bulk inserts are fine, updates and deletes are refused."""

    def update(self, **kwargs):
        raise HistoryIsAppendOnly()

    def delete(self):
        raise HistoryIsAppendOnly()


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise HistoryIsAppendOnly()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise HistoryIsAppendOnly()


class StageChangeKind(models.TextChoices):
    CREATED = "created", _("Created")
    MOVED = "moved", _("Moved")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    REOPENED = "reopened", _("Reopened")


class StageChange(AppendOnlyModel):
    """Every change of a deal's stage or outcome, with the amount at that moment. Never edited."""

    deal = models.ForeignKey(
        "pipeline.Deal",
        verbose_name=_("deal"),
        on_delete=models.PROTECT,
        related_name="stage_changes",
    )
    kind = models.CharField(_("change"), max_length=10, choices=StageChangeKind.choices)
    from_stage = models.ForeignKey(
        "pipeline.Stage",
        verbose_name=_("from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_stage = models.ForeignKey(
        "pipeline.Stage", verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("amount at that moment"), max_digits=14, decimal_places=2)
    changed_at = models.DateTimeField(_("when"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage history")
        indexes = [
            models.Index(fields=["deal", "changed_at"]),
            models.Index(fields=["to_stage", "changed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} → {self.to_stage_id} ({self.kind})"


class VisitOutcome(models.TextChoices):
    ADVANCED = "advanced", _("Moved forward")
    RETURNED = "returned", _("Moved back")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class StageVisit(models.Model):
    """One stay of a deal in a stage: the row analytics reads for time in stage and conversion.

    Maintained by the services beside the append-only `StageChange` log; an open visit has no
    `left_at`. The owner is the seller who held the deal during the stay.
    """

    deal = models.ForeignKey(
        "pipeline.Deal", verbose_name=_("deal"), on_delete=models.PROTECT, related_name="visits"
    )
    pipeline = models.ForeignKey(
        "pipeline.Pipeline", verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.ForeignKey(
        "pipeline.Stage", verbose_name=_("stage"), on_delete=models.PROTECT, related_name="visits"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered"))
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=VisitOutcome.choices, blank=True
    )

    class Meta:
        ordering = ["entered_at", "pk"]
        verbose_name = _("stage visit")
        verbose_name_plural = _("stage visits")
        constraints = [
            models.CheckConstraint(
                condition=Q(left_at__isnull=True, outcome="")
                | Q(left_at__isnull=False) & ~Q(outcome=""),
                name="closed_visit_has_outcome",
            ),
        ]
        indexes = [
            models.Index(fields=["pipeline", "stage", "entered_at"]),
            models.Index(fields=["deal", "entered_at"]),
            models.Index(fields=["owner", "stage"]),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id} @ {self.stage_id}"


class AmountChange(AppendOnlyModel):
    """Every change of a deal's amount (budget), with the stage it happened at. Never edited."""

    deal = models.ForeignKey(
        "pipeline.Deal",
        verbose_name=_("deal"),
        on_delete=models.PROTECT,
        related_name="amount_changes",
    )
    stage = models.ForeignKey(
        "pipeline.Stage", verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+"
    )
    old_amount = models.DecimalField(_("old amount"), max_digits=14, decimal_places=2)
    new_amount = models.DecimalField(_("new amount"), max_digits=14, decimal_places=2)
    changed_at = models.DateTimeField(_("when"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("amount change")
        verbose_name_plural = _("amount history")
        indexes = [models.Index(fields=["deal", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.old_amount} → {self.new_amount}"


class OwnerChange(AppendOnlyModel):
    """Every reassignment of a deal, so effectiveness and load can be traced. Never edited."""

    deal = models.ForeignKey(
        "pipeline.Deal",
        verbose_name=_("deal"),
        on_delete=models.PROTECT,
        related_name="owner_changes",
    )
    stage = models.ForeignKey(
        "pipeline.Stage", verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+"
    )
    old_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("from"), on_delete=models.PROTECT, related_name="+"
    )
    new_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("when"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("owner change")
        verbose_name_plural = _("owner history")
        indexes = [models.Index(fields=["deal", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.old_owner_id} → {self.new_owner_id}"
