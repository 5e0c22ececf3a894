"""Server time of the business analytics pages (inflow, channels, forecast, repeat purchases)
and the sales plans page, rendered by their views through Django's RequestFactory.

Read-only: no session is written (the user is put on the request), and on PostgreSQL the
connection is switched to read-only transactions first, so the bench database is never changed.
Requests each page as a user who sees every deal (admin/viewer) and as a head, with the default
filter (last 12 months) and the whole two years; prints the median of N runs after one warm-up,
the number of SQL queries and the ratio to rendering /health/ in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/voronka_hd_bench \\
        .venv/bin/python bench/bench_analytics_business.py [--repeat 5]

Measured 24 Nov 2026, PostgreSQL, 100 000 demo deals (a copy of voronka_hd_bench after ANALYZE;
the original had never been analysed and its plans were nested loops estimated at 1 row), on a
shared 2-CPU machine with load average ~10, median of 5 (ms, viewer / head, last 12 months):
inflow 1536 / 1164, channels 907 / 993, forecast 610 / 380, repeat 1245 / 1402,
plans 650 / 907; queries per page 8–12 whatever the data size. The figures are DB-bound (the
grouped scans over ~42 000 deals of the year take 0.1–0.35 s each under that load). With
PostgreSQL's JIT on (the default, jit_above_cost 100 000) one repeat-purchase query spent
0.8 s of 1.3 s compiling: consider ``jit = off`` for this workload.
"""

import argparse
from datetime import timedelta

from _setup import median_seconds
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext, setup_test_environment
from django.urls import resolve
from django.utils import timezone

from voronka.accounts.models import Role, User
from voronka.pipeline.models import Deal

PAGES = [
    "/analytics/inflow/",
    "/analytics/channels/",
    "/analytics/forecast/",
    "/analytics/repeat/",
    "/plans/",
]


def render(factory: RequestFactory, user, path: str, params: dict):
    request = factory.get(path, params)
    request.user = user
    match = resolve(path)
    response = match.func(request, *match.args, **match.kwargs)
    assert response.status_code == 200, (path, response.status_code)
    return response


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    setup_test_environment()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    print(f"{connection.vendor}: {Deal.objects.count()} deals")
    today = timezone.localdate()
    whole = {"date_from": (today - timedelta(days=2 * 365)).isoformat(), "date_to": str(today)}
    users = [
        User.objects.filter(role__in=[Role.ADMIN, Role.VIEWER]).order_by("role", "pk").first(),
        User.objects.filter(role=Role.HEAD).order_by("pk").first(),
    ]
    factory = RequestFactory()
    print(f"{'user':8} {'page':24} {'period':8} {'median ms':>10} {'queries':>8} {'x health':>9}")
    for user in users:
        reference = median_seconds(
            lambda user=user: render(factory, user, "/health/", {}), repeat=args.repeat
        )
        for page in PAGES:
            for label, params in (("12 mon", {}), ("2 years", whole)):
                if page == "/plans/":
                    params = {"on": params.get("date_to", str(today))}

                def get(page=page, params=params, user=user):
                    render(factory, user, page, params)

                seconds = median_seconds(get, repeat=args.repeat)
                with CaptureQueriesContext(connection) as queries:
                    get()
                print(
                    f"{user.role:8} {page:24} {label:8} {seconds * 1000:10.1f} "
                    f"{len(queries):8} {seconds / reference:9.1f}"
                )


if __name__ == "__main__":
    main()
