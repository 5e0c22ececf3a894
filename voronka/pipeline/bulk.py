"""Bulk creation of deals that already have a past: the demo generator and the importer.

The services write one deal at a time, which is right for people and far too slow for a
million deals. This module writes the same rows the services would have written for the same
sequence of events (created, moved, amount changed, won/lost), batch by batch, so analytics
cannot tell a bulk-written deal from one worked in the browser. It is the only other writer of
history, and `tests/.../test_bulk.py` checks it against the services event by event.
"""

import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from voronka.core import hooks
from voronka.core.row_copy import RowWriter, table_reserve_ids

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

# Every column, read from the unsaved deal as bulk_create would (the id included).
DEAL_COLUMNS = tuple(column.attname for column in Deal._meta.concrete_fields)
LINE_COLUMNS = ("deal_id", "product_id", "quantity", "unit_price")
deal_columns = operator.attrgetter(*DEAL_COLUMNS)  # a deal's row, in DEAL_COLUMNS order


class NewDeal:
    """A deal to write, as its columns by attribute name (``owner_id``, not ``owner``): what a
    `Deal` instance holds, for a fraction of its cost when a file has a hundred thousand rows.
    Columns not given take the model's defaults, as in ``Deal(...)``."""

    _columns = frozenset(DEAL_COLUMNS)
    # Fixed defaults are copied in one step; callable ones (a new dict, now) are called for
    # each deal that does not give the column.
    _fixed_defaults = {
        column.attname: column.get_default()
        for column in Deal._meta.concrete_fields
        if not (column.has_default() and callable(column.default))
    }
    _callable_defaults = tuple(
        (column.attname, column.default)
        for column in Deal._meta.concrete_fields
        if column.has_default() and callable(column.default)
    )

    def __init__(self, **values):
        if not values.keys() <= self._columns:
            raise TypeError(f"Deal has no columns {sorted(values.keys() - self._columns)}")
        attributes = self.__dict__
        attributes.update(self._fixed_defaults)
        for name, default in self._callable_defaults:
            if name not in values:
                attributes[name] = default()
        attributes.update(values)

    @property
    def pk(self) -> int | None:
        return self.id

    @pk.setter
    def pk(self, value: int) -> None:
        self.id = value


class NewLineItem(NamedTuple):
    product_id: int
    quantity: Decimal
    unit_price: Decimal


@dataclass
class HistoricalDeal:
    """A deal and what happened to it, in time order.

    `deal` is unsaved with its plain fields set (title, owner, pipeline, company, currency,
    lead source, initial amount in `deal.amount`…): a `Deal` instance or, cheaper, a `NewDeal`.
    The writer derives stage, furthest stage, stage_entered_at, amount, status and dates from
    the events. Line items are `DealLineItem`s or `NewLineItem`s.
    """

    deal: Deal | NewDeal
    path: Sequence[tuple[Stage, datetime]]  # stages entered, first = created
    outcome: str = DealStatus.OPEN
    closed_at: datetime | None = None
    lost_reason_id: int | None = None
    lost_comment: str = ""
    amount_changes: Sequence[tuple[datetime, Decimal]] = ()  # new amount at a moment
    line_items: Sequence[DealLineItem | NewLineItem] = ()
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
    deal.stage_id = last_stage.pk
    deal.stage_entered_at = last_entered
    furthest = max((stage for stage, _at in item.path), key=lambda stage: stage.order)
    if item.outcome == DealStatus.WON:
        furthest = last_stage_by_pipeline[deal.pipeline_id]
    deal.furthest_stage_id = furthest.pk
    deal.status = item.outcome
    deal.closed_at = item.closed_at if item.outcome != DealStatus.OPEN else None
    deal.lost_reason_id = item.lost_reason_id if item.outcome == DealStatus.LOST else None
    deal.lost_comment = item.lost_comment if item.outcome == DealStatus.LOST else ""
    deal.created_at = created_at
    if not deal.first_contact_at or deal.first_contact_at > created_at:
        deal.first_contact_at = created_at
    if item.outcome != DealStatus.OPEN and item.closed_at is None:
        raise ValueError("A closed historical deal needs closed_at.")


class StageChangeRow(NamedTuple):
    deal_id: int
    kind: str
    from_stage_id: int | None
    to_stage_id: int
    amount: Decimal
    changed_at: datetime
    changed_by_id: int | None


class VisitRow(NamedTuple):
    deal_id: int
    pipeline_id: int
    stage_id: int
    owner_id: int
    entered_at: datetime
    left_at: datetime | None
    outcome: str


class AmountChangeRow(NamedTuple):
    deal_id: int
    stage_id: int
    old_amount: Decimal
    new_amount: Decimal
    changed_at: datetime
    changed_by_id: int | None


CREATED, MOVED = str(StageChangeKind.CREATED.value), str(StageChangeKind.MOVED.value)
CLOSING_KIND = {
    DealStatus.WON: str(StageChangeKind.WON.value),
    DealStatus.LOST: str(StageChangeKind.LOST.value),
}
CLOSING_VISIT = {
    DealStatus.WON: str(VisitOutcome.WON.value),
    DealStatus.LOST: str(VisitOutcome.LOST.value),
}
ADVANCED, RETURNED = str(VisitOutcome.ADVANCED.value), str(VisitOutcome.RETURNED.value)


@dataclass
class HistoryRows:
    """The rows of one write, as plain tuples for `core.row_copy.RowWriter`."""

    stage_changes: list[StageChangeRow] = field(default_factory=list)
    visits: list[VisitRow] = field(default_factory=list)
    amount_changes: list[AmountChangeRow] = field(default_factory=list)
    line_items: list[tuple] = field(default_factory=list)  # LINE_COLUMNS
    contact_links: list[tuple[int, int]] = field(default_factory=list)


def _history_rows(item: HistoricalDeal, rows: HistoryRows) -> None:
    deal = item.deal
    deal_id = deal.pk
    actor_id = item.actor_id or deal.owner_id
    initial = deal.initial_amount
    changes = item.amount_changes
    closed = deal.status != DealStatus.OPEN
    path = item.path
    last = len(path) - 1
    previous_stage_id = None
    for index, (stage, entered_at) in enumerate(path):
        rows.stage_changes.append(
            StageChangeRow(
                deal_id,
                CREATED if index == 0 else MOVED,
                previous_stage_id,
                stage.pk,
                _amount_at(initial, changes, entered_at),
                entered_at,
                actor_id,
            )
        )
        if index < last:
            next_stage, left_at = path[index + 1]
            outcome = ADVANCED if next_stage.order > stage.order else RETURNED
        elif closed:
            left_at, outcome = item.closed_at, CLOSING_VISIT[deal.status]
        else:
            left_at, outcome = None, ""
        rows.visits.append(
            VisitRow(
                deal_id, deal.pipeline_id, stage.pk, deal.owner_id, entered_at, left_at, outcome
            )
        )
        previous_stage_id = stage.pk
    if closed:
        rows.stage_changes.append(
            StageChangeRow(
                deal_id,
                CLOSING_KIND[deal.status],
                deal.stage_id,
                deal.stage_id,
                deal.amount,
                item.closed_at,
                actor_id,
            )
        )
    old_amount = initial
    for changed_at, new_amount in changes:
        rows.amount_changes.append(
            AmountChangeRow(
                deal_id,
                _stage_at(path, changed_at).pk,
                old_amount,
                new_amount,
                changed_at,
                actor_id,
            )
        )
        old_amount = new_amount
    rows.line_items += [
        (deal_id, line.product_id, line.quantity, line.unit_price) for line in item.line_items
    ]
    rows.contact_links += [(deal_id, contact_id) for contact_id in item.contact_ids]


def write_historical_deals(
    items: Iterable[HistoricalDeal], *, batch_size: int = 2000
) -> list[Deal | NewDeal]:
    """Insert deals with their stage history, stage visits, amount history, line items and
    contacts in one transaction. Returns the items' deals, now with primary keys.

    Plain rows go straight to the database (COPY on PostgreSQL, executemany on SQLite), with
    every column `bulk_create` would have written for the same unsaved deals: building and
    preparing a model instance per history row cost more than the database's work.
    `batch_size` bounds how many deals are held as rows at once.
    """
    items = list(items)
    if not items:
        return []
    pipeline_ids = {item.deal.pipeline_id for item in items}
    last_stage_by_pipeline = {}
    for stage in Stage.objects.filter(pipeline_id__in=pipeline_ids).order_by("pipeline", "order"):
        last_stage_by_pipeline[stage.pipeline_id] = stage
    for item in items:
        _prepare(item, last_stage_by_pipeline)
    now = timezone.now()
    writers = {
        model: RowWriter(model, columns, now=now)
        for model, columns in (
            (Deal, DEAL_COLUMNS),
            (StageChange, StageChangeRow._fields),
            (StageVisit, VisitRow._fields),
            (AmountChange, AmountChangeRow._fields),
            (DealLineItem, LINE_COLUMNS),
            (Deal.contacts.through, ("deal_id", "contact_id")),
        )
    }
    with transaction.atomic():
        ids = table_reserve_ids(Deal, len(items))
        for start in range(0, len(items), batch_size):
            part = items[start : start + batch_size]
            deals = [item.deal for item in part]
            rows = HistoryRows()
            for item, deal_id in zip(part, ids[start : start + batch_size], strict=True):
                deal = item.deal
                deal.pk = deal_id
                deal.updated_at = now  # what auto_now would set on save
                _history_rows(item, rows)
            writers[Deal].write(map(deal_columns, deals))
            writers[StageChange].write(rows.stage_changes)
            writers[StageVisit].write(rows.visits)
            writers[AmountChange].write(rows.amount_changes)
            writers[DealLineItem].write(rows.line_items)
            writers[Deal.contacts.through].write(rows.contact_links)
            for deal in deals:
                if isinstance(deal, Deal):  # now a saved instance, as bulk_create leaves it
                    deal._state.adding = False
                    deal._state.db = connection.alias
            # The `deals_added` hooks (the analytics summary) count these new deals in this
            # transaction, from the rows in hand (no query reads them back).
            hooks.run(hooks.deals_added, deals, rows.visits, rows.stage_changes)
    return [item.deal for item in items]


def refresh_returning_customers(company_ids: Iterable[int], *, chunk: int = 500) -> None:
    """Recompute "returning customer" for every deal of these companies, in SQL.

    The rule of `deal_create`: a deal is returning when its company had another deal won at
    or before the deal's creation. Computed over the companies' whole history at once, so it
    never depends on the order rows were written in or on batch boundaries.
    """
    ids = sorted(set(company_ids))
    flipped: list[int] = []
    earlier_win = Deal.objects.filter(
        company_id=OuterRef("company_id"),
        status=DealStatus.WON,
        closed_at__lte=OuterRef("created_at"),
    ).exclude(pk=OuterRef("pk"))
    with transaction.atomic():
        for start in range(0, len(ids), chunk):
            deals = Deal.objects.filter(company_id__in=ids[start : start + chunk])
            now_returning = list(
                deals.filter(Q(Exists(earlier_win)), is_returning_customer=False).values_list(
                    "pk", flat=True
                )
            )
            now_new = list(
                deals.filter(~Q(Exists(earlier_win)), is_returning_customer=True).values_list(
                    "pk", flat=True
                )
            )
            Deal.objects.filter(pk__in=now_returning).update(is_returning_customer=True)
            Deal.objects.filter(pk__in=now_new).update(is_returning_customer=False)
            flipped += now_returning + now_new
        if flipped:
            # Derived data (the analytics channel summary) follows, in this transaction,
            # once for all the companies.
            hooks.run(hooks.deals_changed, flipped)
