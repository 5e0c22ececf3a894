"""A time limit for heavy read requests: analytics pages and API, and exports.

One slow report must not hold the database (and, on SQLite, every writer) for minutes. Inside
`query_time_limit()` queries may run for `ANALYTICS_QUERY_TIMEOUT_SECONDS`:
- PostgreSQL enforces it per statement itself (`statement_timeout`, reset on the way out;
  inside a transaction the setting also rolls back with it);
- SQLite has no such setting, so a progress handler, called every few thousand virtual-machine
  steps, interrupts the running statement once the block's deadline has passed (the limit
  covers the block's queries together; a streamed export gets it afresh per chunk).
A query stopped either way raises `QueryTimeLimitExceeded`, a domain error (HTTP 503) that the
API renders as JSON and `QueryTimeLimitMiddleware` as a page in the app's layout.
"""

import time
from contextlib import ExitStack, contextmanager
from functools import wraps

from django.conf import settings
from django.db import OperationalError, connections, transaction
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from voronka.core.errors import DomainError

# SQLite calls the progress handler every this many virtual-machine instructions (~1 ms).
_SQLITE_PROGRESS_STEPS = 20_000

# Requests whose queries run under the limit: analytics pages and their API, file exports.
LIMITED_PATH_PREFIXES = ("/analytics/", "/api/v1/analytics/", "/imports/export/")
EXPORT_PARAMETER = "export"


class QueryTimeLimitExceeded(DomainError):
    code = "query_time_limit"
    status = 503
    default_message = _(
        "It was stopped so that it does not slow down everyone else's work. Choose a shorter "
        "period or narrower filters and try again."
    )


def _limit_seconds() -> float:
    return float(settings.ANALYTICS_QUERY_TIMEOUT_SECONDS)


def _is_time_limit_error(error: OperationalError) -> bool:
    cause = error.__cause__
    # psycopg: QueryCanceled (SQLSTATE 57014); sqlite3: "interrupted".
    return getattr(cause, "sqlstate", None) == "57014" or "interrupted" in str(error)


def _raise_time_limit_errors(execute, sql, params, many, context):
    try:
        return execute(sql, params, many, context)
    except OperationalError as error:
        if not _is_time_limit_error(error):
            raise
        database = context["connection"]
        if database.in_atomic_block:
            transaction.set_rollback(True, using=database.alias)
        raise QueryTimeLimitExceeded() from error


@contextmanager
def _postgresql_limit(database, seconds: float):
    with database.cursor() as cursor:
        cursor.execute("SET statement_timeout = %s", [max(1, round(seconds * 1000))])
    try:
        yield
    finally:
        # A rolled-back transaction has already undone the SET (and accepts no statement).
        if not (database.in_atomic_block and database.needs_rollback):
            with database.cursor() as cursor:
                cursor.execute("SET statement_timeout TO DEFAULT")


@contextmanager
def _sqlite_limit(database, seconds: float):
    database.ensure_connection()
    deadline = [time.monotonic() + seconds]

    def past_deadline() -> int:
        return 1 if time.monotonic() > deadline[0] else 0

    raw_connection = database.connection
    raw_connection.set_progress_handler(past_deadline, _SQLITE_PROGRESS_STEPS)
    database._voronka_deadline = deadline
    try:
        yield
    finally:
        raw_connection.set_progress_handler(None, 0)
        del database._voronka_deadline


@contextmanager
def query_time_limit(seconds: float | None = None):
    """Run the block's queries under a time limit; raise QueryTimeLimitExceeded past it.

    Applies to every configured database (a read replica serves analytics too). Yields a
    function that starts SQLite's deadline afresh (PostgreSQL's limit is per statement)."""
    seconds = _limit_seconds() if seconds is None else seconds
    deadlines = []
    with ExitStack() as stack:
        for database in connections.all():
            if getattr(database, "_voronka_time_limited", False):
                continue  # already limited by an enclosing block
            engine_limit = _postgresql_limit if database.vendor == "postgresql" else _sqlite_limit
            stack.enter_context(engine_limit(database, seconds))
            stack.enter_context(database.execute_wrapper(_raise_time_limit_errors))
            database._voronka_time_limited = True
            stack.callback(setattr, database, "_voronka_time_limited", False)
            if hasattr(database, "_voronka_deadline"):
                deadlines.append(database._voronka_deadline)

        def renew_deadline() -> None:
            for deadline in deadlines:
                deadline[0] = time.monotonic() + seconds

        yield renew_deadline


@contextmanager
def _time_limit_lifted():
    """Let the error page's own small queries run after SQLite's deadline has passed."""
    lifted = []
    for database in connections.all(initialized_only=True):
        deadline = getattr(database, "_voronka_deadline", None)
        if deadline is not None:
            lifted.append((deadline, deadline[0]))
            deadline[0] = float("inf")
    try:
        yield
    finally:
        for deadline, value in lifted:
            deadline[0] = value


def time_limited_queries(view):
    """Decorator form of `query_time_limit` for a single view."""

    @wraps(view)
    def limited_view(*args, **kwargs):
        with query_time_limit():
            return view(*args, **kwargs)

    return limited_view


def _limited_stream(chunks):
    """A streamed export runs under one limit; each step (one query's rows at most) gets
    SQLite's deadline afresh, so a long export is not cut while every query stays bounded."""
    iterator = iter(chunks)
    with query_time_limit() as renew_deadline:
        while True:
            renew_deadline()
            try:
                chunk = next(iterator)
            except StopIteration:
                return
            yield chunk


def is_time_limited_request(request) -> bool:
    return request.path_info.startswith(LIMITED_PATH_PREFIXES) or (EXPORT_PARAMETER in request.GET)


def time_limit_page(request, error: QueryTimeLimitExceeded):
    with _time_limit_lifted():
        return render(
            request, "core/query_time_limit.html", {"message": error.message}, status=error.status
        )


class QueryTimeLimitMiddleware:
    """Put analytics and export requests under `query_time_limit`, and show its error page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_time_limited_request(request):
            return self.get_response(request)
        with query_time_limit():
            response = self.get_response(request)
        if getattr(response, "streaming", False):
            response.streaming_content = _limited_stream(response.streaming_content)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, QueryTimeLimitExceeded):
            return time_limit_page(request, exception)
        return None
