"""Win probability of open deals: cells (stage × age band × budget trend), smoothing, the cache.

History (t0 = 5 January 2026 10:00 UTC, "now" = t0 + 50 days), pipeline rate 2 of 4 = 0.5:

    G  s1 @0, budget 100 → 50 @1, → s2 @2 (entered with a cut budget), lost @3
    H  s1 @0, → s2 @20, won @40          (s1 spans bands 0–14 and 15–30; s2 bands 15–30, 31–60)
    J  s1 @0, lost @1
    K  s1 @0, won @3
Open: O1 created in s2 @25 (age 25: band 15–30, unchanged), O2 s1 @45 with budget 100 → 80
(cut), O3 created in s3 @49 (a stage without closed history).

Every prior falls back to strength 10 (the spread between groups is no more than noise), so
the stages sit at (won + 5) / (n + 10) = 0.5 and cells at (won + 5) / (n + 10) around 0.5.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import translation

from tests.factories import LostReasonFactory, UserFactory, make_deal, make_pipeline
from voronka.analytics.filters import AnalyticsFilter
from voronka.analytics.tasks import recompute_win_probabilities_task
from voronka.analytics.win_probability import (
    age_band_of,
    fit_win_model,
    recompute_win_probabilities,
    win_probability_overview,
)
from voronka.pipeline.models import Deal
from voronka.pipeline.services import deal_change_amount, deal_lose, deal_move_stage, deal_win

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=50)


def at(days):
    return T0 + timedelta(days=days)


@pytest.fixture
def history():
    pipeline = make_pipeline()
    s1, s2, s3, _s4, _s5 = pipeline.stages.order_by("order")
    owner = UserFactory(role="manager", username="seller")
    reason = LostReasonFactory()

    def deal(title, when, stage=None, amount=100):
        return make_deal(
            title=title,
            owner=owner,
            pipeline=pipeline,
            stage=stage,
            amount=Decimal(amount),
            at=when,
        )

    g = deal("G", at(0))
    deal_change_amount(deal=g, amount=Decimal(50), user=owner, at=at(1))
    deal_move_stage(deal=g, stage=s2, user=owner, at=at(2))
    deal_lose(deal=g, user=owner, reason=reason, at=at(3))
    h = deal("H", at(0))
    deal_move_stage(deal=h, stage=s2, user=owner, at=at(20))
    deal_win(deal=h, user=owner, at=at(40))
    j = deal("J", at(0))
    deal_lose(deal=j, user=owner, reason=reason, at=at(1))
    k = deal("K", at(0))
    deal_win(deal=k, user=owner, at=at(3))
    o1 = deal("O1", at(25), stage=s2)
    o2 = deal("O2", at(45))
    deal_change_amount(deal=o2, amount=Decimal(80), user=owner, at=at(46))
    o3 = deal("O3", at(49), stage=s3)
    return {"pipeline": pipeline, "stages": (s1, s2, s3), "owner": owner, "reason": reason} | {
        d.title: d for d in (g, h, j, k, o1, o2, o3)
    }


def test_age_bands():
    assert [age_band_of(days) for days in (0, 14, 15, 30, 31, 60, 61, 120, 121, 900)] == [
        0,
        0,
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
    ]


def test_model_counts_distinct_closed_deals_per_cell(history):
    s1, s2, _s3 = (stage.pk for stage in history["stages"])
    model = fit_win_model(history["pipeline"])
    assert (model.pipeline_rate, model.pipeline_deals) == (0.5, 4)
    assert model.stage_counts == {s1: (2, 4), s2: (1, 2)}
    assert model.stage_rates == {s1: pytest.approx(0.5), s2: pytest.approx(0.5)}
    counts = {key: (cell.won, cell.deals) for key, cell in model.cells.items()}
    assert counts == {
        (s1, 0, "same"): (2, 4),  # G, H, J, K all started in s1
        (s1, 1, "same"): (1, 1),  # only H stayed in s1 past day 14
        (s2, 0, "down"): (0, 1),  # G entered s2 with a cut budget
        (s2, 1, "same"): (1, 1),  # H in s2 from day 20 to 40 spans two bands
        (s2, 2, "same"): (1, 1),
    }


def test_model_smooths_cells_towards_the_stage(history):
    s1, s2, _s3 = (stage.pk for stage in history["stages"])
    model = fit_win_model(history["pipeline"])
    assert model.cells[(s1, 0, "same")].probability == pytest.approx(7 / 14)
    assert model.cells[(s1, 1, "same")].probability == pytest.approx(6 / 11)
    assert model.cells[(s2, 0, "down")].probability == pytest.approx(5 / 11)
    assert model.cells[(s2, 2, "same")].probability == pytest.approx(6 / 11)


def test_recompute_caches_probability_and_note_on_open_deals_only(history):
    with translation.override("en"):  # notes are written in the language active at the time
        assert recompute_win_probabilities(history["pipeline"], now=NOW) == 3
    deals = {deal.title: deal for deal in Deal.objects.all()}
    assert deals["O1"].win_probability == pytest.approx(6 / 11)
    assert deals["O1"].win_probability_note == (
        "Stage «Переговоры», 15–30 days, budget unchanged: 1 of 1 similar deals won → 55 %"
    )
    # O2's budget was cut in s1: no closed deal like that, so its stage's rate.
    assert deals["O2"].win_probability == pytest.approx(0.5)
    assert deals["O2"].win_probability_note == (
        "Stage «Новый контакт»: no closed deals like this (0–14 days, budget cut); 2 of 4 deals "
        "closed from this stage won → 50 %"
    )
    # O3's stage was never closed from: the pipeline's rate.
    assert deals["O3"].win_probability == pytest.approx(0.5)
    assert deals["O3"].win_probability_note.startswith("Stage «Выставление КП» has no closed")
    for title in "GHJK":
        assert deals[title].win_probability is None


def test_older_deal_moves_to_its_age_band(history):
    recompute_win_probabilities(history["pipeline"], now=NOW + timedelta(days=10))
    # O1 is now 35 days old: band 31–60 in s2 (H won there) → 6/11.
    assert Deal.objects.get(title="O1").win_probability == pytest.approx(6 / 11)
    recompute_win_probabilities(history["pipeline"], now=NOW + timedelta(days=40))
    # 65 days old: no closed deal stayed in s2 that long → the stage's rate.
    assert Deal.objects.get(title="O1").win_probability == pytest.approx(0.5)


def test_no_closed_history_leaves_no_estimate():
    pipeline = make_pipeline()
    deal = make_deal(pipeline=pipeline, at=NOW)
    Deal.objects.filter(pk=deal.pk).update(win_probability=0.3, win_probability_note="old")
    assert recompute_win_probabilities(pipeline, now=NOW) == 0
    deal.refresh_from_db()
    assert (deal.win_probability, deal.win_probability_note) == (None, "")


def test_query_count_does_not_depend_on_the_number_of_deals(history):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pipeline = history["pipeline"]
    with CaptureQueriesContext(connection) as small:
        recompute_win_probabilities(pipeline, now=NOW)
    for index in range(5):
        make_deal(title=f"more {index}", owner=history["owner"], pipeline=pipeline, at=at(48))
    with CaptureQueriesContext(connection) as large:
        recompute_win_probabilities(pipeline, now=NOW)
    # 5 stages × 5 bands × 3 trends + 5 × 3 typed-ahead updates, the closed clean-up, the
    # three model queries, two stage lists, pipelines and transaction bookkeeping.
    assert len(small) == len(large)
    assert len(large) <= 100


def test_command_and_task_recompute(history):
    call_command("recompute_win_probabilities", "--pipeline", str(history["pipeline"].pk))
    assert Deal.objects.get(title="O1").win_probability is not None
    Deal.objects.update(win_probability=None)
    result = recompute_win_probabilities_task.enqueue(history["pipeline"].pk)
    assert result.return_value == 3
    assert Deal.objects.filter(win_probability__isnull=False).count() == 3


def test_command_rejects_unknown_pipeline(history):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No pipeline with id 999999"):
        call_command("recompute_win_probabilities", "--pipeline", "999999")


def test_closing_a_deal_recomputes_its_pipeline(history, django_capture_on_commit_callbacks):
    cache.clear()
    Deal.objects.update(win_probability=None)
    o3 = history["O3"]
    with django_capture_on_commit_callbacks(execute=True):
        deal_lose(deal=o3, user=history["owner"], reason=history["reason"])
    # Two open deals left, both estimated again; the lost one has none.
    assert set(
        Deal.objects.filter(win_probability__isnull=False).values_list("title", flat=True)
    ) == {"O1", "O2"}
    # A second closing soon after is folded into the first recomputation.
    Deal.objects.update(win_probability=None)
    with django_capture_on_commit_callbacks(execute=True):
        deal_win(deal=history["O2"], user=history["owner"])
    assert not Deal.objects.filter(win_probability__isnull=False).exists()


def test_overview_weighted_pipeline(history):
    recompute_win_probabilities(history["pipeline"], now=NOW)
    admin = UserFactory(role="admin", department=None)
    analytics_filter = AnalyticsFilter(
        pipeline=history["pipeline"], date_from=date(2026, 1, 1), date_to=date(2026, 2, 28)
    )
    overview = win_probability_overview(analytics_filter, admin, with_model=True)
    assert overview.open_deals == 3
    assert overview.amount == Decimal(280)
    by_stage = {row.name: row for row in overview.stages}
    assert by_stage["Новый контакт"].weighted_amount == Decimal("40.00")
    assert by_stage["Переговоры"].weighted_amount == Decimal("54.55")
    assert by_stage["Выставление КП"].weighted_amount == Decimal("50.00")
    assert overview.weighted_amount == Decimal("144.55")
    assert [deal.title for deal in overview.deals] == ["O1", "O3", "O2"]
    assert overview.model is not None


def test_overview_falls_back_to_manual_probability_and_hides_model_from_managers(history):
    analytics_filter = AnalyticsFilter(
        pipeline=history["pipeline"], date_from=date(2026, 1, 1), date_to=date(2026, 2, 28)
    )
    overview = win_probability_overview(analytics_filter, history["owner"], with_model=True)
    # No estimates yet: 80 × 10 % + 100 × 20 % + 100 × 40 %.
    assert overview.weighted_amount == Decimal("68.00")
    assert overview.model is None
    other = UserFactory(role="manager")
    assert win_probability_overview(analytics_filter, other).open_deals == 0
