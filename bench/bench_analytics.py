"""Server time of the funnel-mechanics analytics pages through Django's test Client.

Signs in (force_login) as an admin or viewer (sees every deal: the largest figures) and as a head, and
requests each page with the default filter (the last 12 months) and with the whole two years of
demo history; prints the median of 5 runs after one warm-up, the number of SQL queries, and the
ratio to /health/ measured in the same run. Also times the win-probability recomputation.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/voronka_hd_bench \\
        .venv/bin/python bench/bench_analytics.py [--repeat 5]
"""

import argparse
import time
from datetime import timedelta

from _setup import median_seconds
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, setup_test_environment
from django.utils import timezone

from voronka.accounts.models import Role, User
from voronka.pipeline.models import Deal

PAGES = [
    "/analytics/funnel/",
    "/analytics/transitions/",
    "/analytics/velocity/",
    "/analytics/win-probability/",
    "/analytics/managers/",
    "/analytics/managers/advice/",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    setup_test_environment()
    print(f"{connection.vendor}: {Deal.objects.count()} deals")
    today = timezone.localdate()
    whole = {"date_from": (today - timedelta(days=2 * 365)).isoformat(), "date_to": str(today)}
    users = [
        # Someone who sees every deal: an admin, or the demo data's viewer.
        User.objects.filter(role__in=[Role.ADMIN, Role.VIEWER]).order_by("role", "pk").first(),
        User.objects.filter(role=Role.HEAD).order_by("pk").first(),
    ]
    client = Client()
    print(f"{'user':8} {'page':32} {'period':8} {'median ms':>10} {'queries':>8} {'x health':>9}")
    for user in users:
        client.force_login(user)
        reference = median_seconds(lambda: client.get("/health/"), repeat=args.repeat)
        for page in PAGES:
            for label, params in (("12 mon", {}), ("2 years", whole)):

                def get(page=page, params=params):
                    response = client.get(page, params)
                    assert response.status_code == 200, (page, response.status_code)

                seconds = median_seconds(get, repeat=args.repeat)
                with CaptureQueriesContext(connection) as queries:
                    get()
                print(
                    f"{user.role:8} {page:32} {label:8} {seconds * 1000:10.1f} "
                    f"{len(queries):8} {seconds / reference:9.1f}"
                )
    from voronka.analytics.filters import default_pipeline
    from voronka.analytics.win_probability import fit_win_model, recompute_win_probabilities

    # The model behind the estimates (the win-probability page's ?model=1, cached 15 minutes).
    seconds = median_seconds(lambda: fit_win_model(default_pipeline()), repeat=3, warmup=0)
    print(f"fit_win_model (uncached), default pipeline: {seconds * 1000:.0f} ms")

    started = time.perf_counter()
    updated = recompute_win_probabilities()
    print(
        f"recompute_win_probabilities: {updated} open deals in {time.perf_counter() - started:.2f} s"
    )


if __name__ == "__main__":
    main()
