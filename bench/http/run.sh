#!/usr/bin/env bash
# HTTP server benchmark: lode, Node's http and nginx answering the 11-byte
# hello, one after the other.
#   - One loop: each server pinned to CPU 0 (nginx: one worker, no master)
#     with wrk -t1 pinned to CPU 1. Workloads: 50 and 256 keep-alive
#     connections, 16-deep pipelining, a new connection per request, a
#     30-header (2 KB) request.
#   - Two loops: lode with two threads, each with its own loop and server
#     sharing the port through reusePort, against nginx with two workers;
#     server and wrk -t2 (256 connections) share both CPUs.
#   - Memory: RSS growth while IDLE (10,000) keep-alive connections sit
#     idle after one request each; for nginx also what it reserves per
#     connection slot (RSS at start with 16384 slots against 1024).
# Every run reports requests/s, p99 latency and the server's own CPU time
# per request (utime + stime of all its threads and processes from
# /proc/PID/stat over the requests wrk counted). The runs alternate between
# servers, REPEAT (3) times, each round after both CPUs have been nearly
# idle for a moment (or QUIET_WAIT, 15 s, has passed); the tables show the
# best requests/s and the median p99 and CPU. The load average is printed
# before and after.
# Usage: bench/http/run.sh [seconds per run]   RAW=1 prints every run.
# WORKLOADS (all five), SERVERS ("lode node nginx") pick what runs;
# TWO_LOOPS=0 and IDLE_MEM=0 leave those parts out. A server "lode-base"
# is bench-http-server of LODE_BASE_BUILD (another build, for a before
# and after in one interleaved run).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=${LODE_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
secs=${1:-5}
REPEAT=${REPEAT:-3}
QUIET_WAIT=${QUIET_WAIT:-15}
IDLE=${IDLE:-10000}
build=${LODE_BENCH_BUILD:-$root/build/http-release}
WORKLOADS=${WORKLOADS:-c50 c256 pipeline16 newconn headers30}
SERVERS=${SERVERS:-lode node nginx}
TWO_LOOPS=${TWO_LOOPS:-1}
IDLE_MEM=${IDLE_MEM:-1}
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
ulimit -n 30000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLODE_BENCH=ON \
  -DLODE_TESTS=OFF >/dev/null
cmake --build "$build" --target bench-http-server -j2 >/dev/null

tck=$(getconf CLK_TCK)
# CPU ticks of a process and its children (nginx's workers).
cpu_ticks() {
  local t=0 p
  for p in "$1" $(ps --ppid "$1" -o pid= 2>/dev/null); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
rss_kb() {
  local t=0 p
  for p in "$1" $(ps --ppid "$1" -o pid= 2>/dev/null); do
    t=$((t + $(awk '/VmRSS/ {print $2}' "/proc/$p/status")))
  done
  echo "$t"
}

. "$here/../quiet.sh"

. "$here/lib.sh"

# start_server NAME PORT [CPUS] [LOOPS] [SLOTS] -> sets pid
start_server() {
  local cpus=${3:-0} loops=${4:-1}
  case $1 in
    lode) taskset -c "$cpus" "$build/bench/bench-http-server" "$2" "$loops" \
            >/dev/null & ;;
    lode-base) taskset -c "$cpus" "$LODE_BASE_BUILD/bench/bench-http-server" \
                 "$2" "$loops" >/dev/null & ;;
    node) taskset -c "$cpus" node "$here/node-server.js" "$2" >/dev/null & ;;
    nginx)
      nginx_conf "$tmp" "$2" "$loops" "${5:-16384}" > "$tmp/nginx.conf"
      taskset -c "$cpus" nginx -c "$tmp/nginx.conf" -p "$tmp" 2>/dev/null & ;;
  esac
  pid=$!
  pids+=("$pid")
  wait_port "$2"
  sleep 0.2  # nginx's workers start after the port opens
}

stop_server() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }

# run_wrk CPUS THREADS PORT CONNS EXTRA... -> prints "rps p99ms requests"
run_wrk() {
  local cpus=$1 threads=$2 port=$3 conns=$4
  shift 4
  timeout $((secs + 20)) taskset -c "$cpus" wrk -t"$threads" -c"$conns" \
    -d"${secs}s" --latency "$@" "http://127.0.0.1:$port/" \
    > "$tmp/wrk.out" 2>&1 || true
  awk '/Requests\/sec/ { rps = $2 }
       /requests in/ { n = $1 }
       $1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
                     p = v * (u == "us" ? 0.001 : u == "s" ? 1000 : 1) }
       END { printf "%s %.2f %s\n", rps ? rps : 0, p, n ? n : 0 }' \
    "$tmp/wrk.out"
}

workload() {  # workload NAME -> wrk arguments after PORT
  case $1 in
    c50) echo "50" ;;
    c256) echo "256" ;;
    pipeline16) echo "50 -s $here/pipeline.lua" ;;
    newconn) echo "50 -s $here/close.lua" ;;
    headers30) echo "50 -s $here/headers.lua" ;;
  esac
}

# measure LABEL SERVER SRVCPUS LOOPS WRKCPUS WRKTHREADS WORKLOAD
measure() {
  port=$((port + 1))
  start_server "$2" "$port" "$3" "$4"
  local t0 t1 rps p99 reqs us
  t0=$(cpu_ticks "$pid")
  read -r rps p99 reqs <<<"$(run_wrk "$5" "$6" "$port" $(workload "$7"))"
  t1=$(cpu_ticks "$pid")
  stop_server
  us=$(awk -v d=$((t1 - t0)) -v t="$tck" -v n="$reqs" \
    'BEGIN { if (n > 0) printf "%.2f", d * 1e6 / t / n; else print "?" }')
  echo "$1 $2 $rps $p99 $us" >> "$tmp/raw"
  [ -z "${RAW:-}" ] || echo "$1 $2 $rps ${p99}ms ${us}us" >&2
}

# The table of LABEL SERVER rows: best rps, median p99 and CPU.
summarise() {
  echo "| workload | server | requests/s | p99 | CPU us/request |"
  echo "| --- | --- | ---: | ---: | ---: |"
  awk '{ k = $1 " " $2; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
         if ($3 > best[k]) best[k] = $3
         p[k] = p[k] " " $4; c[k] = c[k] " " $5 }
       function med(s,   a, m, i, j, t) {
         m = split(s, a, " ")
         for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
           if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
         return a[int((m + 1) / 2)] }
       END { for (i = 1; i <= n; i++) { k = order[i]; split(k, kk, " ")
               printf "| %s | %s | %.0f | %.2fms | %.2f |\n", kk[1], kk[2],
                 best[k], med(p[k]), med(c[k]) } }' "$1"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
port=18080
: > "$tmp/raw"
for _ in $(seq 1 "$REPEAT"); do
  wait_quiet "0|1" 0.2 "$QUIET_WAIT"
  for w in $WORKLOADS; do
    for s in $SERVERS; do
      measure "$w" "$s" 0 1 1 1 "$w"
    done
  done
  [ "$TWO_LOOPS" = 1 ] || continue
  for s in lode nginx; do
    measure "2loops-c256" "$s" 0,1 2 0,1 2 c256
  done
done
summarise "$tmp/raw"

if [ "$IDLE_MEM" != 1 ]; then
  echo
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi
echo
echo "| server | RSS per idle keep-alive connection ($IDLE connections) |"
echo "| --- | ---: |"
for s in lode node nginx; do
  port=$((port + 1))
  start_server "$s" "$port"
  before=$(rss_kb "$pid")
  node "$here/idle.js" "$port" "$IDLE" > "$tmp/idle.out" &
  cpid=$!
  pids+=("$cpid")
  for _ in $(seq 1 1200); do
    grep -q ready "$tmp/idle.out" && break
    sleep 0.05
  done
  grep -q ready "$tmp/idle.out" || echo "$s: the connections did not open" >&2
  after=$(rss_kb "$pid")
  kill "$cpid"; wait "$cpid" 2>/dev/null || true
  echo "| $s | $(( (after - before) * 1024 / IDLE )) bytes |"
  stop_server
done
for slots in 1024 16384; do
  port=$((port + 1))
  start_server nginx "$port" 0 1 "$slots"
  eval "rss_$slots=$(rss_kb "$pid")"
  stop_server
done
echo "| nginx, reserved per connection slot | $(( (rss_16384 - rss_1024) * 1024 / (16384 - 1024) )) bytes |"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
