"""The everyday pages (board, deal card, deal list, companies, home) per role: median and p95
of the whole request, the SQL time and query count of one more request, optionally the
slowest queries or a cProfile of one role's page (where the Python time goes).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/voronka_bench_100k \\
        .venv/bin/python bench/profile_pages.py --repeat 15 [--queries] [--profile head:board]
"""

import argparse
import cProfile
import os
import pstats
import statistics
import time

os.environ.setdefault("DEBUG", "0")  # as served: no query log kept in memory
from _setup import ROOT  # noqa: F401  (sets Django up)
from bench_suite import bench_users, card_urls
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, setup_test_environment


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--roles", default="admin,head,manager,viewer")
    parser.add_argument("--pages", default="board,deal,deals,companies,home")
    parser.add_argument("--queries", action="store_true", help="the five slowest queries")
    parser.add_argument("--profile", default="", help="role:page to profile, e.g. head:board")
    parser.add_argument("--sort", default="cumulative", help="cProfile order (tottime, …)")
    args = parser.parse_args()
    setup_test_environment()
    client = Client()
    print("load average", os.getloadavg(), connection.vendor)
    for role, user in bench_users(args.roles.split(",")).items():
        client.force_login(user)
        board, deal = card_urls(user)[:2]
        urls = {"board": board, "deal": deal, "deals": "/deals/", "companies": "/companies/"}
        urls["home"] = "/"
        for page in args.pages.split(","):
            url = urls[page]
            client.get(url)  # warm-up: caches, connections
            timings = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                client.get(url)
                timings.append(time.perf_counter() - started)
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            sql_ms = sum(float(query["time"]) for query in queries.captured_queries) * 1000
            timings.sort()
            p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
            print(
                f"{role:8} {page:10} median {statistics.median(timings) * 1000:7.1f} "
                f"p95 {p95 * 1000:7.1f} ms | SQL {sql_ms:6.1f} ms in {len(queries)} queries  {url}",
                flush=True,
            )
            if args.queries:
                slowest = sorted(queries.captured_queries, key=lambda query: -float(query["time"]))
                for query in slowest[:5]:
                    print(f"      {float(query['time']) * 1000:7.1f} {query['sql'][:200]}")
            if args.profile == f"{role}:{page}":
                profile = cProfile.Profile()
                profile.enable()
                for _ in range(3):
                    client.get(url)
                profile.disable()
                pstats.Stats(profile).sort_stats(args.sort).print_stats(40)
    print("load average", os.getloadavg())


if __name__ == "__main__":
    main()
