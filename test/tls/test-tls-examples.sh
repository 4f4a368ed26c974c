#!/bin/bash
# examples/https-server (curl with the test CA) and examples/tls-echo-server
# (Node's tls client: the welcome line, then its bytes echoed back), each
# started on a free port with a certificate made here.
set -euo pipefail
bin="${LODE_BINARY_DIR:-build}/examples"
src="${LODE_SOURCE_DIR:-.}"
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT
bash "$src/test/tls/make-certs.sh" "$tmp/certs" >/dev/null

start() {  # name -> sets port
  "$bin/$1" 0 "$tmp/certs/server.crt" "$tmp/certs/server.key" > "$tmp/$1.out" &
  pids+=($!)
  for _ in $(seq 200); do grep -q '^listening on' "$tmp/$1.out" 2>/dev/null && break; sleep 0.05; done
  port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/$1.out")
  [ -n "$port" ] || { echo "$1: no 'listening on' line"; cat "$tmp/$1.out"; exit 1; }
}

start https-server
got=$(curl -s --max-time 10 --cacert "$tmp/certs/ca.crt" "https://localhost:$port/")
[ "$got" == "hello world" ] || { echo "https-server: '$got'"; exit 1; }
# Without the CA, curl refuses the certificate (its exit 60).
rc=0; curl -s --max-time 10 "https://localhost:$port/" >/dev/null || rc=$?
[ "$rc" == 60 ] || { echo "curl without the CA: exit $rc"; exit 1; }
echo "ok   https-server"

start tls-echo-server
got=$(node -e '
  const tls = require("tls"), fs = require("fs");
  const s = tls.connect({ port: +process.argv[1], host: "localhost",
                          ca: fs.readFileSync(process.argv[2]) }, () => s.write("ping\n"));
  let d = "";
  s.on("data", (c) => { d += c; if (d === "welcome!\nping\n") s.end(); });
  s.on("close", () => { console.log(JSON.stringify(d)); });
' "$port" "$tmp/certs/ca.crt")
[ "$got" == '"welcome!\nping\n"' ] || { echo "tls-echo-server: $got"; exit 1; }
grep -q '^server connected unauthorized$' "$tmp/tls-echo-server.out" ||
  { cat "$tmp/tls-echo-server.out"; exit 1; }
echo "ok   tls-echo-server"
echo "2 passed, 0 failed"
