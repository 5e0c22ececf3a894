"""The bulk writer produces exactly the rows the services write for the same events."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import LostReasonFactory, make_deal
from voronka.pipeline import services
from voronka.pipeline.bulk import HistoricalDeal, write_historical_deals
from voronka.pipeline.models import AmountChange, Deal, StageChange, StageVisit

pytestmark = pytest.mark.django_db
T0 = timezone.make_aware(timezone.datetime(2025, 5, 5, 9, 0))


def history_of(deal):
    changes = list(
        StageChange.objects.filter(deal=deal).values_list(
            "kind", "from_stage", "to_stage", "amount", "changed_at"
        )
    )
    visits = list(
        StageVisit.objects.filter(deal=deal).values_list(
            "stage", "entered_at", "left_at", "outcome"
        )
    )
    amounts = list(
        AmountChange.objects.filter(deal=deal).values_list(
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


@pytest.mark.parametrize("outcome", ["open", "won", "lost"])
def test_bulk_written_deal_matches_the_service_written_one(stages, manager, outcome):
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

    [by_bulk] = write_historical_deals(
        [
            HistoricalDeal(
                deal=Deal(
                    title="bulk", owner=manager, pipeline=s[0].pipeline, amount=Decimal("1000")
                ),
                path=[(s[0], T0), *events],
                outcome=outcome,
                closed_at=closed_at if outcome != "open" else None,
                lost_reason_id=reason.pk if outcome == "lost" else None,
                amount_changes=[(amount_at, Decimal("750"))],
            )
        ]
    )

    assert history_of(by_bulk) == history_of(by_service)
