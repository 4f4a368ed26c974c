#!/usr/bin/env bash
# RSS per idle keep-alive connection of lode's bench-http-server alone
# (run.sh's memory measure without the rest): the server's RSS growth
# while IDLE (10,000) keep-alive connections from idle.js sit idle after
# one request each, ROUNDS (3) times, each on a fresh server.
# Usage: bench/http/idle-rss.sh [BUILD_DIR]   (a Release build with
# bench-http-server built; default build/http-release)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build/http-release}
IDLE=${IDLE:-10000}
ROUNDS=${ROUNDS:-3}
ulimit -n 30000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
port=${PORT:-18480}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
for _ in $(seq 1 "$ROUNDS"); do
  port=$((port + 1))
  "$build/bench/bench-http-server" "$port" > "/tmp/idle-rss.$$" &
  pid=$!
  for _ in $(seq 1 100); do
    grep -q listening "/tmp/idle-rss.$$" && break
    sleep 0.05
  done
  before=$(rss_kb "$pid")
  out=$(mktemp)
  node "$here/idle.js" "$port" "$IDLE" > "$out" &
  cpid=$!
  for _ in $(seq 1 1200); do
    grep -q ready "$out" && break
    sleep 0.05
  done
  after=$(rss_kb "$pid")
  kill "$cpid"
  wait "$cpid" 2>/dev/null || true
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  rm -f "$out" "/tmp/idle-rss.$$"
  echo "$(( (after - before) * 1024 / IDLE )) bytes per connection"
done
