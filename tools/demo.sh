#!/usr/bin/env bash
# The example session story against a local emulator: two users, create,
# an activity handle the other finds and joins by, an update with a conflict
# resolved, invites (one refused), clearing activities on leave, and real-time
# notifications of another session's changes over RTA. Run by `make demo`.
# With TLS=1 (`make demo TLS=1`) the same story runs over HTTPS: the
# examples built with the mbedTLS port (build/tls/examples), the emulator
# serving a certificate minted by tests/tls/mint_certs.sh.
# DEMO_ATTACH_PORT=N runs the story against an emulator already on port N.
# With KEEP=1 (`make demo KEEP=1`) the emulator stays up afterwards on port
# 8910 (DEMO_PORT), so the dashboard and `build/xbl-mpsd` (whose defaults
# reach it) can look at what the story left; the script says how to stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
# ARM=1 (`make demo ARM=1`): the story on an emulated Cortex-M4 instead.
if [ "${ARM:-0}" = 1 ]; then exec bash tools/demo_arm.sh; fi
BIN=build/examples
SCID=00000000-0000-0000-0000-0000deadbeef
NAME="demo-$$"
SCHEME=http
CLI=(build/xbl-mpsd)
PORT_ARGS=()
if [ "${KEEP:-0}" = 1 ]; then PORT_ARGS=(--port "${DEMO_PORT:-8910}"); fi
. tools/emulator.sh
if [ "${TLS:-0}" = 1 ]; then
  BIN=build/tls/examples
  CERTS=build/tls/certs
  SCHEME=https
  bash tests/tls/mint_certs.sh "$CERTS"
  export MPSD_CA_FILE=$CERTS/ca.pem MPSD_SERVER_NAME=localhost
  start_emulator "${PORT_ARGS[@]}" --tls-cert "$CERTS/server.pem" --tls-key "$CERTS/server.key"
  CLI+=(--tls --ca "$MPSD_CA_FILE" --server-name localhost)
  echo "== MPSD emulator listening on 127.0.0.1:$MPSD_PORT over TLS (certificate for localhost, test CA $MPSD_CA_FILE)"
elif [ -n "${DEMO_ATTACH_PORT:-}" ]; then
  # the story against an emulator already running (the dashboard's browser test)
  export MPSD_PORT=$DEMO_ATTACH_PORT EMULATOR_LOG=/dev/null
  echo "== using the MPSD emulator on 127.0.0.1:$MPSD_PORT"
else
  start_emulator "${PORT_ARGS[@]}"
  echo "== MPSD emulator listening on 127.0.0.1:$MPSD_PORT"
fi
port=$MPSD_PORT
CLI+=(--port "$port")
echo "== live dashboard: $SCHEME://127.0.0.1:$port/ (open it while the story runs; make demo KEEP=1 keeps it up)"

step() { echo; echo "== $1"; }

step "1. Alice creates session $NAME and joins it (CreateNew)"
"$BIN/create_and_join" 127.0.0.1 "$port" "$NAME"

step "2. Alice publishes her activity; Bob finds it by her XUID and joins through its handle"
"$BIN/join_activity" 127.0.0.1 "$port" "$NAME"

step "3. Both update custom properties with SynchronizedUpdate; the loser re-applies after 412"
"$BIN/update_properties" 127.0.0.1 "$port" "$NAME"

step "4. Alice invites Dave and Carol; the emulator refuses the first invite (one injected 503); Carol joins through hers"
# the emulator's admin API (test control, not the story's client side): a 503 for the next request
curl -sf -o /dev/null -X POST -d '{"fault": "503", "count": 1}' "$SCHEME://127.0.0.1:$port/_emu/faults" ${MPSD_CA_FILE:+--cacert "$MPSD_CA_FILE"}
"$BIN/invite_friend" 127.0.0.1 "$port" "$NAME"

step "The session as the command line shows it: ${CLI[*]} get $SCID quick $NAME"
"${CLI[@]}" get "$SCID" quick "$NAME"

step "5. Both clear their activities and leave; the emptied session is deleted (204)"
"$BIN/leave" 127.0.0.1 "$port" "$NAME"

step "6. Bob watches a session of his over RTA while Alice joins, changes it and leaves"
"$BIN/watch_session" 127.0.0.1 "$port" "watch-$$"

echo
echo "== what the emulator saw (one line per request)"
sed -n '1,40p' "$EMULATOR_LOG"
echo
echo "demo: done"
if [ "${KEEP:-0}" = 1 ]; then
  trap - EXIT
  echo
  echo "== KEEP=1: the emulator stays up (pid $EMULATOR_PID, request log $EMULATOR_LOG)"
  echo "   dashboard:  $SCHEME://127.0.0.1:$port/"
  echo "   try:        ${CLI[*]} create $SCID quick mine; ${CLI[*]} watch $SCID quick mine"
  echo "   stop it:    kill $EMULATOR_PID"
fi
