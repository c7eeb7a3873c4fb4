#!/usr/bin/env bash
# One command from a fresh clone: install what is missing, build everything, start the ingest service and the web
# app on the embedded database (SQLite under .data/, or PostgreSQL when DATABASE_URL=postgresql://… is set).
# Ctrl-C stops both.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
source scripts/env.sh
pnpm build

export PERFORATOR_DATA_DIR="${PERFORATOR_DATA_DIR:-$root/.data}"
INGEST_PORT="${INGEST_PORT:-4040}"
WEB_PORT="${WEB_PORT:-3000}"

PORT="$INGEST_PORT" node apps/ingest/dist/main.js &
ingest=$!
trap 'kill $ingest 2>/dev/null; wait $ingest 2>/dev/null || true' EXIT INT TERM
# The ingest service migrates the database at startup; wait until it is ready before the web app reads it.
for _ in $(seq 1 50); do
  if node -e "fetch('http://127.0.0.1:$INGEST_PORT/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; then
    break
  fi
  kill -0 $ingest 2>/dev/null || { echo "up: the ingest service exited; see its log above" >&2; exit 1; }
  sleep 0.2
done

cat >&2 <<MSG

  ingest  http://127.0.0.1:$INGEST_PORT   (/api/v1 and Pyroscope's /ingest; token: $PERFORATOR_DATA_DIR/ingest-token)
  web     http://127.0.0.1:$WEB_PORT
  record  sudo pnpm perforator record --pid PID --duration 30s --serve :9006

MSG
PORT="$WEB_PORT" pnpm --filter @perforator/web start -p "$WEB_PORT"
