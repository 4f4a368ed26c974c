#!/bin/bash
# examples/lode-fetch on https: URLs against Node's https server
# (test/peers/https-server.js): --cacert FILE trusts the test CA; the
# system store does not (60, as curl); -k skips the check; a self-signed
# server is 60 with its reason; an unreadable --cacert is 77.
set -euo pipefail
bin="${LODE_BINARY_DIR:-build}/examples"
[ -x "$bin/lode-fetch" ] || { echo "lode-fetch not built"; exit 1; }
certs="${LODE_BINARY_DIR:-build}/tls-certs"
[ -r "$certs/dh.pem" ] || bash test/tls/make-certs.sh "$certs" >/dev/null
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

# start NAME VAR: a Node https server with NAME's certificate; its port
# in VAR (no subshell, so its pid is kept for the trap).
start() {
  mkfifo "$tmp/$1.fifo"
  node test/peers/https-server.js "$certs" "$1" > "$tmp/$1.fifo" &
  pids+=($!)
  local line
  read -r line < "$tmp/$1.fifo"
  printf -v "$2" '%s' "${line##*:}"
}
start server good
start self self

# check WANT-RC WANT-OUT WANT-ERR ARGS...
check() {
  local want_rc=$1 want_out=$2 want_err=$3 rc=0
  shift 3
  "$bin/lode-fetch" "$@" > "$tmp/out" 2> "$tmp/err" || rc=$?
  if [ "$rc" != "$want_rc" ] || [ "$(cat "$tmp/out")" != "$want_out" ] ||
     [ "$(cat "$tmp/err")" != "$want_err" ]; then
    echo "FAIL: lode-fetch $*"
    echo "  rc $rc (want $want_rc)"
    echo "  out: $(cat "$tmp/out")"
    echo "  err: $(cat "$tmp/err")"
    exit 1
  fi
}

check 0 "/a conn=1 reused=false" "" --cacert "$certs/ca.crt" \
  "https://127.0.0.1:$good/a"
check 60 "" "lode-fetch: (60) SSL certificate problem: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)" \
  "https://127.0.0.1:$good/b"
check 0 "/k conn=2 reused=false" "" -k "https://127.0.0.1:$good/k"
check 60 "" "lode-fetch: (60) SSL certificate problem: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)" \
  --cacert "$certs/ca.crt" "https://127.0.0.1:$self/s"
check 0 "/p conn=1 reused=false body=hi" "" -k -d hi \
  "https://127.0.0.1:$self/p"
check 77 "" "lode-fetch: (77) error setting certificate file: $tmp/none" \
  --cacert "$tmp/none" "https://127.0.0.1:$good/x"
echo "ok"
