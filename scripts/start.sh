#!/bin/sh
# The container's entry point (exec-form CMD). Also run as-is by the tests, outside the image:
# every path comes from the environment, with the image's values as defaults.
#
# 1. A gcs:// replica: take the writer lease in the bucket (newest instance wins), so that an older
#    instance still running stops acknowledging writes before we read the replica.
# 2. No database file yet and a replica configured: restore it, from the generation the lease names
#    (the live one; a plain restore could pick an abandoned generation that was uploaded to last).
#    A failed or hung restore stops here with a non-zero exit; the blog never falls through to an
#    empty database.
# 3. exec Litestream, which runs the app as its child, forwards SIGTERM to it, and makes a final
#    sync when the app exits 0.
# Without LITESTREAM_REPLICA_URL the app runs alone (local use, no replication).
set -eu

APP_DIR=${APP_DIR:-/app}
DATABASE_PATH=${DATABASE_PATH:-/data/inkstone.db}
LITESTREAM_CONFIG=${LITESTREAM_CONFIG:-/etc/litestream.yml}
LITESTREAM_BIN=${LITESTREAM_BIN:-/usr/local/bin/litestream}
LITESTREAM_ADDR=${LITESTREAM_ADDR:-127.0.0.1:9090}
# Bounds on the two steps before the app starts. With the app's own bound on publishing its generation
# in the lease (before it listens), they fit within service.yaml's startup probe: a slow restore fails
# here, cleanly, instead of being killed by the probe and crash-looping (deploy-budget.e2e-spec.ts).
LEASE_TIMEOUT=${LEASE_TIMEOUT:-30}
RESTORE_TIMEOUT=${RESTORE_TIMEOUT:-100}
NODE_BIN=${NODE_BIN:-node}
export DATABASE_PATH LITESTREAM_ADDR

log() { echo "start.sh: $*"; }

if [ -z "${LITESTREAM_REPLICA_URL:-}" ]; then
  log "LITESTREAM_REPLICA_URL is not set: running without replication"
  exec "$NODE_BIN" "$APP_DIR/dist/server/main.mjs"
fi

mkdir -p "$(dirname "$DATABASE_PATH")"

RESTORE_GENERATION=-
case "$LITESTREAM_REPLICA_URL" in
gcs://*)
  if ! lease=$(timeout "$LEASE_TIMEOUT" "$NODE_BIN" "$APP_DIR/dist/apps/blog/src/cli/writer-lease.js" take); then
    log "could not take the writer lease (failed or timed out after ${LEASE_TIMEOUT}s): refusing to start" >&2
    exit 1
  fi
  # "HOLDER OBJECT_GENERATION RESTORE_GENERATION": hex, digits, hex or "-" (checked by the app's config).
  set -- $lease
  WRITER_LEASE_HOLDER=$1 WRITER_LEASE_GENERATION=$2 RESTORE_GENERATION=$3
  export WRITER_LEASE_HOLDER WRITER_LEASE_GENERATION
  log "took the writer lease as $WRITER_LEASE_HOLDER"
  ;;
esac

if [ ! -e "$DATABASE_PATH" ]; then
  log "no database at $DATABASE_PATH: restoring from the replica if it has one"
  if [ "$RESTORE_GENERATION" = "-" ]; then
    set -- -if-replica-exists
  else
    # No -if-replica-exists here: a named generation that cannot be read must fail the start.
    log "restoring generation $RESTORE_GENERATION (named by the writer lease)"
    set -- -generation "$RESTORE_GENERATION"
  fi
  # Why the timeout: Litestream retries an unreachable bucket forever.
  if ! timeout "$RESTORE_TIMEOUT" "$LITESTREAM_BIN" restore -config "$LITESTREAM_CONFIG" \
    -if-db-not-exists "$@" "$DATABASE_PATH"; then
    log "restore failed or timed out after ${RESTORE_TIMEOUT}s: refusing to start on an empty database" >&2
    rm -f "$DATABASE_PATH" "$DATABASE_PATH-wal" "$DATABASE_PATH-shm"
    exit 1
  fi
  if [ -e "$DATABASE_PATH" ]; then log "restored"; else log "the replica is empty: starting a new blog"; fi
fi

# The app waits for Litestream's metrics before acknowledging an author's save.
export LITESTREAM_METRICS_URL="http://$LITESTREAM_ADDR/metrics"
exec "$LITESTREAM_BIN" replicate -config "$LITESTREAM_CONFIG" -exec "$NODE_BIN $APP_DIR/dist/server/main.mjs"
