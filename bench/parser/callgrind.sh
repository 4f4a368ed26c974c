#!/usr/bin/env bash
# Instructions per message of each parser on each input, counted (so not
# disturbed by other load): each pair runs twice, with A and B
# iterations, and the difference over (B - A) x messages is the figure,
# start-up and the first (checking) parse cancelled out.
#
#   bench/parser/callgrind.sh [BUILD_DIR]     # default build/bench
#
# BUILD_DIR holds bench/bench-parser-http and bench-parser-stepcount (a
# Release build with -DLODE_BENCH=ON; llhttp and pico columns when they
# were built in). lode and llhttp are counted by callgrind; pico by
# bench-parser-stepcount (single-stepping), as valgrind 3.19 cannot decode
# its SSE4.2 PCMPESTRI; STEP=1 counts all three that way (slow), to check
# that both counters agree. LODE_SIMD=0/1/2 forces lode's scanning path.
set -eu
dir=${1:-build/bench}/bench
bin=$dir/bench-parser-http
names=("curl GET" "browser GET" "chunked POST" "16 pipelined GETs" "response")
msgs=(1 1 1 16 1)
count() { # parser iterations input
  local p=$1
  shift
  if [ "$p" = pico ] || [ "${STEP:-0}" = 1 ]; then
    "$dir/bench-parser-stepcount" "$bin" "$@" "$p" 2>&1 >/dev/null
  else
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$@" "$p" \
      2>&1
  fi | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
parsers=()
for p in lode pico llhttp; do
  "$bin" 1 0 "$p" 2>/dev/null && parsers+=("$p")
done
printf '| input |'
printf ' %s |' "${parsers[@]}"
printf ' lode / pico |\n|---|'
printf -- '---|%.0s' "${parsers[@]}" x
printf '\n'
for i in 0 1 2 3 4; do
  printf '| %s |' "${names[$i]}"
  declare -A per=()
  for p in "${parsers[@]}"; do
    a=100 b=1100 # callgrind; single steps are slower and as exact
    if [ "$p" = pico ] || [ "${STEP:-0}" = 1 ]; then
      a=10 b=60
    fi
    x=$(count "$p" "$a" "$i")
    y=$(count "$p" "$b" "$i")
    per[$p]=$(((y - x) / ((b - a) * ${msgs[$i]})))
    printf " %s |" "${per[$p]}"
  done
  if [ -n "${per[pico]:-}" ]; then
    awk -v l="${per[lode]}" -v p="${per[pico]}" \
      'BEGIN { printf " %.2f |\n", l / p }'
  else
    printf ' |\n'
  fi
  unset per
done
