#!/usr/bin/env bash
# Starts the emulator on a free loopback port and runs the integration
# programs against it: it_sdk (cmocka), then the lost-update load test
# plain, with chunked replies, and with byte drip.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-build/integration}
out=$(mktemp) err=$(mktemp)
python3 tools/mpsd_emulator.py --port 0 --templates tests/integration/templates.json >"$out" 2>"$err" &
emu=$!
cleanup() { kill "$emu" 2>/dev/null || true; wait "$emu" 2>/dev/null || true; rm -f "$out" "$err"; }
trap cleanup EXIT
line=""
for _ in $(seq 1 200); do
  line=$(head -n 1 "$out" 2>/dev/null || true)
  case "$line" in "listening on "*) break ;; esac
  sleep 0.05
done
case "$line" in "listening on "*) ;; *) echo "emulator did not start"; cat "$err"; exit 1 ;; esac
export MPSD_PORT=${line##*:}
admin() { python3 -c "import urllib.request,sys;urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:$MPSD_PORT'+sys.argv[1],data=sys.argv[2].encode(),method='POST'))" "$1" "$2"; }

"$BIN/it_sdk"
"$BIN/load_counter" 32 25
admin /_emu/faults '{"fault": "chunked=5"}'
"$BIN/load_counter" 32 25
admin /_emu/faults '{"fault": "drip=0"}'
"$BIN/load_counter" 8 5
admin /_emu/faults '{"fault": ""}'
