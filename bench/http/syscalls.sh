#!/usr/bin/env bash
# The kernel's side of a new connection per request, for lode's
# bench-http-server and nginx (one worker, no master): each server,
# pinned to CPU 0, serves SECS seconds of wrk -t1 -cCONNS (close.lua:
# every request says "Connection: close") pinned to CPU 1; the servers
# alternate ROUNDS (1) times.
#  - By default, system calls per request: the kernel's syscall
#    tracepoints count them (`perf stat -e 'syscalls:sys_enter_*'`) over
#    the requests wrk made. The tracepoints leave the server's pace as it
#    is; strace does not (each call stops the server, so more connections
#    wait per wakeup and the calls made once per wakeup, epoll_wait and
#    a failed accept4, look rarer). accept4's failures are its calls over
#    the requests.
#  - PROFILE=1: where the CPU goes, from `perf record -e cpu-clock -g` (a
#    software clock: it works in a VM without hardware counters), in
#    microseconds per request: all of it, the kernel, and the kernel's
#    part under each system call (loopback delivery to wrk runs in the
#    sender's softirq, so writev and close include the peer's receive
#    path). perf's own cost raises every figure a little.
# Needs root (tracepoints, kernel symbols), perf and wrk.
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
spid=
cleanup() {
  [ -z "$spid" ] || kill "$spid" 2> /dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
ulimit -n 30000 2> /dev/null || ulimit -n "$(ulimit -Hn)"
port=${PORT:-18560}
. "$here/lib.sh"

calls=accept4,accept,epoll_wait,epoll_pwait,epoll_ctl,read,recvfrom,readv
calls=$calls,write,writev,sendto,sendmsg,shutdown,close,setsockopt,ioctl
calls=$calls,getsockname,getpeername,fcntl
events=$(echo "$calls" | sed 's/\([a-z_0-9]*\)/syscalls:sys_enter_\1/g')

start() {  # start SERVER PORT -> spid
  case $1 in
    lode) taskset -c 0 "$build/bench/bench-http-server" "$2" > /dev/null & ;;
    nginx)
      nginx_conf "$tmp" "$2" > "$tmp/nginx.conf"
      taskset -c 0 nginx -c "$tmp/nginx.conf" -p "$tmp" 2> /dev/null & ;;
    *) echo "unknown server $1" >&2; exit 2 ;;
  esac
  spid=$!
  wait_port "$2"
  sleep 0.3
}

counts() {  # counts STAT REQUESTS
  awk -F, -v n="$2" '$3 ~ /^syscalls:sys_enter_/ && $1 ~ /^[0-9]+$/ {
      name = substr($3, 20); per = $1 / n
      if (per >= 0.01) {
        printf "  %-12s %6.2f", name, per
        if (name == "accept4" && per - 1 >= 0.01)
          printf "  (%.2f failed)", per - 1
        printf "\n" }
      total += per }
    END { printf "  %-12s %6.2f\n", "total", total }' "$1"
}

profile() {  # profile DATA REQUESTS NAME: one line, us per request
  local total
  total=$(perf report -i "$1" --stdio --no-children --sort dso -g none \
            2> /dev/null | awk '/Event count/ { print $NF }')
  perf report -i "$1" --stdio --children --sort sym -g none 2> /dev/null |
    awk -v total="$total" -v n="$2" -v name="$3" '
      $1 ~ /%$/ && $3 == "[k]" { pct[$4] = $1 + 0 }
      END {
        us = total / 1000 / n
        printf "%-6s %6.2f us: kernel %5.2f (accept4 %.2f, read %.2f, " \
               "writev %.2f, close %.2f, epoll_wait %.2f, epoll_ctl %.2f)\n",
               name, us, us * pct["entry_SYSCALL_64_after_hwframe"] / 100,
               us * pct["__x64_sys_accept4"] / 100,
               us * (pct["ksys_read"] + pct["__x64_sys_recvfrom"]) / 100,
               us * pct["do_writev"] / 100, us * pct["__x64_sys_close"] / 100,
               us * pct["__x64_sys_epoll_wait"] / 100,
               us * pct["__x64_sys_epoll_ctl"] / 100 }'
}

for round in $(seq 1 "${ROUNDS:-1}"); do
  for s in ${SERVERS:-lode nginx}; do
    port=$((port + 1))
    start "$s" "$port"
    if [ "${PROFILE:-0}" = 1 ]; then
      perf record -q -e cpu-clock -F 4000 -g -p "$spid" -o "$tmp/$s.data" \
        > /dev/null 2>&1 &
    else
      perf stat -x, -e "$events" -p "$spid" -o "$tmp/$s.stat" &
    fi
    ppid=$!
    sleep 0.2
    taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" -s "$here/close.lua" \
      "http://127.0.0.1:$port/" > "$tmp/wrk.out" 2>&1 || true
    kill -INT "$ppid" 2> /dev/null || true
    wait "$ppid" 2> /dev/null || true
    kill "$spid" 2> /dev/null || true
    wait "$spid" 2> /dev/null || true
    spid=
    n=$(awk '/requests in/ { print $1 }' "$tmp/wrk.out")
    if [ "${PROFILE:-0}" = 1 ]; then
      profile "$tmp/$s.data" "$n" "$s"
    else
      echo "$s: $n requests"
      counts "$tmp/$s.stat" "$n"
    fi
  done
done
