#!/usr/bin/env bash
# usage: tests/rta_integration/run.sh BUILD_DIR [SUFFIX]
# The RTA integration program against the emulator: BUILD_DIR/it_rta over
# plain TCP, then BUILD_DIR/it_rta_tls against an emulator serving TLS with
# a certificate minted by tests/tls/mint_certs.sh. Each emulator is stopped
# when its run ends; its log is shown on failure. SUFFIX (e.g. _asan) picks
# other builds of the same programs (it_rta_asan, it_rta_tls_asan).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$1
SUF=${2:-}
CERTS=${RTA_CERTS:-build/tls/certs}
bash tests/tls/mint_certs.sh "$CERTS"
status=0
( . tools/emulator.sh
  start_emulator --templates tests/integration/templates.json
  "$BIN/it_rta$SUF" || { tail -n 40 "$EMULATOR_LOG"; exit 1; } ) || status=1
( . tools/emulator.sh
  start_emulator --templates tests/integration/templates.json --tls-cert "$CERTS/server.pem" --tls-key "$CERTS/server.key"
  MPSD_CA_FILE=$CERTS/ca.pem "$BIN/it_rta_tls$SUF" || { tail -n 40 "$EMULATOR_LOG"; exit 1; } ) || status=1
exit "$status"
