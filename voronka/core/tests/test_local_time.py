"""Local weeks, months and day counts: the same values as Django's own functions, on any time
zone and any moment (SQLite's fast ``date()`` path inside one UTC offset, Django's outside)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import DateField, DateTimeField, Value
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import UserFactory
from voronka.accounts.models import User
from voronka.analytics.filters import day_start
from voronka.core.local_time import (
    DJANGO_TRUNC,
    local_date_sql,
    local_days_between,
    local_trunc,
    month_of_date,
    one_offset_stretch,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_row():
    """The values are computed per row of a table: any table with one row."""
    return UserFactory()


ZONES = ["Europe/Moscow", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"]
moments = st.datetimes(
    min_value=datetime(2009, 1, 1), max_value=datetime(2032, 12, 31), timezones=st.just(UTC)
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    zone=st.sampled_from(ZONES),
    first=moments,
    second=moments,
    period_start=st.dates(min_value=date(2012, 1, 1), max_value=date(2030, 1, 1)),
    period_days=st.integers(0, 800),
)
def test_local_calendar_matches_djangos_functions(
    a_row, zone, first, second, period_start, period_days
):
    with timezone.override(zone):
        start = day_start(period_start)
        end = day_start(period_start + timedelta(days=period_days + 1))
        values = User.objects.annotate(
            first=Value(first, output_field=DateTimeField()),
            second=Value(second, output_field=DateTimeField()),
        )
        ours = {f"{kind}": local_trunc(kind, "first", start, end) for kind in DJANGO_TRUNC}
        django = {f"django_{kind}": trunc("first") for kind, trunc in DJANGO_TRUNC.items()}
        row = (
            values.annotate(
                **ours,
                **django,
                days=local_days_between("first", "second", start, end),
            )
            .values(*ours, *django, "days")
            .first()
        )
        local_first = timezone.localtime(first)
        assert row["day"] == row["django_day"] == local_first.date()
        assert row["week"] == local_first.date() - timedelta(days=local_first.weekday())
        assert row["week"] == _as_date(row["django_week"])
        assert row["month"] == local_first.date().replace(day=1) == _as_date(row["django_month"])
        assert row["days"] == timezone.localtime(second).date() - local_first.date()


def _as_date(value):
    return value.date() if hasattr(value, "date") else value


def test_one_offset_stretch_spans_moscows_single_offset_and_refuses_a_change():
    with timezone.override("Europe/Moscow"):
        stretch = one_offset_stretch(day_start(date(2025, 1, 1)), day_start(date(2026, 1, 1)))
        low, high, seconds = stretch
        assert seconds == 3 * 3600
        # Moscow left +4 for +3 on 26 October 2014 and has kept it since.
        assert date(2014, 10, 25) <= timezone.localtime(low).date() <= date(2014, 10, 27)
        assert high > timezone.now() + timedelta(days=365)
    with timezone.override("Europe/Berlin"):
        assert one_offset_stretch(day_start(date(2025, 3, 1)), day_start(date(2025, 4, 1))) is None
        summer = one_offset_stretch(day_start(date(2025, 5, 1)), day_start(date(2025, 6, 1)))
        assert summer[2] == 2 * 3600
        assert date(2025, 3, 29) <= timezone.localtime(summer[0]).date() <= date(2025, 3, 31)


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    moment=moments,
    period_start=st.dates(min_value=date(2012, 1, 1), max_value=date(2030, 1, 1)),
    period_days=st.integers(0, 800),
)
def test_local_date_sql_gives_the_local_month_and_day_of_a_raw_column(
    zone, moment, period_start, period_days
):
    with timezone.override(zone):
        start = day_start(period_start)
        end = day_start(period_start + timedelta(days=period_days + 1))
        month, month_params = local_date_sql("month", "q.moment", start, end)
        day, day_params = local_date_sql("day", "q.moment", start, end)
        stored = connection.ops.adapt_datetimefield_value(moment)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {month}, {day} FROM (SELECT %s AS moment) q",
                (*month_params, *day_params, stored),
            )
            raw_month, raw_day = cursor.fetchone()
    local = moment.astimezone(ZoneInfo(zone)).date()
    assert _raw_date(raw_month) == local.replace(day=1)
    assert _raw_date(raw_day) == local


def _raw_date(value):
    """Raw SQL gives text on SQLite ('2025-05-01' or '2025-05-01 00:00:00'), dates or
    timestamps on PostgreSQL."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return _as_date(value)


@pytest.mark.parametrize(
    ("day", "month"),
    [
        (date(2025, 1, 1), date(2025, 1, 1)),
        (date(2025, 2, 28), date(2025, 2, 1)),
        (date(2024, 12, 31), date(2024, 12, 1)),
        (date(1999, 7, 15), date(1999, 7, 1)),
    ],
)
def test_month_of_date_is_the_first_day_of_the_dates_month(a_row, day, month):
    row = (
        User.objects.annotate(day=Value(day, output_field=DateField()))
        .annotate(month=month_of_date("day"))
        .values("month")
        .get()
    )
    assert row["month"] == month
