#!/usr/bin/env bash
# Everything `make test` runs, the same way every time:
#   - every C file formatted as .clang-format says (clang-format);
#   - Release builds of the library with gcc and clang and -Werror;
#   - each fuzz target over its committed corpus (fuzz/corpus/<target>)
#     with a fixed seed and a fixed number of runs, a per-input timeout,
#     its files (new inputs, crash files) under build/fuzz/run, never in
#     the source tree; an empty or missing corpus fails;
#   - the HTTP parser's committed corpus judged by lode and by Node's
#     llhttp (fuzz/diff-llhttp.sh);
#   - the test suite under ASan + UBSan, leak detection on (ctest; each
#     test has its own TIMEOUT in test/CMakeLists.txt);
#   - the tests that run loops in several threads under ThreadSanitizer.
# Every stage runs and reports even when one before it failed; the
# failures are listed at the end and make the exit status 1.
# Open-ended fuzzing is `make fuzz` (fuzz/fuzz.sh), never part of this.
set -u
cd "$(dirname "$0")/.." || exit 1
jobs=$(nproc)
FUZZ_SEED=${FUZZ_SEED:-1}
FUZZ_RUNS=${FUZZ_RUNS:-100000}  # executions, the corpus files first
failures=()

step() { printf '\n== %s\n' "$*"; }
failed() {
  echo "FAIL: $*"
  failures+=("$*")
}
# Runs a command quietly; its output is shown only when it fails.
quiet() {
  local log
  log=$(mktemp)
  if "$@" >"$log" 2>&1; then
    rm -f "$log"
    return 0
  fi
  tail -40 "$log"
  rm -f "$log"
  return 1
}

# Every C file as .clang-format has it (clang-format prints what differs).
step "Format, clang-format"
if command -v clang-format >/dev/null; then
  git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror ||
    failed "format: run clang-format -i on the files above"
else
  failed "format: clang-format is missing (scripts/deps.sh installs it)"
fi

for cc in gcc clang; do
  step "Release build, $cc, -Wall -Wextra -Werror"
  if ! { quiet cmake -S . -B "build/$cc-release" -DCMAKE_BUILD_TYPE=Release \
           -DCMAKE_C_COMPILER="$cc" -DLODE_TESTS=OFF &&
         quiet cmake --build "build/$cc-release" -j "$jobs"; }; then
    failed "Release build with $cc"
  fi
done

# One fuzz target over its committed corpus. libFuzzer runs every corpus
# file first, then mutations from FUZZ_SEED up to FUZZ_RUNS executions;
# what it adds goes to a fresh directory in build/ (the first corpus
# directory is the one it writes to). The same mutations every time need
# the same addresses too (libFuzzer hashes program counters), so address
# randomisation is off where setarch can do that, and so is the reload
# of the corpus directories (once a second).
norandom=()
if setarch "$(uname -m)" -R true 2>/dev/null; then
  norandom=(setarch "$(uname -m)" -R)
fi
fuzz_corpus() {
  local f=$1 t
  t=$(basename "$f")
  local seeds=fuzz/corpus/$t run=build/fuzz/run/$t
  step "Fuzzing $t: its corpus, seed $FUZZ_SEED, $FUZZ_RUNS runs"
  if [ -z "$(find "$seeds" -type f 2>/dev/null | head -1)" ]; then
    failed "$t: no corpus in $seeds"
    return
  fi
  rm -rf "$run"
  mkdir -p "$run/new"
  if "${norandom[@]}" "$f" -seed="$FUZZ_SEED" -runs="$FUZZ_RUNS" \
       -timeout=10 -reload=0 -artifact_prefix="$run/" "$run/new" "$seeds" \
       >"$run/log" 2>&1; then
    tail -1 "$run/log"
  else
    tail -40 "$run/log"
    for a in "$run"/crash-* "$run"/leak-* "$run"/timeout-* "$run"/oom-* \
             "$run"/slow-unit-*; do
      [ -e "$a" ] && echo "  artefact: $a"
    done
    failed "$t on its corpus (log: $run/log)"
  fi
}

if [ -f fuzz/CMakeLists.txt ]; then
  step "Fuzz targets, clang libFuzzer"
  if quiet cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_C_COMPILER=clang -DLODE_FUZZ=ON -DLODE_TESTS=OFF \
        -DLODE_EXAMPLES=OFF &&
     quiet cmake --build build/fuzz -j "$jobs"; then
    targets=$(find build/fuzz/fuzz -maxdepth 1 -name 'fuzz-*' -type f \
              -perm -u+x | sort)
    [ -n "$targets" ] || failed "no fuzz targets were built"
    for f in $targets; do fuzz_corpus "$f"; done
  else
    failed "fuzz targets build"
  fi
  step "Judging the fuzz-parser-http corpus with lode and Node's llhttp"
  fuzz/diff-llhttp.sh fuzz/corpus/fuzz-parser-http 120 ||
    failed "lode and llhttp differ on the committed corpus"
fi

step "Tests, ASan + UBSan"
if quiet cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DLODE_SANITIZE=ON &&
   quiet cmake --build build/asan -j "$jobs"; then
  (cd build/asan && ctest -j 4 --output-on-failure) || failed "ctest"
else
  failed "ASan build (the tests did not run)"
fi

# The tests that run loops in several threads, under ThreadSanitizer.
step "Tests with loops in threads, TSan"
if quiet cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=Debug -DLODE_TSAN=ON \
      -DLODE_EXAMPLES=OFF &&
   quiet cmake --build build/tsan -j "$jobs" --target test-http-threads; then
  (cd build/tsan &&
   TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
     ctest -R '^test-http-threads$' --output-on-failure) ||
    failed "ctest under TSan"
else
  failed "TSan build (the threaded tests did not run)"
fi

step "Summary"
if [ ${#failures[@]} -eq 0 ]; then
  echo "all stages passed"
  exit 0
fi
printf 'FAILED: %s\n' "${failures[@]}"
exit 1
