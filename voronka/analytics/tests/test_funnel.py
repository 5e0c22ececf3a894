from datetime import date
from decimal import Decimal

import pytest

from tests.factories import UserFactory
from voronka.analytics.funnel import funnel

from .scenario import build_scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario():
    return build_scenario()


def test_funnel_counts_skipped_stages_as_passed(scenario, admin_user):
    result = funnel(scenario.filter(), admin_user)
    assert [s.reached for s in result.stages] == [5, 4, 2, 1, 1]
    assert [s.open_here for s in result.stages] == [1, 1, 0, 0, 0]
    assert (result.deals, result.won, result.lost, result.open) == (5, 1, 2, 2)


def test_funnel_conversion_and_win_rate(scenario, admin_user):
    result = funnel(scenario.filter(), admin_user)
    assert [s.conversion for s in result.stages] == [0.8, 0.5, 0.5, 1.0, 1.0]
    assert [s.expected_conversion for s in result.stages] == [0.8, 0.5, None, None, None]
    assert [s.share_of_first for s in result.stages] == [1.0, 0.8, 0.4, 0.2, 0.2]
    assert result.win_rate == 0.2
    assert result.closed_win_rate == pytest.approx(1 / 3)
    assert result.won_amount == Decimal("100000")


def test_funnel_amounts_are_cumulative(scenario, admin_user):
    result = funnel(scenario.filter(), admin_user)
    assert [s.amount for s in result.stages] == [
        Decimal(460000),
        Decimal(430000),
        Decimal(300000),
        Decimal(100000),
        Decimal(100000),
    ]


def test_funnel_previous_period(scenario, admin_user):
    result = funnel(scenario.filter(), admin_user)
    assert result.previous.deals == 1
    assert result.previous.lost == 1
    assert [s.previous_reached for s in result.stages] == [1, 0, 0, 0, 0]
    assert result.stages[0].previous_conversion == 0.0
    assert result.stages[1].previous_conversion is None


def test_funnel_of_a_manager_counts_only_own_deals(scenario):
    result = funnel(scenario.filter(), scenario.m2)
    assert [s.reached for s in result.stages] == [2, 2, 0, 0, 0]
    assert result.win_rate == 0.0


def test_funnel_head_sees_department(scenario):
    outsider = UserFactory(role="head")
    assert funnel(scenario.filter(), scenario.head).deals == 5
    assert funnel(scenario.filter(), outsider).deals == 0


def test_funnel_dimension_filters(scenario, admin_user):
    assert funnel(scenario.filter(owner_id=scenario.m1.pk), admin_user).deals == 3
    assert funnel(scenario.filter(customer_type="enterprise"), admin_user).deals == 0


def test_empty_period_gives_zeros_not_errors(scenario, admin_user):
    from dataclasses import replace

    empty = replace(scenario.filter(), date_from=date(2020, 1, 1), date_to=date(2020, 1, 31))
    result = funnel(empty, admin_user)
    assert [s.reached for s in result.stages] == [0, 0, 0, 0, 0]
    assert [s.conversion for s in result.stages] == [None] * 5
    assert result.win_rate is None


def test_period_bounds_are_inclusive_days(scenario, admin_user):
    from dataclasses import replace

    # E's first contact is 12 March 13:00 Moscow time: inside [12 March, 12 March].
    one_day = replace(scenario.filter(), date_from=date(2026, 3, 12), date_to=date(2026, 3, 12))
    assert funnel(one_day, admin_user, compare=False).deals == 1


def test_previous_period_has_same_length(scenario):
    previous = scenario.filter().previous_period()
    assert (previous.date_from, previous.date_to) == (date(2026, 1, 29), date(2026, 2, 28))
