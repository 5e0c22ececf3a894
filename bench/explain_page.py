"""Every SQL query of one page, slowest first, with PostgreSQL's EXPLAIN (ANALYZE, BUFFERS).

Renders the page once through its view as an admin (or the first user of ``--role``), in a
read-only transaction, records its queries and their times, then explains the slowest ones.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/voronka_bench_1m \\
        .venv/bin/python bench/explain_page.py /analytics/inflow/ [--top 3] [--role head]
"""

import argparse
import time

from _setup import median_seconds  # noqa: F401  (sets Django up)
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django_htmx.middleware import HtmxDetails

from voronka.accounts.models import Role, User


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("--role", default="admin")
    parser.add_argument("--no-explain", action="store_true")
    args = parser.parse_args()
    roles = [Role.ADMIN, Role.VIEWER] if args.role == "admin" else [args.role]
    user = User.objects.filter(role__in=roles, is_active=True).order_by("role", "pk").first()
    request = RequestFactory().get(args.path)
    request.user = user
    request.session = {}  # nothing is stored: the advice page only pops its undo note
    request.htmx = HtmxDetails(request)  # what the htmx middleware adds (board, lists)
    match = resolve(args.path)
    match.func(request, *match.args, **match.kwargs)  # warm-up
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        response = match.func(request, *match.args, **match.kwargs)
    total = time.perf_counter() - started
    sql_time = sum(float(query["time"]) for query in queries.captured_queries)
    print(
        f"{args.path} as {user.role}: HTTP {response.status_code}, {total * 1000:.0f} ms, "
        f"{len(queries)} queries, {sql_time * 1000:.0f} ms in SQL"
    )
    slowest = sorted(queries.captured_queries, key=lambda query: -float(query["time"]))
    for query in slowest:
        print(f"{float(query['time']) * 1000:8.0f} ms  {query['sql'][:160]}")
    if args.no_explain or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for query in slowest[: args.top]:
            print("\n" + query["sql"] + "\n")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
