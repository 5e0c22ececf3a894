"""Hand-written SQL computing the raw figures of the analytics pages.

The floor a page is compared with: the same counts over the same deals (default pipeline, the
default 12-month cohort, the user's visible owners) written directly against the tables, with
no summary. A page at 1.0× does nothing but this SQL; a summary lets a page go below 1.
Velocity, transitions and managers; inflow, channels, repeat purchases and advice; funnel,
forecast and win probability.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.db import connection


def _period():
    from voronka.analytics.filters import day_start, default_period

    date_from, date_to = default_period()
    return day_start(date_from), day_start(date_to + timedelta(days=1))


def _owners(user, column="d.owner_id"):
    """The visible-owner condition (empty for someone who sees everything) and its params."""
    from voronka.accounts.visibility import visible_users

    if user.sees_everything:
        return "", []
    owners = list(visible_users(user).values_list("pk", flat=True)) or [0]
    return f" AND {column} IN ({', '.join(['%s'] * len(owners))})", owners


def _scope(user):
    from voronka.analytics.filters import default_pipeline

    pipeline = default_pipeline()
    params = [pipeline.pk, *_period()]
    where = "d.pipeline_id = %s AND d.first_contact_at >= %s AND d.first_contact_at < %s"
    owners, owner_params = _owners(user)
    return where + owners, params + owner_params


def _local(column: str, vendor: str) -> str:
    """A timestamp column as the site's local wall-clock time (its day, week and month)."""
    from django.conf import settings

    if vendor == "postgresql":
        return f"({column} AT TIME ZONE '{settings.TIME_ZONE}')"
    return f"django_datetime_cast_date({column}, '{settings.TIME_ZONE}', 'UTC')"


def _trunc(kind: str, column: str, vendor: str) -> str:
    from django.conf import settings

    if vendor == "postgresql":
        return f"DATE_TRUNC('{kind}', {_local(column, vendor)})"
    return f"django_datetime_trunc('{kind}', {column}, '{settings.TIME_ZONE}', 'UTC')"


def _day_difference(later: str, earlier: str, vendor: str) -> str:
    if vendor == "postgresql":
        return f"({_local(later, vendor)})::date - ({_local(earlier, vendor)})::date"
    return (
        f"CAST(julianday({_local(later, vendor)}) - julianday({_local(earlier, vendor)}) "
        "AS INTEGER)"
    )


def _days(vendor: str) -> str:
    if vendor == "postgresql":
        return "FLOOR(EXTRACT(EPOCH FROM (COALESCE(v.left_at, %s) - v.entered_at)) / 86400)"
    return "CAST(julianday(COALESCE(v.left_at, %s)) - julianday(v.entered_at) AS INTEGER)"


def velocity_sql(user, vendor):
    from django.utils import timezone

    where, params = _scope(user)
    now = timezone.now()
    return [
        (
            f"SELECT v.stage_id, {_days(vendor)} AS days, v.left_at IS NULL, COUNT(*) "
            "FROM pipeline_stagevisit v JOIN pipeline_deal d ON d.id = v.deal_id "
            f"WHERE v.pipeline_id = d.pipeline_id AND {where} GROUP BY 1, 2, 3",
            [now, *params],
        ),
        (
            "SELECT v.stage_id, COUNT(DISTINCT v.deal_id), "
            "SUM(CASE WHEN v.left_at IS NULL THEN 1 ELSE 0 END) "
            "FROM pipeline_stagevisit v JOIN pipeline_deal d ON d.id = v.deal_id "
            f"WHERE v.pipeline_id = d.pipeline_id AND {where} GROUP BY 1",
            params,
        ),
        (
            "SELECT d.stage_id, COUNT(*), SUM(d.amount) FROM pipeline_deal d "
            f"WHERE d.status = 'lost' AND {where} GROUP BY 1",
            params,
        ),
    ]


def transitions_sql(user, vendor):
    where, params = _scope(user)
    return [
        (
            "SELECT c.kind, c.from_stage_id, c.to_stage_id, COUNT(*) "
            "FROM pipeline_stagechange c JOIN pipeline_deal d ON d.id = c.deal_id "
            "WHERE c.kind IN ('moved', 'won', 'lost') AND c.from_stage_id IS NOT NULL "
            f"AND {where} GROUP BY 1, 2, 3",
            params,
        )
    ]


def managers_sql(user, vendor):
    where, params = _scope(user)
    return [
        (
            "SELECT v.owner_id, v.stage_id, COUNT(*), "
            "SUM(CASE WHEN v.outcome IN ('advanced', 'won') THEN 1 ELSE 0 END) "
            "FROM pipeline_stagevisit v JOIN pipeline_deal d ON d.id = v.deal_id "
            f"WHERE v.pipeline_id = d.pipeline_id AND v.outcome <> '' AND {where} GROUP BY 1, 2",
            params,
        )
    ]


def inflow_sql(user, vendor):
    """Weekly cohorts per owner; deals carried into the period; closes per owner and week."""
    from voronka.analytics.filters import default_pipeline

    where, params = _scope(user)
    start, end = _period()
    owners, owner_params = _owners(user)
    pipeline = default_pipeline().pk
    return [
        (
            f"SELECT d.owner_id, {_trunc('week', 'd.first_contact_at', vendor)}, COUNT(*), "
            "SUM(CASE WHEN d.status = 'won' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN d.status = 'lost' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN d.status = 'open' THEN 1 ELSE 0 END) "
            f"FROM pipeline_deal d WHERE {where} GROUP BY 1, 2",
            params,
        ),
        (
            "SELECT d.owner_id, COUNT(*) FROM pipeline_deal d WHERE d.pipeline_id = %s "
            "AND d.first_contact_at < %s AND (d.closed_at IS NULL OR d.closed_at >= %s)"
            f"{owners} GROUP BY 1",
            [pipeline, start, start, *owner_params],
        ),
        (
            f"SELECT d.owner_id, {_trunc('week', 'd.closed_at', vendor)}, COUNT(*) "
            "FROM pipeline_deal d WHERE d.pipeline_id = %s AND d.closed_at >= %s "
            f"AND d.closed_at < %s{owners} GROUP BY 1, 2",
            [pipeline, start, end, *owner_params],
        ),
    ]


def channels_sql(user, vendor):
    """Per source × customer type × maturity × month; won cycles in days per source; costs.

    From the raw tables (deals joined to their companies). The page sums the channel summary
    (`ChannelDaySummary`) instead of the first statement once the summary is built, and runs
    the other two as they are.
    """
    from voronka.analytics.filters import default_period

    where, params = _scope(user)
    date_from, date_to = default_period()
    return [
        (
            "SELECT d.lead_source_id, c.customer_type, d.is_returning_customer, "
            f"{_trunc('month', 'd.first_contact_at', vendor)}, COUNT(*), "
            "SUM(CASE WHEN d.status = 'won' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN d.status = 'lost' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN d.status = 'open' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN d.status = 'won' THEN d.amount END) "
            "FROM pipeline_deal d LEFT JOIN crm_company c ON c.id = d.company_id "
            f"WHERE {where} GROUP BY 1, 2, 3, 4",
            params,
        ),
        (
            f"SELECT d.lead_source_id, {_day_difference('d.closed_at', 'd.first_contact_at', vendor)}"
            f", COUNT(*) FROM pipeline_deal d WHERE d.status = 'won' AND {where} GROUP BY 1, 2",
            params,
        ),
        (
            "SELECT source_id, SUM(amount) FROM crm_leadsourcecost "
            "WHERE month >= %s AND month <= %s GROUP BY 1",
            [date_from.replace(day=1), date_to],
        ),
    ]


def repeat_sql(user, vendor):
    """Each company's wins numbered in order; the first ones in the period with the next win."""
    from voronka.analytics.filters import default_pipeline

    start, end = _period()
    owners, owner_params = _owners(user)
    return [
        (
            f"SELECT {_trunc('month', 'q.closed_at', vendor)}, "
            f"{_day_difference('q.second_at', 'q.closed_at', vendor)}, COUNT(*) FROM ("
            "SELECT d.closed_at, ROW_NUMBER() OVER w AS n, LEAD(d.closed_at) OVER w AS second_at "
            "FROM pipeline_deal d WHERE d.pipeline_id = %s AND d.status = 'won' "
            f"AND d.company_id IS NOT NULL AND d.closed_at IS NOT NULL{owners} "
            "WINDOW w AS (PARTITION BY d.company_id ORDER BY d.closed_at, d.id)"
            ") q WHERE q.n = 1 AND q.closed_at >= %s AND q.closed_at < %s GROUP BY 1, 2",
            [default_pipeline().pk, *owner_params, start, end],
        )
    ]


def advice_sql(user, vendor):
    """Stalled open deals; closed stays per seller and stage of the pipeline; open load."""
    from django.utils import timezone

    from voronka.accounts.models import Role
    from voronka.accounts.visibility import visible_users
    from voronka.analytics.filters import default_pipeline

    pipeline = default_pipeline()
    now = timezone.now()
    rotting = [
        (stage.pk, now - timedelta(days=stage.rotting_days))
        for stage in pipeline.stages.filter(rotting_days__isnull=False)
    ] or [(0, now)]
    owners, owner_params = _owners(user)
    people = list(
        visible_users(user).filter(role__in=[Role.MANAGER, Role.HEAD]).values_list("pk", flat=True)
    ) or [0]
    return [
        (
            "SELECT d.*, u.*, s.*, c.* FROM pipeline_deal d "
            "JOIN accounts_user u ON u.id = d.owner_id JOIN pipeline_stage s ON s.id = d.stage_id "
            "LEFT JOIN crm_company c ON c.id = d.company_id "
            "WHERE d.pipeline_id = %s AND d.status = 'open' AND ("
            + " OR ".join(["(d.stage_id = %s AND d.stage_entered_at < %s)"] * len(rotting))
            + f"){owners} ORDER BY d.stage_entered_at, d.id LIMIT 50",
            [pipeline.pk, *[value for pair in rotting for value in pair], *owner_params],
        ),
        (
            "SELECT v.owner_id, v.stage_id, COUNT(*), "
            "SUM(CASE WHEN v.outcome IN ('advanced', 'won') THEN 1 ELSE 0 END) "
            "FROM pipeline_stagevisit v WHERE v.pipeline_id = %s AND v.outcome <> '' "
            "GROUP BY 1, 2",
            [pipeline.pk],
        ),
        (
            "SELECT d.owner_id, COUNT(*) FROM pipeline_deal d WHERE d.status = 'open' "
            f"AND d.owner_id IN ({', '.join(['%s'] * len(people))}) GROUP BY 1",
            people,
        ),
    ]


def _previous_period():
    """The funnel's comparison cohort: the period of the same length that ends the day before."""
    from voronka.analytics.filters import day_start, default_period

    date_from, date_to = default_period()
    new_to = date_from - timedelta(days=1)
    return day_start(new_to - (date_to - date_from)), day_start(new_to + timedelta(days=1))


def _weighted(amount: str, vendor: str) -> str:
    """amount × the deal's probability now: its win probability, else its stage's manual one."""
    real = "double precision" if vendor == "postgresql" else "REAL"
    probability = f"COALESCE(d.win_probability, CAST(s.probability AS {real}) / 100.0)"
    return f"CAST({amount} AS {real}) * {probability}"


def funnel_sql(user, vendor):
    """Per furthest stage: deals, amount, won/lost/open and won amount; this period and the one
    before (the page's comparison)."""
    from voronka.analytics.filters import default_pipeline

    owners, owner_params = _owners(user)
    pipeline = default_pipeline().pk
    sql = (
        "SELECT d.furthest_stage_id, COUNT(*), SUM(d.amount), "
        "SUM(CASE WHEN d.status = 'won' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN d.status = 'lost' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN d.status = 'open' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN d.status = 'won' THEN d.amount END) FROM pipeline_deal d "
        "WHERE d.pipeline_id = %s AND d.first_contact_at >= %s AND d.first_contact_at < %s"
        f"{owners} GROUP BY 1"
    )
    return [(sql, [pipeline, *period, *owner_params]) for period in (_period(), _previous_period())]


def forecast_sql(user, vendor):
    """Open deals of any first contact per expected close month: count, amount, weighted
    amount; their line items per product: deals, quantity, revenue, weighted revenue."""
    from voronka.analytics.filters import default_pipeline

    owners, owner_params = _owners(user)
    params = [default_pipeline().pk, *owner_params]
    if vendor == "postgresql":
        month = "DATE_TRUNC('month', d.expected_close_date)"
        line = "CAST(i.quantity AS double precision) * CAST(i.unit_price AS double precision)"
    else:
        month = "strftime('%%Y-%%m-01', d.expected_close_date)"
        line = "CAST(i.quantity AS REAL) * CAST(i.unit_price AS REAL)"
    open_deals = f"d.pipeline_id = %s AND d.status = 'open'{owners}"
    return [
        (
            f"SELECT {month}, COUNT(*), SUM(d.amount), SUM({_weighted('d.amount', vendor)}) "
            "FROM pipeline_deal d JOIN pipeline_stage s ON s.id = d.stage_id "
            f"WHERE {open_deals} GROUP BY 1",
            params,
        ),
        (
            "SELECT i.product_id, p.name, r.name, p.unit, COUNT(DISTINCT i.deal_id), "
            f"SUM(i.quantity), SUM({line}), SUM({_weighted(line, vendor)}) "
            "FROM pipeline_deallineitem i JOIN pipeline_deal d ON d.id = i.deal_id "
            "JOIN pipeline_stage s ON s.id = d.stage_id "
            "JOIN catalog_product p ON p.id = i.product_id "
            "JOIN catalog_direction r ON r.id = p.direction_id "
            f"WHERE {open_deals} GROUP BY 1, 2, 3, 4",
            params,
        ),
    ]


def win_probability_sql(user, vendor):
    """The cohort's open deals per stage: count, estimated, amount, weighted amount, average
    estimate; the 20 with the largest weighted amount (with stage, owner and company)."""
    where, params = _scope(user)
    weighted = _weighted("d.amount", vendor)
    return [
        (
            "SELECT d.stage_id, COUNT(*), "
            "SUM(CASE WHEN d.win_probability IS NOT NULL THEN 1 ELSE 0 END), SUM(d.amount), "
            f"SUM({weighted}), AVG(d.win_probability) "
            "FROM pipeline_deal d JOIN pipeline_stage s ON s.id = d.stage_id "
            f"WHERE d.status = 'open' AND {where} GROUP BY 1",
            params,
        ),
        (
            f"SELECT d.*, {weighted} AS weighted, s.*, u.*, c.* FROM pipeline_deal d "
            "JOIN pipeline_stage s ON s.id = d.stage_id "
            "JOIN accounts_user u ON u.id = d.owner_id "
            "LEFT JOIN crm_company c ON c.id = d.company_id "
            f"WHERE d.status = 'open' AND {where} "
            "ORDER BY weighted DESC NULLS LAST, d.id LIMIT 20",
            params,
        ),
    ]


REFERENCE_SQL = {
    "/analytics/velocity/": velocity_sql,
    "/analytics/transitions/": transitions_sql,
    "/analytics/managers/": managers_sql,
    "/analytics/inflow/": inflow_sql,
    "/analytics/channels/": channels_sql,
    "/analytics/repeat/": repeat_sql,
    "/analytics/managers/advice/": advice_sql,
    "/analytics/funnel/": funnel_sql,
    "/analytics/forecast/": forecast_sql,
    "/analytics/win-probability/": win_probability_sql,
}


def run_reference_sql(page: str, user, *, repeat: int, vendor: str) -> list[float]:
    statements = REFERENCE_SQL[page](user, vendor)
    timings = []
    with connection.cursor() as cursor:
        for run in range(repeat + 1):
            started = time.perf_counter()
            for sql, params in statements:
                cursor.execute(sql, params)
                cursor.fetchall()
            if run:  # the first run warms the cache
                timings.append(time.perf_counter() - started)
    return timings
