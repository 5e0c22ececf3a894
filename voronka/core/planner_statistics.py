"""Fresh planner statistics after a bulk load.

Without them the planner guesses: SQLite never gathers statistics by itself (`sqlite_stat1`
stays empty) and PostgreSQL waits for autovacuum, and both then pick per-row index searches
or nested loops that turn seconds into minutes at 100k deals (issue 10).
"""

from django.db import connection

# Below this many written rows the existing statistics are still close enough.
BULK_ROWS = 1000


def planner_statistics_refresh(*, rows_written: int) -> bool:
    """Refresh the statistics after a load of `rows_written` rows; return whether it ran.

    SQLite: `PRAGMA optimize` analyses only the tables whose statistics are missing or stale;
    PostgreSQL: ANALYZE, which samples a fixed number of rows per table."""
    if rows_written < BULK_ROWS:
        return False
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA optimize")
        else:
            cursor.execute("ANALYZE")
    return True
