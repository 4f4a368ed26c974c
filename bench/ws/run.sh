#!/usr/bin/env bash
# bench/ws: lode against npm ws on Node, in one run.
#   echo:   CONNS connections, SIZE-byte text messages, round trips/s
#   stream: MIB MiB one way in 64 KiB binary messages, MiB/s
# Each pairing runs client and server as separate processes on 127.0.0.1,
# the server pinned to CPU 0 and the client to CPU 1 (taskset). Echo also
# reports the server's CPU time per round trip: utime + stime from
# /proc/PID/stat over the client's whole run, divided by every round trip
# the client counted (warm-up included), the figure that load on the
# machine moves least.
# Usage: bench/ws/run.sh [build-dir]   (env: CONNS SECS SIZE MIB RUNS)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build/bench-ws}
CONNS=${CONNS:-50} SECS=${SECS:-5} SIZE=${SIZE:-64} MIB=${MIB:-1024}
RUNS=${RUNS:-1}
export NODE_PATH=$root/test/peers/node_modules

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLODE_BENCH=ON \
  -DLODE_TESTS=OFF -DLODE_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target bench-ws-server bench-ws-client -j2 >/dev/null

server_pid=
start_server() {  # lode | ws
  local out; out=$(mktemp)
  if [ "$1" = lode ]; then taskset -c 0 "$build/bench/bench-ws-server" >"$out" &
  else taskset -c 0 node "$here/ws-server.js" >"$out" & fi
  server_pid=$!
  for _ in $(seq 100); do
    grep -q listening "$out" && break
    sleep 0.1
  done
  port=$(sed -n 's/listening on 127.0.0.1://p' "$out")
  rm -f "$out"
}
stop_server() {
  [ -n "$server_pid" ] || return 0
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}
trap stop_server EXIT

client() {  # lode | ws, then the mode's arguments
  local who=$1; shift
  if [ "$who" = lode ]; then
    timeout 600 taskset -c 1 "$build/bench/bench-ws-client" \
      "ws://127.0.0.1:$port/" "$@"
  else
    timeout 600 taskset -c 1 node "$here/ws-client.js" \
      "ws://127.0.0.1:$port/" "$@"
  fi
}

cpu_ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }  # utime stime
tick_us=$((1000000 / $(getconf CLK_TCK)))

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-14s %-6s %s\n' "client -> server" mode result
for run in $(seq "$RUNS"); do
  for pair in lode:lode ws:ws lode:ws ws:lode; do
    c=${pair%:*} s=${pair#*:}
    start_server "$s"
    read -r u0 s0 <<<"$(cpu_ticks "$server_pid")"
    r=$(client "$c" echo "$CONNS" "$SECS" "$SIZE")
    read -r u1 s1 <<<"$(cpu_ticks "$server_pid")"
    total=$(sed -n 's/.*, \([0-9]*\) in all.*/\1/p' <<<"$r")
    cpu=$(awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v t="$tick_us" \
      -v n="${total:-0}" 'BEGIN { if (n == 0) { print "?"; exit }
        printf "%.2f (user %.2f, system %.2f)", (u + s) * t / n, u * t / n,
               s * t / n }')
    printf '%-14s %-6s %s; server us CPU/round trip %s\n' "$c -> $s" echo \
      "$r" "$cpu"
    stop_server
  done
done
for pair in lode:lode ws:ws; do
  c=${pair%:*} s=${pair#*:}
  start_server "$s"
  r=$(client "$c" stream "$MIB" 65536)
  printf '%-14s %-6s %s\n' "$c -> $s" stream "$r"
  stop_server
done
