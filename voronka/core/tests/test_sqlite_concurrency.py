"""SQLite runs in WAL mode: a long read never blocks a write (issue 10).

These tests open their own connections to a real database file built from the same
DATABASE_URL parsing the settings use, because the test suite's own SQLite database lives in
memory, where journal modes do not apply.
"""

import threading
import time

import pytest
from django.db import OperationalError
from django.db.backends.sqlite3.base import DatabaseWrapper

from config.settings.database_url import database_from_url

# transaction=True: no test-wide transaction wraps the threads' own connections.
pytestmark = pytest.mark.django_db(transaction=True)


def _connection(path, **option_overrides) -> DatabaseWrapper:
    settings_dict = database_from_url(f"sqlite:///{path}", base_dir=path.parent)
    settings_dict["OPTIONS"].update(option_overrides)
    for key, default in (("TIME_ZONE", None), ("CONN_HEALTH_CHECKS", False)):
        settings_dict.setdefault(key, default)
    settings_dict.setdefault("CONN_MAX_AGE", 0)
    settings_dict.setdefault("AUTOCOMMIT", True)
    settings_dict.setdefault("ATOMIC_REQUESTS", False)
    settings_dict.setdefault("TEST", {})
    return DatabaseWrapper(settings_dict, alias="sqlite_concurrency")


def _fill(path, **options) -> None:
    connection = _connection(path, **options)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE deal (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL)")
        cursor.execute("BEGIN")
        cursor.executemany(
            "INSERT INTO deal (amount) VALUES (%s)", [(amount,) for amount in range(5000)]
        )
        cursor.execute("COMMIT")
    connection.close()


def _write_while_a_read_is_open(path, **options) -> float:
    """Hold a read transaction open in a thread; return how long a write's commit takes."""
    read_started = threading.Event()
    write_done = threading.Event()
    read_sum = []

    def long_read():
        reader = _connection(path, **options)
        with reader.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT amount FROM deal ORDER BY id")
            read_sum.append(sum(row[0] for row in cursor.fetchmany(100)))
            read_started.set()
            # The read is still in progress (rows left to fetch) while the write commits.
            write_done.wait(timeout=10)
            read_sum.append(sum(row[0] for row in cursor.fetchall()))
            cursor.execute("COMMIT")
        reader.close()

    reader_thread = threading.Thread(target=long_read)
    reader_thread.start()
    try:
        assert read_started.wait(timeout=10)
        writer = _connection(path, **options)
        started = time.perf_counter()
        try:
            with writer.cursor() as cursor:
                cursor.execute("BEGIN IMMEDIATE")
                cursor.execute("UPDATE deal SET amount = amount + 1 WHERE id = 1")
                cursor.execute("COMMIT")
        finally:
            elapsed = time.perf_counter() - started
            writer.close()
    finally:
        write_done.set()
        reader_thread.join(timeout=10)
    # The reader kept its snapshot: it saw the amounts as they were when its read began.
    assert sum(read_sum) == sum(range(5000))
    return elapsed


def test_every_sqlite_connection_runs_in_wal_mode_with_normal_sync(tmp_path):
    connection = _connection(tmp_path / "voronka.sqlite3")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 1  # NORMAL
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 20000
    connection.close()


def test_a_write_commits_promptly_while_a_long_read_is_running(tmp_path):
    path = tmp_path / "voronka.sqlite3"
    _fill(path)

    elapsed = _write_while_a_read_is_open(path)

    assert elapsed < 1.0
    check = _connection(path)
    with check.cursor() as cursor:
        cursor.execute("SELECT amount FROM deal WHERE id = 1")
        assert cursor.fetchone()[0] == 1
    check.close()


def test_without_wal_the_same_write_is_locked_out_by_the_read(tmp_path):
    """The control case: the rollback journal blocks the writer until the read ends."""
    path = tmp_path / "voronka.sqlite3"
    rollback_journal = {"init_command": "PRAGMA journal_mode=DELETE", "timeout": 0.3}
    _fill(path, **rollback_journal)

    with pytest.raises(OperationalError, match="locked"):
        _write_while_a_read_is_open(path, **rollback_journal)
