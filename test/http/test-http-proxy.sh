#!/bin/bash
# examples/http-proxy (http-proxy PORT UPSTREAM_URL) against a Node origin
# (test/peers/pipe-origin.js), with curl and Node as clients: method, path
# (under the upstream URL's path), headers and a 4 MiB body forwarded,
# hop-by-hop headers dropped, the upstream's status and headers back, 10
# requests on one keep-alive connection to the upstream, 502 when the
# upstream is gone; and 1 GiB streamed to a client that reads slowly
# while the proxy's memory stays bounded (both bodies are streamed, never
# held whole).
set -euo pipefail
bin="${LODE_BINARY_DIR:-build}/examples"
src="${LODE_SOURCE_DIR:-.}"
[ -x "$bin/http-proxy" ] || { echo "http-proxy not built"; exit 1; }
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT

source "$src/test/http/proxy-start.sh"

start "$tmp/origin" node "$src/test/peers/pipe-origin.js"
origin=$port; origin_pid=$pid
# ASan's quarantine would hold freed blocks: RSS then measures the proxy.
ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
  start "$tmp/proxy" "$bin/http-proxy" 0 "http://127.0.0.1:$origin/base/"
proxy=$port; proxy_pid=$pid
base="http://127.0.0.1:$proxy"

[ "$(curl -s --max-time 10 "http://127.0.0.1:$origin/")" == "hello from origin" ]

# Method, path under /base, end-to-end headers; hop-by-hop ones dropped.
head -c 4194304 /dev/urandom > "$tmp/body"
curl -s -D "$tmp/h1" --max-time 30 -X PUT -H 'X-A: 1' -H 'X-B: two' \
  -H 'Connection: keep-alive, X-Hop' -H 'X-Hop: no' -H 'Keep-Alive: 5' \
  --data-binary @"$tmp/body" "$base/items?x=1&y=%20" > "$tmp/r1"
line=$(head -1 "$tmp/r1")
want='{"method":"PUT","url":"/base/items?x=1&y=%20","x":{"x-a":"1","x-b":"two"},"length":4194304}'
[ "$line" == "$want" ] || { echo "got:  $line"; echo "want: $want"; exit 1; }
tail -c 4194304 "$tmp/r1" | cmp - "$tmp/body"
grep -qi '^x-origin: yes' "$tmp/h1" || { cat "$tmp/h1"; exit 1; }
grep -q '^HTTP/1.1 200 OK' "$tmp/h1" || { cat "$tmp/h1"; exit 1; }

# A chunked upload (no Content-Length) streams through too.
head -c 100000 "$tmp/body" | curl -s --max-time 30 -H 'Transfer-Encoding: chunked' \
  --data-binary @- "$base/chunked" > "$tmp/r2"
got=$(head -1 "$tmp/r2")
[[ "$got" == *'"method":"POST","url":"/base/chunked"'*'"length":100000}' ]] || { echo "$got"; exit 1; }

# Ten requests in a row: the agent keeps one upstream connection.
before=$(grep -c '^origin:' "$tmp/origin")
for i in $(seq 10); do
  curl -s --max-time 10 "$base/n$i" > "$tmp/r3"
  [ "$(head -1 "$tmp/r3" | sed 's/,"x".*//')" == "{\"method\":\"GET\",\"url\":\"/base/n$i\"" ]
done
[ $(( $(grep -c '^origin:' "$tmp/origin") - before )) == 10 ]
conns=$(ss -tn state established "( dport = :$origin )" 2>/dev/null | grep -c 127.0.0.1 || true)
[ "$conns" -le 1 ] || { echo "upstream connections: $conns"; exit 1; }

# 1 GiB to a client that reads slowly: every byte in order, and the
# proxy's resident memory grows by a few MiB at most (bound: 16).
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$proxy_pid/status"; }
rss0=$(rss)
node "$src/test/peers/pipe-slow-client.js" "$base/big?n=1073741824" > "$tmp/slow" &
client=$!
pids+=($client)
peak=$rss0
while kill -0 $client 2>/dev/null; do
  r=$(rss); [ "$r" -gt "$peak" ] && peak=$r
  sleep 0.1
done
wait $client
[ "$(cat "$tmp/slow")" == "length 1073741824 same true" ] || { cat "$tmp/slow"; exit 1; }
growth=$(( (peak - rss0) / 1024 ))
echo "proxy RSS growth over 1 GiB: ${growth} MiB"
[ "$growth" -lt 16 ] || { echo "the proxy held too much: ${growth} MiB"; exit 1; }

# The upstream gone: 502.
kill "$origin_pid"; wait "$origin_pid" 2>/dev/null || true
code=$(curl -s -o /dev/null -w "%{http_code}" --max-time 10 "$base/x" || true)
[ "$code" == 502 ] || { echo "upstream down: $code"; exit 1; }
echo ok
