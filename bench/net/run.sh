#!/usr/bin/env bash
# The net benchmark: the lode echo server (bench-net-echo-server) against
# Node's net echo server (node-echo.js), with an echo server on bare libuv
# (bench-net-uv-echo-server) as the floor, all driven by the same libuv
# load generator (bench-net-load), the server pinned to CPU 0 and the
# generator to CPU 1:
#   - 64-byte ping-pong over 100 connections, PINGS round trips, one
#     message in flight per connection (the issue's workload);
#   - the same with DEPTH messages in flight per connection (pipelined);
#   - one connection streaming BULK bytes (1 GiB) and reading the echo;
#   - server memory per idle connection: RSS before and after IDLE (10,000)
#     connections that each had one byte echoed.
# For each it reports the rate, the server's CPU time (utime + stime from
# /proc/PID/stat) per message or per MiB, and how busy each side was (CPU
# time over wall time): a side near 1.00 is the limit of that run. The runs
# alternate between the servers, REPEAT (3) times, each after both CPUs
# have been idle (or QUIET_WAIT seconds); the table shows the best rate and
# the median of the other figures.
# Usage: bench/net/run.sh [BUILD_DIR]   (default build/net-rel, built with
#   cmake -DCMAKE_BUILD_TYPE=Release -DLODE_BENCH=ON). LOAD_SPIN=1 makes
#   the generator poll instead of sleeping; RAW=1 prints every run to
#   stderr. Loopback only; every step has a time limit.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build/net-rel}
PINGS=${PINGS:-1000000}
DEPTH=${DEPTH:-16}
BULK=${BULK:-1073741824}
IDLE=${IDLE:-10000}
REPEAT=${REPEAT:-3}
QUIET_WAIT=${QUIET_WAIT:-30}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
LOAD=$BUILD/bench/bench-net-load
TCK=$(getconf CLK_TCK)
ulimit -n 30000 2>/dev/null || true

pids=()
tmps=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -f "${tmps[@]}"
}
trap cleanup EXIT

tmpfile() { local f; f=$(mktemp); tmps+=("$f"); echo "$f"; }

# Starts a server (its command line in "$@"), sets SERVER_PID and PORT.
start_server() {
  local out; out=$(tmpfile)
  taskset -c "$SERVER_CPU" "$@" >"$out" 2>&1 &
  SERVER_PID=$!
  pids+=("$SERVER_PID")
  for _ in $(seq 100); do
    grep -q '^listening on' "$out" && break
    sleep 0.05
  done
  PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out" | head -1)
  [ -n "$PORT" ] || { echo "server did not start: $*" >&2; cat "$out"; exit 1; }
}

stop_server() { kill "$1"; wait "$1" 2>/dev/null || true; }

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

. bench/quiet.sh

# drive PID PORT UNITS MODE ARGS...: runs the generator against one server;
# prints "rate server_cpu_us_per_unit server_busy load_busy", where a unit
# is a message or a MiB and busy is CPU time over wall time.
drive() {
  local pid=$1 port=$2 units=$3 mode=$4; shift 4
  local out t0 t1; out=$(tmpfile)
  wait_quiet "$SERVER_CPU|$LOAD_CPU" 0.10 "$QUIET_WAIT"
  t0=$(cpu_ticks "$pid")
  taskset -c "$LOAD_CPU" timeout 300 "$LOAD" "$mode" "$port" "$@" >"$out"
  t1=$(cpu_ticks "$pid")
  awk -v d=$((t1 - t0)) -v tck="$TCK" -v units="$units" '
    { v[$1] = $2 }
    END {
      cpu = d / tck
      printf "%s %.2f %.2f %s\n", v["msgs_per_sec"] v["mib_per_sec"],
        cpu * 1e6 / units, cpu / v["seconds"], v["load_cpu_util"]
    }' "$out"
}

# Memory per idle connection on a fresh server (a garbage collector run
# after the other workloads would hide Node's per-connection cost).
idle_bytes() {
  local rss0 rss1 out idle_pid
  start_server "$@"
  sleep 0.5
  rss0=$(rss_kb "$SERVER_PID")
  out=$(tmpfile)
  taskset -c "$LOAD_CPU" timeout 300 "$LOAD" idle "$PORT" "$IDLE" >"$out" &
  idle_pid=$!
  for _ in $(seq 1200); do
    grep -q '^ready' "$out" && break
    sleep 0.05
  done
  grep -q '^ready' "$out" || { echo "idle connections not ready" >&2; exit 1; }
  sleep 0.5   # let the server settle after the last echo
  rss1=$(rss_kb "$SERVER_PID")
  kill -TERM "$idle_pid"; wait "$idle_pid" || true
  stop_server "$SERVER_PID"
  echo $(( (rss1 - rss0) * 1024 / IDLE ))
}

LODE_CMD=("$BUILD/bench/bench-net-echo-server" 0)
UV_CMD=("$BUILD/bench/bench-net-uv-echo-server" 0)
NODE_CMD=(node bench/net/node-echo.js 0)
results=$(tmpfile)
echo "lode idle $(idle_bytes "${LODE_CMD[@]}")" >>"$results"
echo "uv idle $(idle_bytes "${UV_CMD[@]}")" >>"$results"
echo "node idle $(idle_bytes "${NODE_CMD[@]}")" >>"$results"

# The servers stay up; the runs alternate between them, REPEAT times, so
# that noise from the rest of the machine falls on all alike.
declare -A spid sport
for s in lode uv node; do
  case $s in
    lode) start_server "${LODE_CMD[@]}" ;;
    uv) start_server "${UV_CMD[@]}" ;;
    node) start_server "${NODE_CMD[@]}" ;;
  esac
  spid[$s]=$SERVER_PID sport[$s]=$PORT
done
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for ((r = 0; r < REPEAT; r++)); do
  for s in lode uv node; do
    pid=${spid[$s]} port=${sport[$s]}
    echo "$s pingpong $(drive $pid $port "$PINGS" pingpong 100 "$PINGS" 1)"
    echo "$s pipelined $(drive $pid $port "$PINGS" pingpong 100 "$PINGS" \
      "$DEPTH")"
    echo "$s bulk $(drive $pid $port $((BULK / 1048576)) bulk "$BULK")"
  done >>"$results"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for s in lode uv node; do stop_server "${spid[$s]}"; done
[ -z "${RAW:-}" ] || cat "$results" >&2

# Field $2 of workload $1 for server $3 over the runs: the CPU time per
# unit (field 4) is the median; the others come from the run with the best
# rate (other load only ever slows a run down).
get() {
  awk -v w="$1" -v f="$2" -v s="$3" '$1 == s && $2 == w' "$results" |
    sort -k "$(($2 == 4 ? 4 : 3))" -g |
    awk -v f="$2" '{ v[NR] = $f }
      END { print f == 4 ? v[int((NR + 1) / 2)] : v[NR] }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "| workload | lode | libuv (floor) | Node | lode / Node |"
echo "| --- | ---: | ---: | ---: | ---: |"
row() {  # row LABEL WORKLOAD FIELD INVERT
  local l u n; l=$(get "$2" "$3" lode); u=$(get "$2" "$3" uv)
  n=$(get "$2" "$3" node)
  if [ "$4" = 1 ]; then
    echo "| $1 | $l | $u | $n | $(ratio "$n" "$l")x less |"
  else
    echo "| $1 | $l | $u | $n | $(ratio "$l" "$n") |"
  fi
}
pp() {  # pp LABEL WORKLOAD: the rows of one ping-pong workload
  row "$1 (msg/s)" "$2" 3 0
  row "  server CPU per message (us)" "$2" 4 1
  row "  server core busy (CPU s / wall s)" "$2" 5 0
  row "  generator core busy" "$2" 6 0
}
pp "ping-pong 64 B, 100 conns, 1 in flight" pingpong
pp "ping-pong 64 B, 100 conns, $DEPTH in flight" pipelined
row "bulk, 1 conn, $((BULK / 1048576)) MiB echoed (MiB/s)" bulk 3 0
row "  server CPU per MiB (us)" bulk 4 1
row "memory per idle conn, $IDLE conns (bytes)" idle 3 1
