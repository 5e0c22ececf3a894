"""The deal card never shows a stale probability: a move or a budget change refreshes the deal's
own estimate in the same request; a closed deal shows its outcome, not a probability, and the
card offers to close the tasks it left open."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from tests.factories import LostReasonFactory, UserFactory, make_deal, make_pipeline
from voronka.activities.models import Activity, ActivityKind
from voronka.activities.services import activity_log
from voronka.analytics.win_probability import age_band_of, explain, fit_win_model
from voronka.pipeline import services
from voronka.pipeline.models import Deal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_model_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def history():
    """A pipeline whose closed deals make stage 1 and stage 2 estimates differ."""
    owner = UserFactory()
    pipeline = make_pipeline()
    first, second = list(pipeline.stages.order_by("order"))[:2]
    reason = LostReasonFactory()
    past = timezone.now() - timedelta(days=200)
    # Four deals lost in stage 1; three deals moved to stage 2, two of them won there.
    for _ in range(4):
        deal = make_deal(owner=owner, pipeline=pipeline, at=past)
        services.deal_lose(deal=deal, user=owner, reason=reason, at=past + timedelta(days=3))
    for index in range(3):
        deal = make_deal(owner=owner, pipeline=pipeline, at=past)
        deal = services.deal_move_stage(
            deal=deal, stage=second, user=owner, at=past + timedelta(days=2)
        )
        if index < 2:
            services.deal_win(deal=deal, user=owner, at=past + timedelta(days=9))
        else:
            services.deal_lose(deal=deal, user=owner, reason=reason, at=past + timedelta(days=9))
    # The nightly/after-closing recomputation would have refitted the model on this history.
    cache.clear()
    return owner, pipeline, first, second


def _expected(pipeline, stage, deal, trend):
    cell = fit_win_model(pipeline).estimate(
        stage.pk, age_band_of((timezone.now() - deal.first_contact_at).days), trend
    )
    return cell.probability, explain(stage.name, cell)


@pytest.mark.django_db(transaction=True)
def test_a_move_refreshes_the_deals_probability_in_the_same_request(client, history):
    """Committed for real (no test transaction around it): the refresh runs when the move
    commits, so the card the same response renders already shows the new stage's figure."""
    owner, pipeline, first, second = history
    deal = make_deal(owner=owner, pipeline=pipeline)
    before, _ = _expected(pipeline, first, deal, "same")
    after, note = _expected(pipeline, second, deal, "same")
    assert before != after
    client.force_login(owner)
    response = client.post(
        reverse("pipeline:deal_move", args=[deal.pk]),
        {"stage": second.pk, "version": deal.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.win_probability == pytest.approx(after)
    assert deal.win_probability_note == note
    html = response.content.decode()
    assert f'data-testid="win-probability">{round(after * 100)}&nbsp;%' in html


def test_a_budget_change_refreshes_the_explanation(history, django_capture_on_commit_callbacks):
    owner, pipeline, first, _second = history
    deal = make_deal(owner=owner, pipeline=pipeline, amount=Decimal("100000"))
    with django_capture_on_commit_callbacks(execute=True):
        services.deal_change_amount(deal=deal, amount=Decimal("150000"), user=owner)
    deal.refresh_from_db()
    probability, note = _expected(pipeline, first, deal, "up")
    assert deal.win_probability == pytest.approx(probability)
    assert deal.win_probability_note == note
    assert "budget raised" in note


def test_a_won_deal_shows_its_outcome_and_no_probability(
    client, history, django_capture_on_commit_callbacks
):
    owner, pipeline, _first, _second = history
    deal = make_deal(owner=owner, pipeline=pipeline)
    activity_log(kind=ActivityKind.TASK, subject="Перезвонить", owner=owner, deal=deal)
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("pipeline:deal_win", args=[deal.pk]), {"version": deal.version})
    deal.refresh_from_db()
    assert (deal.status, deal.win_probability, deal.win_probability_note) == ("won", None, "")
    html = client.get(reverse("pipeline:deal_detail", args=[deal.pk])).content.decode()
    assert 'data-testid="deal-outcome"' in html
    assert 'data-testid="win-probability"' not in html
    assert "The deal is closed, but 1 task is still open." in html


def test_closing_a_closed_deals_open_tasks_in_one_click(client, history):
    owner, pipeline, _first, _second = history
    deal = make_deal(owner=owner, pipeline=pipeline)
    for subject in ("Перезвонить", "Отправить акт"):
        activity_log(kind=ActivityKind.TASK, subject=subject, owner=owner, deal=deal)
    deal = services.deal_win(deal=deal, user=owner)
    client.force_login(owner)
    response = client.post(reverse("pipeline:deal_tasks_done", args=[deal.pk]))
    assert response.status_code == 302
    assert Activity.objects.filter(deal=deal, done_at__isnull=True).count() == 0
    assert Activity.objects.filter(deal=deal, done_at__isnull=False).count() == 2


def test_an_open_deals_tasks_are_not_closed_in_bulk(client, history):
    owner, pipeline, _first, _second = history
    deal = make_deal(owner=owner, pipeline=pipeline)
    activity_log(kind=ActivityKind.TASK, subject="Перезвонить", owner=owner, deal=deal)
    client.force_login(owner)
    response = client.post(reverse("pipeline:deal_tasks_done", args=[deal.pk]))
    assert response.status_code == 400
    assert "The deal is still open" in response.content.decode()
    assert Activity.objects.filter(deal=deal, done_at__isnull=True).count() == 1


def test_someone_who_cannot_see_the_deal_cannot_close_its_tasks(client, history):
    owner, pipeline, _first, _second = history
    deal = services.deal_win(deal=make_deal(owner=owner, pipeline=pipeline), user=owner)
    activity_log(kind=ActivityKind.TASK, subject="Перезвонить", owner=owner, deal=deal)
    client.force_login(UserFactory())  # a manager of another department
    response = client.post(reverse("pipeline:deal_tasks_done", args=[deal.pk]))
    assert response.status_code == 404
    assert Deal.objects.get(pk=deal.pk).activities.filter(done_at__isnull=True).count() == 1
