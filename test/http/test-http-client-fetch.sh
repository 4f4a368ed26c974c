#!/bin/bash
# examples/lode-fetch and examples/get against a Node server: the status
# line, headers in order, an empty line and the body; method, headers and
# a body from a file.
set -euo pipefail
bin="${LODE_BINARY_DIR:-build}/examples"
src="${LODE_SOURCE_DIR:-.}"
[ -x "$bin/lode-fetch" ] || { echo "lode-fetch not built"; exit 1; }
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT

node -e '
const http = require("http");
const s = http.createServer((req, res) => {
  let body = "";
  req.on("data", (d) => body += d);
  req.on("end", () => {
    if (req.url === "/json") {
      res.setHeader("Content-Type", "application/json");
      res.end("{\"a\":1}");
      return;
    }
    res.setHeader("X-Second", "2");
    res.setHeader("x-first", "1");
    res.sendDate = false;
    res.end(`${req.method} ${req.url} ${req.headers["x-a"]} ${body}`);
  });
}).listen(0, "127.0.0.1", () => console.log(s.address().port));
' > "$tmp/port" &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
port=$(cat "$tmp/port")

out=$("$bin/lode-fetch" "http://127.0.0.1:$port/p?q")
want=$(printf 'HTTP/1.1 200 OK\r\nX-Second: 2\r\nx-first: 1\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 19\r\n\r\nGET /p?q undefined ')
[ "$out" == "$want" ] || { echo "plain GET:"; echo "$out" | od -c | head; exit 1; }

printf 'file body' > "$tmp/body"
out=$("$bin/lode-fetch" -X PUT -H 'X-A: v' -d "@$tmp/body" "http://127.0.0.1:$port/f" | tail -c 18)
[ "$out" == "PUT /f v file body" ] || { echo "PUT: $out"; exit 1; }

out=$("$bin/get" "http://127.0.0.1:$port/json")
[ "$out" == '{"a":1}' ] || { echo "get: $out"; exit 1; }

if "$bin/lode-fetch" "http://127.0.0.1:1/" 2> "$tmp/err"; then
  echo "refused connection must fail"; exit 1
fi
grep -q ECONNREFUSED "$tmp/err"
echo ok
