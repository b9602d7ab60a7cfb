#!/usr/bin/env bash
# Syscalls per kept-alive write against the emulator, measured with strace:
# (calls for 110 writes - calls for 10 writes) / 100. The poll loop sleeps
# 0.2 ms between polls (nanosleep) like a frame loop; those sleeps and the
# port's would-block recv calls are counted separately from the real work.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build/bench/keepalive_writes >/dev/null
. tools/emulator.sh
start_emulator
port=$MPSD_PORT
count() { strace -f -qq -o /tmp/ka.$1 ./build/bench/keepalive_writes "$port" "$1"; }
count 10; count 110
summ() { awk -F'(' '{split($1,a," "); n=a[2]; if (n=="") n=a[1]; c[n]++} END {for (k in c) print k, c[k]}' "$1" | sort; }
echo "syscall            per-write (110 vs 10 writes)"
join -a1 -e0 -o 0,1.2,2.2 <(summ /tmp/ka.110) <(summ /tmp/ka.10) | awk '{d=($2-$3)/100; if (d>0) printf "%-18s %6.2f\n", $1, d; t+=d} END {printf "%-18s %6.2f\n", "total", t}'
rm -f /tmp/ka.10 /tmp/ka.110
