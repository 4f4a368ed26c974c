#!/usr/bin/env bash
# `make fuzz`: open-ended fuzzing, bounded in time, with the differential
# against Node's llhttp for the HTTP parser. Not part of `make test` (its
# answer changes from run to run).
#
#   fuzz/fuzz.sh [SECONDS_PER_TARGET] [OUT_DIR] [TARGET...]
#   make fuzz FUZZ_TIME=600 FUZZ_OUT=/tmp/lode-fuzz
#
# Each target runs alone (one process) from its committed corpus for
# SECONDS_PER_TARGET (default 60), with a per-input timeout; everything it
# writes goes to OUT_DIR/<target>/ outside the source tree (default
# ${TMPDIR:-/tmp}/lode-fuzz): new/ the inputs it added, crash-* leak-*
# timeout-* oom-* the failures. fuzz-parser-http's new inputs are then
# judged by lode and by llhttp (fuzz/diff-llhttp.sh). The findings are
# listed at the end, and make the exit status 1: each one becomes a
# corpus file in fuzz/corpus/<target>/ and a test, once fixed.
# FUZZ_BUILD names the build directory (default build/fuzz).
set -u
cd "$(dirname "$0")/.." || exit 1
build=${FUZZ_BUILD:-build/fuzz}  # where the targets are built
secs=${1:-60}
out=${2:-${TMPDIR:-/tmp}/lode-fuzz}
shift $(($# > 2 ? 2 : $#))
case "$out" in
  "$PWD"|"$PWD"/*) echo "fuzz: $out is inside the source tree" >&2; exit 2 ;;
esac
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DLODE_FUZZ=ON -DLODE_TESTS=OFF \
  -DLODE_EXAMPLES=OFF >/dev/null || exit 1
cmake --build "$build" -j "$(nproc)" >/dev/null || exit 1
if [ $# -gt 0 ]; then
  targets=$(printf "$build/fuzz/%s\n" "$@")
else
  targets=$(find "$build/fuzz" -maxdepth 1 -name 'fuzz-*' -type f \
            -perm -u+x | sort)
fi
findings=()
for f in $targets; do
  t=$(basename "$f")
  dir=$out/$t
  mkdir -p "$dir/new"
  printf '\n== fuzzing %s for %s s (into %s)\n' "$t" "$secs" "$dir"
  "$f" -max_total_time="$secs" -timeout=10 -artifact_prefix="$dir/" \
    -print_final_stats=1 "$dir/new" "fuzz/corpus/$t" >"$dir/log" 2>&1
  grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units)' "$dir/log" |
    tail -2
  for a in "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-*; do
    [ -e "$a" ] && findings+=("$a (log: $dir/log)")
  done
  if [ "$t" = fuzz-parser-http ] &&
     [ -n "$(find "$dir/new" -type f | head -1)" ]; then
    printf '\n== judging %s new inputs with lode and llhttp\n' "$t"
    fuzz/diff-llhttp.sh "$dir/new" 600 | tee "$dir/diff.log" | tail -1
    while read -r _ file _; do
      findings+=("$file (llhttp differs: $dir/diff.log)")
    done < <(grep '^DIFFER ' "$dir/diff.log")
  fi
done
printf '\n== findings\n'
if [ ${#findings[@]} -eq 0 ]; then
  echo "none"
  exit 0
fi
printf '%s\n' "${findings[@]}"
echo "Each one: fix it, then copy the input into fuzz/corpus/<target>/ and"
echo "keep it as a test (test-parser-differential.c's found_differences for"
echo "an llhttp difference)."
exit 1
