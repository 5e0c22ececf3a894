"""HTTP load test: locust (headless, loopback) against two gunicorn processes on one database.

    .venv/bin/python bench/load_test.py --size 100k            # PostgreSQL voronka_bench_100k
    .venv/bin/python bench/load_test.py --database-url sqlite:///var/bench/10k.sqlite3

Starts gunicorn (2 worker processes, cache in Redis at $REDIS_URL, default
redis://127.0.0.1:6379/3) on 127.0.0.1:$BENCH_PORT (default 24680), runs bench/locustfile.py
with a bounded number of users for 30 s, and writes requests/s, p50/p95/p99 and errors per
request type to bench/results/<date>-load-<engine>-<size>.json with the machine's description.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from bench_suite import RESULTS, ROOT, database_url, machine


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in {seconds} s")


def milliseconds(value: str) -> float:
    """Locust writes N/A for a request type that got no response."""
    try:
        return float(value)
    except ValueError:
        return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="10k")
    parser.add_argument("--engine", default="postgres", choices=["postgres", "sqlite"])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 24680)))
    args = parser.parse_args()
    url = args.database_url or database_url(args.engine, args.size)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEBUG": "0",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3"),
    }
    deal_ids = (
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "--no-imports",
                "-c",
                "from voronka.pipeline.models import Deal; print(','.join(str(pk) for pk in "
                "Deal.objects.filter(owner__department__name='Москва').order_by('-pk')"
                ".values_list('pk', flat=True)[:200]))",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )  # the shell may print a banner first
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env
    )
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi:application"]
        + ["--bind", f"127.0.0.1:{args.port}", "--workers", "2", "--threads", "4"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stem = f"{datetime.now(UTC):%Y-%m-%d}-load-{args.engine}-{args.size}"
    RESULTS.mkdir(parents=True, exist_ok=True)
    csv_prefix = RESULTS / stem
    try:
        wait_for(f"{base}/health/")
        subprocess.run(
            [str(ROOT / ".venv/bin/locust"), "-f", str(ROOT / "bench" / "locustfile.py")]
            + ["--headless", "--host", base, "--users", str(args.users)]
            + ["--spawn-rate", str(args.users), "--run-time", f"{args.seconds}s"]
            + ["--csv", str(csv_prefix), "--only-summary", "--loglevel", "WARNING"],
            cwd=ROOT,
            env={**env, "BENCH_DEAL_IDS": deal_ids or "1"},
            check=False,
        )
    finally:
        server.terminate()
        server.wait(20)
    rows = []
    with open(f"{csv_prefix}_stats.csv") as handle:
        for row in csv.DictReader(handle):
            rows.append(
                {
                    "name": row["Name"],
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "requests_per_s": round(float(row["Requests/s"]), 1),
                    "p50_ms": milliseconds(row["50%"]),
                    "p95_ms": milliseconds(row["95%"]),
                    "p99_ms": milliseconds(row["99%"]),
                }
            )
    result = {
        "engine": args.engine,
        "size": args.size,
        "users": args.users,
        "seconds": args.seconds,
        "servers": "gunicorn: 2 worker processes × 4 threads, Redis cache",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "rows": rows,
    }
    (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    for row in rows:
        print(
            f"{row['name']:16} {row['requests']:6} req {row['requests_per_s']:7.1f}/s "
            f"p50 {row['p50_ms']:6.0f} p95 {row['p95_ms']:6.0f} p99 {row['p99_ms']:6.0f} ms "
            f"errors {row['failures']}"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
