"""Importer speed against a bulk-load reference measured in the same run.

    .venv/bin/python bench/bench_import.py [--rows 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/voronka_bench .venv/bin/python bench/bench_import.py

Works in a throw-away test database (created and dropped here; your data is not touched).
Generates a deals export of N rows (outcomes in the stage column, products with spelling
variants, owners, companies, bare dates), imports it through the same services as the wizard
(check + import, the full history: stage changes, stage visits, line items), then empties the
tables and loads exactly the rows the importer wrote with the database's fastest plain path:
COPY on PostgreSQL, executemany on SQLite, in one transaction: the companies, deals and history
tables, then the analytics summary rows the importer adds in the same transactions (stage
summary, about 8 per deal, and channel summary; reported apart). Reports deals/s, the ratio
importer/reference, this process's CPU time and peak memory, and the load average (the machine
is shared: compare runs at similar load).
SQLite runs in a file, as in production, not in the test runner's in-memory database.
Targets (issue 9): at least 2,000 deals/s and within 2× of the reference.
"""

import argparse
import csv
import io
import os
import random
import resource
import shutil
import tempfile
import time
from datetime import date, timedelta

import _setup  # noqa: F401  (Django set-up)
from django.conf import settings
from django.db import connection, connections
from django.test.utils import setup_test_environment

TABLES = [  # written by the importer, in insertion order
    "crm_company", "crm_contact", "pipeline_deal", "pipeline_deal_contacts",
    "pipeline_stagechange", "pipeline_stagevisit", "pipeline_amountchange",
    "pipeline_deallineitem",
]  # fmt: skip
# The analytics summary rows of the new deals (stages and channels): the importer writes them
# in the same transactions, so the reference loads them too (reported apart).
SUMMARY_TABLES = ["analytics_stagedaysummary", "analytics_channeldaysummary"]
HEADERS = ["opportunity_id", "Deal", "sales_agent", "product", "quantity", "unit price",
           "account", "INN", "deal_stage", "engage_date", "close_date"]  # fmt: skip


def generated_file(rows: int, owners: list[str], stages: list[str]) -> bytes:
    rnd = random.Random(9)
    products = ["Сервер R200", "сервер R-200", "Кабель", "Лицензия «Про»", "лицензия про"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    start = date(2016, 1, 1)
    for number in range(rows):
        created = start + timedelta(days=rnd.randrange(700))
        stage = rnd.choices([*stages, "Won", "Lost"], [1] * len(stages) + [3, 4])[0]
        closed = (
            created + timedelta(days=rnd.randrange(0, 120)) if stage in {"Won", "Lost"} else None
        )
        company = rnd.randrange(max(1, rows // 20))
        writer.writerow([
            f"OPP-{number}", f"Deal {number}", rnd.choice(owners), rnd.choice(products),
            rnd.randrange(1, 5), rnd.randrange(100, 50_000), f"Account {company}",
            f"77{company:08d}", stage, created.isoformat(), closed.isoformat() if closed else "",
        ])  # fmt: skip
    return buffer.getvalue().encode()


def _seed():
    from tests.factories import ProductFactory, UserFactory, make_pipeline

    pipeline = make_pipeline()
    ProductFactory(name="Сервер R200", sku="R200")
    admin = UserFactory(role="admin", username="bench-admin")
    owners = [UserFactory(username=f"agent{n}").username for n in range(30)]
    return admin, owners, [stage.name for stage in pipeline.stages.order_by("order")]


def _import(admin, data: bytes):
    from voronka.imports import services

    job = services.import_job_create(user=admin, kind="deals", file_name="bench.csv", data=data)
    started = time.perf_counter()
    report = services.import_check(job=job)
    checked = time.perf_counter()
    job = services.import_job_start(
        job=job, user=admin, valid_only=False, on_match="update", in_background=False
    )
    finished = time.perf_counter()
    assert report["invalid"] == 0, report["errors"][:5]
    assert job.status == "done", job.message
    return job, checked - started, finished - checked


def _dump() -> dict[str, tuple[list[str], list[tuple]]]:
    dumped = {}
    with connection.cursor() as cursor:
        for table in [*TABLES, *SUMMARY_TABLES]:
            cursor.execute(f"SELECT * FROM {table}")
            columns = [column[0] for column in cursor.description]
            dumped[table] = (columns, cursor.fetchall())
    return dumped


def _empty():
    with connection.cursor() as cursor:
        for table in reversed([*TABLES, *SUMMARY_TABLES]):
            cursor.execute(f"DELETE FROM {table}")


def _reference_load(dumped, tables) -> float:
    """The same rows through the fastest plain path of the database."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in tables:
                columns, rows = dumped[table]
                names = ", ".join(f'"{column}"' for column in columns)
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            for table in tables:
                columns, rows = dumped[table]
                marks = ", ".join(["%s"] * len(columns))
                names = ", ".join(f'"{column}"' for column in columns)
                cursor.executemany(
                    f"INSERT INTO {table} ({names}) VALUES ({marks})",
                    rows,
                )
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    arguments = parser.parse_args()
    setup_test_environment()
    # Seeding hashes 31 passwords; the slow default hasher would only cost waiting.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    scratch = None
    if connection.vendor == "sqlite":  # a file like production, not the in-memory test default
        scratch = tempfile.mkdtemp(prefix="bench-import-")
        connection.settings_dict["TEST"]["NAME"] = os.path.join(scratch, "bench.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from django.db import transaction

        admin, owners, stages = _seed()
        data = generated_file(arguments.rows, owners, stages)
        load_before = os.getloadavg()
        peak_before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        cpu_started = time.process_time()
        job, check_seconds, import_seconds = _import(admin, data)
        import_cpu = time.process_time() - cpu_started  # check included
        # Peak memory so far: generating the file, seeding, checking and importing. The dump
        # for the reference below holds every written row, so /usr/bin/time's peak is higher.
        import_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        deals = job.created_count
        dumped = _dump()
        counts = {table: len(rows) for table, (_columns, rows) in dumped.items()}
        _empty()
        cpu_started = time.process_time()
        started = time.perf_counter()
        with transaction.atomic():
            history_seconds = _reference_load(dumped, TABLES)
            _reference_load(dumped, SUMMARY_TABLES)
        reference_seconds = time.perf_counter() - started  # the commit included
        reference_cpu = time.process_time() - cpu_started
        rate = deals / import_seconds
        print(f"{connection.vendor}: {arguments.rows} rows, {deals} deals created")
        print("rows written: " + ", ".join(f"{table} {count}" for table, count in counts.items()))
        print(f"check (read + resolve every row): {check_seconds:.1f} s")
        print(f"import: {import_seconds:.1f} s = {rate:,.0f} deals/s")
        print(f"reference load of the same rows: {reference_seconds:.1f} s = "
              f"{deals / reference_seconds:,.0f} deals/s (of which the history tables "
              f"{history_seconds:.1f} s = {deals / history_seconds:,.0f} deals/s, before the "
              f"summary rows and the commit)")  # fmt: skip
        print(f"importer / reference: {import_seconds / reference_seconds:.2f}×  "
              f"(targets: ≥ 2,000 deals/s and ≤ 2×); against the history tables alone: "
              f"{import_seconds / history_seconds:.2f}×")  # fmt: skip
        print(f"CPU time of this process: check + import {import_cpu:.1f} s, "
              f"reference {reference_cpu:.1f} s")  # fmt: skip
        print(f"peak memory of this process: {peak_before_mb:.0f} MB before the import (set-up, "
              f"the generated file), {import_peak_mb:.0f} MB at its end: the import added "
              f"{import_peak_mb - peak_before_mb:.0f} MB")  # fmt: skip
        print("load average (1, 5, 15 min): before the import "
              + " ".join(f"{value:.2f}" for value in load_before) + ", at the end "
              + " ".join(f"{value:.2f}" for value in os.getloadavg()))  # fmt: skip
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
