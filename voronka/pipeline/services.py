"""Every change of a deal goes through these functions: web pages, API, importer and admin alike.

Each service runs in one transaction, writes the append-only history (`StageChange`,
`AmountChange`, `OwnerChange`), keeps the analytics columns (`furthest_stage`, `StageVisit`)
in step, and bumps the deal's `version`. A write based on a stale version raises `StaleVersion`.
Pass `at=` to record a past moment (imports, demo data); it defaults to now.
"""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, ExpressionWrapper, F, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.core import events, hooks
from voronka.core.errors import (
    DealClosed,
    DealNotClosed,
    DomainError,
    LostReasonRequired,
    StageNotInPipeline,
    StaleVersion,
)
from voronka.customfields.services import custom_values_clean

from .deal_rules import (  # the errors and MAX_AMOUNT are imported from here by callers
    MAX_AMOUNT,
    AmountTooLarge,
    LostReasonArchived,
    NoDefaultPipeline,
    ProductInactive,
    check_amount,
    check_owner,
    require_exit_requirements,
    unmet_exit_requirements,  # noqa: F401
)
from .models import (
    AmountChange,
    Deal,
    DealLineItem,
    DealStatus,
    LostReason,
    OwnerChange,
    Pipeline,
    PlaybookStep,
    PlaybookStepCompletion,
    Stage,
    StageChange,
    StageChangeKind,
    StageVisit,
    VisitOutcome,
)

# Every deal service runs the `deal_write` hooks (analytics' summary upkeep) in its transaction.
runs_deal_hooks = hooks.around_write(hooks.deal_write, model=Deal, argument="deal")

# Fields a user may edit directly; stage, amount, owner and status have their own services.
EDITABLE_DEAL_FIELDS = frozenset(
    {
        "title",
        "company",
        "lead_source",
        "expected_close_date",
        "description",
        "currency",
        "first_contact_at",
        "external_id",
        "custom_fields",
    }
)


def _require_version(deal: Deal, expected_version: int | None, *, in_database: bool = False):
    """StaleVersion unless the caller saw the deal's current version (None: no check).

    Services call it first, so a stale write is a conflict even when it would change nothing
    or break another rule. `in_database` also asks the database: a change that turns out to be
    a no-op writes nothing, so no UPDATE would notice a concurrent commit.
    """
    if expected_version is None:
        return
    if expected_version != deal.version or (
        in_database and not Deal.objects.filter(pk=deal.pk, version=expected_version).exists()
    ):
        raise StaleVersion()


def _write_deal(deal: Deal, expected_version: int | None, **fields) -> None:
    """Save fields only if nobody changed the deal since `expected_version` (optimistic lock)."""
    version = deal.version if expected_version is None else expected_version
    fields["updated_at"] = timezone.now()
    updated = Deal.objects.filter(pk=deal.pk, version=version).update(version=version + 1, **fields)
    if not updated:
        raise StaleVersion()
    for name, value in fields.items():
        setattr(deal, name, value)
    deal.version = version + 1


def _event_payload(deal: Deal, **extra) -> dict:
    return {
        "deal_id": deal.pk,
        "title": deal.title,
        "pipeline_id": deal.pipeline_id,
        "stage_id": deal.stage_id,
        "status": deal.status,
        "amount": str(deal.amount),
        "owner_id": deal.owner_id,
        **extra,
    }


def _close_open_visit(deal: Deal, *, at: datetime, outcome: str) -> None:
    StageVisit.objects.filter(deal=deal, left_at__isnull=True).update(left_at=at, outcome=outcome)


def _open_visit(deal: Deal, *, stage: Stage, at: datetime) -> None:
    StageVisit.objects.create(
        deal=deal, pipeline_id=stage.pipeline_id, stage=stage, owner_id=deal.owner_id, entered_at=at
    )


def _first_stage(pipeline: Pipeline) -> Stage:
    stage = pipeline.stages.order_by("order").first()
    if stage is None:
        raise DomainError(f"Pipeline «{pipeline}» has no stages.", field="pipeline")
    return stage


@transaction.atomic
@runs_deal_hooks
def deal_create(
    *,
    title: str,
    owner: User,
    created_by: User | None = None,
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    company=None,
    contacts: Iterable = (),
    amount: Decimal = Decimal(0),
    currency: str = "",
    lead_source=None,
    expected_close_date: date | None = None,
    first_contact_at: datetime | None = None,
    description: str = "",
    external_id: str = "",
    custom_fields: dict | None = None,
    at: datetime | None = None,
) -> Deal:
    """Create an open deal and record its first contact and initial stage in history.

    Without a pipeline or stage the default pipeline is used (NoDefaultPipeline if none).
    Raises StageNotInPipeline, InvalidOwner, InvalidAmount, AmountTooLarge, NoDefaultPipeline.
    """
    from voronka.core.models import Organisation

    at = at or timezone.now()
    check_owner(owner)
    amount = check_amount(amount)
    if pipeline is None and stage is not None:
        pipeline = stage.pipeline
    if pipeline is None:
        pipeline = Pipeline.objects.filter(is_default=True).first()
        if pipeline is None:
            raise NoDefaultPipeline(field="pipeline")
    if stage is None:
        stage = _first_stage(pipeline)
    if stage.pipeline_id != pipeline.pk:
        raise StageNotInPipeline(field="stage")
    is_returning = bool(
        company
        and Deal.objects.filter(company=company, status=DealStatus.WON, closed_at__lte=at).exists()
    )
    deal = Deal.objects.create(
        title=title,
        owner=owner,
        created_by=created_by,
        pipeline=pipeline,
        stage=stage,
        furthest_stage=stage,
        stage_entered_at=at,
        company=company,
        amount=amount,
        initial_amount=amount,
        currency=currency or Organisation.current().currency,
        lead_source=lead_source,
        expected_close_date=expected_close_date,
        first_contact_at=first_contact_at or at,
        description=description,
        external_id=external_id,
        custom_fields=custom_values_clean(entity="deal", values=custom_fields or {}),
        is_returning_customer=is_returning,
        created_at=at,
    )
    if contacts:
        deal.contacts.set(contacts)
    StageChange.objects.create(
        deal=deal,
        kind=StageChangeKind.CREATED,
        to_stage=stage,
        amount=amount,
        changed_at=at,
        changed_by=created_by,
    )
    _open_visit(deal, stage=stage, at=at)
    events.publish(events.DEAL_CREATED, _event_payload(deal))
    return deal


@transaction.atomic
@runs_deal_hooks
def deal_move_stage(
    *,
    deal: Deal,
    stage: Stage,
    user: User | None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Deal:
    """Move an open deal to another stage of its pipeline.

    Moving forward requires the current stage's exit requirements; moving back does not.
    Raises DealClosed, StageNotInPipeline, StageExitRequirementMissing, StaleVersion.
    """
    at = at or timezone.now()
    _require_version(deal, expected_version)
    if not deal.is_open:
        raise DealClosed()
    if stage.pipeline_id != deal.pipeline_id:
        raise StageNotInPipeline(field="stage")
    current = deal.stage
    if stage.pk == current.pk:
        _require_version(deal, expected_version, in_database=True)
        return deal
    forward = stage.order > current.order
    if forward:
        require_exit_requirements(deal)
    fields = {"stage": stage, "stage_entered_at": at}
    if stage.order > deal.furthest_stage.order:
        fields["furthest_stage"] = stage
    _write_deal(deal, expected_version, **fields)
    StageChange.objects.create(
        deal=deal,
        kind=StageChangeKind.MOVED,
        from_stage=current,
        to_stage=stage,
        amount=deal.amount,
        changed_at=at,
        changed_by=user,
    )
    _close_open_visit(
        deal, at=at, outcome=VisitOutcome.ADVANCED if forward else VisitOutcome.RETURNED
    )
    _open_visit(deal, stage=stage, at=at)
    events.publish(
        events.DEAL_STAGE_CHANGED, _event_payload(deal, from_stage_id=current.pk, forward=forward)
    )
    return deal


@transaction.atomic
@runs_deal_hooks
def deal_change_amount(
    *,
    deal: Deal,
    amount: Decimal,
    user: User | None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Deal:
    """Change the deal's amount (budget) and record it with the current stage.

    Raises InvalidAmount, StaleVersion.
    """
    at = at or timezone.now()
    _require_version(deal, expected_version)
    amount = check_amount(amount)
    old_amount = deal.amount
    if amount == old_amount:
        _require_version(deal, expected_version, in_database=True)
        return deal
    _write_deal(
        deal, expected_version, amount=amount, amount_change_count=deal.amount_change_count + 1
    )
    AmountChange.objects.create(
        deal=deal,
        stage_id=deal.stage_id,
        old_amount=old_amount,
        new_amount=amount,
        changed_at=at,
        changed_by=user,
    )
    events.publish(events.DEAL_AMOUNT_CHANGED, _event_payload(deal))
    return deal


@transaction.atomic
@runs_deal_hooks
def deal_win(
    *,
    deal: Deal,
    user: User | None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Deal:
    """Mark an open deal won. The current stage's exit requirements must be met.

    A won deal counts as having passed every stage of its pipeline.
    Raises DealClosed, StageExitRequirementMissing, StaleVersion.
    """
    at = at or timezone.now()
    _require_version(deal, expected_version)
    if not deal.is_open:
        raise DealClosed()
    require_exit_requirements(deal)
    last_stage = deal.pipeline.stages.order_by("-order").first()
    _write_deal(
        deal, expected_version, status=DealStatus.WON, closed_at=at, furthest_stage=last_stage
    )
    StageChange.objects.create(
        deal=deal,
        kind=StageChangeKind.WON,
        from_stage_id=deal.stage_id,
        to_stage_id=deal.stage_id,
        amount=deal.amount,
        changed_at=at,
        changed_by=user,
    )
    _close_open_visit(deal, at=at, outcome=VisitOutcome.WON)
    events.publish(events.DEAL_WON, _event_payload(deal))
    return deal


@transaction.atomic
@runs_deal_hooks
def deal_lose(
    *,
    deal: Deal,
    user: User | None,
    reason: LostReason | None,
    comment: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Deal:
    """Mark an open deal lost. A reason is required, and an active one for a loss recorded now;
    a past loss (`at=`: imports, dated API calls) may name a reason archived since.

    Raises LostReasonRequired, LostReasonArchived, DealClosed, StaleVersion.
    """
    recorded_now = at is None
    at = at or timezone.now()
    _require_version(deal, expected_version)
    if reason is None:
        raise LostReasonRequired(field="lost_reason")
    if recorded_now and not reason.is_active:
        raise LostReasonArchived(field="lost_reason")
    if not deal.is_open:
        raise DealClosed()
    _write_deal(
        deal,
        expected_version,
        status=DealStatus.LOST,
        closed_at=at,
        lost_reason=reason,
        lost_comment=comment,
    )
    StageChange.objects.create(
        deal=deal,
        kind=StageChangeKind.LOST,
        from_stage_id=deal.stage_id,
        to_stage_id=deal.stage_id,
        amount=deal.amount,
        changed_at=at,
        changed_by=user,
    )
    _close_open_visit(deal, at=at, outcome=VisitOutcome.LOST)
    events.publish(events.DEAL_LOST, _event_payload(deal, lost_reason=reason.name))
    return deal


@transaction.atomic
@runs_deal_hooks
def deal_reopen(
    *,
    deal: Deal,
    user: User | None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Deal:
    """Reopen a won or lost deal in the stage it was closed from. Raises DealNotClosed."""
    at = at or timezone.now()
    _require_version(deal, expected_version)
    if deal.is_open:
        raise DealNotClosed()
    _write_deal(
        deal,
        expected_version,
        status=DealStatus.OPEN,
        closed_at=None,
        lost_reason=None,
        lost_comment="",
        stage_entered_at=at,
    )
    StageChange.objects.create(
        deal=deal,
        kind=StageChangeKind.REOPENED,
        from_stage_id=deal.stage_id,
        to_stage_id=deal.stage_id,
        amount=deal.amount,
        changed_at=at,
        changed_by=user,
    )
    _open_visit(deal, stage=deal.stage, at=at)
    events.publish(events.DEAL_REOPENED, _event_payload(deal))
    return deal


@transaction.atomic
@runs_deal_hooks
def deal_reassign(
    *,
    deal: Deal,
    new_owner: User,
    user: User | None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Deal:
    """Give the deal to another seller and record it.

    The open stage visit passes to the new owner: whoever finishes the stage owns its outcome.
    Raises InvalidOwner, StaleVersion.
    """
    at = at or timezone.now()
    _require_version(deal, expected_version)
    check_owner(new_owner)
    old_owner_id = deal.owner_id
    if new_owner.pk == old_owner_id:
        _require_version(deal, expected_version, in_database=True)
        return deal
    _write_deal(deal, expected_version, owner=new_owner)
    OwnerChange.objects.create(
        deal=deal,
        stage_id=deal.stage_id,
        old_owner_id=old_owner_id,
        new_owner=new_owner,
        changed_at=at,
        changed_by=user,
    )
    StageVisit.objects.filter(deal=deal, left_at__isnull=True).update(owner=new_owner)
    return deal


@transaction.atomic
@runs_deal_hooks
def deal_update(
    *, deal: Deal, user: User | None, expected_version: int | None = None, contacts=None, **fields
) -> Deal:
    """Edit the deal's plain fields (title, company, source, dates…). Raises StaleVersion."""
    unknown = set(fields) - EDITABLE_DEAL_FIELDS
    if unknown:
        raise DomainError(f"These fields have their own actions: {', '.join(sorted(unknown))}")
    _require_version(deal, expected_version)
    if "custom_fields" in fields:  # checked by kind; keys not sent keep their values
        fields["custom_fields"] = custom_values_clean(
            entity="deal", values=fields["custom_fields"], current=deal.custom_fields
        )
    _write_deal(deal, expected_version, **fields)
    if contacts is not None:
        deal.contacts.set(contacts)
    return deal


def _recompute_amount_from_line_items(deal: Deal, user: User | None) -> Deal:
    deal.refresh_from_db(fields=["amount", "version", "amount_change_count"])
    line_total = ExpressionWrapper(
        F("quantity") * F("unit_price"), output_field=DecimalField(max_digits=20, decimal_places=2)
    )
    total = deal.line_items.aggregate(total=Sum(line_total))["total"] or Decimal(0)
    return deal_change_amount(deal=deal, amount=total, user=user)


def _check_line_total(deal: Deal, *, quantity: Decimal, unit_price: Decimal, exclude=None) -> None:
    """The deal's amount becomes the sum of its lines, so that sum must stay under MAX_AMOUNT."""
    others = deal.line_items.all()
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    line_total = ExpressionWrapper(
        F("quantity") * F("unit_price"), output_field=DecimalField(max_digits=20, decimal_places=2)
    )
    total = others.aggregate(total=Sum(line_total))["total"] or Decimal(0)
    if total + Decimal(quantity) * Decimal(unit_price) >= MAX_AMOUNT:
        raise AmountTooLarge(field="quantity")


@transaction.atomic
def line_item_add(
    *, deal: Deal, product, quantity: Decimal, unit_price: Decimal | None, user: User | None
) -> DealLineItem:
    """Add an active product to the deal; the deal's amount becomes the sum of its line items.

    Raises ProductInactive, DomainError (quantity not positive), InvalidAmount, AmountTooLarge.
    """
    if not product.is_active:
        raise ProductInactive(field="product")
    if Decimal(quantity) <= 0:
        raise DomainError(_("The quantity must be positive."), field="quantity")
    price = check_amount(product.price if unit_price is None else unit_price, field="unit_price")
    _check_line_total(deal, quantity=quantity, unit_price=price)
    item = DealLineItem.objects.create(
        deal=deal, product=product, quantity=quantity, unit_price=price
    )
    _recompute_amount_from_line_items(deal, user)
    return item


@transaction.atomic
def line_item_update(
    *, item: DealLineItem, quantity: Decimal, unit_price: Decimal, user: User | None
) -> DealLineItem:
    if Decimal(quantity) <= 0:
        raise DomainError(_("The quantity must be positive."), field="quantity")
    unit_price = check_amount(unit_price, field="unit_price")
    _check_line_total(item.deal, quantity=quantity, unit_price=unit_price, exclude=item)
    item.quantity = quantity
    item.unit_price = unit_price
    item.save(update_fields=["quantity", "unit_price"])
    _recompute_amount_from_line_items(item.deal, user)
    return item


@transaction.atomic
def line_item_remove(*, item: DealLineItem, user: User | None) -> None:
    deal = item.deal
    item.delete()
    _recompute_amount_from_line_items(deal, user)


def playbook_step_complete(*, deal: Deal, step: PlaybookStep, user: User) -> PlaybookStepCompletion:
    """Tick a playbook step for the deal (once; ticking again keeps the first record)."""
    if step.stage.pipeline_id != deal.pipeline_id:
        raise StageNotInPipeline(field="step")
    completion, _created = PlaybookStepCompletion.objects.get_or_create(
        deal=deal, step=step, defaults={"done_by": user}
    )
    return completion


def playbook_step_reopen(*, deal: Deal, step: PlaybookStep, user: User) -> None:
    PlaybookStepCompletion.objects.filter(deal=deal, step=step).delete()


@transaction.atomic
def stages_reorder(*, pipeline: Pipeline, stage_ids: list[int]) -> None:
    """Put the pipeline's stages in the given order (all of them, each once)."""
    current = set(pipeline.stages.values_list("pk", flat=True))
    if set(stage_ids) != current or len(stage_ids) != len(current):
        raise DomainError(_("Give every stage of the pipeline exactly once."), field="stages")
    # Two passes keep the unique (pipeline, order) constraint true at every statement.
    offset = (pipeline.stages.aggregate(top=Max("order"))["top"] or 0) + 1
    for position, stage_id in enumerate(stage_ids):
        Stage.objects.filter(pk=stage_id).update(order=offset + position)
    for position, stage_id in enumerate(stage_ids):
        Stage.objects.filter(pk=stage_id).update(order=position + 1)
