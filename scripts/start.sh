#!/bin/sh
# The container's entry point (exec-form CMD). Also run as-is by the tests, outside the image:
# every path comes from the environment, with the image's values as defaults.
#
# 1. No database file yet and a replica configured: restore it. A failed or hung restore stops
#    here with a non-zero exit; the blog never falls through to an empty database.
# 2. exec Litestream, which runs the app as its child, forwards SIGTERM to it, and makes a final
#    sync when the app exits 0.
# Without LITESTREAM_REPLICA_URL the app runs alone (local use, no replication).
set -eu

APP_DIR=${APP_DIR:-/app}
DATABASE_PATH=${DATABASE_PATH:-/data/inkstone.db}
LITESTREAM_CONFIG=${LITESTREAM_CONFIG:-/etc/litestream.yml}
LITESTREAM_BIN=${LITESTREAM_BIN:-/usr/local/bin/litestream}
LITESTREAM_ADDR=${LITESTREAM_ADDR:-127.0.0.1:9090}
RESTORE_TIMEOUT=${RESTORE_TIMEOUT:-120}
NODE_BIN=${NODE_BIN:-node}
export DATABASE_PATH LITESTREAM_ADDR

log() { echo "start.sh: $*"; }

if [ -z "${LITESTREAM_REPLICA_URL:-}" ]; then
  log "LITESTREAM_REPLICA_URL is not set: running without replication"
  exec "$NODE_BIN" "$APP_DIR/dist/server/main.mjs"
fi

mkdir -p "$(dirname "$DATABASE_PATH")"

if [ ! -e "$DATABASE_PATH" ]; then
  log "no database at $DATABASE_PATH: restoring from the replica if it has one"
  # Why the timeout: Litestream retries an unreachable bucket forever.
  if ! timeout "$RESTORE_TIMEOUT" "$LITESTREAM_BIN" restore -config "$LITESTREAM_CONFIG" \
    -if-db-not-exists -if-replica-exists "$DATABASE_PATH"; then
    log "restore failed or timed out after ${RESTORE_TIMEOUT}s: refusing to start on an empty database" >&2
    rm -f "$DATABASE_PATH" "$DATABASE_PATH-wal" "$DATABASE_PATH-shm"
    exit 1
  fi
  if [ -e "$DATABASE_PATH" ]; then log "restored"; else log "the replica is empty: starting a new blog"; fi
fi

# The app waits for Litestream's metrics before acknowledging an author's save.
export LITESTREAM_METRICS_URL="http://$LITESTREAM_ADDR/metrics"
exec "$LITESTREAM_BIN" replicate -config "$LITESTREAM_CONFIG" -exec "$NODE_BIN $APP_DIR/dist/server/main.mjs"
