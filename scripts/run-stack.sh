#!/usr/bin/env bash
# Start the whole assistant in the foreground: Rasa (:5005), actions (:5055), help desk and
# site (:8000), and a local SMTP sink (:1025) that prints the help desk's emails.
# Ctrl-C stops everything; if one process dies, the others are stopped too.
set -uo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
ENDPOINTS=${ENDPOINTS:-endpoints.yml}
MODEL=${MODEL:-models/policy-assistant.tar.gz}
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
HELPDESK_PORT=${HELPDESK_PORT:-8000}
SMTP_PORT=${SMTP_PORT:-1025}
export RASA_TELEMETRY_ENABLED=false SMTP_HOST=${SMTP_HOST:-localhost} SMTP_PORT
export RASA_URL=${RASA_URL:-http://localhost:$RASA_PORT}
# Databases and logs hold personal data: files this stack creates are its user's alone (0600).
umask 077
mkdir -p var
# The help desk deletes conversations from Rasa's tracker store (retention, erasure): tell it
# where that is. Production endpoints take it from the same TRACKER_DB_* variables as Rasa.
if [ -z "${TRACKER_STORE_URL:-}" ] && [ -n "${TRACKER_DB_HOST:-}" ] && [ "$ENDPOINTS" != endpoints.yml ]; then
    TRACKER_STORE_URL="postgresql://${TRACKER_DB_USER}:${TRACKER_DB_PASSWORD}@${TRACKER_DB_HOST}:${TRACKER_DB_PORT}/${TRACKER_DB_NAME}"
fi
export TRACKER_STORE_URL=${TRACKER_STORE_URL:-sqlite:///var/rasa-tracker.db}
PURGE_INTERVAL_SECONDS=${PURGE_INTERVAL_SECONDS:-86400}

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
start helpdesk "$BIN/helpdesk" serve --host 127.0.0.1 --port "$HELPDESK_PORT"
# Retention: once at start, then once a day (a failed run is reported and retried next time).
start purge bash -c "while true; do \"$BIN/helpdesk\" purge-conversations || echo 'purge failed'; sleep $PURGE_INTERVAL_SECONDS; done"
start actions "$BIN/rasa" run actions --actions actions --port "$ACTIONS_PORT"
start rasa "$BIN/rasa" run --model "$MODEL" --endpoints "$ENDPOINTS" --credentials credentials.yml \
    --cors "*" --port "$RASA_PORT"

cat <<MSG

  Website and chat:   http://localhost:$HELPDESK_PORT/
  Staff console:      http://localhost:$HELPDESK_PORT/helpdesk
  Rasa REST webhook:  POST http://localhost:$RASA_PORT/webhooks/rest/webhook
  Rasa takes ~20 s to load the model. Ctrl-C stops everything.

MSG

wait -n
echo "A process stopped; stopping the rest." >&2
exit 1
