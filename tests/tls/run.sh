#!/usr/bin/env bash
# usage: tests/tls/run.sh CERT_DIR COMMAND [ARGS...]
# Mints the test certificates (if needed), starts tests/tls/tls_servers.py,
# exports TLS_CERTS and TLS_PORT_{GOOD,EXPIRED,WRONGNAME,PLAIN,CLOSER}, runs
# COMMAND and exits with its status. The servers' log is shown on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
CERTS=$1
shift
bash tests/tls/mint_certs.sh "$CERTS"
out=$(mktemp)
log=$(mktemp)
python3 tests/tls/tls_servers.py "$CERTS" >"$out" 2>"$log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$out" "$log"' EXIT
line=""
for _ in $(seq 1 200); do
  line=$(head -n 1 "$out" 2>/dev/null || true)
  case "$line" in "ports "*) break ;; esac
  sleep 0.05
done
case "$line" in "ports "*) ;; *) echo "tls_servers.py did not start:"; cat "$log"; exit 1 ;; esac
for kv in ${line#ports }; do
  name=$(printf '%s' "${kv%%=*}" | tr a-z A-Z)
  export "TLS_PORT_$name=${kv#*=}"
done
export TLS_CERTS=$CERTS
status=0
"$@" || status=$?
if [ "$status" != 0 ]; then echo "== server log (last 30 lines)"; tail -n 30 "$log"; fi
exit "$status"
