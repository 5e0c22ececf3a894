"""Rolling back an import: seconds to remove N imported deals with their history.

    .venv/bin/python bench/bench_import_roll_back.py [--rows 10000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/voronka_bench .venv/bin/python bench/bench_import_roll_back.py

Works in a throw-away test database. Imports the generated export of `bench_import.py` (deals,
companies, line items, full history; the analytics summary built first, so the rollback keeps
it exact), then rolls the job back and reports the time and the rows removed.
"""

import argparse
import time

import _setup  # noqa: F401  (Django set-up)
from bench_import import _import, _seed, generated_file
from django.db import connection, connections
from django.test.utils import setup_test_environment


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    arguments = parser.parse_args()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from voronka.analytics.summary import summary_rebuild
        from voronka.imports import services
        from voronka.pipeline.models import Deal, StageChange

        summary_rebuild()
        admin, owners, stages = _seed()
        job, _check_seconds, import_seconds = _import(
            admin, generated_file(arguments.rows, owners, stages)
        )
        history = StageChange.objects.count()
        started = time.perf_counter()
        job = services.import_job_roll_back(job=job, user=admin, in_background=False)
        seconds = time.perf_counter() - started
        assert not Deal.objects.exists()
        print(f"{connection.vendor}: {job.created_count} deals imported in {import_seconds:.1f} s")
        print(f"rolled back in {seconds:.2f} s ({job.created_count / seconds:,.0f} deals/s, "
              f"{history} stage changes): {job.rollback_report}")  # fmt: skip
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
