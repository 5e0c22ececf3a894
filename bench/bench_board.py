"""Server time of the pipeline board with many open deals in one pipeline.

Fills (once) a pipeline «Board bench» with `--deals` open deals spread over its stages, owned
by a few managers of one department, with their stage history (`write_historical_deals`).
Then times the board view through Django's test Client (no network, no server process):
median over `--requests` requests for an admin (every deal), the department head and one
manager, plus the board with the "only rotting" filter. The reference is /health/ (one
trivial query) in the same run. Each request's wall time and the process's CPU time are both
reported: on a busy machine wall time includes waiting for a CPU, CPU time does not (SQLite
runs inside the process, so its work is counted).

    DATABASE_URL=sqlite:////tmp/board.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/board.sqlite3 .venv/bin/python bench/bench_board.py --deals 10000
"""

import argparse
import os
import random
import statistics
import time
from datetime import timedelta
from decimal import Decimal

os.environ.setdefault("DEBUG", "0")  # production-like: no debug query log, no debug pages

from _setup import median_seconds
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from voronka.accounts.models import Department, User
from voronka.pipeline.blueprints import B2B_SALES, pipeline_create_from_blueprint
from voronka.pipeline.bulk import HistoricalDeal, write_historical_deals
from voronka.pipeline.models import Deal, DealStatus, Pipeline

PIPELINE_NAME = "Board bench"


def _user(username: str, role: str, department=None) -> User:
    user, _created = User.objects.get_or_create(
        username=username, defaults={"role": role, "department": department}
    )
    return user


def prepare(deal_count: int, seed: int = 7):
    """The bench pipeline with `deal_count` open deals; reused when it is already there."""
    department, _created = Department.objects.get_or_create(name="Board bench")
    admin = _user("bench.admin", "admin")
    head = _user("bench.head", "head", department)
    managers = [_user(f"bench.manager{i}", "manager", department) for i in range(1, 9)]
    pipeline = Pipeline.objects.filter(name=PIPELINE_NAME).first()
    if pipeline is None:
        pipeline = pipeline_create_from_blueprint(B2B_SALES, name=PIPELINE_NAME)
    stages = list(pipeline.stages.order_by("order"))
    missing = deal_count - Deal.objects.filter(pipeline=pipeline, status=DealStatus.OPEN).count()
    if missing > 0:
        rng = random.Random(seed)
        now = timezone.now()
        items = []
        for i in range(missing):
            reached = rng.randrange(len(stages))
            created = now - timedelta(days=rng.randint(reached * 3 + 1, 200))
            path, moment = [], created
            for stage in stages[: reached + 1]:
                path.append((stage, moment))
                moment = min(now, moment + timedelta(days=rng.randint(1, 20)))
            amount = Decimal(rng.randrange(50, 5000) * 1000)
            deal = Deal(
                title=f"Bench deal {i}",
                owner=managers[i % len(managers)],
                pipeline=pipeline,
                amount=amount,
            )
            items.append(HistoricalDeal(deal=deal, path=path))
        write_historical_deals(items)
    return pipeline, {"admin": admin, "head": head, "manager": managers[0]}


def count_queries(get, url: str) -> int:
    seen = []

    def counting(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        get(url)
    return len(seen)


def timed(get, url: str, repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of `repeat` requests after two warm-up requests."""
    get(url)
    get(url)
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        get(url)
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    return statistics.median(wall), statistics.median(cpu)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    pipeline, users = prepare(args.deals)
    open_deals = Deal.objects.filter(pipeline=pipeline, status=DealStatus.OPEN).count()
    print(f"open deals in «{PIPELINE_NAME}»: {open_deals} ({connection.vendor})")
    # Keep one connection across requests, as a server with CONN_MAX_AGE would.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    board = reverse("pipeline:board", args=[pipeline.pk])
    client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="ru")

    def get(url):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")

    client.force_login(users["admin"])
    reference = median_seconds(lambda: get("/health/"), repeat=args.requests)
    print(f"{'page':44} {'wall ms':>8} {'cpu ms':>7} {'queries':>7} {'x health':>8}")
    print(f"{'/health/':44} {reference * 1000:8.1f} {'':>7} {1:7} {1.0:8.1f}")
    for role, query in [
        ("admin", ""),
        ("admin", "?only_rotting=true"),
        ("head", ""),
        ("manager", ""),
    ]:
        client.force_login(users[role])
        url = board + query
        queries = count_queries(get, url)
        wall, cpu = timed(get, url, args.requests)
        label = f"{url} ({role})"
        print(
            f"{label:44} {wall * 1000:8.1f} {cpu * 1000:7.1f} {queries:7} {wall / reference:8.1f}"
        )
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
