"""Hand-written SQL computing the raw figures of velocity, transitions and managers.

The floor a page is compared with: the same counts over the same deals (default pipeline, the
default 12-month cohort, the user's visible owners) written directly against the tables, with
no summary. A page at 1.0× does nothing but this SQL; the summary lets a page go below 1.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.db import connection


def _scope(user):
    from voronka.accounts.visibility import visible_users
    from voronka.analytics.filters import day_start, default_period, default_pipeline

    date_from, date_to = default_period()
    pipeline = default_pipeline()
    params = [pipeline.pk, day_start(date_from), day_start(date_to + timedelta(days=1))]
    where = "d.pipeline_id = %s AND d.first_contact_at >= %s AND d.first_contact_at < %s"
    if not user.sees_everything:
        owners = list(visible_users(user).values_list("pk", flat=True)) or [0]
        where += f" AND d.owner_id IN ({', '.join(['%s'] * len(owners))})"
        params += owners
    return where, params


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


REFERENCE_SQL = {
    "/analytics/velocity/": velocity_sql,
    "/analytics/transitions/": transitions_sql,
    "/analytics/managers/": managers_sql,
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
