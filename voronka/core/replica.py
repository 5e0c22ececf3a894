"""Read analytics and exports from a PostgreSQL streaming replica (`DATABASE_REPLICA_URL`).

Set `DATABASE_REPLICA_URL` and the database alias "replica" exists; then every GET request
for an analytics page, the analytics API or an export (the paths and parameter the query time
limit also uses, `core.query_time_limit`) reads the domain's rows from the replica. Writes
never go there: the router sends every write, every migration and every read outside those
requests to "default", and keeps sessions, sign-in lockouts, API tokens and the task queue on
"default" even inside them (they must see what was just written). A replica is a few
milliseconds behind the primary, which reports can afford and forms cannot.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
# Apps whose rows must be read where they were just written.
PRIMARY_ONLY_APPS = frozenset({"sessions", "axes", "django_tasks", "api", "admin", "auth"})

_reading_from_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def reading_from_replica():
    """Inside this block, reads of domain rows go to the replica (when one is configured)."""
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if (
            _reading_from_replica.get()
            and replica_configured()
            and model._meta.app_label not in PRIMARY_ONLY_APPS
        ):
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaReadMiddleware:
    """Analytics and export GET requests read from the replica."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .query_time_limit import EXPORT_PARAMETER, LIMITED_PATH_PREFIXES

        reads_reports = request.method in ("GET", "HEAD") and (
            request.path.startswith(LIMITED_PATH_PREFIXES) or EXPORT_PARAMETER in request.GET
        )
        if not reads_reports or not replica_configured():
            return self.get_response(request)
        with reading_from_replica():
            return self.get_response(request)
