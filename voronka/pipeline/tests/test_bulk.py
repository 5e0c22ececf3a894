"""The bulk writer produces exactly the rows the services write for the same events."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.utils import timezone

from tests.factories import LostReasonFactory, ProductFactory, make_deal
from voronka.analytics.models import StageDaySummary
from voronka.pipeline import services
from voronka.pipeline.bulk import HistoricalDeal, NewDeal, NewLineItem, write_historical_deals
from voronka.pipeline.models import AmountChange, Deal, DealLineItem, StageChange, StageVisit

pytestmark = pytest.mark.django_db
T0 = timezone.make_aware(timezone.datetime(2025, 5, 5, 9, 0))


def history_of(deal):
    changes = list(
        StageChange.objects.filter(deal_id=deal.pk).values_list(
            "kind", "from_stage", "to_stage", "amount", "changed_at"
        )
    )
    visits = list(
        StageVisit.objects.filter(deal_id=deal.pk).values_list(
            "stage", "entered_at", "left_at", "outcome"
        )
    )
    amounts = list(
        AmountChange.objects.filter(deal_id=deal.pk).values_list(
            "stage", "old_amount", "new_amount", "changed_at"
        )
    )
    deal = Deal.objects.get(pk=deal.pk)
    fields = (
        deal.stage_id,
        deal.furthest_stage_id,
        deal.status,
        deal.closed_at,
        deal.amount,
        deal.initial_amount,
        deal.amount_change_count,
        deal.stage_entered_at,
        deal.created_at,
        deal.lost_reason_id,
    )
    return changes, visits, amounts, fields


@pytest.mark.parametrize("carrier", ["model", "plain"])
@pytest.mark.parametrize("outcome", ["open", "won", "lost"])
def test_bulk_written_deal_matches_the_service_written_one(stages, manager, outcome, carrier):
    reason = LostReasonFactory()
    s = stages
    events = [
        (s[2], T0 + timedelta(days=3)),
        (s[1], T0 + timedelta(days=5)),
        (s[3], T0 + timedelta(days=9)),
    ]
    amount_at = T0 + timedelta(days=4)
    closed_at = T0 + timedelta(days=12)

    by_service = make_deal(owner=manager, amount=Decimal("1000"), at=T0)
    for stage, at in events[:1]:
        services.deal_move_stage(deal=by_service, stage=stage, user=manager, at=at)
    services.deal_change_amount(deal=by_service, amount=Decimal("750"), user=manager, at=amount_at)
    for stage, at in events[1:]:
        services.deal_move_stage(deal=by_service, stage=stage, user=manager, at=at)
    if outcome == "won":
        services.deal_win(deal=by_service, user=manager, at=closed_at)
    elif outcome == "lost":
        services.deal_lose(deal=by_service, user=manager, reason=reason, at=closed_at)

    if carrier == "model":
        deal = Deal(title="bulk", owner=manager, pipeline=s[0].pipeline, amount=Decimal("1000"))
    else:  # the importer's cheaper carrier: columns by attribute name
        deal = NewDeal(
            title="bulk", owner_id=manager.pk, pipeline_id=s[0].pipeline_id, amount=Decimal("1000")
        )
    [by_bulk] = write_historical_deals(
        [
            HistoricalDeal(
                deal=deal,
                path=[(s[0], T0), *events],
                outcome=outcome,
                closed_at=closed_at if outcome != "open" else None,
                lost_reason_id=reason.pk if outcome == "lost" else None,
                amount_changes=[(amount_at, Decimal("750"))],
            )
        ]
    )

    assert history_of(by_bulk) == history_of(by_service)


def test_a_plain_deal_gets_every_column_of_a_model_instance(stages, manager):
    """Columns the caller does not set take the model's defaults, as `Deal(...)` gives them."""
    common = {"title": "bulk", "pipeline_id": stages[0].pipeline_id, "amount": Decimal("5")}
    written = write_historical_deals(
        [
            HistoricalDeal(deal=Deal(owner=manager, **common), path=[(stages[0], T0)]),
            HistoricalDeal(deal=NewDeal(owner_id=manager.pk, **common), path=[(stages[0], T0)]),
        ]
    )
    rows = [Deal.objects.filter(pk=deal.pk).values().get() for deal in written]  # every column
    for row in rows:
        row.pop("id"), row.pop("updated_at")
    assert rows[0] == rows[1]
    assert (rows[1]["win_probability"], rows[1]["custom_fields"], rows[1]["version"]) == (
        None,
        {},
        1,
    )


def test_a_refused_row_leaves_nothing_of_the_write_behind(stages, manager):
    """The database refuses a line item (quantity 0): no deal, history or summary row stays."""
    items = [
        HistoricalDeal(
            deal=NewDeal(title=f"bulk {n}", owner_id=manager.pk, pipeline_id=stages[0].pipeline_id),
            path=[(stages[0], T0), (stages[1], T0 + timedelta(days=1))],
            line_items=[
                NewLineItem(
                    product_id=ProductFactory().pk, quantity=Decimal(n), unit_price=Decimal(1)
                )
            ],
        )
        for n in (1, 0)
    ]
    with pytest.raises(IntegrityError):
        write_historical_deals(items)
    for model in (Deal, StageChange, StageVisit, DealLineItem, StageDaySummary):
        assert model.objects.count() == 0, model
