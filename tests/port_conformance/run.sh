#!/usr/bin/env bash
# Runs the port conformance suite against a peer and judges the report.
#
#   run.sh report BIN [peer options] [-- suite options]
#       start peer.py, run BIN, exit with BIN's status (make port-check)
#   run.sh expect BIN "RULE ..." [peer options] [-- suite options]
#       the same, but pass only when the FAIL lines name exactly these rules
#       ("" = every rule must pass); prints one line saying so
#   run.sh expect-src BIN SOURCE.c [peer options] [-- suite options]
#       the expected rules are read from the "EXPECT-FAIL:" line of SOURCE.c
#
# Peer options go to peer.py (--tls-cert F --tls-key F). With --no-peer the
# suite runs without peer.py (adapters that bring their own peer, like lwIP).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mode=$1 bin=$2; shift 2
want=""
case "$mode" in
  expect) want=$1; shift ;;
  expect-src) want=$(sed -n 's/.*EXPECT-FAIL:\(.*\)$/\1/p' "$1" | sed 's/\*\///' | head -n 1); shift ;;
  report) ;;
  *) echo "run.sh: unknown mode $mode"; exit 2 ;;
esac
peer_args=() suite_args=() use_peer=1
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; suite_args=("$@"); break ;;
    --no-peer) use_peer=0 ;;
    *) peer_args+=("$1") ;;
  esac
  shift
done

log=$(mktemp)
peer_pid=""
cleanup() { [ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null; rm -f "$log" "$log.peer"; }
trap cleanup EXIT
if [ "$use_peer" = 1 ]; then
  python3 "$here/peer.py" "${peer_args[@]}" >"$log.peer" 2>&1 &
  peer_pid=$!
  base=""
  for _ in $(seq 1 100); do
    base=$(sed -n 's/^PEER_BASE \([0-9]*\)$/\1/p' "$log.peer" 2>/dev/null || true)
    [ -n "$base" ] && break
    sleep 0.05
  done
  if [ -z "$base" ]; then echo "run.sh: the peer did not start:"; cat "$log.peer"; exit 2; fi
  suite_args=(--base "$base" "${suite_args[@]}")
fi

status=0
"$bin" "${suite_args[@]}" >"$log" 2>&1 || status=$?
if [ "$mode" = report ]; then cat "$log"; exit "$status"; fi

name=$(basename "$bin")
got=$(sed -n 's/^FAIL \([^ ]*\) .*/\1/p' "$log" | sort | tr '\n' ' ' | sed 's/ $//')
exp=$(echo $want | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//')
summary=$(tail -n 1 "$log")
want_status=0
[ -n "$exp" ] && want_status=1
if [ "$got" = "$exp" ] && [ "$status" = "$want_status" ]; then
  echo "ok   $name: fails exactly [${exp}] (${summary#conformance: })"
  exit 0
fi
echo "FAIL $name: expected FAIL lines [${exp}], got [${got}] (exit status $status). Report:"
cat "$log"
exit 1
