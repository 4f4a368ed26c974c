#!/usr/bin/env bash
# TLS benchmark: lode's HTTPS server (server.c), nginx with ssl (one
# worker, no master) and Node's https (node-server.js), side by side in one
# run, each pinned to CPU 0, driven by bench-tls-load (OpenSSL, load.c)
# pinned to CPU 1, over 127.0.0.1. The client offers one suite
# (TLS_AES_128_GCM_SHA256, or ECDHE-*-AES128-GCM-SHA256 on TLS 1.2) and
# X25519, so every server negotiates the same.
#   hs:     full and resumed handshakes (each: connect, handshake, one GET,
#           close_notify, close), 8 at a time, ECDSA P-256 and RSA-2048
#           keys, TLS 1.3 and 1.2. Resumed: each slot offers the session
#           of its previous connection (tickets: every server's default).
#   ka:     keep-alive GETs, 50 connections, one request in flight each.
#   bulk:   GET /bulk, 1 GiB on one connection (lode and Node write a
#           64 KiB block again and again, nginx sends a sparse file).
#   idle:   RSS growth of the server while IDLE (10,000) TLS keep-alive
#           connections (one GET each) sit idle, per connection.
#   client: 100,000 GETs, 50 in flight, keep-alive, against nginx by
#           lode's https agent, libcurl multi (OpenSSL) and Node's https
#           (bench/client's programs given a CA), each pinned to CPU 1,
#           verifying the certificate. CLIENT_BEFORE=DIR (a build
#           directory of another lode, made with LODE_BENCH=ON) adds its
#           bench/bench-client-lode as "lode-before", interleaved.
# Server CPU is utime + stime from /proc/PID/stat over the run; a client's
# CPU is its own getrusage. The contenders alternate within each round,
# REPEAT (3) rounds; tables give the median CPU and the best rate.
# Usage: bench/tls/run.sh [parts...]   (default: hs ka bulk idle client)
#   SECS (5) bounds each run; RAW=1 prints every run.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=${LODE_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
SECS=${SECS:-5}
REPEAT=${REPEAT:-3}
IDLE=${IDLE:-10000}
SERVERS=${SERVERS:-lode nginx node}
build=${LODE_BENCH_BUILD:-$root/build/tls-release}
parts=${*:-hs ka bulk idle client}
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DLODE_BENCH=ON \
  -DLODE_TESTS=OFF -DLODE_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j2 --target bench-tls-server bench-tls-load \
  bench-client-lode bench-client-curl >/dev/null
bin=$build/bench

# A CA, and an ECDSA P-256 and an RSA-2048 certificate for localhost and
# 127.0.0.1 signed by it.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$tmp/ca.key" -out "$tmp/ca.pem" -days 2 -subj /CN=bench-ca \
  2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$tmp/ext"
for k in ec rsa; do
  case $k in
    ec) kopt="-newkey ec -pkeyopt ec_paramgen_curve:P-256" ;;
    rsa) kopt="-newkey rsa:2048" ;;
  esac
  # shellcheck disable=SC2086
  openssl req $kopt -nodes -keyout "$tmp/$k.key" -out "$tmp/$k.csr" \
    -subj /CN=localhost 2>/dev/null
  openssl x509 -req -in "$tmp/$k.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
    -CAcreateserial -out "$tmp/$k.pem" -days 2 -extfile "$tmp/ext" 2>/dev/null
done
truncate -s 1G "$tmp/bulk"

tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

wait_port() {
  for _ in $(seq 1 200); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "server on $1 did not start" >&2
  return 1
}

port=$((10000 + RANDOM % 15000)) # below the ephemeral ports
# start NAME KEY -> pid, port (the server pinned to CPU 0)
start() {
  port=$((port + 1))
  case $1 in
    lode)
      taskset -c 0 "$bin/bench-tls-server" "$port" "$tmp/$2.pem" \
        "$tmp/$2.key" >/dev/null &
      ;;
    node)
      taskset -c 0 node "$here/node-server.js" "$port" "$tmp/$2.pem" \
        "$tmp/$2.key" >/dev/null &
      ;;
    nginx)
      sed -e "s|PREFIX|$tmp|g" -e "s|PORT|$port|" -e "s|CERT|$tmp/$2.pem|" \
        -e "s|KEY|$tmp/$2.key|" "$here/nginx.conf" > "$tmp/nginx-$port.conf"
      taskset -c 0 nginx -c "$tmp/nginx-$port.conf" -p "$tmp" 2>/dev/null &
      ;;
  esac
  pid=$!
  pids+=("$pid")
  wait_port "$port"
  sleep 0.2
}
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null || true; }

# load PID PORT ARGS... -> "count secs extra us_per_unit busy"
load() {
  local p=$1 pt=$2 mode=$3 ver=$4
  shift 4
  local t0 t1 out
  t0=$(cpu_ticks "$p")
  out=$(timeout $((SECS + 60)) taskset -c 1 "$bin/bench-tls-load" "$mode" \
    "$pt" "$ver" "$@" 2>"$tmp/load.err") || {
    echo "load $mode $ver on $pt failed: $(head -1 "$tmp/load.err")" >&2
  }
  t1=$(cpu_ticks "$p")
  echo "$out" | awk -v d=$((t1 - t0)) -v t="$tck" '{
    n = $1; s = $2; x = NF > 2 ? $3 : 0
    cpu = d / t
    printf("%s %s %s %.6g %.2f\n", n, s, x, (n > 0 ? cpu * 1e6 / n : 0),
      (s > 0 ? cpu / s : 0)) }'
}

record() { # record KEY... VALUES -> raw table line
  echo "$*" >> "$tmp/raw"
  [ -z "${RAW:-}" ] || echo "$*" >&2
}

# The median of a space-separated list, for the awk programs below.
MED='function med(s,   a, m, i, j, t) {
  m = split(s, a, " ")
  for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
    if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
  return a[int((m + 1) / 2)] }'

# median and best per (part, server): the raw lines are
# "part server rate cpu busy extra"
summarise() {
  awk -v part="$1" "$MED"'
    $1 == part {
      k = $2; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
      if ($3 > best[k]) best[k] = $3
      c[k] = c[k] " " $4; b[k] = b[k] " " $5; x[k] = $6 }
    END { for (i = 1; i <= n; i++) { k = order[i]
      printf "| %s | %s | %.0f | %.2f | %.2f | %s |\n", part, k, best[k],
        med(c[k]), med(b[k]), x[k] } }' "$tmp/raw"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$tmp/raw"

if [[ " $parts " == *" hs "* ]]; then
  for key in ec rsa; do
    declare -A spid sport
    for s in $SERVERS; do
      start "$s" "$key"
      spid[$s]=$pid
      sport[$s]=$port
    done
    for _ in $(seq 1 "$REPEAT"); do
      for ver in 1.3 1.2; do
        for kind in full resume; do
          for s in $SERVERS; do
            read -r n secs reused us busy <<<"$(load "${spid[$s]}" \
              "${sport[$s]}" hs "$ver" 100000 "$SECS" 8 \
              "$([ $kind = resume ] && echo resume || echo full)")"
            rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
            record "hs-$key-$ver-$kind $s $rate $us $busy $reused/$n"
          done
        done
      done
    done
    for s in $SERVERS; do stop "${spid[$s]}"; done
    unset spid sport
  done
fi

if [[ " $parts " == *" ka "* || " $parts " == *" bulk "* ]]; then
  declare -A spid sport
  for s in $SERVERS; do
    start "$s" ec
    spid[$s]=$pid
    sport[$s]=$port
  done
  for _ in $(seq 1 "$REPEAT"); do
    for ver in 1.3 1.2; do
      if [[ " $parts " == *" ka "* ]]; then
        for s in $SERVERS; do
          read -r n secs _ us busy <<<"$(load "${spid[$s]}" "${sport[$s]}" \
            ka "$ver" 2000000 "$SECS" 50)"
          rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
          record "ka-$ver $s $rate $us $busy $n"
        done
      fi
      if [[ " $parts " == *" bulk "* ]]; then
        for s in $SERVERS; do
          read -r n secs _ us busy <<<"$(load "${spid[$s]}" "${sport[$s]}" \
            bulk "$ver" 1073741824 $((SECS * 12)))"
          # per MiB, not per byte
          mibs=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", n / 1048576 / s }')
          us=$(awk -v u="$us" 'BEGIN { printf "%.1f", u * 1048576 }')
          record "bulk-$ver $s $mibs $us $busy $n"
        done
      fi
    done
  done
  for s in $SERVERS; do stop "${spid[$s]}"; done
  unset spid sport
fi

if [ -s "$tmp/raw" ]; then
  echo
  echo "| part | server | rate (/s, MiB/s) | server CPU us (/handshake, /request, /MiB) | server core busy | resumed / count |"
  echo "| --- | --- | ---: | ---: | ---: | --- |"
  for part in $(awk '{print $1}' "$tmp/raw" | awk '!s[$0]++'); do
    summarise "$part"
  done
fi

if [[ " $parts " == *" idle "* ]]; then
  echo
  echo "| server | RSS per idle TLS keep-alive connection ($IDLE connections, TLS 1.3, ECDSA) |"
  echo "| --- | ---: |"
  for s in $SERVERS; do
    start "$s" ec
    before=$(rss_kb "$pid")
    taskset -c 1 "$bin/bench-tls-load" idle "$port" 1.3 "$IDLE" 300 \
      > "$tmp/idle.out" 2>"$tmp/idle.err" &
    cpid=$!
    pids+=("$cpid")
    for _ in $(seq 1 3000); do
      grep -q ready "$tmp/idle.out" && break
      sleep 0.1
    done
    after=$(rss_kb "$pid")
    echo "| $s | $(((after - before) * 1024 / IDLE)) bytes ($(cat "$tmp/idle.out")) |"
    stop "$cpid"
    stop "$pid"
  done
fi

if [[ " $parts " == *" client "* ]]; then
  start nginx ec
  npid=$pid
  echo
  echo "| client | requests/s (best) | client CPU us/request (median) | Node's CPU / client's (medians) |"
  echo "| --- | ---: | ---: | ---: |"
  : > "$tmp/craw"
  clients="lode ${CLIENT_BEFORE:+lode-before} curl node"
  for _ in $(seq 1 "$REPEAT"); do
    for c in $clients; do
      case $c in
        lode) cmd=("$bin/bench-client-lode") ;;
        lode-before) cmd=("$CLIENT_BEFORE/bench/bench-client-lode") ;;
        curl) cmd=("$bin/bench-client-curl") ;;
        node) cmd=(node "$root/bench/client/node-http.js") ;;
      esac
      out=$(timeout 300 taskset -c 1 "${cmd[@]}" "$port" 100000 50 \
        "$tmp/ca.pem" 2>&1 | tail -1) || true
      echo "$out" | awk -v c="$c" 'NF == 3 && $1 > 0 {
        printf "%s %.0f %.2f\n", c, $1 / $2, $3 * 1e6 / $1 }' >> "$tmp/craw"
      [ -z "${RAW:-}" ] || echo "client $c: $out" >&2
    done
  done
  awk "$MED"'
       { k = $1; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
         if ($2 > best[k]) best[k] = $2; c[k] = c[k] " " $3 }
       END { nm = ("node" in seen) ? med(c["node"]) : 0
         for (i = 1; i <= n; i++) { k = order[i]; m = med(c[k])
           printf "| %s | %.0f | %.2f | %.2fx |\n", k, best[k], m,
             (m > 0 ? nm / m : 0) } }' "$tmp/craw"
  stop "$npid"
fi
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
