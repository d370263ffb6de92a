#!/usr/bin/env bash
# Start the whole assistant in the foreground: Rasa (:5005), actions (:5055), help desk and
# site (:8000), and a local SMTP sink (:1025) that prints the help desk's emails.
# Ctrl-C stops everything; if one process dies, the others are stopped too.
#
# ENDPOINTS=endpoints.production.yml: conversations in PostgreSQL, locks in Redis. Unset
# variables get this machine's servers (127.0.0.1:5432 as postgres, 127.0.0.1:6379), tickets go
# to PostgreSQL too, and missing databases are created. WORKERS=N (N > 1 needs a lock store
# shared between processes) runs N processes each of Rasa, the action server and the help desk,
# each set sharing one port. docs/deploy.md has the same configuration on separate machines.
set -uo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
ENDPOINTS=${ENDPOINTS:-endpoints.yml}
MODEL=${MODEL:-models/policy-assistant.tar.gz}
RASA_PORT=${RASA_PORT:-5005}
# The address Rasa listens on. The widget's browser reaches Rasa at RASA_URL (localhost here),
# so loopback is enough on one machine; behind a reverse proxy on another host, set the address
# the proxy connects to (0.0.0.0 for every interface). docs/security.md.
RASA_INTERFACE=${RASA_INTERFACE:-127.0.0.1}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
HELPDESK_PORT=${HELPDESK_PORT:-8000}
SMTP_PORT=${SMTP_PORT:-1025}
WORKERS=${WORKERS:-1}
export RASA_TELEMETRY_ENABLED=false SMTP_HOST=${SMTP_HOST:-localhost} SMTP_PORT
export RASA_URL=${RASA_URL:-http://localhost:$RASA_PORT}
# Local defaults are allowed only here and in the tests; anywhere else the help desk and the
# action server refuse to start without real secrets (docs/security.md).
export HELPDESK_ENV=${HELPDESK_ENV:-development}
# The secret Rasa sends to the action server (endpoints*.yml); a fresh one per run.
ACTION_SERVER_TOKEN=${ACTION_SERVER_TOKEN:-$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(32))')}
export ACTION_SERVER_TOKEN
# Databases and logs hold personal data: files this stack creates are its user's alone (0600).
umask 077
mkdir -p var
# Rasa's tracker store encrypts customers' details (bot/stores/sealing.py). Without a key of your
# own, this machine keeps one in var/ (made once, readable only by you), so conversations stored
# by one run still open in the next; production sets TRACKER_ENCRYPTION_KEY (docs/security.md).
if [ -z "${TRACKER_ENCRYPTION_KEY:-}" ]; then
    [ -s var/tracker-encryption.key ] || "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(32))' > var/tracker-encryption.key
    TRACKER_ENCRYPTION_KEY=$(cat var/tracker-encryption.key)
fi
export TRACKER_ENCRYPTION_KEY
# The help desk deletes conversations from Rasa's tracker store (retention, erasure): tell it
# where that is. Production endpoints take it from the same TRACKER_DB_* variables as Rasa.
if [ -z "${TRACKER_STORE_URL:-}" ] && [ -n "${TRACKER_DB_HOST:-}" ] && [ "$ENDPOINTS" != endpoints.yml ]; then
    TRACKER_STORE_URL="postgresql://${TRACKER_DB_USER}:${TRACKER_DB_PASSWORD}@${TRACKER_DB_HOST}:${TRACKER_DB_PORT}/${TRACKER_DB_NAME}"
fi
export TRACKER_STORE_URL=${TRACKER_STORE_URL:-sqlite:///var/rasa-tracker.db}
PURGE_INTERVAL_SECONDS=${PURGE_INTERVAL_SECONDS:-86400}

case "$WORKERS" in
    '' | *[!0-9]* | 0) echo "WORKERS must be a whole number of at least 1, not '$WORKERS'." >&2; exit 2 ;;
esac
if [ "$WORKERS" -gt 1 ] && ! grep -Eq '^lock_store:' "$ENDPOINTS"; then
    # Rasa would quietly run one worker: an in-memory lock cannot serialise a conversation's
    # messages across processes.
    echo "WORKERS=$WORKERS needs a shared lock store: use ENDPOINTS=endpoints.production.yml." >&2
    exit 2
fi

if grep -q '${TRACKER_DB_HOST}' "$ENDPOINTS"; then
    export ACTION_SERVER_URL=${ACTION_SERVER_URL:-http://localhost:$ACTIONS_PORT/webhook}
    export TRACKER_DB_HOST=${TRACKER_DB_HOST:-127.0.0.1} TRACKER_DB_PORT=${TRACKER_DB_PORT:-5432}
    export TRACKER_DB_NAME=${TRACKER_DB_NAME:-privacy_tracker}
    export TRACKER_DB_USER=${TRACKER_DB_USER:-postgres} TRACKER_DB_PASSWORD=${TRACKER_DB_PASSWORD:-}
    export REDIS_HOST=${REDIS_HOST:-127.0.0.1} REDIS_PORT=${REDIS_PORT:-6379} REDIS_DB=${REDIS_DB:-1}
    export DATABASE_URL=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/privacy_helpdesk}
    "$BIN/python" -m scripts.ensure_databases || exit 1
fi

pids=()
stop_all() {
    trap - INT TERM EXIT
    echo; echo "Stopping..."
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    wait 2>/dev/null
}
trap stop_all INT TERM EXIT

start() {  # start NAME COMMAND...: run in the background with prefixed output
    local name=$1; shift
    "$@" > >(sed -u "s/^/[$name] /") 2>&1 &
    pids+=($!)
}

for port in "$RASA_PORT" "$ACTIONS_PORT" "$HELPDESK_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "Port $port is already in use: stop whatever listens there, or set RASA_PORT/ACTIONS_PORT/HELPDESK_PORT." >&2
        exit 1
    fi
done

if [ "$SMTP_HOST" = localhost ] && ! (exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null; then
    start smtp "$BIN/python" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Debugging
fi
start helpdesk "$BIN/helpdesk" serve --host 127.0.0.1 --port "$HELPDESK_PORT" --workers "$WORKERS"
start purge bash -c "while true; do \"$BIN/helpdesk\" purge || echo 'purge failed'; sleep $PURGE_INTERVAL_SECONDS; done"
# The action server (actions/server.py: rasa_sdk behind X-Action-Token) and Rasa each run
# $WORKERS processes; Rasa reads SANIC_WORKERS (with a shared lock store).
start actions "$BIN/python" -m actions.server --host 127.0.0.1 --port "$ACTIONS_PORT" --workers "$WORKERS"
# `rasa run`, with Rasa's action-response check made cheap (bot/rasa_runtime.py)
start rasa env SANIC_WORKERS="$WORKERS" \
    "$BIN/python" -m bot.rasa_runtime run --model "$MODEL" --endpoints "$ENDPOINTS" \
    --credentials credentials.yml --cors "*" --interface "$RASA_INTERFACE" --port "$RASA_PORT"

cat <<MSG

  Website and chat:   http://localhost:$HELPDESK_PORT/
  Staff console:      http://localhost:$HELPDESK_PORT/helpdesk
  Rasa REST webhook:  POST http://localhost:$RASA_PORT/webhooks/rest/webhook (listening on $RASA_INTERFACE)
  Endpoints: $ENDPOINTS, $WORKERS worker(s) each for Rasa, actions and the help desk.
  Rasa takes ~20 s to load the model. Ctrl-C stops everything.

MSG

wait -n
echo "A process stopped; stopping the rest." >&2
exit 1
