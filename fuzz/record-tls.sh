#!/usr/bin/env bash
# Records fuzz-tls-record's seeds: real TLS handshakes between lode's TLS
# socket (the fuzz target's own side, with its fixed random sequence) and
# Node's tls, client and server, TLS 1.3 and 1.2, each ending with data
# both ways and a clean close. Each record is replayed in memory as the
# fuzz target does and must end as the live connection did (record-tls
# checks that), then becomes fuzz/corpus/fuzz-tls-record/rec-<name>.
#
#   fuzz/record-tls.sh
#
# Needed again when lode's side of a handshake changes (its options, its
# hello, the random bytes it draws: the fuzz target's trace,
# LODE_FUZZ_TLS_TRACE=1, then shows the seeds failing at the handshake);
# the other files in the corpus are kept.
# FUZZ_BUILD names the build directory (default build/fuzz).
set -eu
cd "$(dirname "$0")/.."
build=${FUZZ_BUILD:-build/fuzz}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DLODE_FUZZ=ON -DLODE_TESTS=OFF \
  -DLODE_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j 2 --target record-tls fuzz-tls-record >/dev/null
rec=$build/fuzz/record-tls
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$rec" pem "$tmp"
peer=fuzz/record-tls-peer.js

# lode serves Node's client: record-tls server MODE prints its port.
as_server() {  # NAME MODE VERSION [OPTION]
  local port out pid
  exec {out}< <(exec timeout 30 "$rec" server "$2" "$tmp/rec-$1")
  pid=$!
  read -r _ port <&"$out"
  timeout 30 node "$peer" client "$port" "$3" ${4:+"$4"}
  cat <&"$out"
  exec {out}<&-
  wait "$pid"
}

# lode's client against Node's server, which prints its port.
as_client() {  # NAME MODE VERSION [OPTION]
  local port out pid
  exec {out}< <(exec timeout 30 node "$peer" server "$tmp" "$3" ${4:+"$4"})
  pid=$!
  read -r _ port <&"$out"
  timeout 30 "$rec" client "$2" "$port" "$tmp/rec-$1"
  exec {out}<&-
  wait "$pid"
}

# Mode bytes (tls-fuzz.h): 0x80 server, 0x40 pause, 0x20 write early,
# 0x10 destroy at data, low bits the piece size (1 << n).
as_server server-tls13 0x8f TLSv1.3
as_server server-tls12 0x8f TLSv1.2
as_server server-tls13-records-pause 0xc4 TLSv1.3 512
as_server server-tls12-early-bytes 0xa0 TLSv1.2
as_server server-tls13-destroy 0x96 TLSv1.3
as_server server-tls13-big 0x8f TLSv1.3 big
as_server server-tls12-reneg 0xcf TLSv1.2 reneg
as_client client-tls13 0x0f TLSv1.3
as_client client-tls12 0x0f TLSv1.2
as_client client-tls13-cert-pause 0x43 TLSv1.3 request-cert
as_client client-tls12-cert-early 0x2b TLSv1.2 request-cert
as_client client-tls12-reneg 0x0f TLSv1.2 reneg

mkdir -p fuzz/corpus/fuzz-tls-record
rm -f fuzz/corpus/fuzz-tls-record/rec-*
cp "$tmp"/rec-* fuzz/corpus/fuzz-tls-record/
ls -l fuzz/corpus/fuzz-tls-record
