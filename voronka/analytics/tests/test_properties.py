"""Property tests: the database figures agree with a plain-Python reference on random histories.

Each example builds a fresh pipeline with a few deals, each created in some stage, moved
forward, back or over stages, then won, lost or left open; the reference replays the same
steps in Python.
"""

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import LostReasonFactory, UserFactory, make_deal, make_pipeline
from voronka.analytics.filters import AnalyticsFilter
from voronka.analytics.funnel import funnel
from voronka.analytics.transitions import LOST, WON, transition_counts
from voronka.analytics.velocity import velocity
from voronka.pipeline.services import deal_lose, deal_move_stage, deal_win

pytestmark = pytest.mark.django_db

STAGES = 4
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)

deal_histories = st.lists(
    st.tuples(
        st.integers(0, STAGES - 1),  # created in
        st.lists(st.integers(0, STAGES - 1), max_size=4),  # moves (same stage = no move)
        st.sampled_from(["open", "won", "lost"]),
        st.integers(1, 9),  # amount in thousands
    ),
    max_size=7,
)

HYPOTHESIS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def build(histories, owner, reason):
    pipeline = make_pipeline(
        names=[f"s{index}" for index in range(STAGES)],
        name="random history",
        is_default=False,
        probabilities=(10, 30, 50, 70),
    )
    stages = list(pipeline.stages.order_by("order"))
    for number, (start, moves, outcome, amount) in enumerate(histories):
        moment = T0 + timedelta(hours=number)
        deal = make_deal(
            owner=owner,
            pipeline=pipeline,
            stage=stages[start],
            amount=Decimal(amount * 1000),
            at=moment,
        )
        current = start
        for step, target in enumerate(moves, 1):
            if target != current:
                deal_move_stage(
                    deal=deal, stage=stages[target], user=owner, at=moment + timedelta(days=step)
                )
                current = target
        closing = moment + timedelta(days=len(moves) + 1)
        if outcome == "won":
            deal_win(deal=deal, user=owner, at=closing)
        elif outcome == "lost":
            deal_lose(deal=deal, user=owner, reason=reason, at=closing)
    analytics_filter = AnalyticsFilter(
        pipeline=pipeline, date_from=date(2026, 5, 1), date_to=date(2026, 5, 31)
    )
    return analytics_filter, stages


def reference(histories):
    """reached per stage index, won, transitions {(from index, to index | won | lost): n}."""
    reached = [0] * STAGES
    transitions: Counter = Counter()
    entered = [0] * STAGES
    won = 0
    for start, moves, outcome, _amount in histories:
        furthest = current = start
        visited = {start}
        for target in moves:
            if target != current:
                transitions[(current, target)] += 1
                current = target
                furthest = max(furthest, current)
                visited.add(current)
        if outcome == "won":
            transitions[(current, WON)] += 1
            furthest = STAGES - 1
            won += 1
        elif outcome == "lost":
            transitions[(current, LOST)] += 1
        for index in range(furthest + 1):
            reached[index] += 1
        for index in visited:
            entered[index] += 1
    return reached, won, transitions, entered


@pytest.fixture
def people(db):
    return UserFactory(role="admin", department=None), LostReasonFactory()


@HYPOTHESIS
@given(histories=deal_histories)
def test_funnel_matches_python_reference(people, histories):
    admin, reason = people
    with transaction.atomic():  # each example starts from an empty pipeline
        check_funnel(histories, admin, reason)
        transaction.set_rollback(True)


def check_funnel(histories, admin, reason):
    analytics_filter, _stages = build(histories, admin, reason)
    expected_reached, expected_won, _, _ = reference(histories)
    result = funnel(analytics_filter, admin, compare=False)
    assert [stage.reached for stage in result.stages] == expected_reached
    assert result.won == expected_won
    assert result.deals == len(histories)
    # Conversions follow from the counts: reached(next) / reached(this), won / reached(last).
    following = expected_reached[1:] + [expected_won]
    for stage, this, after in zip(result.stages, expected_reached, following, strict=True):
        assert stage.conversion == (after / this if this else None)


@HYPOTHESIS
@given(histories=deal_histories)
def test_transitions_and_entries_match_python_reference(people, histories):
    admin, reason = people
    with transaction.atomic():
        check_transitions(histories, admin, reason)
        transaction.set_rollback(True)


def check_transitions(histories, admin, reason):
    analytics_filter, stages = build(histories, admin, reason)
    _, _, expected, entered = reference(histories)
    index = {stage.pk: position for position, stage in enumerate(stages)}
    counts = transition_counts(analytics_filter, admin)
    got = {
        (index[source], target if target in (WON, LOST) else index[target]): n
        for (source, target), n in counts.items()
    }
    assert got == dict(expected)
    entered_by_stage = {
        row.stage_id: row.entered for row in velocity(analytics_filter, admin).stages
    }
    assert [entered_by_stage[stage.pk] for stage in stages] == entered
