"""Pipelines, stages with playbooks, deals and their append-only history.

Shaped for analytics at a million deals: the deal carries its furthest stage reached, and each
stay in a stage is a `StageVisit` row (entered, left, outcome, owner at the time), so funnel,
time-in-stage and manager effectiveness are single passes over indexed rows. The services in
`services.py` keep all of it consistent in one transaction. The history models live in
`history.py` and are imported at the end of this module.
"""

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.core.models import TimeStampedModel, import_job_index, import_job_link


class Pipeline(models.Model):
    """A named funnel («направление»). Exactly one may be the default."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_default = models.BooleanField(_("default"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_pipeline"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    """An open stage of a pipeline. Won and lost are the deal's outcomes, not stages."""

    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    name = models.CharField(_("name"), max_length=150)
    order = models.PositiveSmallIntegerField(_("order"))
    probability = models.PositiveSmallIntegerField(
        _("win probability, %"),
        validators=[MaxValueValidator(100)],
        default=10,
        help_text=_("The manager's estimate that a deal in this stage is won."),
    )
    expected_conversion = models.PositiveSmallIntegerField(
        _("expected conversion to the next stage, %"),
        validators=[MaxValueValidator(100)],
        null=True,
        blank=True,
    )
    rotting_days = models.PositiveSmallIntegerField(
        _("rotting after, days"),
        null=True,
        blank=True,
        help_text=_("A deal idle in this stage longer than this is marked as rotting."),
    )
    color = models.CharField(_("colour"), max_length=7, default="#5b8def")

    class Meta:
        ordering = ["pipeline", "order"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.UniqueConstraint(
                fields=["pipeline", "order"], name="stage_order_unique_in_pipeline"
            ),
            models.CheckConstraint(
                condition=Q(probability__lte=100), name="stage_probability_max_100"
            ),
            models.CheckConstraint(
                condition=Q(expected_conversion__isnull=True) | Q(expected_conversion__lte=100),
                name="stage_expected_conversion_max_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PlaybookStep(models.Model):
    """One thing the seller should do at a stage, in order."""

    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.CASCADE, related_name="playbook_steps"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("step"), max_length=255)
    description = models.TextField(_("how to do it"), blank=True)

    class Meta:
        ordering = ["stage", "order", "pk"]
        verbose_name = _("playbook step")
        verbose_name_plural = _("playbook steps")

    def __str__(self) -> str:
        return self.title


class DocumentKind(models.TextChoices):
    PROPOSAL = "proposal", _("Commercial proposal (КП)")
    INVOICE = "invoice", _("Invoice")
    CONTRACT = "contract", _("Contract")
    PRESENTATION = "presentation", _("Presentation")
    OTHER = "other", _("Other")


class ExitRequirementKind(models.TextChoices):
    DOCUMENT = "document", _("A document of a kind is attached")
    FIELD = "field", _("A deal field is filled in")
    PLAYBOOK = "playbook", _("Every playbook step of the stage is done")


class RequiredDealField(models.TextChoices):
    AMOUNT = "amount", _("Amount")
    COMPANY = "company", _("Company")
    CONTACT = "contacts", _("Contact")
    EXPECTED_CLOSE_DATE = "expected_close_date", _("Expected close date")
    LEAD_SOURCE = "lead_source", _("Lead source")
    LINE_ITEMS = "line_items", _("Products")


class StageExitRequirement(models.Model):
    """What must be true before a deal may leave the stage forward (or be won from it)."""

    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.CASCADE, related_name="exit_requirements"
    )
    kind = models.CharField(_("requirement"), max_length=16, choices=ExitRequirementKind.choices)
    document_kind = models.CharField(
        _("document kind"), max_length=16, choices=DocumentKind.choices, blank=True
    )
    field_name = models.CharField(
        _("field"), max_length=32, choices=RequiredDealField.choices, blank=True
    )

    class Meta:
        verbose_name = _("exit requirement")
        verbose_name_plural = _("exit requirements")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="document", field_name="") & ~Q(document_kind="")
                    | Q(kind="field", document_kind="") & ~Q(field_name="")
                    | Q(kind="playbook", document_kind="", field_name="")
                ),
                name="exit_requirement_has_its_parameter",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == ExitRequirementKind.DOCUMENT:
            return str(_("Attach: %(kind)s") % {"kind": self.get_document_kind_display()})
        if self.kind == ExitRequirementKind.FIELD:
            return str(_("Fill in: %(field)s") % {"field": self.get_field_name_display()})
        return str(_("Complete the playbook"))


class LostReason(models.Model):
    name = models.CharField(_("name"), max_length=150, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # The built-in reason for deals lost without one (imported histories); one at most.
    is_not_given = models.BooleanField(_("reason not given"), default=False, editable=False)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")
        constraints = [
            models.UniqueConstraint(
                fields=["is_not_given"],
                condition=Q(is_not_given=True),
                name="lost_reason_not_given_once",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Deal(TimeStampedModel):
    """A B2B opportunity moving through one pipeline. Change it only through the services."""

    title = models.CharField(_("title"), max_length=255)
    company = models.ForeignKey(
        "crm.Company",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deals",
    )
    contacts = models.ManyToManyField(
        "crm.Contact", verbose_name=_("contacts"), blank=True, related_name="deals"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="deals",
    )
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="deals"
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals"
    )
    # The furthest stage ever reached (by order): the funnel counts from this column.
    furthest_stage = models.ForeignKey(
        Stage, verbose_name=_("furthest stage"), on_delete=models.PROTECT, related_name="+"
    )
    stage_entered_at = models.DateTimeField(_("in stage since"), default=timezone.now)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=Decimal(0))
    # The amount when the deal was created: win probability looks at how the budget moved.
    initial_amount = models.DecimalField(
        _("initial amount"), max_digits=14, decimal_places=2, default=Decimal(0)
    )
    amount_change_count = models.PositiveIntegerField(_("amount changes"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    lead_source = models.ForeignKey(
        "crm.LeadSource",
        verbose_name=_("lead source"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deals",
    )
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("first contact"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=8, choices=DealStatus.choices, default=DealStatus.OPEN
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    lost_reason = models.ForeignKey(
        LostReason,
        verbose_name=_("lost reason"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deals",
    )
    lost_comment = models.TextField(_("why lost, in words"), blank=True)
    # Whether the company had already bought from us when this deal started (maturity).
    is_returning_customer = models.BooleanField(_("returning customer"), default=False)
    description = models.TextField(_("description"), blank=True)
    # Cached estimate from the analytics app (0..1) so the board never computes it per card.
    win_probability = models.FloatField(_("win probability"), null=True, blank=True)
    win_probability_note = models.CharField(_("why this probability"), max_length=300, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    # Values of the custom fields (voronka.customfields), keyed by the definition's code.
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Optimistic concurrency: every service write bumps it; a stale write is refused.
    version = models.PositiveIntegerField(_("version"), default=1)
    import_job = import_job_link()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(initial_amount__gte=0), name="deal_initial_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(status="lost") | Q(lost_reason__isnull=False),
                name="lost_deal_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | (~Q(status="open") & Q(closed_at__isnull=False)),
                name="closed_deal_has_close_time",
            ),
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="deal_external_id_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["pipeline", "status", "stage"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["pipeline", "furthest_stage"]),
            models.Index(fields=["lead_source"]),
            models.Index(fields=["first_contact_at"]),
            models.Index(fields=["closed_at"]),
            models.Index(fields=["expected_close_date"]),
            models.Index(fields=["status", "stage_entered_at"]),
            # The deal list's sortable columns (created_at has its own index) and the latest
            # change that keys its cached totals.
            models.Index(fields=["title"], name="deal_title_idx"),
            models.Index(fields=["amount"], name="deal_amount_idx"),
            # Sorting by status ends with the id (stable pages): (status, stage_entered_at)
            # cannot serve it, and every deal was sorted for the first page.
            models.Index(fields=["status", "id"], name="deal_status_id_idx"),
            models.Index(fields=["updated_at"], name="deal_updated_at_idx"),
            import_job_index("deal_import_job_idx"),
            # A head's or manager's visible companies read (owner, company) from the index
            # alone; a company's won-deal count and latest purchase (companies list, card).
            models.Index(fields=["owner", "company"], name="deal_owner_company_idx"),
            models.Index(fields=["company", "status", "closed_at"], name="deal_company_status_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == DealStatus.OPEN

    @property
    def days_in_stage(self) -> int:
        return self.days_in_stage_at(timezone.now())

    def days_in_stage_at(self, now: datetime) -> int:
        """Whole days in the current stage, until `now` or until the deal closed; never negative
        (imported or clock-skewed history may put the stage entry a little in the future)."""
        end = self.closed_at if self.closed_at is not None else now
        return max(0, (end - self.stage_entered_at).days)

    @property
    def is_rotting(self) -> bool:
        return (
            self.is_open
            and self.stage.rotting_days is not None
            and self.days_in_stage > self.stage.rotting_days
        )


class DealLineItem(models.Model):
    deal = models.ForeignKey(
        Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="line_items"
    )
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="line_items",
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2, default=1)
    unit_price = models.DecimalField(_("price"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["deal", "pk"]
        verbose_name = _("line item")
        verbose_name_plural = _("line items")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_item_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="line_item_price_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["product", "deal"])]

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}"

    @property
    def total(self) -> Decimal:
        return self.quantity * self.unit_price


class PlaybookStepCompletion(models.Model):
    """A playbook step done for one deal: by whom and when."""

    deal = models.ForeignKey(
        Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="playbook_completions"
    )
    step = models.ForeignKey(
        PlaybookStep, verbose_name=_("step"), on_delete=models.CASCADE, related_name="completions"
    )
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    done_at = models.DateTimeField(_("done at"), default=timezone.now)

    class Meta:
        verbose_name = _("playbook step done")
        verbose_name_plural = _("playbook steps done")
        constraints = [
            models.UniqueConstraint(
                fields=["deal", "step"], name="playbook_step_done_once_per_deal"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.step_id}"


# The append-only history and the stage visits live in history.py; imported here so Django
# registers them with this app and `from voronka.pipeline.models import StageChange` works.
from .history import (  # noqa: E402, F401
    AmountChange,
    AppendOnlyModel,
    AppendOnlyQuerySet,
    OwnerChange,
    StageChange,
    StageChangeKind,
    StageVisit,
    VisitOutcome,
)
