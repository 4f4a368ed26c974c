#!/usr/bin/env bash
# The net benchmark: the lode echo server (bench-net-echo-server) against
# Node's net echo server (node-echo.js), driven by the same libuv load
# generator (bench-net-load):
#   - 64-byte ping-pong over 100 connections, PINGS round trips in all;
#   - one connection streaming BULK bytes (1 GiB) and reading the echo;
#   - server memory per idle connection: RSS before and after IDLE (10,000)
#     connections that each had one byte echoed.
# Usage: bench/net/run.sh [BUILD_DIR]   (default build/net-rel, built with
#   cmake -DCMAKE_BUILD_TYPE=Release -DLODE_BENCH=ON). Loopback only; every
#   step has a time limit.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build/net-rel}
PINGS=${PINGS:-1000000}
BULK=${BULK:-1073741824}
IDLE=${IDLE:-10000}
LOAD=$BUILD/bench/bench-net-load
ulimit -n 30000 2>/dev/null || true

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# Starts a server (its command line in "$@"), sets SERVER_PID and PORT.
start_server() {
  local out; out=$(mktemp)
  "$@" >"$out" 2>&1 &
  SERVER_PID=$!
  pids+=("$SERVER_PID")
  for _ in $(seq 100); do
    grep -q '^listening on' "$out" && break
    sleep 0.05
  done
  PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out" | head -1)
  [ -n "$PORT" ] || { echo "server did not start: $*" >&2; cat "$out"; exit 1; }
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

value() { awk -v k="$1" '$1 == k {print $2}'; }

# Runs every workload against one server; prints "name msgs MiB/s B/conn".
measure() {
  local name=$1; shift
  local pp bulk rss0 rss1 idle_out idle_pid
  # Memory first, on a fresh server (a garbage collector run after the
  # other workloads would hide Node's per-connection cost).
  start_server "$@"
  sleep 0.5
  rss0=$(rss_kb "$SERVER_PID")
  idle_out=$(mktemp)
  timeout 300 "$LOAD" idle "$PORT" "$IDLE" >"$idle_out" &
  idle_pid=$!
  for _ in $(seq 1200); do
    grep -q '^ready' "$idle_out" && break
    sleep 0.05
  done
  grep -q '^ready' "$idle_out" || { echo "idle connections not ready" >&2; exit 1; }
  sleep 0.5   # let the server settle after the last echo
  rss1=$(rss_kb "$SERVER_PID")
  kill -TERM "$idle_pid"; wait "$idle_pid" || true
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  start_server "$@"
  pp=$(timeout 300 "$LOAD" pingpong "$PORT" 100 "$PINGS" | value msgs_per_sec)
  bulk=$(timeout 300 "$LOAD" bulk "$PORT" "$BULK" | value mib_per_sec)
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  echo "$name $pp $bulk $(( (rss1 - rss0) * 1024 / IDLE ))"
}

lode=$(measure lode "$BUILD/bench/bench-net-echo-server" 0)
node=$(measure node node bench/net/node-echo.js 0)

read -r _ l_pp l_bulk l_mem <<<"$lode"
read -r _ n_pp n_bulk n_mem <<<"$node"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '%-34s %12s %12s %8s\n' "workload" "lode" "node" "ratio"
printf '%-34s %12s %12s %8s\n' "ping-pong 64 B x100 conns (msg/s)" \
  "$l_pp" "$n_pp" "$(ratio "$l_pp" "$n_pp")"
printf '%-34s %12s %12s %8s\n' "bulk 1 conn echo (MiB/s)" \
  "$l_bulk" "$n_bulk" "$(ratio "$l_bulk" "$n_bulk")"
printf '%-34s %12s %12s %8s\n' "memory per idle conn (bytes)" \
  "$l_mem" "$n_mem" "$(ratio "$n_mem" "$l_mem")x less"
