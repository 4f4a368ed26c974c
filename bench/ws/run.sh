#!/usr/bin/env bash
# bench/ws: lode against npm ws on Node, in one run.
#   echo:   CONNS connections, SIZE-byte text messages, round trips/s
#   stream: MIB MiB one way in 64 KiB binary messages, MiB/s
# Each pairing runs client and server as separate processes on 127.0.0.1.
# Usage: bench/ws/run.sh [build-dir]   (env: CONNS SECS SIZE MIB)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build/bench-ws}
CONNS=${CONNS:-50} SECS=${SECS:-5} SIZE=${SIZE:-64} MIB=${MIB:-1024}
export NODE_PATH=$root/test/peers/node_modules

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLODE_BENCH=ON \
  -DLODE_TESTS=OFF -DLODE_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target bench-ws-server bench-ws-client -j2 >/dev/null

server_pid=
start_server() {  # lode | ws
  local out; out=$(mktemp)
  if [ "$1" = lode ]; then "$build/bench/bench-ws-server" >"$out" &
  else node "$here/ws-server.js" >"$out" & fi
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
    timeout 600 "$build/bench/bench-ws-client" "ws://127.0.0.1:$port/" "$@"
  else
    timeout 600 node "$here/ws-client.js" "ws://127.0.0.1:$port/" "$@"
  fi
}

printf '%-22s %-8s %s\n' "client -> server" mode result
for pair in lode:lode ws:ws lode:ws ws:lode; do
  c=${pair%:*} s=${pair#*:}
  start_server "$s"
  r=$(client "$c" echo "$CONNS" "$SECS" "$SIZE")
  printf '%-22s %-8s %s\n' "$c -> $s" echo "$r"
  stop_server
done
for pair in lode:lode ws:ws; do
  c=${pair%:*} s=${pair#*:}
  start_server "$s"
  r=$(client "$c" stream "$MIB" 65536)
  printf '%-22s %-8s %s\n' "$c -> $s" stream "$r"
  stop_server
done
