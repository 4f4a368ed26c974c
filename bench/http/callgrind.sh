#!/usr/bin/env bash
# User-space instructions per keep-alive request (or, with NEWCONN=1, per
# request on a connection of its own) in the lode server and in nginx
# (one worker, no master process), counted by callgrind the same way for
# both: two runs of the same fixed workload (CONNS connections, each
# sending its next GET when the answer to the last has come) that differ
# only in the number of requests, so start-up and shutdown cancel out.
# Everything in the server process counts: lode or nginx, libuv, libc
# (the system call wrappers too); the kernel does not.
# Usage: bench/http/callgrind.sh BUILD_DIR [SERVERS] [PORT]
#   BUILD_DIR: a Release build with -DLODE_BENCH=ON (bench-http-server).
#   SERVERS: "lode" (default), "nginx" or "lode nginx" (then the runs
#   alternate and the ratio is printed).
#   CONNS (environment, default 4): connections; N (default 10000): the
#   requests the two runs differ by. NEWCONN=1: each connection carries
#   one request with "Connection: close" and the client opens the next
#   when the server has closed it (CONNS connections at a time).
#   KEEP=DIR keeps the callgrind files of the larger run in DIR
#   (callgrind.lode, callgrind.nginx) for callgrind_annotate.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$1
servers=${2:-lode}
port=${3:-18790}
conns=${CONNS:-4}
n=${N:-10000}
tmp=$(mktemp -d)
pid=
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
cat > "$tmp/client.js" <<'JS'
const net = require('net');
const [port, n, c, newconn] = process.argv.slice(2).map(Number);
let left = n, open = c;
// One request per connection: the next connection when this one closed.
const once = () => {
  if (left-- <= 0) {
    if (--open === 0) process.exit(0);
    return;
  }
  const s = net.connect(port, '127.0.0.1', () =>
    s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
  s.resume();
  s.on('close', once);
};
for (let i = 0; i < c && newconn; i++) once();
for (let i = 0; i < c && !newconn; i++) {
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

. "$here/lib.sh"

start() {  # start SERVER OUTFILE
  local cg=(valgrind --tool=callgrind --dump-instr=yes
    --callgrind-out-file="$2")
  case $1 in
    lode) "${cg[@]}" "$build/bench/bench-http-server" "$port" \
            > "$tmp/out" 2> "$tmp/err" & ;;
    nginx)
      nginx_conf "$tmp" "$port" > "$tmp/nginx.conf"
      "${cg[@]}" nginx -c "$tmp/nginx.conf" -p "$tmp" \
        > "$tmp/out" 2> "$tmp/err" & ;;
  esac
  pid=$!
  wait_port "$port" 600 || { kill "$pid"; exit 1; }
}

running() {  # running PID: not gone, not a zombie
  [ -e "/proc/$1/status" ] &&
    ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2> /dev/null
}

total() {  # total SERVER REQUESTS: the server's instructions for them
  port=$((port + 1))
  start "$1" "$tmp/cg.$1.$2"
  node "$tmp/client.js" "$port" "$2" "$conns" "${NEWCONN:-0}"
  kill -TERM "$pid"
  # A TERM can go unseen by nginx under valgrind: again every 10 s.
  i=0
  while running "$pid"; do
    sleep 0.5
    i=$((i + 1))
    [ $((i % 20)) -ne 0 ] || kill -TERM "$pid" 2> /dev/null || true
  done
  wait "$pid" 2> /dev/null || true
  pid=
  awk '/^totals:/ {print $2}' "$tmp/cg.$1.$2"
}

declare -A per
for s in $servers; do
  a=$(total "$s" 2000)
  b=$(total "$s" $((2000 + n)))
  per[$s]=$(((b - a) / n))
  echo "$s: instructions per request: ${per[$s]}"
  [ -z "${KEEP:-}" ] || cp "$tmp/cg.$s.$((2000 + n))" "$KEEP/callgrind.$s"
done
if [ -n "${per[lode]:-}" ] && [ -n "${per[nginx]:-}" ]; then
  awk -v l="${per[lode]}" -v x="${per[nginx]}" \
    'BEGIN { printf "lode / nginx: %.2f\n", l / x }'
fi
