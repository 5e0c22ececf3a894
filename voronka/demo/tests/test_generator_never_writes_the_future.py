"""The demo generator never writes the future and never a negative stay (issue 13).

The simulated day ends at 19:00, so a run in the morning used to write the afternoon's stage
changes, visits and checklist ticks: board cards then showed «-1 дней». The end moment is
now the earlier of the end date's 19:00 and the moment of the run.
"""

from datetime import UTC, date, datetime, time, timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voronka.activities.models import Activity
from voronka.demo.generator import DemoConfig, generate_demo_data
from voronka.feedback.models import Feedback
from voronka.pipeline.models import (
    AmountChange,
    Deal,
    PlaybookStepCompletion,
    StageChange,
    StageVisit,
)

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.slow]


class _Rollback(Exception):
    pass


def latest(queryset, field_name):
    return queryset.aggregate(top=Max(field_name))["top"]


def history_problems(end_moment: datetime) -> list[str]:
    """Every history timestamp after ``end_moment`` and every stay that ends before it began."""
    problems = []
    checks = (
        (StageChange.objects.all(), "changed_at"),
        (StageVisit.objects.all(), "entered_at"),
        (StageVisit.objects.all(), "left_at"),
        (AmountChange.objects.all(), "changed_at"),
        (Deal.objects.all(), "created_at"),
        (Deal.objects.all(), "first_contact_at"),
        (Deal.objects.all(), "stage_entered_at"),
        (Deal.objects.all(), "closed_at"),
        (PlaybookStepCompletion.objects.all(), "done_at"),
        (Activity.objects.all(), "done_at"),
        (Activity.objects.all(), "created_at"),
        (Feedback.objects.all(), "requested_at"),
        (Feedback.objects.all(), "submitted_at"),
    )
    for queryset, field_name in checks:
        top = latest(queryset, field_name)
        if top is not None and top > end_moment:
            problems.append(f"{queryset.model.__name__}.{field_name} {top} > {end_moment}")
    negative_stays = StageVisit.objects.filter(left_at__lt=F("entered_at")).count()
    if negative_stays:
        problems.append(f"{negative_stays} stage visits end before they begin")
    closed_before_entering = Deal.objects.filter(closed_at__lt=F("stage_entered_at")).count()
    if closed_before_entering:
        problems.append(f"{closed_before_entering} deals closed before entering their stage")
    return problems


@given(
    seed=st.integers(min_value=0, max_value=10_000),
    deals=st.integers(min_value=200, max_value=500),
    end_offset_days=st.one_of(st.just(0), st.integers(min_value=-400, max_value=0)),
    run_hour=st.integers(min_value=0, max_value=23),
)
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_generated_history_has_nothing_after_the_end_moment(seed, deals, end_offset_days, run_hour):
    """Whatever the seed, size and end date, and whatever the hour of the run on that date."""
    run_day = date(2026, 11, 20)
    now = datetime.combine(run_day, time(run_hour, 17), tzinfo=UTC)
    end = run_day + timedelta(days=end_offset_days)
    end_moment = min(
        datetime.combine(end, time(19, 0), tzinfo=timezone.get_current_timezone()), now
    )
    try:
        with transaction.atomic(), mock.patch("django.utils.timezone.now", return_value=now):
            generate_demo_data(DemoConfig(deals=deals, seed=seed, end=end))
            assert Deal.objects.count() == deals
            assert history_problems(end_moment) == []
            raise _Rollback
    except _Rollback:
        pass


def test_a_morning_run_on_the_end_date_stops_the_history_at_the_moment_of_the_run():
    """The case that put «-1 дней» on board cards: end date today, run before 19:00."""
    run_at = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
    with mock.patch("django.utils.timezone.now", return_value=run_at):
        generate_demo_data(DemoConfig(deals=600, seed=42, end=date(2026, 11, 20)))
    assert history_problems(run_at) == []
    # The last day really is simulated up to the run: the history reaches the last 2 weeks.
    assert latest(StageChange.objects.all(), "changed_at") > run_at - timedelta(days=14)
