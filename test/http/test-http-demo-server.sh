#!/bin/bash
# examples/demo-server (what `make run` starts) end to end with curl: the
# page, the echo route, the streamed response, static files, a 404, paths
# that try to leave the folder, and a directory.
set -euo pipefail
bin="${LODE_BINARY_DIR:-build}/examples"
src="${LODE_SOURCE_DIR:-.}"
[ -x "$bin/demo-server" ] || { echo "demo-server not built"; exit 1; }
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT

LODE_DEMO_DIR="$src/examples/demo" "$bin/demo-server" 0 > "$tmp/out" &
pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$tmp/out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/out")
[ -n "$port" ] || { echo "no 'listening on' line"; cat "$tmp/out"; exit 1; }
base="http://127.0.0.1:$port"
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 --path-as-is "$base$1"; }

page=$(curl -s --max-time 10 "$base/")
[[ "$page" == *"<title>lode demo</title>"* ]] || { echo "page: $page"; exit 1; }

echo_out=$(curl -s --max-time 10 -X POST -H 'X-A: 1' -d 'hi' "$base/echo?q")
[[ "$echo_out" == *'"method":"POST","url":"/echo?q"'* ]] || { echo "echo: $echo_out"; exit 1; }
[[ "$echo_out" == *'"x-a":"1"'* && "$echo_out" == *'"body":"aGk="'* ]] ||
  { echo "echo: $echo_out"; exit 1; }

curl -s -i -N --max-time 10 "$base/stream" > "$tmp/stream"
grep -q $'^Transfer-Encoding: chunked\r$' "$tmp/stream" || { echo "stream not chunked"; exit 1; }
[ "$(grep -c '^chunk [0-9]* of 10$' "$tmp/stream")" == 10 ] || { cat "$tmp/stream"; exit 1; }

diff <(curl -s --max-time 10 "$base/static/hello.txt") "$src/examples/demo/hello.txt"
ct=$(curl -s -o /dev/null -w '%{content_type}' --max-time 10 "$base/static/style.css")
[ "$ct" == "text/css" ] || { echo "css type: $ct"; exit 1; }

for path in /static/nope.txt /nope /static/../../CMakeLists.txt \
            /static/..%2f..%2fCMakeLists.txt /static/%2e%2e/demo-server.c \
            /static/. /static//etc/passwd; do
  code=$(status "$path")
  [ "$code" == 404 ] || { echo "$path: $code"; exit 1; }
done
echo ok
