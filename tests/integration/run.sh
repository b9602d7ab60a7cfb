#!/usr/bin/env bash
# Starts the emulator on a free loopback port and runs the integration
# programs against it: it_sdk and it_handles (cmocka), then the lost-update
# load test plain, through injected 503s with retries, with chunked
# replies, and with byte drip.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-build/integration}
. tools/emulator.sh
start_emulator --templates tests/integration/templates.json
admin() { emulator_admin "$@"; }

"$BIN/it_sdk"
# the handles family: activities, invites, transfer handles and their faults
"$BIN/it_handles"
"$BIN/load_counter" 32 25
# 100 injected 503s: every increment still lands through the SDK's retry policy
LOAD_FAULTS=100 LOAD_RETRY=1 "$BIN/load_counter" 32 25
admin /_emu/faults '{"fault": "chunked=5"}'
"$BIN/load_counter" 32 25
admin /_emu/faults '{"fault": "drip=0"}'
"$BIN/load_counter" 8 5
admin /_emu/faults '{"fault": ""}'
