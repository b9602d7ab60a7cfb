#!/usr/bin/env bash
# usage: tests/ws/run.sh BUILD_DIR PYTHON
# Mints the TLS test certificates (if needed), starts tests/ws/server.py
# (python3-websockets) on 127.0.0.1 port 0, runs BUILD_DIR/ws_peer over TCP
# and over TLS, then checks the SDK's SHA-1 against hashlib. The server is
# always stopped; its log is shown on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=$1
PY=${2:-/usr/bin/python3}
CERTS=$BUILD/certs
bash tests/tls/mint_certs.sh "$CERTS"
out=$(mktemp)
log=$(mktemp)
"$PY" tests/ws/server.py "$CERTS" >"$out" 2>"$log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$out" "$log"' EXIT
line=""
for _ in $(seq 1 200); do
  line=$(head -n 1 "$out" 2>/dev/null || true)
  case "$line" in "ports "*) break ;; esac
  sleep 0.05
done
case "$line" in "ports "*) ;; *) echo "server.py did not start:"; cat "$log"; exit 1 ;; esac
plain=${line#*plain=}; plain=${plain%% *}
tls=${line#*tls=}
status=0
WS_PORT=$plain "$BUILD/ws_peer" || status=$?
WS_PORT=$tls WS_TLS=1 WS_CA=$CERTS/ca.pem "$BUILD/ws_peer" || status=$?
"$PY" tests/ws/sha1_check.py "$BUILD/ws_peer" || status=$?
if [ "$status" != 0 ]; then echo "== server log (last 30 lines)"; tail -n 30 "$log"; fi
exit "$status"
