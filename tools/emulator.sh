# Sourced by scripts that need a running emulator: start_emulator [args...]
# starts tools/mpsd_emulator.py on a free loopback port, waits for its
# "listening on HOST:PORT" line, sets MPSD_PORT and EMULATOR_LOG (its
# per-request log) and stops it when the calling shell exits.
start_emulator() {
  local out line
  out=$(mktemp)
  EMULATOR_LOG=$(mktemp)
  python3 tools/mpsd_emulator.py --host 127.0.0.1 --port 0 "$@" >"$out" 2>"$EMULATOR_LOG" &
  EMULATOR_PID=$!
  trap 'kill "$EMULATOR_PID" 2>/dev/null || true; wait "$EMULATOR_PID" 2>/dev/null || true; rm -f "$EMULATOR_LOG"' EXIT
  for _ in $(seq 1 200); do
    line=$(head -n 1 "$out" 2>/dev/null || true)
    case "$line" in "listening on "*) break ;; esac
    sleep 0.05
  done
  rm -f "$out"
  case "$line" in "listening on "*) ;; *) echo "the emulator did not start:"; cat "$EMULATOR_LOG"; return 1 ;; esac
  export MPSD_PORT=${line##*:}
}

# POST a JSON body to the emulator's admin API.
emulator_admin() {
  python3 -c "import urllib.request,sys;urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:$MPSD_PORT'+sys.argv[1],data=sys.argv[2].encode(),method='POST'))" "$1" "$2"
}
