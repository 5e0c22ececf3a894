import pytest
from scipy.stats import beta

from tests.factories import UserFactory
from voronka.analytics.effectiveness import (
    credible_interval,
    fit_beta_prior,
    load_factor,
    manager_effectiveness,
    reassignment_advice,
)

from .scenario import NOW, build_scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario():
    return build_scenario()


def test_method_of_moments_prior():
    # m = 0.5; weighted variance 0.06 − binomial part 0.25·3/30 = 0.035; α+β = 0.25/0.035 − 1.
    prior = fit_beta_prior([(8, 10), (2, 10), (5, 10)])
    assert prior.fitted
    assert prior.strength == pytest.approx(0.25 / 0.035 - 1)
    assert prior.mean == pytest.approx(0.5)


def test_prior_falls_back_when_variance_is_only_noise_or_single_group():
    assert fit_beta_prior([(1, 2)]).fitted is False
    assert fit_beta_prior([(1, 2)]).strength == 10
    noise = fit_beta_prior([(2, 2), (1, 2)])
    assert noise.fitted is False
    assert (noise.alpha, noise.beta) == pytest.approx((7.5, 2.5))
    assert fit_beta_prior([]).mean == 0.5


def test_manager_stage_cells_are_shrunk(scenario, admin_user):
    s1, s2, s3 = (stage.pk for stage in scenario.stages[:3])
    result = manager_effectiveness(scenario.filter(), admin_user)
    m1, m2 = scenario.m1.pk, scenario.m2.pk
    cell = result.cells[(m1, s1)]
    assert (cell.successes, cell.trials, cell.raw_rate) == (2, 2, 1.0)
    # Stage s1 prior: pooled 3/4, variance no more than noise → fallback strength 10: Beta(7.5, 2.5).
    assert cell.shrunken_rate == pytest.approx(9.5 / 12)
    assert result.cells[(m2, s1)].shrunken_rate == pytest.approx(8.5 / 12)
    assert (result.cells[(m2, s1)].successes, result.cells[(m2, s1)].trials) == (1, 2)
    # s2: m1 advanced once, m2 moved back once; prior Beta(5, 5).
    assert result.cells[(m1, s2)].shrunken_rate == pytest.approx(6 / 11)
    assert result.cells[(m2, s2)].shrunken_rate == pytest.approx(5 / 11)
    # s3: a single manager (1 won, 1 lost): fallback Beta(5, 5).
    assert result.cells[(m1, s3)].shrunken_rate == pytest.approx(0.5)
    assert (m2, s3) not in result.cells


def test_credible_interval_is_the_posterior_quantiles(scenario, admin_user):
    s1 = scenario.stages[0].pk
    cell = manager_effectiveness(scenario.filter(), admin_user).cells[(scenario.m1.pk, s1)]
    assert cell.low == pytest.approx(beta.ppf(0.05, 9.5, 2.5))
    assert cell.high == pytest.approx(beta.ppf(0.95, 9.5, 2.5))
    assert cell.low < cell.shrunken_rate < cell.high


def test_credible_interval_helper():
    prior = fit_beta_prior([(1, 2)])
    low, high = credible_interval(0, 0, prior)
    assert (low, high) == pytest.approx((beta.ppf(0.05, 5, 5), beta.ppf(0.95, 5, 5)))


def test_manager_sees_only_own_row(scenario):
    result = manager_effectiveness(scenario.filter(), scenario.m2)
    assert [manager.pk for manager in result.managers] == [scenario.m2.pk]


def test_load_factor():
    assert load_factor(0, 60) == 1
    assert load_factor(30, 60) == pytest.approx(0.875)
    assert load_factor(60, 60) == 0
    assert load_factor(5, 0) == 0


def test_advice_for_stalled_deals(scenario):
    # Open deals now: C (s2 since t0+1, 29 days > 14) and E (s1 since t0+10, 20 days > 7).
    m3 = UserFactory(role="manager", department=scenario.m1.department, capacity=1)
    advice = reassignment_advice(scenario.filter(), scenario.head, now=NOW)
    assert [item.deal.title for item in advice] == ["C", "E"]
    c, e = advice
    assert (c.days_in_stage, e.days_in_stage) == (29, 20)
    # s2 over all history: m1 advanced once, m2 moved back once → fallback prior Beta(5, 5).
    # Each manager has one open deal of 5: load factor 1 − 0.5 · (1/5)² = 0.98.
    assert c.current_rate == pytest.approx(5 / 11 * 0.98)  # m2, the owner
    # The head and m3 never worked s2: only the prior (0.5) would speak for them, so they are not
    # proposed over people with a record there.
    assert [(cand.manager.pk, cand.open_deals) for cand in c.candidates] == [(scenario.m1.pk, 1)]
    assert [cand.expected_rate for cand in c.candidates] == pytest.approx([6 / 11 * 0.98])
    assert m3.pk not in [cand.manager.pk for cand in c.candidates]
    # s1 over all history (F included): m1 2 of 3, m2 1 of 2 → fallback Beta(6, 4).
    # m1 owns E: 8/13 · 0.98 ≈ 0.603; m2 7/12 · 0.98 ≈ 0.572 and the others 0.6 are all worse.
    assert e.current_rate == pytest.approx(8 / 13 * 0.98)
    assert e.candidates == []


def test_advice_skips_managers_at_capacity(scenario):
    scenario.m1.capacity = 1
    scenario.m1.save()
    advice = reassignment_advice(scenario.filter(), scenario.head, now=NOW)
    c = advice[0]
    assert scenario.m1.pk not in [candidate.manager.pk for candidate in c.candidates]


def test_manager_gets_no_candidates(scenario):
    advice = reassignment_advice(scenario.filter(), scenario.m2, now=NOW)
    assert [item.deal.title for item in advice] == ["C"]
    assert advice[0].candidates == []
