#!/bin/sh
# Instructions per keep-alive request in the lode server (lode, libuv and
# libc), under callgrind: two runs of the same fixed workload (4
# connections, each sending its next GET when the answer to the last has
# come) that differ only in the number of requests, so start-up and
# shutdown cancel out.
# Usage: bench/http/callgrind.sh BUILD_DIR [PORT]
#   BUILD_DIR: a Release build with -DLODE_BENCH=ON (bench-http-server).
set -eu
bin=$1/bench/bench-http-server
port=${2:-18790}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/client.js" <<'JS'
const net = require('net');
const [port, n, c] = process.argv.slice(2).map(Number);
let left = n, open = c;
for (let i = 0; i < c; i++) {
  const s = net.connect(port, '127.0.0.1');
  let buf = '';
  const send = () => {
    if (left-- > 0) return s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    s.end();
    if (--open === 0) process.exit(0);
  };
  s.on('connect', send);
  s.on('data', (d) => {
    buf += d;
    let k;
    while ((k = buf.indexOf('hello world')) >= 0) {
      buf = buf.slice(k + 11);
      send();
    }
  });
}
JS
total() {  # total() N: the server's instructions for N requests
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$1" "$bin" "$port" \
    > "$tmp/out" 2> "$tmp/err" &
  pid=$!
  i=0
  until grep -q listening "$tmp/out" 2> /dev/null; do
    i=$((i + 1))
    [ $i -lt 300 ] || { echo "server did not start" >&2; kill "$pid"; exit 1; }
    sleep 0.1
  done
  node "$tmp/client.js" "$port" "$1" 4
  kill -TERM "$pid"
  wait "$pid" 2> /dev/null || true
  awk '/^totals:/ {print $2}' "$tmp/cg.$1"
}
a=$(total 2000)
b=$(total 12000)
echo "instructions per request: $(( (b - a) / 10000 ))"
