#!/bin/bash
# examples/http-connect-proxy (Node's 'connect' example: two pipe calls)
# and examples/echo-server (c.pipe(c)) end to end: the example's own run
# through itself to a Node origin, curl tunnelling through the proxy, a
# plain request to it, and 1 MiB echoed by the echo server to a Node client.
set -euo pipefail
bin="${LODE_BINARY_DIR:-build}/examples"
src="${LODE_SOURCE_DIR:-.}"
for b in http-connect-proxy echo-server; do
  [ -x "$bin/$b" ] || { echo "$b not built"; exit 1; }
done
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT

source "$src/test/http/proxy-start.sh"

start "$tmp/origin" node "$src/test/peers/pipe-origin.js"
origin=$port

# The example's listen callback, through itself.
timeout 20 "$bin/http-connect-proxy" 0 "127.0.0.1:$origin" > "$tmp/self"
head -1 "$tmp/self" | grep -q '^listening on 127.0.0.1:' || { cat "$tmp/self"; exit 1; }
grep -q '^got connected!$' "$tmp/self" || { cat "$tmp/self"; exit 1; }
grep -q '^HTTP/1.1 200 OK' "$tmp/self" || { cat "$tmp/self"; exit 1; }
grep -q 'hello from origin' "$tmp/self" || { cat "$tmp/self"; exit 1; }

# curl through the tunnel (-p: CONNECT), twice on one run of the proxy.
start "$tmp/proxy" "$bin/http-connect-proxy" 0
proxy=$port
for _ in 1 2; do
  got=$(curl -s --max-time 10 -p -x "http://127.0.0.1:$proxy" "http://127.0.0.1:$origin/")
  [ "$got" == "hello from origin" ] || { echo "tunnel: $got"; exit 1; }
done
# A POST of 1 MiB through the tunnel comes back whole.
head -c 1048576 /dev/urandom > "$tmp/body"
curl -s --max-time 20 -p -x "http://127.0.0.1:$proxy" --data-binary @"$tmp/body" \
  "http://127.0.0.1:$origin/post" > "$tmp/echoed"
head -1 "$tmp/echoed" | grep -q '"length":1048576' || { head -c 300 "$tmp/echoed"; exit 1; }
tail -c 1048576 "$tmp/echoed" | cmp - "$tmp/body"
# Not a CONNECT: the proxy's own answer.
[ "$(curl -s --max-time 10 "http://127.0.0.1:$proxy/")" == "okay" ]

# The echo server: hello, then every byte back, then the end.
start "$tmp/echo" "$bin/echo-server" 0
node -e '
  const net = require("net");
  const c = net.connect(Number(process.argv[1]), "127.0.0.1");
  const sent = Buffer.alloc(1 << 20);
  for (let i = 0; i < sent.length; i++) sent[i] = (i * 7) & 0xff;
  const got = [];
  c.on("data", (d) => got.push(d));
  c.write(sent);
  c.end();
  c.on("end", () => {
    const all = Buffer.concat(got);
    const want = Buffer.concat([Buffer.from("hello\r\n"), sent]);
    if (!all.equals(want)) { console.log("echo differs", all.length); process.exit(1); }
  });
' "$port"
for _ in $(seq 100); do grep -q '^client disconnected$' "$tmp/echo" && break; sleep 0.05; done
grep -q '^client connected$' "$tmp/echo" && grep -q '^client disconnected$' "$tmp/echo" ||
  { cat "$tmp/echo"; exit 1; }
echo ok
