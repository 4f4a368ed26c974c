#!/bin/bash
# examples/lode-fetch and examples/get against Node servers on loopback:
# the body, or with -i the status line, headers in order, an empty line
# and the body; -o FILE; method, headers and a body from a file; and
# curl's exit codes with a message on stderr (none with -s): a body cut
# short (Content-Length or chunked) is 18, --max-time 28, a refused
# connection 7, no answer 52, not HTTP 8, an unreadable -d @FILE 26, a bad
# URL 3, bad usage 2.
set -euo pipefail
bin="${LODE_BINARY_DIR:-build}/examples"
[ -x "$bin/lode-fetch" ] || { echo "lode-fetch not built"; exit 1; }
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT

# An HTTP server (port 1) and a raw one with exact bytes (port 2).
node -e '
const http = require("http");
const net = require("net");
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
});
const scripts = {
  "/cut": (c) => c.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" +
                       "123456789"),
  "/cutchunk": (c) => c.end("HTTP/1.1 200 OK\r\nTransfer-Encoding: " +
                            "chunked\r\n\r\n5\r\nhello\r\n"),
  "/slow": (c) => c.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" +
                          "123456789"),
  "/hang": () => {},
  "/empty": (c) => c.end(),
  "/bad": (c) => c.end("SSH-2.0-x\r\n\r\n"),
  "/404": (c) => c.end("HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n" +
                       "Connection: close\r\n\r\nnope"),
};
const raw = net.createServer((c) => {
  let head = "";
  c.on("error", () => {});
  c.on("data", (d) => {
    head += d;
    if (!head.includes("\r\n\r\n")) return;
    scripts[head.split(" ")[1]](c);
  });
});
s.listen(0, "127.0.0.1", () => raw.listen(0, "127.0.0.1", () =>
  console.log(`${s.address().port} ${raw.address().port}`)));
' > "$tmp/port" &
pid=$!
for _ in $(seq 200); do [ -s "$tmp/port" ] && break; sleep 0.05; done
read -r port rport < "$tmp/port"
url="http://127.0.0.1:$port"
rurl="http://127.0.0.1:$rport"

fail() { echo "$@"; exit 1; }

# expect CODE [lode-fetch args...]: runs it with stdout in $tmp/out and
# stderr in $tmp/err, and checks the exit code.
expect() {
  local want=$1 got=0
  shift
  "$bin/lode-fetch" "$@" > "$tmp/out" 2> "$tmp/err" || got=$?
  [ "$got" == "$want" ] || fail "lode-fetch $*: exit $got, want $want;" \
                                "stderr: $(cat "$tmp/err")"
}

# expect_err TEXT: stderr is exactly "lode-fetch: TEXT".
expect_err() {
  [ "$(cat "$tmp/err")" == "lode-fetch: $1" ] ||
    fail "stderr: '$(cat "$tmp/err")', want 'lode-fetch: $1'"
}

expect 0 "$url/p?q"
[ "$(cat "$tmp/out")" == "GET /p?q undefined " ] || fail "plain GET: $(cat "$tmp/out")"
[ ! -s "$tmp/err" ] || fail "plain GET wrote to stderr"

expect 0 -i "$url/p?q"
printf 'HTTP/1.1 200 OK\r\nX-Second: 2\r\nx-first: 1\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 19\r\n\r\nGET /p?q undefined ' > "$tmp/want"
cmp -s "$tmp/out" "$tmp/want" || { echo "-i:"; od -c "$tmp/out" | head; exit 1; }

expect 0 -i -o "$tmp/file" "$url/p?q"
[ ! -s "$tmp/out" ] || fail "-o wrote to stdout"
cmp -s "$tmp/file" "$tmp/want" || fail "-i -o: $(cat "$tmp/file")"
expect 0 -o - "$url/p?q"
[ "$(cat "$tmp/out")" == "GET /p?q undefined " ] || fail "-o -: $(cat "$tmp/out")"

printf 'file body' > "$tmp/body"
expect 0 -X PUT -H 'X-A: v' -d "@$tmp/body" "$url/f"
[ "$(cat "$tmp/out")" == "PUT /f v file body" ] || fail "PUT: $(cat "$tmp/out")"

out=$("$bin/get" "$url/json")
[ "$out" == '{"a":1}' ] || fail "get: $out"

# An HTTP error status is a response: exit 0.
expect 0 "$rurl/404"
[ "$(cat "$tmp/out")" == "nope" ] || fail "404: $(cat "$tmp/out")"

# A body cut short: what came is written, then 18.
expect 18 "$rurl/cut"
[ "$(cat "$tmp/out")" == "123456789" ] || fail "cut: $(cat "$tmp/out")"
expect_err "(18) transfer closed with 91 bytes remaining to read"
expect 18 -o "$tmp/file" "$rurl/cut"
[ "$(cat "$tmp/file")" == "123456789" ] || fail "cut -o: $(cat "$tmp/file")"
expect 18 "$rurl/cutchunk"
[ "$(cat "$tmp/out")" == "hello" ] || fail "cutchunk: $(cat "$tmp/out")"
expect_err "(18) transfer closed with outstanding read data remaining"

# -s: no message; -S brings it back.
expect 18 -s "$rurl/cut"
[ ! -s "$tmp/err" ] || fail "-s wrote: $(cat "$tmp/err")"
expect 18 -s -S "$rurl/cut"
expect_err "(18) transfer closed with 91 bytes remaining to read"

# --max-time: mid-body and before any answer (the servers never finish).
expect 28 --max-time 0.3 "$rurl/slow"
[ "$(cat "$tmp/out")" == "123456789" ] || fail "slow: $(cat "$tmp/out")"
expect_err "(28) Operation timed out after 300 milliseconds with 9 out of 100 bytes received"
expect 28 -m 0.3 "$rurl/hang"
expect_err "(28) Operation timed out after 300 milliseconds with 0 bytes received"
[ ! -s "$tmp/out" ] || fail "hang wrote: $(cat "$tmp/out")"
# A max time not reached changes nothing.
expect 0 --max-time 60 "$url/p?q"

expect 52 "$rurl/empty"
expect_err "(52) Empty reply from server"
expect 8 "$rurl/bad"
grep -q "^lode-fetch: (8) Weird server reply: .*HPE_" "$tmp/err" || fail "bad: $(cat "$tmp/err")"
expect 7 "http://127.0.0.1:1/"
grep -q "^lode-fetch: (7) Failed to connect: connect ECONNREFUSED" "$tmp/err" || fail "refused: $(cat "$tmp/err")"
expect 26 -d "@$tmp/missing" "$url/"
expect_err "(26) Failed to open/read local data from file $tmp/missing"
expect 3 "http://[bad/"
grep -q "^lode-fetch: (3) ERR_INVALID_URL" "$tmp/err" || fail "bad URL: $(cat "$tmp/err")"
expect 2 --max-time 0 "$url/"
expect 2 -q "$url/"
expect 2
echo ok
