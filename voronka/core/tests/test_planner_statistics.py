"""After a bulk load the planner gets fresh statistics (issue 10: SQLite never gathers them by
itself, and without them it planned a page at 100k deals as minutes of per-row searches)."""

import pytest
from django.db import connection

from tests.factories import make_deal
from voronka.core.planner_statistics import BULK_ROWS, planner_statistics_refresh
from voronka.pipeline.models import Deal

pytestmark = pytest.mark.django_db


def analysed_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return set()
        cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        return {row[0] for row in cursor.fetchall()}


def test_a_small_load_keeps_the_statistics_it_has():
    assert planner_statistics_refresh(rows_written=BULK_ROWS - 1) is False


@pytest.mark.skipif(connection.vendor != "sqlite", reason="sqlite_stat1 is SQLite's")
def test_a_bulk_load_gathers_sqlite_statistics_for_the_tables_it_used(pipeline):
    for _ in range(3):
        make_deal(pipeline=pipeline)
    assert Deal.objects.filter(title__startswith="Поставка").count() == 3

    assert planner_statistics_refresh(rows_written=BULK_ROWS) is True

    assert "pipeline_deal" in analysed_tables()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's ANALYZE")
def test_a_bulk_load_analyses_postgresql(pipeline):
    make_deal(pipeline=pipeline)
    assert planner_statistics_refresh(rows_written=BULK_ROWS) is True
