"""The win/lose/move actions take an optional past moment (`at`): administrators only, never in
the future nor before the deal's history, and written into the history exactly like an import."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.factories import LostReasonFactory, make_deal
from voronka.pipeline.models import Deal, StageChange, StageVisit

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")
CREATED = datetime(2016, 3, 1, 9, 0, tzinfo=MOSCOW)


@pytest.fixture
def old_deal(manager, stages):
    return make_deal(owner=manager, amount=Decimal("100"), at=CREATED)


def test_admin_moves_then_wins_at_past_moments_written_into_the_history(
    admin_api, old_deal, stages
):
    moved = admin_api.post(
        f"deals/{old_deal.pk}/move",
        {"stage_id": stages[2].pk, "expected_version": 1, "at": "2016-04-10T10:30:00+03:00"},
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["stage_entered_at"] == "2016-04-10T07:30:00Z"
    won = admin_api.post(
        f"deals/{old_deal.pk}/win",
        {"expected_version": moved.json()["version"], "at": "2016-05-20T15:00:00+03:00"},
    )
    assert won.status_code == 200, won.json()
    assert won.json()["status"] == "won"
    assert won.json()["closed_at"] == "2016-05-20T12:00:00Z"
    changes = StageChange.objects.filter(deal=old_deal).order_by("changed_at")
    assert [(c.kind, c.changed_at.astimezone(MOSCOW).isoformat()) for c in changes] == [
        ("created", "2016-03-01T09:00:00+03:00"),
        ("moved", "2016-04-10T10:30:00+03:00"),
        ("won", "2016-05-20T15:00:00+03:00"),
    ]
    visits = StageVisit.objects.filter(deal=old_deal).order_by("entered_at")
    assert [
        (v.stage_id, v.entered_at.isoformat(), v.left_at.isoformat(), v.outcome) for v in visits
    ] == [
        (stages[0].pk, "2016-03-01T06:00:00+00:00", "2016-04-10T07:30:00+00:00", "advanced"),
        (stages[2].pk, "2016-04-10T07:30:00+00:00", "2016-05-20T12:00:00+00:00", "won"),
    ]


def test_admin_loses_at_a_past_moment(admin_api, old_deal):
    reason = LostReasonFactory()
    lost = admin_api.post(
        f"deals/{old_deal.pk}/lose",
        {"lost_reason_id": reason.pk, "at": "2017-01-15T12:00:00+03:00"},
    )
    assert lost.status_code == 200, lost.json()
    assert lost.json()["closed_at"] == "2017-01-15T09:00:00Z"
    visit = StageVisit.objects.get(deal=old_deal)
    assert (visit.left_at.isoformat(), visit.outcome) == ("2017-01-15T09:00:00+00:00", "lost")
    change = StageChange.objects.get(deal=old_deal, kind="lost")
    assert change.changed_at.isoformat() == "2017-01-15T09:00:00+00:00"


def test_a_moment_without_offset_is_read_in_the_site_time_zone(admin_api, old_deal):
    won = admin_api.post(f"deals/{old_deal.pk}/win", {"at": "2016-06-01T09:00:00"})
    assert won.status_code == 200, won.json()
    assert won.json()["closed_at"] == "2016-06-01T06:00:00Z"


@pytest.mark.parametrize("action", ["win", "lose", "move"])
def test_a_past_moment_from_a_manager_is_forbidden_and_changes_nothing(
    manager_api, old_deal, stages, action
):
    body = {
        "win": {},
        "lose": {"lost_reason_id": LostReasonFactory().pk},
        "move": {"stage_id": stages[1].pk, "expected_version": 1},
    }[action] | {"at": "2016-04-01T10:00:00+03:00"}
    response = manager_api.post(f"deals/{old_deal.pk}/{action}", body)
    assert response.status_code == 403
    assert response.json()["code"] == "past_moment_not_permitted"
    assert response.json()["fields"] == {
        "at": ["Only administrators may record an action at a past moment."]
    }
    deal = Deal.objects.get(pk=old_deal.pk)
    assert (deal.status, deal.stage_id, deal.version) == ("open", stages[0].pk, 1)
    assert StageChange.objects.filter(deal=old_deal).count() == 1


def test_a_manager_without_a_moment_still_acts_now(manager_api, old_deal):
    assert manager_api.post(f"deals/{old_deal.pk}/win", {}).status_code == 200


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("2999-01-01T00:00:00+03:00", "The moment is in the future."),
        (
            "2016-02-29T23:59:00+03:00",
            "The moment is before the deal was created (March 1, 2016, 9 a.m.).",
        ),
    ],
)
def test_a_moment_in_the_future_or_before_creation_is_a_clear_409(admin_api, old_deal, at, message):
    response = admin_api.post(f"deals/{old_deal.pk}/win", {"at": at})
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_moment"
    assert response.json()["fields"] == {"at": [message]}
    assert Deal.objects.get(pk=old_deal.pk).status == "open"
    assert StageChange.objects.filter(deal=old_deal).count() == 1


def test_a_moment_before_the_current_stage_was_entered_is_refused(admin_api, old_deal, stages):
    moved = admin_api.post(
        f"deals/{old_deal.pk}/move",
        {"stage_id": stages[1].pk, "expected_version": 1, "at": "2016-05-01T12:00:00+03:00"},
    )
    assert moved.status_code == 200
    response = admin_api.post(f"deals/{old_deal.pk}/win", {"at": "2016-04-01T12:00:00+03:00"})
    assert response.status_code == 409
    assert response.json()["fields"] == {
        "at": ["The moment is before the deal entered its current stage (May 1, 2016, noon)."]
    }
