"""Bulk creation of deals that already have a past: the demo generator and the importer.

The services write one deal at a time, which is right for people and far too slow for a
million deals. This module writes the same rows the services would have written for the same
sequence of events (created, moved, amount changed, won/lost), batch by batch, so analytics
cannot tell a bulk-written deal from one worked in the browser. It is the only other writer of
history, and `tests/.../test_bulk.py` checks it against the services event by event.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from voronka.core import hooks

from .models import (
    AmountChange,
    Deal,
    DealLineItem,
    DealStatus,
    Stage,
    StageChange,
    StageChangeKind,
    StageVisit,
    VisitOutcome,
)


@dataclass
class HistoricalDeal:
    """A deal and what happened to it, in time order.

    `deal` is unsaved with its plain fields set (title, owner, pipeline, company, currency,
    lead source, initial amount in `deal.amount`…); the writer derives stage, furthest stage,
    stage_entered_at, amount, status and dates from the events.
    """

    deal: Deal
    path: Sequence[tuple[Stage, datetime]]  # stages entered, first = created
    outcome: str = DealStatus.OPEN
    closed_at: datetime | None = None
    lost_reason_id: int | None = None
    lost_comment: str = ""
    amount_changes: Sequence[tuple[datetime, Decimal]] = ()  # new amount at a moment
    line_items: Sequence[DealLineItem] = ()
    contact_ids: Sequence[int] = ()
    actor_id: int | None = None  # who made the changes (default: the deal's owner)
    extra: dict = field(default_factory=dict)  # free for callers (e.g. the demo's activities)


def _amount_at(initial: Decimal, changes: Sequence[tuple[datetime, Decimal]], moment: datetime):
    amount = initial
    for changed_at, new_amount in changes:
        if changed_at <= moment:
            amount = new_amount
        else:
            break
    return amount


def _stage_at(path: Sequence[tuple[Stage, datetime]], moment: datetime) -> Stage:
    current = path[0][0]
    for stage, entered_at in path:
        if entered_at <= moment:
            current = stage
        else:
            break
    return current


def _prepare(item: HistoricalDeal, last_stage_by_pipeline: dict[int, Stage]) -> None:
    deal = item.deal
    if not item.path:
        raise ValueError("A historical deal needs at least its first stage.")
    created_at = item.path[0][1]
    last_stage, last_entered = item.path[-1]
    initial = Decimal(deal.amount or 0)
    changes = sorted(item.amount_changes, key=lambda change: change[0])
    item.amount_changes = changes
    deal.initial_amount = initial
    deal.amount = changes[-1][1] if changes else initial
    deal.amount_change_count = len(changes)
    deal.stage = last_stage
    deal.stage_entered_at = last_entered
    furthest = max((stage for stage, _at in item.path), key=lambda stage: stage.order)
    if item.outcome == DealStatus.WON:
        furthest = last_stage_by_pipeline[deal.pipeline_id]
    deal.furthest_stage = furthest
    deal.status = item.outcome
    deal.closed_at = item.closed_at if item.outcome != DealStatus.OPEN else None
    deal.lost_reason_id = item.lost_reason_id if item.outcome == DealStatus.LOST else None
    deal.lost_comment = item.lost_comment if item.outcome == DealStatus.LOST else ""
    deal.created_at = created_at
    if not deal.first_contact_at or deal.first_contact_at > created_at:
        deal.first_contact_at = created_at
    if item.outcome != DealStatus.OPEN and item.closed_at is None:
        raise ValueError("A closed historical deal needs closed_at.")


def _history_rows(item: HistoricalDeal):
    deal = item.deal
    actor_id = item.actor_id or deal.owner_id
    initial = deal.initial_amount
    changes = item.amount_changes
    stage_changes = []
    visits = []
    previous_stage = None
    for index, (stage, entered_at) in enumerate(item.path):
        stage_changes.append(
            StageChange(
                deal_id=deal.pk,
                kind=StageChangeKind.CREATED if index == 0 else StageChangeKind.MOVED,
                from_stage=previous_stage,
                to_stage=stage,
                amount=_amount_at(initial, changes, entered_at),
                changed_at=entered_at,
                changed_by_id=actor_id,
            )
        )
        if index + 1 < len(item.path):
            next_stage, left_at = item.path[index + 1]
            outcome = (
                VisitOutcome.ADVANCED if next_stage.order > stage.order else VisitOutcome.RETURNED
            )
        elif deal.status != DealStatus.OPEN:
            left_at = item.closed_at
            outcome = VisitOutcome.WON if deal.status == DealStatus.WON else VisitOutcome.LOST
        else:
            left_at, outcome = None, ""
        visits.append(
            StageVisit(
                deal_id=deal.pk,
                pipeline_id=deal.pipeline_id,
                stage=stage,
                owner_id=deal.owner_id,
                entered_at=entered_at,
                left_at=left_at,
                outcome=outcome,
            )
        )
        previous_stage = stage
    if deal.status != DealStatus.OPEN:
        stage_changes.append(
            StageChange(
                deal_id=deal.pk,
                kind=StageChangeKind.WON if deal.status == DealStatus.WON else StageChangeKind.LOST,
                from_stage=deal.stage,
                to_stage=deal.stage,
                amount=deal.amount,
                changed_at=item.closed_at,
                changed_by_id=actor_id,
            )
        )
    amount_rows = []
    old_amount = initial
    for changed_at, new_amount in changes:
        amount_rows.append(
            AmountChange(
                deal_id=deal.pk,
                stage=_stage_at(item.path, changed_at),
                old_amount=old_amount,
                new_amount=new_amount,
                changed_at=changed_at,
                changed_by_id=actor_id,
            )
        )
        old_amount = new_amount
    return stage_changes, visits, amount_rows


def write_historical_deals(
    items: Iterable[HistoricalDeal], *, batch_size: int = 2000
) -> list[Deal]:
    """Insert deals with their stage history, stage visits, amount history, line items and
    contacts in one transaction. Returns the saved deals (with primary keys)."""
    items = list(items)
    if not items:
        return []
    pipeline_ids = {item.deal.pipeline_id for item in items}
    last_stage_by_pipeline = {}
    for stage in Stage.objects.filter(pipeline_id__in=pipeline_ids).order_by("pipeline", "order"):
        last_stage_by_pipeline[stage.pipeline_id] = stage
    for item in items:
        _prepare(item, last_stage_by_pipeline)
    with transaction.atomic():
        deals = Deal.objects.bulk_create([item.deal for item in items], batch_size=batch_size)
        stage_changes, visits, amount_rows, line_items, deal_contacts = [], [], [], [], []
        contact_link = Deal.contacts.through
        for item, deal in zip(items, deals, strict=True):
            item.deal = deal
            changes, deal_visits, amounts = _history_rows(item)
            stage_changes += changes
            visits += deal_visits
            amount_rows += amounts
            for line in item.line_items:
                line.deal_id = deal.pk
                line_items.append(line)
            deal_contacts += [
                contact_link(deal_id=deal.pk, contact_id=contact_id)
                for contact_id in item.contact_ids
            ]
        StageChange.objects.bulk_create(stage_changes, batch_size=batch_size)
        StageVisit.objects.bulk_create(visits, batch_size=batch_size)
        AmountChange.objects.bulk_create(amount_rows, batch_size=batch_size)
        DealLineItem.objects.bulk_create(line_items, batch_size=batch_size)
        contact_link.objects.bulk_create(deal_contacts, batch_size=batch_size)
        # The `deals_added` hooks (the analytics summary) count these deals in this transaction.
        hooks.run(hooks.deals_added, [deal.pk for deal in deals])
    return deals


def refresh_returning_customers(company_ids: Iterable[int], *, chunk: int = 500) -> None:
    """Recompute "returning customer" for every deal of these companies, in SQL.

    The rule of `deal_create`: a deal is returning when its company had another deal won at
    or before the deal's creation. Computed over the companies' whole history at once, so it
    never depends on the order rows were written in or on batch boundaries.
    """
    ids = sorted(set(company_ids))
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        earlier_win = Deal.objects.filter(
            company_id=OuterRef("company_id"),
            status=DealStatus.WON,
            closed_at__lte=OuterRef("created_at"),
        ).exclude(pk=OuterRef("pk"))
        deals = Deal.objects.filter(company_id__in=part)
        deals.filter(Q(Exists(earlier_win)), is_returning_customer=False).update(
            is_returning_customer=True
        )
        deals.filter(~Q(Exists(earlier_win)), is_returning_customer=True).update(
            is_returning_customer=False
        )
