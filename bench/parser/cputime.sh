#!/usr/bin/env bash
# CPU time per message of lode (AVX2 and SSE4.2 paths) and the parsers
# built beside it: the user seconds of whole runs of one input
# (`bench-parser-http ITERS INPUT PARSER`), the contenders interleaved
# over ROUNDS rounds, the median kept. User time is less disturbed by
# other load than the wall time bench-parser-http prints, but not free of
# it (a shared core, the clock rate): give the load with the figures.
#
#   bench/parser/cputime.sh [BUILD_DIR]     # default build/bench
#   ROUNDS=5 SCALE=1 CONTENDERS="avx2 sse42 scalar pico llhttp" ...
set -eu
bin=${1:-build/bench}/bench/bench-parser-http
rounds=${ROUNDS:-5}
scale=${SCALE:-1}
contenders=${CONTENDERS:-avx2 sse42 pico}
names=("curl GET" "browser GET" "chunked POST" "16 pipelined GETs" "response")
msgs=(1 1 1 16 1)
iters=(4000000 800000 4000000 400000 4000000)
TIMEFORMAT=%U # `time` prints the user seconds alone
printf '| input |'
printf ' %s |' $contenders
printf '\n|---|'
printf -- '---|%.0s' $contenders
printf '\n'
for i in 0 1 2 3 4; do
  n=$((iters[i] * scale))
  declare -A all=()
  for _ in $(seq "$rounds"); do
    for c in $contenders; do
      case $c in
        avx2) s=2 p=lode ;;
        sse42) s=1 p=lode ;;
        scalar) s=0 p=lode ;;
        *) s=2 p=$c ;;
      esac
      t=$({ time LODE_SIMD=$s "$bin" "$n" "$i" "$p" >/dev/null; } 2>&1)
      all[$c]+=" $(awk -v t="$t" -v n="$n" -v m="${msgs[$i]}" \
        'BEGIN { printf "%.1f", t / n / m * 1e9 }')"
    done
  done
  printf '| %s |' "${names[$i]}"
  for c in $contenders; do
    printf ' %s ns |' "$(printf '%s\n' ${all[$c]} | sort -n |
      awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
  done
  printf '\n'
  unset all
done
