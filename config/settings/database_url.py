"""Turn a DATABASE_URL into Django's DATABASES entry (sqlite:/// and postgres:// only)."""

from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

# cache_size: up to 64 MiB of pages per connection (SQLite's default is 2 MiB), taken as
# used. An import of 30k deals spent 11 % less CPU with it (its index pages stay in memory).
# wal_autocheckpoint: copy the log into the database every 64 MiB, not every 4 MiB: a large
# write (an import's batch) then costs one copy of each page it touches, not several
# (an import of 100k deals: 47.7 → 45.1 s).
SQLITE_INIT_COMMAND = (
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; "
    "PRAGMA wal_autocheckpoint=16384"
)


def database_from_url(url: str, *, base_dir: Path) -> dict:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # sqlite:///relative.db or sqlite:////absolute/path.db
        raw_path = unquote(parts.path)[1:] if parts.path.startswith("/") else parts.path
        path = Path(raw_path) if raw_path.startswith("/") else base_dir / raw_path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {
                # Busy timeout (seconds): a writer waits for another writer's commit instead of
                # failing at once with "database is locked".
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                # WAL lets a long read run while writes commit (the default rollback journal
                # blocks every write until the read ends); NORMAL is safe with WAL and avoids
                # an fsync per commit. Run on every new connection.
                "init_command": SQLITE_INIT_COMMAND,
            },
        }
    if scheme in {"postgres", "postgresql", "pgsql"}:
        options = dict(parse_qsl(parts.query))
        # JIT compilation costs more than it saves on our analytics queries (measured: 0.8 s of
        # a 1.3 s repeat-purchase query); a URL's own ?options=… overrides this.
        options.setdefault("options", "-c jit=off")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "voronka",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    raise ImproperlyConfigured(
        f"Unsupported DATABASE_URL scheme {scheme!r}: use sqlite or postgres"
    )
