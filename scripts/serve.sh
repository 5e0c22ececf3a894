#!/usr/bin/env bash
# Serve Voronka: a background-task worker (imports, webhooks, win-probability refresh) beside
# gunicorn; stopping the server (Ctrl+C) stops the worker too.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
mkdir -p var
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
"$BIN/python" manage.py db_worker --interval 1 >>var/worker.log 2>&1 &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT INT TERM
"$BIN/gunicorn" config.wsgi:application --bind "$HOST:$PORT" --workers 2 --threads 4 \
  --access-logfile - --env "DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE}"
