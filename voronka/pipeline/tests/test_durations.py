"""No page shows a negative duration: a stage entered "in the future" (clock skew, imported
history) counts as 0 days, and a closed deal's time in stage stops at its close."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import UserFactory, make_deal, make_pipeline
from voronka.pipeline.models import Deal, DealStatus

pytestmark = pytest.mark.django_db


@given(
    entered_hours=st.integers(min_value=-24 * 400, max_value=24 * 30),
    closed_after_hours=st.one_of(st.none(), st.integers(min_value=-48, max_value=24 * 400)),
)
@settings(max_examples=200, deadline=None)
def test_days_in_stage_is_never_negative(entered_hours, closed_after_hours):
    now = timezone.now()
    entered = now + timedelta(hours=entered_hours)  # positive hours: a future entry
    closed = None if closed_after_hours is None else entered + timedelta(hours=closed_after_hours)
    deal = Deal(stage_entered_at=entered, closed_at=closed)
    end = closed if closed is not None else now
    assert deal.days_in_stage == max(0, (end - entered).days)
    assert deal.days_in_stage >= 0


def test_a_closed_deal_counts_its_days_in_stage_until_it_closed():
    entered = timezone.now() - timedelta(days=93)
    deal = Deal(stage_entered_at=entered, closed_at=entered + timedelta(days=5, hours=3))
    assert deal.days_in_stage == 5


def test_the_board_card_of_a_deal_entered_in_the_future_says_zero_days(client):
    owner = UserFactory()
    pipeline = make_pipeline()
    deal = make_deal(owner=owner, pipeline=pipeline)
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=timezone.now() + timedelta(hours=30))
    client.force_login(owner)
    html = client.get(reverse("pipeline:board", args=[pipeline.pk])).content.decode()
    card = html[html.index(f'data-deal-id="{deal.pk}"') :]
    card = card[: card.index("</article>")]
    assert "0 days" in card
    assert "-1" not in card
    assert deal.status == DealStatus.OPEN


@pytest.mark.parametrize("open_deals", [1, 2, 5, 21])
def test_the_board_summary_reads_right_in_russian_for_any_count(client, open_deals):
    owner = UserFactory()
    pipeline = make_pipeline()
    for _ in range(open_deals):
        make_deal(owner=owner, pipeline=pipeline)
    client.force_login(owner)
    html = client.get(
        reverse("pipeline:board", args=[pipeline.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    summary = html[html.index('data-testid="board-summary"') :]
    summary = summary[: summary.index("</div>")]
    assert f'Открытых сделок: <strong data-role="board-count">{open_deals}</strong>' in summary
