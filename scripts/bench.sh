#!/usr/bin/env bash
# `make bench`: every benchmark in bench/, one after the other, each
# printing its own table (bench/RESULTS.md says what each measures and
# holds the recorded figures). Each area's run.sh builds its own Release
# tree and bounds its loads in count and time; a failed area is reported
# and the others still run.
#
#   scripts/bench.sh [AREA...]   (default: every area, in the order below)
set -u
cd "$(dirname "$0")/.."
areas=("$@")
[ ${#areas[@]} -eq 0 ] && areas=(parser blocklist net http client ws tls)
build=build/bench
failed=()

release_build() { # targets...
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DLODE_BENCH=ON \
    -DLLHTTP_DIR="$PWD/build/llhttp" -DPICO_DIR="$PWD/build/pico" \
    >/dev/null && cmake --build "$build" -j2 --target "$@" >/dev/null
}

# The parser against llhttp (Debian's node-llhttp) and picohttpparser
# (fetched from GitHub; without network the pico column is left out).
bench_parser() {
  bench/parser/get-llhttp.sh build/llhttp >/dev/null || return 1
  bench/parser/get-pico.sh build/pico >/dev/null ||
    echo "bench: picohttpparser not fetched; its column is left out"
  release_build bench-parser-http bench-parser-stepcount || return 1
  "$build/bench/bench-parser-http" 600000 &&
    bench/parser/callgrind.sh "$build"
}

bench_blocklist() {
  release_build bench-blocklist-check &&
    "$build/bench/bench-blocklist-check" 100000 1000000 \
      bench/blocklist/node-check.js
}

for area in "${areas[@]}"; do
  echo "== bench/$area"
  case $area in
    parser) bench_parser ;;
    blocklist) bench_blocklist ;;
    *) bash "bench/$area/run.sh" ;;
  esac || failed+=("$area")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench: failed: ${failed[*]}" >&2
  exit 1
fi
