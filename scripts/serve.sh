#!/usr/bin/env bash
# Serve Voronka from the repository root: migrate, collect static files, then a background-task
# worker (imports, webhooks, win-probability refresh) beside gunicorn. Stopping the server
# (Ctrl+C) stops the worker too. `make run` calls this after installing and loading demo data;
# it also runs by itself once `make install` (or `make run`) has made the .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
if [ ! -x "$BIN/gunicorn" ]; then
  echo "No virtual environment with Voronka in .venv: run 'make run' (or 'make install') first." >&2
  exit 1
fi
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.dev}"
export DEBUG="${DEBUG:-0}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
mkdir -p var
"$BIN/python" manage.py migrate --noinput -v0
"$BIN/python" manage.py collectstatic --noinput -v0
"$BIN/python" manage.py db_worker --interval 1 >>var/worker.log 2>&1 &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT INT TERM
echo "Voronka is at http://$HOST:$PORT/"
"$BIN/gunicorn" config.wsgi:application --bind "$HOST:$PORT" --workers 2 --threads 4 \
  --access-logfile - --env "DJANGO_SETTINGS_MODULE=$DJANGO_SETTINGS_MODULE"
