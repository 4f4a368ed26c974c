#!/usr/bin/env bash
# Runs test programs many times in a row on a loaded machine, to find the
# tests that depend on timing. While they run, one busy loop per core (the
# script's own children, killed by pid at the end) keeps every core busy.
#
# Usage: scripts/repeat-tests.sh [-n RUNS] [-b BUILD_DIR] [TEST...]
#   RUNS       runs of each program (default 50)
#   BUILD_DIR  the build directory (default build); its test/ holds the
#              programs
#   TEST       a program's name (test-net-echo) or path; default: every
#              test-* program in BUILD_DIR/test and every test/*/test-*.sh
#              (the tests CTest runs with bash)
# Prints "name: P/RUNS passed" per program (and skips, if any); the output
# of each failed run is kept in BUILD_DIR/repeat-logs/NAME.RUN.log. Exits 1
# when any run of any program failed. Run from the source tree's root, with
# the environment CTest gives the tests.
set -u
runs=50
build=build
while getopts "n:b:" opt; do
  case $opt in
    n) runs=$OPTARG ;;
    b) build=$OPTARG ;;
    *) echo "usage: $0 [-n RUNS] [-b BUILD_DIR] [TEST...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

src=$(pwd)
if [ ! -d "$build/test" ]; then
  echo "$build/test: no such directory (build first)" >&2
  exit 2
fi
build=$(cd "$build" && pwd)

tests=()
if [ $# -eq 0 ]; then
  for t in "$build"/test/test-* "$src"/test/*/test-*.sh; do
    [ -f "$t" ] && { [ -x "$t" ] || [ "${t%.sh}" != "$t" ]; } && tests+=("$t")
  done
else
  for t in "$@"; do
    [ -f "$t" ] || t="$build/test/$t"
    if [ ! -x "$t" ]; then
      # A test CTest runs with bash: test/<layer>/NAME.sh.
      for s in "$src"/test/*/"$(basename "$t")".sh; do
        [ -f "$s" ] && t=$s
      done
    fi
    if [ ! -x "$t" ] && [ "${t%.sh}" = "$t" ]; then
      echo "$t: not a test program" >&2
      exit 2
    fi
    tests+=("$t")
  done
fi

logs="$build/repeat-logs"
mkdir -p "$logs"

# The load: one busy loop per core, ended by pid however the script ends.
load=()
stop_load() {
  for pid in "${load[@]}"; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  load=()
}
trap stop_load EXIT
trap 'exit 130' INT TERM
for _ in $(seq "$(nproc)"); do
  ( while :; do :; done ) &
  load+=($!)
done

export LODE_SOURCE_DIR="$src" LODE_BINARY_DIR="$build"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

failed=0
for t in "${tests[@]}"; do
  name=$(basename "$t" .sh)
  run_t=("$t")
  [ "${t%.sh}" != "$t" ] && run_t=(bash "$t")
  pass=0 skip=0
  for run in $(seq "$runs"); do
    log="$logs/$name.$run.log"
    # The harness bounds each test at 60 s; this bounds a stuck program.
    timeout -k 10 600 "${run_t[@]}" >"$log" 2>&1
    rc=$?
    case $rc in
      0) pass=$((pass + 1)); rm -f "$log" ;;
      77) skip=$((skip + 1)); rm -f "$log" ;;
      *) failed=1 ;;
    esac
  done
  line="$name: $pass/$runs passed"
  [ "$skip" -gt 0 ] && line="$line, $skip skipped"
  [ $((pass + skip)) -lt "$runs" ] && line="$line (logs: $logs/$name.*.log)"
  echo "$line"
done
exit "$failed"
