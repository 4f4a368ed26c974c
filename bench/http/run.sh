#!/usr/bin/env bash
# HTTP server benchmark: lode, Node's http and nginx (one worker) answering
# the 11-byte hello, each pinned to CPU 0 with wrk on CPU 1, one after the
# other. Workloads: 50 and 256 keep-alive connections, 16-deep pipelining,
# a new connection per request, a 30-header (2 KB) request. Reports
# requests/s, p99 latency, the server's own CPU time per request (from
# /proc/PID/stat) and the memory of an idle keep-alive connection (RSS
# growth over 1000 of them). Usage: bench/http/run.sh [seconds per run]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=${LODE_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
secs=${1:-5}
build=${LODE_BENCH_BUILD:-$root/build/http-release}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLODE_BENCH=ON \
  -DLODE_TESTS=OFF >/dev/null
cmake --build "$build" --target bench-http-server -j2 >/dev/null

tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

wait_port() {  # wait_port PORT
  for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "server on $1 did not start" >&2
  return 1
}

start_server() {  # start_server NAME PORT -> sets pid
  case $1 in
    lode) taskset -c 0 "$build/bench/bench-http-server" "$2" >/dev/null & ;;
    node) taskset -c 0 node "$here/node-server.js" "$2" >/dev/null & ;;
    nginx)
      sed -e "s|PREFIX|$tmp|g" -e "s|PORT|$2|" "$here/nginx.conf" \
        | sed 's/^daemon off;/daemon off;\nmaster_process off;/' > "$tmp/nginx.conf"
      taskset -c 0 nginx -c "$tmp/nginx.conf" -p "$tmp" 2>/dev/null & ;;
  esac
  pid=$!
  wait_port "$2"
}

run_wrk() {  # run_wrk PORT CONNS EXTRA... -> prints "rps p99 requests"
  local port=$1 conns=$2
  shift 2
  taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" --latency "$@" \
    "http://127.0.0.1:$port/" > "$tmp/wrk.out" 2>&1 || true
  local rps p99 reqs
  rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.out")
  p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk.out")
  reqs=$(awk '/requests in/ {print $1}' "$tmp/wrk.out")
  echo "${rps:-0} ${p99:-?} ${reqs:-0}"
}

workload() {  # workload NAME -> wrk arguments after PORT
  case $1 in
    c50) echo "50" ;;
    c256) echo "256" ;;
    pipeline16) echo "50 -s $here/pipeline.lua" ;;
    newconn) echo "50 -H Connection:close" ;;
    headers30) echo "50 -s $here/headers.lua" ;;
  esac
}

port=18080
echo "| workload | server | requests/s | p99 | CPU us/request |"
echo "| --- | --- | ---: | ---: | ---: |"
for w in c50 c256 pipeline16 newconn headers30; do
  for s in lode node nginx; do
    port=$((port + 1))
    start_server "$s" "$port"
    t0=$(cpu_ticks "$pid")
    read -r rps p99 reqs <<<"$(run_wrk "$port" $(workload "$w"))"
    t1=$(cpu_ticks "$pid")
    us=$(awk -v d=$((t1 - t0)) -v t="$tck" -v n="$reqs" \
      'BEGIN { if (n > 0) printf "%.2f", d * 1e6 / t / n; else print "?" }')
    echo "| $w | $s | $rps | $p99 | $us |"
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  done
done

echo
echo "| server | RSS per idle keep-alive connection |"
echo "| --- | ---: |"
for s in lode node nginx; do
  port=$((port + 1))
  start_server "$s" "$port"
  before=$(rss_kb "$pid")
  node "$here/idle.js" "$port" 1000 > "$tmp/idle.out" &
  cpid=$!
  for _ in $(seq 1 200); do grep -q ready "$tmp/idle.out" && break; sleep 0.05; done
  after=$(rss_kb "$pid")
  kill "$cpid"; wait "$cpid" 2>/dev/null || true
  echo "| $s | $(( (after - before) * 1024 / 1000 )) bytes |"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
done
