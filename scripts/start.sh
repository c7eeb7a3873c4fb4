#!/usr/bin/env bash
# `pnpm start`: one command from a fresh clone. Installs what is missing, builds everything, then starts the ingest
# service and the web app on the embedded database (SQLite under the data dir) or on PostgreSQL when
# DATABASE_URL=postgresql://… is set. Ctrl-C stops both.
#
# Environment (all optional):
#   INGEST_PORT          ingest port (default 4040, Pyroscope's)
#   WEB_PORT             web app port (default 3000)
#   PERFORATOR_DATA_DIR  embedded database, profile bodies and the generated auth secret (default <repo>/.data)
#   DATABASE_URL         postgresql://… for a team database (default: embedded SQLite in the data dir)
#   PERFORATOR_WEB_URL   the web app's address as browsers reach it (default http://127.0.0.1:$WEB_PORT); the ingest
#                        service links its upload answers there
#   BETTER_AUTH_URL      sign-in origin (default PERFORATOR_WEB_URL)
#   BETTER_AUTH_SECRET   session signing secret (default: generated once, kept in $PERFORATOR_DATA_DIR/auth-secret)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
source scripts/env.sh
pnpm build

export PERFORATOR_DATA_DIR="${PERFORATOR_DATA_DIR:-$root/.data}"
INGEST_PORT="${INGEST_PORT:-4040}"
WEB_PORT="${WEB_PORT:-3000}"
export PERFORATOR_WEB_URL="${PERFORATOR_WEB_URL:-http://127.0.0.1:$WEB_PORT}"
export BETTER_AUTH_URL="${BETTER_AUTH_URL:-$PERFORATOR_WEB_URL}"
mkdir -p "$PERFORATOR_DATA_DIR"
if [[ -z "${BETTER_AUTH_SECRET:-}" ]]; then
  # Generated once and kept with the data, so sessions survive a restart; readable by this user only.
  secret_file="$PERFORATOR_DATA_DIR/auth-secret"
  if [[ ! -s "$secret_file" ]]; then
    (umask 077 && node -e "process.stdout.write(require('node:crypto').randomBytes(32).toString('base64url'))" >"$secret_file")
  fi
  chmod 600 "$secret_file"
  BETTER_AUTH_SECRET="$(cat "$secret_file")"
  export BETTER_AUTH_SECRET
fi

PORT="$INGEST_PORT" node apps/ingest/dist/main.js &
ingest=$!
trap 'kill $ingest 2>/dev/null; wait $ingest 2>/dev/null || true' EXIT INT TERM
# The ingest service migrates the database at startup; wait until it is ready before the web app reads it.
ready=0
for _ in $(seq 1 50); do
  if node -e "fetch('http://127.0.0.1:$INGEST_PORT/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; then
    ready=1
    break
  fi
  kill -0 $ingest 2>/dev/null || { echo "start: the ingest service exited; see its log above" >&2; exit 1; }
  sleep 0.2
done
if ((!ready)); then
  echo "start: the ingest service did not answer http://127.0.0.1:$INGEST_PORT/readyz within 10 s; see its log above" >&2
  exit 1
fi

cat >&2 <<MSG

  ingest  http://127.0.0.1:$INGEST_PORT   (/api/v1 and Pyroscope's /ingest; token: $PERFORATOR_DATA_DIR/ingest-token)
  web     $PERFORATOR_WEB_URL
  data    $PERFORATOR_DATA_DIR${DATABASE_URL:+ (database: DATABASE_URL)}
  record  sudo pnpm perforator record --pid PID --duration 30s --serve :9006

MSG
PORT="$WEB_PORT" pnpm --filter @perforator/web start -p "$WEB_PORT"
