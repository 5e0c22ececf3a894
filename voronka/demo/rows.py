"""The demo's deals as plain rows: the same rows `pipeline.bulk.write_historical_deals` writes.

The generator simulates a deal as a `SimulatedDeal` (its path through the stages, amount changes
and outcome) and this module turns it into tuples for `voronka.core.row_copy.RowWriter`: the
deal, its stage changes, stage visits, amount changes, line items and contact links, with the
same derived fields (stage, furthest stage, status, amount…) and the same history rules as the
bulk writer (`voronka/demo/tests/test_rows.py` checks the two against each other). Skipping
model instances is what makes a million deals take minutes instead of hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from voronka.pipeline.models import (
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

OPEN, WON, LOST = str(DealStatus.OPEN.value), str(DealStatus.WON.value), str(DealStatus.LOST.value)
CREATED, MOVED = str(StageChangeKind.CREATED.value), str(StageChangeKind.MOVED.value)
CHANGE_WON, CHANGE_LOST = str(StageChangeKind.WON.value), str(StageChangeKind.LOST.value)
VISIT_OUTCOME = {
    "advanced": str(VisitOutcome.ADVANCED.value),
    "returned": str(VisitOutcome.RETURNED.value),
    WON: str(VisitOutcome.WON.value),
    LOST: str(VisitOutcome.LOST.value),
}

DEAL_COLUMNS = (
    "id",
    "title",
    "company_id",
    "owner_id",
    "pipeline_id",
    "stage_id",
    "furthest_stage_id",
    "stage_entered_at",
    "amount",
    "initial_amount",
    "amount_change_count",
    "currency",
    "lead_source_id",
    "expected_close_date",
    "first_contact_at",
    "status",
    "closed_at",
    "lost_reason_id",
    "is_returning_customer",
    "created_by_id",
    "created_at",
)
STAGE_CHANGE_COLUMNS = (
    "deal_id",
    "kind",
    "from_stage_id",
    "to_stage_id",
    "amount",
    "changed_at",
    "changed_by_id",
)
VISIT_COLUMNS = (
    "deal_id",
    "pipeline_id",
    "stage_id",
    "owner_id",
    "entered_at",
    "left_at",
    "outcome",
)
AMOUNT_COLUMNS = ("deal_id", "stage_id", "old_amount", "new_amount", "changed_at", "changed_by_id")
LINE_COLUMNS = ("deal_id", "product_id", "quantity", "unit_price")
CONTACT_LINK_COLUMNS = ("deal_id", "contact_id")

HISTORY_TABLES = (
    (Deal, DEAL_COLUMNS),
    (StageChange, STAGE_CHANGE_COLUMNS),
    (StageVisit, VISIT_COLUMNS),
    (AmountChange, AMOUNT_COLUMNS),
    (DealLineItem, LINE_COLUMNS),
    (Deal.contacts.through, CONTACT_LINK_COLUMNS),
)


@dataclass(slots=True)
class SimulatedDeal:
    """What happened to one demo deal; the derived fields are filled by `derive`."""

    id: int
    title: str
    company_id: int
    owner_id: int
    pipeline_id: int
    lead_source_id: int
    expected_close_date: date
    is_returning_customer: bool
    initial_amount: Decimal
    path: list[tuple[Stage, datetime]]  # stages entered, first = created
    outcome: str
    closed_at: datetime | None
    lost_reason_id: int | None
    amount_changes: list[tuple[datetime, Decimal]]
    line_items: list[tuple[int, int, Decimal]]  # product id, quantity, unit price
    contact_ids: list[int]
    # derived
    stage: Stage | None = None
    stage_entered_at: datetime | None = None
    amount: Decimal = Decimal(0)
    furthest_stage: Stage | None = None
    extra: dict = field(default_factory=dict)

    @property
    def created_at(self) -> datetime:
        return self.path[0][1]

    def derive(self, last_stage: Stage) -> None:
        """Current stage, amount and furthest stage, as `pipeline.bulk._prepare` sets them."""
        self.stage, self.stage_entered_at = self.path[-1]
        self.amount = self.amount_changes[-1][1] if self.amount_changes else self.initial_amount
        furthest = max((stage for stage, _at in self.path), key=lambda stage: stage.order)
        self.furthest_stage = last_stage if self.outcome == WON else furthest


def _amount_at(deal: SimulatedDeal, moment: datetime) -> Decimal:
    amount = deal.initial_amount
    for changed_at, new_amount in deal.amount_changes:
        if changed_at <= moment:
            amount = new_amount
        else:
            break
    return amount


def _stage_id_at(deal: SimulatedDeal, moment: datetime) -> int:
    current = deal.path[0][0]
    for stage, entered_at in deal.path:
        if entered_at <= moment:
            current = stage
        else:
            break
    return current.pk


def history_rows(deal: SimulatedDeal, rows: dict[type, list[tuple]]) -> None:
    """Append the deal's rows to ``rows`` (a list per model of `HISTORY_TABLES`)."""
    closed = deal.outcome != OPEN
    rows[Deal].append(
        (
            deal.id,
            deal.title,
            deal.company_id,
            deal.owner_id,
            deal.pipeline_id,
            deal.stage.pk,
            deal.furthest_stage.pk,
            deal.stage_entered_at,
            deal.amount,
            deal.initial_amount,
            len(deal.amount_changes),
            "RUB",
            deal.lead_source_id,
            deal.expected_close_date,
            deal.created_at,
            deal.outcome,
            deal.closed_at if closed else None,
            deal.lost_reason_id if deal.outcome == LOST else None,
            deal.is_returning_customer,
            deal.owner_id,
            deal.created_at,
        )
    )
    stage_changes = rows[StageChange]
    visits = rows[StageVisit]
    actor = deal.owner_id
    previous_stage_id = None
    path = deal.path
    last = len(path) - 1
    for index, (stage, entered_at) in enumerate(path):
        stage_changes.append(
            (
                deal.id,
                CREATED if index == 0 else MOVED,
                previous_stage_id,
                stage.pk,
                _amount_at(deal, entered_at),
                entered_at,
                actor,
            )
        )
        if index < last:
            next_stage, left_at = path[index + 1]
            outcome = VISIT_OUTCOME["advanced" if next_stage.order > stage.order else "returned"]
        elif closed:
            left_at, outcome = deal.closed_at, VISIT_OUTCOME[deal.outcome]
        else:
            left_at, outcome = None, ""
        visits.append(
            (deal.id, deal.pipeline_id, stage.pk, deal.owner_id, entered_at, left_at, outcome)
        )
        previous_stage_id = stage.pk
    if closed:
        stage_changes.append(
            (
                deal.id,
                CHANGE_WON if deal.outcome == WON else CHANGE_LOST,
                deal.stage.pk,
                deal.stage.pk,
                deal.amount,
                deal.closed_at,
                actor,
            )
        )
    old_amount = deal.initial_amount
    amounts = rows[AmountChange]
    for changed_at, new_amount in deal.amount_changes:
        amounts.append(
            (deal.id, _stage_id_at(deal, changed_at), old_amount, new_amount, changed_at, actor)
        )
        old_amount = new_amount
    lines = rows[DealLineItem]
    for product_id, quantity, unit_price in deal.line_items:
        lines.append((deal.id, product_id, quantity, unit_price))
    links = rows[Deal.contacts.through]
    for contact_id in deal.contact_ids:
        links.append((deal.id, contact_id))
