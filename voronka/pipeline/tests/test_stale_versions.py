"""A write with a stale `expected_version` is always a conflict (issue 11, finding 4).

Even when the change would be a no-op (same amount, same stage, same owner), and even when
another rule would also refuse it: the client's picture of the deal is out of date.
"""

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection

from tests.factories import UserFactory, make_deal
from voronka.core.errors import StaleVersion
from voronka.pipeline import services
from voronka.pipeline.models import AmountChange, Deal


@pytest.fixture
def deal(db, pipeline):
    return make_deal(owner=UserFactory(role="manager"), pipeline=pipeline, amount=Decimal("100"))


def _stale(deal) -> int:
    """Bump the version behind the caller's back; return the version the caller still holds."""
    held = deal.version
    services.deal_update(deal=Deal.objects.get(pk=deal.pk), user=None, title="Changed elsewhere")
    return held


def test_unchanged_amount_with_a_stale_version_is_a_conflict(deal):
    held = _stale(deal)
    fresh = Deal.objects.get(pk=deal.pk)
    with pytest.raises(StaleVersion):
        services.deal_change_amount(
            deal=fresh, amount=Decimal("100"), user=None, expected_version=held
        )


def test_unchanged_amount_with_the_current_version_succeeds_and_writes_nothing(deal):
    version = deal.version
    services.deal_change_amount(
        deal=deal, amount=Decimal("100"), user=None, expected_version=version
    )
    assert Deal.objects.get(pk=deal.pk).version == version
    assert not AmountChange.objects.filter(deal=deal).exists()


def test_unchanged_amount_checks_the_database_not_only_the_loaded_row(deal):
    # The row was loaded before another client committed: same version in memory, newer in SQL.
    loaded = Deal.objects.get(pk=deal.pk)
    _stale(deal)
    with pytest.raises(StaleVersion):
        services.deal_change_amount(
            deal=loaded, amount=Decimal("100"), user=None, expected_version=loaded.version
        )


def test_move_to_the_current_stage_with_a_stale_version_is_a_conflict(deal):
    held = _stale(deal)
    fresh = Deal.objects.get(pk=deal.pk)
    with pytest.raises(StaleVersion):
        services.deal_move_stage(deal=fresh, stage=fresh.stage, user=None, expected_version=held)


def test_reassign_to_the_current_owner_with_a_stale_version_is_a_conflict(deal):
    held = _stale(deal)
    fresh = Deal.objects.get(pk=deal.pk)
    with pytest.raises(StaleVersion):
        services.deal_reassign(deal=fresh, new_owner=fresh.owner, user=None, expected_version=held)


def test_stale_version_wins_over_other_refusals(deal):
    held = _stale(deal)
    fresh = Deal.objects.get(pk=deal.pk)
    with pytest.raises(StaleVersion):
        services.deal_reopen(deal=fresh, user=None, expected_version=held)  # deal is open
    with pytest.raises(StaleVersion):
        services.deal_lose(deal=fresh, user=None, reason=None, expected_version=held)


def test_api_answers_409_for_a_stale_unchanged_amount(deal, admin_user):
    from voronka.api.tests.conftest import client_for

    held = _stale(deal)
    response = client_for(admin_user).post(
        f"deals/{deal.pk}/amount", {"amount": "100.00", "expected_version": held}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "stale_version"


THREADS = 6
INCREMENTS_PER_THREAD = 5
STEP = Decimal("10")


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers on one database lock, so there is no race to observe; "
    "this runs in the PostgreSQL pass of the suite",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_increments_are_all_applied_or_refused(pipeline):
    deal = make_deal(owner=UserFactory(role="manager"), pipeline=pipeline, amount=Decimal("0"))
    successes, conflicts, errors = [], [], []
    start = threading.Barrier(THREADS)

    def raise_amount():
        try:
            start.wait()
            done = 0
            while done < INCREMENTS_PER_THREAD:
                # A client: read the deal, add the step, write it back with the version it read.
                seen = Deal.objects.get(pk=deal.pk)
                try:
                    services.deal_change_amount(
                        deal=Deal.objects.get(pk=deal.pk),
                        amount=seen.amount + STEP,
                        user=None,
                        expected_version=seen.version,
                    )
                except StaleVersion:
                    conflicts.append(1)
                    continue
                successes.append(1)
                done += 1
        except Exception as error:  # surfaced below; a thread cannot fail the test itself
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=raise_amount) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(successes) == THREADS * INCREMENTS_PER_THREAD
    final = Deal.objects.get(pk=deal.pk)
    assert final.amount == len(successes) * STEP
    assert AmountChange.objects.filter(deal=deal).count() == len(successes)
    assert conflicts, "the clients never raced; the test proves nothing"
