from decimal import Decimal

import pytest

from voronka.analytics.velocity import kaplan_meier, stage_survival, velocity

from .scenario import NOW, build_scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario():
    return build_scenario()


def test_kaplan_meier_with_censoring_and_ties():
    # 5 stays: two end at day 1 (tie), one at 2, one at 5, one still open at 20.
    curve = kaplan_meier({1: (2, 0), 2: (1, 0), 5: (1, 0), 20: (0, 1)})
    assert curve.times == [1, 2, 5]
    assert curve.survival == pytest.approx([0.6, 0.4, 0.2])
    assert curve.quantile(0.5) == 2
    assert curve.quantile(0.75) == 5
    assert (curve.stays, curve.events, curve.censored, curve.longest) == (5, 4, 1, 20)


def test_censored_stays_at_the_same_time_are_still_at_risk():
    # An open stay censored at day 3 counts in the risk set of the day-3 event: S = 1 − 1/2.
    curve = kaplan_meier({3: (1, 1)})
    assert curve.survival == [0.5]
    assert curve.quantile(0.5) == 3
    assert curve.quantile(0.75) is None


def test_stage_survival_from_the_database(scenario, admin_user):
    s1, s2, s3, s4, _ = (stage.pk for stage in scenario.stages)
    curves = stage_survival(scenario.filter(), admin_user, now=NOW)
    assert curves[s1].survival == pytest.approx([0.6, 0.4, 0.2])
    assert curves[s1].times == [1, 2, 5]
    assert curves[s1].censored == 1 and curves[s1].longest == 20
    # s2: A 2 days, D 2 days, C open for 29 days (censored).
    assert curves[s2].times == [2]
    assert curves[s2].survival == pytest.approx([1 / 3])
    assert curves[s2].longest == 29
    assert s4 not in curves


def test_velocity_medians_drop_off_and_lost_value(scenario, admin_user):
    result = velocity(scenario.filter(), admin_user, now=NOW)
    rows = result.stages
    assert [r.median_days for r in rows] == [2, 2, 3, None, None]
    assert [r.p75_days for r in rows] == [5, None, 6, None, None]
    assert [r.entered for r in rows] == [4, 3, 2, 0, 0]
    assert [r.lost for r in rows] == [1, 0, 1, 0, 0]
    assert [r.drop_off for r in rows] == [0.25, 0.0, 0.5, None, None]
    assert [r.lost_amount for r in rows] == [Decimal(80000), 0, Decimal(200000), 0, 0]
    assert [r.open_stays for r in rows] == [1, 1, 0, 0, 0]


def test_bottleneck_score_and_ranking(scenario, admin_user):
    # typical+1 days: 3, 3, 4 → mean 10/3; slowness 0.9, 0.9, 1.2; score = drop-off × slowness.
    result = velocity(scenario.filter(), admin_user, now=NOW)
    assert [r.name for r in result.bottlenecks] == [
        scenario.stages[2].name,
        scenario.stages[0].name,
        scenario.stages[1].name,
    ]
    assert [r.score for r in result.bottlenecks] == pytest.approx([0.6, 0.225, 0.0])
    assert result.stages[2].rank == 1
    assert result.stages[3].score is None


def test_manager_velocity_counts_own_stays(scenario):
    result = velocity(scenario.filter(), scenario.m2, now=NOW)
    assert [r.entered for r in result.stages] == [1, 2, 0, 0, 0]
    assert result.stages[0].median_days == 1  # D: 1 day, then 1 day again
