#!/usr/bin/env bash
# HTTP client benchmark: 100,000 GETs with 50 in flight over keep-alive
# connections to nginx (one worker, pinned to CPU 0), by lode, Node's http
# (keep-alive Agent), undici and a libcurl multi client, each pinned to
# CPU 1, one after the other. Reports requests/s and the client's CPU time
# per request. Usage: bench/client/run.sh [requests] [in flight] [rounds]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=${LODE_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
n=${1:-100000}
c=${2:-50}
rounds=${3:-3}
build=${LODE_BENCH_BUILD:-$root/build/client-release}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLODE_BENCH=ON \
  -DLODE_TESTS=OFF -DLODE_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target bench-client-lode bench-client-curl -j2 \
  >/dev/null

port=$((20000 + RANDOM % 20000))
sed -e "s|PREFIX|$tmp|g" -e "s|PORT|$port|" "$root/bench/http/nginx.conf" \
  | sed 's/^daemon off;/daemon off;\nmaster_process off;/' > "$tmp/nginx.conf"
taskset -c 0 nginx -c "$tmp/nginx.conf" -p "$tmp" 2>/dev/null &
for _ in $(seq 1 100); do
  (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
  sleep 0.05
done

client() {  # client NAME -> "requests seconds cpu"
  case $1 in
    lode) taskset -c 1 "$build/bench/bench-client-lode" "$port" "$n" "$c" ;;
    curl) taskset -c 1 "$build/bench/bench-client-curl" "$port" "$n" "$c" ;;
    node) taskset -c 1 node "$here/node-http.js" "$port" "$n" "$c" ;;
    undici) taskset -c 1 node "$here/undici.js" "$port" "$n" "$c" ;;
  esac
}

printf "%-8s %10s %14s\n" client "req/s" "cpu us/req"
for name in lode node undici curl; do
  best=0 bestcpu=0
  for _ in $(seq "$rounds"); do
    read -r done secs cpu < <(client "$name")
    rps=$(awk -v d="$done" -v s="$secs" 'BEGIN { printf "%d", d / s }')
    if [ "$rps" -gt "$best" ]; then
      best=$rps
      bestcpu=$(awk -v d="$done" -v c="$cpu" 'BEGIN { printf "%.1f", c / d * 1e6 }')
    fi
  done
  printf "%-8s %10d %14s\n" "$name" "$best" "$bestcpu"
done
