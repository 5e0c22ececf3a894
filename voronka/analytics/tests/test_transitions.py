import pytest

from voronka.analytics.transitions import (
    LOST,
    WON,
    absorbing_win_probabilities,
    transition_counts,
    transition_matrix,
)

from .scenario import build_scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario():
    return build_scenario()


def test_transition_counts_include_moves_back_and_skip_open_stays(scenario, admin_user):
    s1, s2, s3, s4, s5 = (stage.pk for stage in scenario.stages)
    counts = transition_counts(scenario.filter(), admin_user)
    assert counts == {
        (s1, s2): 2,  # A, D
        (s1, s3): 1,  # B skips s2
        (s1, LOST): 1,  # D after coming back
        (s2, s3): 1,  # A
        (s2, s1): 1,  # D moved back
        (s3, WON): 1,  # A
        (s3, LOST): 1,  # B
    }


def test_transition_matrix_probabilities(scenario, admin_user):
    matrix = transition_matrix(scenario.filter(), admin_user)
    first, second, third, fourth, _ = matrix.stages
    s1, s2, s3 = (stage.pk for stage in scenario.stages[:3])
    assert first.exits == 4
    assert first.probabilities[s2] == 0.5
    assert first.probabilities[s3] == 0.25
    assert first.probabilities[LOST] == 0.25
    assert second.probabilities[s1] == 0.5
    assert third.probabilities[WON] == 0.5
    assert fourth.exits == 0
    assert fourth.probabilities[WON] is None


def test_win_probability_from_absorbing_chain(scenario, admin_user):
    # w3 = 1/2; w2 = ½·w3 + ½·w1; w1 = ½·w2 + ¼·w3 → w1 = 1/3, w2 = 5/12.
    matrix = transition_matrix(scenario.filter(), admin_user)
    wins = [row.win_probability for row in matrix.stages]
    assert wins[0] == pytest.approx(1 / 3)
    assert wins[1] == pytest.approx(5 / 12)
    assert wins[2] == pytest.approx(0.5)
    assert wins[3] is None and wins[4] is None  # never left in the period: unknown
    assert [row.manual_probability for row in matrix.stages] == [0.1, 0.2, 0.4, 0.6, 0.9]
    # Expected stays before closing from s3: exactly one.
    assert matrix.stages[2].expected_steps == pytest.approx(1.0)


def test_manager_sees_only_own_transitions(scenario):
    s1, s2 = (stage.pk for stage in scenario.stages[:2])
    counts = transition_counts(scenario.filter(), scenario.m2)
    assert counts == {(s1, s2): 1, (s2, s1): 1, (s1, LOST): 1}


def test_chain_with_a_loop_and_no_exit_is_unknown():
    # Two stages only ever observed bouncing between each other: absorption never seen.
    win, steps = absorbing_win_probabilities([1, 2], {(1, 2): 3, (2, 1): 2})
    assert win == {1: None, 2: None}


def test_chain_drops_transitions_into_unknown_stages():
    # Stage 2 has no observed exits: stage 1's move into it is left out and the row renormalised.
    win, _ = absorbing_win_probabilities([1, 2], {(1, 2): 1, (1, WON): 1, (1, LOST): 3})
    assert win == {1: pytest.approx(0.25), 2: None}


def test_empty_history():
    assert absorbing_win_probabilities([1, 2], {}) == ({1: None, 2: None}, {1: None, 2: None})
