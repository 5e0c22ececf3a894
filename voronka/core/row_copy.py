"""Insert many plain rows fast: PostgreSQL COPY, or SQLite executemany in the open transaction.

Django's ``bulk_create`` builds a model instance and prepares every field of every row; for the
demo generator's tens of millions of rows that is most of the run time. Here the caller gives
plain tuples for the columns it sets; every other concrete column gets its model default once,
up front. The caller also chooses the primary keys (``table_next_id``), so related rows can be
built before anything is written; ``table_sync_id_sequence`` moves PostgreSQL's sequence past
them afterwards (SQLite's AUTOINCREMENT follows explicit ids by itself).

Values are Python objects (aware datetimes, dates, Decimals, str, int, bool, None); on SQLite
datetimes are stored the way Django stores them (naive UTC text).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import lru_cache

from django.db import connection, models, transaction


@lru_cache(maxsize=65536)  # imported histories repeat the same moments many times
def _sqlite_datetime(value):
    if value is None:
        return None
    return str(value.astimezone(UTC).replace(tzinfo=None))


def _sqlite_date(value):
    return None if value is None else value.isoformat()


class RowWriter:
    """Writes rows of one model; ``columns`` are the attnames the caller sets, in tuple order."""

    def __init__(self, model: type[models.Model], columns: Sequence[str], *, now: datetime):
        fields = {field.attname: field for field in model._meta.concrete_fields}
        unknown = [name for name in columns if name not in fields]
        if unknown:
            raise ValueError(f"{model.__name__} has no columns {unknown}")
        self.model = model
        self.vendor = connection.vendor
        filled = []
        defaults = []
        for name, field in fields.items():
            if name in columns or field.primary_key:
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = now
            elif field.has_default():
                value = field.get_default()
            elif field.null:
                value = None
            elif isinstance(field, models.CharField | models.TextField):
                value = ""
            else:
                raise ValueError(f"{model.__name__}.{name} needs a value (no default)")
            filled.append(name)
            defaults.append(self._convert(field, value))
        self.columns = list(columns) + filled
        self.defaults = tuple(defaults)
        self.converters = [
            (index, self._converter(fields[name]))
            for index, name in enumerate(columns)
            if self._converter(fields[name]) is not None
        ]
        table = connection.ops.quote_name(model._meta.db_table)
        column_sql = ", ".join(
            connection.ops.quote_name(fields[name].column) for name in self.columns
        )
        if self.vendor == "postgresql":
            self.sql = f"COPY {table} ({column_sql}) FROM STDIN"
        else:
            marks = ", ".join(["%s"] * len(self.columns))
            self.sql = f"INSERT INTO {table} ({column_sql}) VALUES ({marks})"

    def _converter(self, field):
        if isinstance(field, models.JSONField):  # the text Django stores, on both back ends
            encoder = field.encoder
            empty = json.dumps({}, cls=encoder)  # most rows' custom fields: encoded once

            def encode(value):
                if value is None:
                    return None
                return empty if value == {} else json.dumps(value, cls=encoder)

            return encode
        if self.vendor != "sqlite":
            return None
        if isinstance(field, models.DateTimeField):
            return _sqlite_datetime
        if isinstance(field, models.DateField):
            return _sqlite_date
        return None

    def _convert(self, field, value):
        if hasattr(value, "value") and isinstance(value, str):  # a TextChoices member
            value = str(value.value)
        if isinstance(field, models.JSONField):
            return field.get_db_prep_save(value, connection)
        converter = self._converter(field)
        if converter is not None and isinstance(value, date | datetime):
            return converter(value)
        return value

    def write(self, rows: Iterable[tuple]) -> int:
        """Insert the rows (each a tuple for ``columns``); returns how many were written."""
        defaults = self.defaults
        if self.converters:
            converters = self.converters

            def prepared():
                for row in rows:
                    values = list(row)
                    for index, convert in converters:
                        values[index] = convert(values[index])
                    values += defaults
                    yield values  # both drivers take a list: no second copy

            full_rows = prepared()
        else:
            full_rows = (row + defaults for row in rows)
        written = 0
        # The raw driver cursor below: wrap its errors as Django's (IntegrityError…) so callers
        # handle a refused row the same way as one refused through the ORM.
        with connection.wrap_database_errors, connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.cursor.copy(self.sql) as copy:
                    for row in full_rows:
                        copy.write_row(row)
                        written += 1
            else:
                batch = list(full_rows)
                # Django's wrapper would translate %s for every row; go to sqlite3 directly.
                cursor.cursor.executemany(self.sql.replace("%s", "?"), batch)
                written = len(batch)
        return written


def table_next_id(model: type[models.Model]) -> int:
    """The first free primary key of the model's table (max + 1)."""
    top = model.objects.aggregate(top=models.Max("pk"))["top"]
    return (top or 0) + 1


def table_reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Primary keys for ``count`` new rows that no other writer will take; call it inside the
    transaction that writes them.

    PostgreSQL hands them out from the table's identity sequence (safe beside concurrent
    inserts; like any insert, a rolled-back one leaves a gap). SQLite has a single writer: the
    transaction that holds the write lock takes the ids after the largest ever used (the
    AUTOINCREMENT counter), and SQLite moves the counter past them on insert.
    """
    if count <= 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        if not connection.in_atomic_block:
            raise RuntimeError("table_reserve_ids() needs the transaction that writes the rows")
        cursor.execute(f"SELECT MAX({quote(column)}) FROM {quote(table)}")
        top = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        counter = cursor.fetchone()
        first = max(top, counter[0] if counter else 0) + 1
    return list(range(first, first + count))


def table_sync_id_sequence(model: type[models.Model]) -> None:
    """After explicit ids, make PostgreSQL's identity sequence hand out the next free one."""
    if connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, %s), "
            f"COALESCE((SELECT MAX({connection.ops.quote_name(column)}) FROM "
            f"{connection.ops.quote_name(table)}), 1))",
            [table, column],
        )


def _secondary_indexes(models_: Sequence[type[models.Model]]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of each index that backs no constraint and no primary key."""
    tables = [model._meta.db_table for model in models_]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                """
                SELECT index_class.relname, pg_get_indexdef(ix.indexrelid)
                FROM pg_index ix
                JOIN pg_class index_class ON index_class.oid = ix.indexrelid
                JOIN pg_class table_class ON table_class.oid = ix.indrelid
                WHERE table_class.relname = ANY(%s)
                  AND table_class.relnamespace = to_regnamespace(current_schema())
                  AND NOT ix.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid)
                """,
                [tables],
            )
        else:
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({marks})",
                tables,
            )
        return list(cursor.fetchall())


@contextmanager
def secondary_indexes_rebuilt(models_: Sequence[type[models.Model]]) -> Iterator[None]:
    """Drop the tables' secondary indexes, let the caller load rows, then build them again.

    Building an index once over a million rows is several times cheaper than updating it row
    by row. Must run inside ``transaction.atomic()``: both databases drop indexes
    transactionally, so a failed or killed load leaves every index in place.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("secondary_indexes_rebuilt() needs an open transaction")
    indexes = _secondary_indexes(models_)
    with connection.cursor() as cursor:
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
