#!/usr/bin/env bash
# The whole suite on SQLite, then on PostgreSQL. Fails when a test fails or none ran.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
if [ ! -x "$BIN/pytest" ]; then
  echo "No dev dependencies in .venv: run 'make test' (or 'make install-dev') first." >&2
  exit 1
fi
export DJANGO_SETTINGS_MODULE=config.settings.test
workers="${TEST_WORKERS:-2}"
status=0

run_pytest() {  # label, then pytest arguments
  local label="$1"; shift
  echo "=== $label ==="
  "$BIN/pytest" -n "$workers" -q "$@"
  local code=$?
  # pytest exits 5 when it collected nothing: that is a failure here, never a pass.
  if [ $code -ne 0 ]; then echo "=== $label: FAILED (pytest exit $code) ==="; status=1
  else echo "=== $label: passed ==="; fi
}

unset DATABASE_URL
echo "=== Production settings: check --deploy must print no warning ==="
if ! SECRET_KEY="$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    "$BIN/python" manage.py check --deploy --settings=config.settings.prod --fail-level WARNING; then
  echo "=== check --deploy: FAILED ==="; status=1
fi
run_pytest "SQLite: unit, view, API and browser tests"

pg_url="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/voronka}"
if "$BIN/python" - "$pg_url" <<'PY'
import sys, psycopg
from urllib.parse import urlsplit
url = urlsplit(sys.argv[1])
try:
    psycopg.connect(host=url.hostname, port=url.port or 5432, user=url.username, dbname="postgres",
                    connect_timeout=3).close()
except Exception as error:
    print(f"PostgreSQL not reachable at {url.hostname}:{url.port}: {error}")
    sys.exit(1)
PY
then
  DATABASE_URL="$pg_url" run_pytest "PostgreSQL: unit, view and API tests" -m "not browser"
elif [ "${REQUIRE_POSTGRES:-0}" = "1" ]; then
  echo "=== PostgreSQL required but not reachable: FAILED ==="; status=1
else
  echo "=== PostgreSQL not reachable: skipped (set TEST_POSTGRES_URL to run it) ==="
fi
exit $status
