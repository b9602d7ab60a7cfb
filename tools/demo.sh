#!/usr/bin/env bash
# The example session story against a local emulator: two users, create,
# join by handle, an update with a conflict resolved, leave. Run by `make demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/examples
SCID=00000000-0000-0000-0000-0000deadbeef
NAME="demo-$$"
. tools/emulator.sh
start_emulator
port=$MPSD_PORT
echo "== MPSD emulator listening on 127.0.0.1:$port"

step() { echo; echo "== $1"; }

step "1. Alice creates session $NAME and joins it (CreateNew)"
"$BIN/create_and_join" 127.0.0.1 "$port" "$NAME"

step "2. Alice publishes an activity handle; Bob joins through it"
handle=$(python3 - "$port" "$SCID" "$NAME" <<'PY'
import json, sys, urllib.request
port, scid, name = sys.argv[1:4]
body = json.dumps({"version": 1, "type": "activity",
                   "sessionRef": {"scid": scid, "templateName": "quick", "name": name}}).encode()
req = urllib.request.Request("http://127.0.0.1:%s/handles" % port, data=body, method="POST", headers={
    "Authorization": "XBL3.0 x=-;xuid=2814600000000001,gt=Alice",
    "x-xbl-contract-version": "107", "Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req))["id"])
PY
)
echo "handle $handle"
"$BIN/join_by_handle" 127.0.0.1 "$port" "$handle"

step "3. Both update custom properties with SynchronizedUpdate; the loser re-applies after 412"
"$BIN/update_properties" 127.0.0.1 "$port" "$NAME"

step "4. Both leave; the emptied session is deleted (204)"
"$BIN/leave" 127.0.0.1 "$port" "$NAME"

echo
echo "== what the emulator saw (one line per request)"
sed -n '1,40p' "$EMULATOR_LOG"
echo
echo "demo: done"
