#!/usr/bin/env bash
# System calls per request of lode's bench-http-server and of nginx (one
# worker, no master) with a new connection per request (wrk with
# close.lua, every request says "Connection: close"): each server runs
# under `strace -f -c` for SECS seconds of wrk -t1 -cCONNS, and the
# counts are divided by the requests wrk made. strace slows the server,
# which changes how many events one epoll_wait returns (so its
# epoll_wait and failed accept4 per request are lower than without it);
# the calls made once per connection are exact.
# Usage: bench/http/syscalls.sh [BUILD_DIR] [SECS] [CONNS]
#   BUILD_DIR: a Release build with bench-http-server (build/http-release)
#   SERVERS="lode nginx" picks the servers.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build/http-release}
secs=${2:-5}
conns=${3:-50}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ulimit -n 30000 2>/dev/null || true
port=${PORT:-18560}

wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

for s in ${SERVERS:-lode nginx}; do
  port=$((port + 1))
  case $s in
    lode) strace -f -c -o "$tmp/$s.sc" "$build/bench/bench-http-server" \
            "$port" > /dev/null & ;;
    nginx)
      sed -e "s|PREFIX|$tmp|g" -e "s|PORT|$port|" "$here/nginx.conf" |
        sed 's/^daemon off;/daemon off;\nmaster_process off;/' > "$tmp/nginx.conf"
      strace -f -c -o "$tmp/$s.sc" nginx -c "$tmp/nginx.conf" -p "$tmp" \
        2> /dev/null & ;;
    *) echo "unknown server $s" >&2; exit 2 ;;
  esac
  spid=$!
  wait_port "$port"
  sleep 0.3
  wrk -t1 -c"$conns" -d"${secs}s" -s "$here/close.lua" \
    "http://127.0.0.1:$port/" > "$tmp/wrk.out" 2>&1 || true
  n=$(awk '/requests in/ { print $1 }' "$tmp/wrk.out")
  # The server is strace's child: end it (SIGTERM), strace then writes.
  kill "$(ps --ppid "$spid" -o pid= | head -1)" 2>/dev/null || true
  wait "$spid" 2>/dev/null || true
  echo "$s: $n requests"
  awk -v n="$n" '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" {
      calls = $4; name = $NF; errs = (NF == 6) ? $5 : 0
      if (calls / n >= 0.01) {
        printf "  %-12s %6.2f", name, calls / n
        if (errs / n >= 0.01) printf "  (%.2f failed)", errs / n
        printf "\n"
        total += calls / n }
    }
    END { printf "  %-12s %6.2f\n", "total", total }' "$tmp/$s.sc"
done
