#!/usr/bin/env bash
# Everything `make test` runs: the test suite under ASan + UBSan (leak
# detection on), Release builds of the library with gcc and clang and
# -Werror, and the fuzzers for a short bounded time (the HTTP parser's
# corpus then judged by lode and by Node's llhttp, fuzz/diff-llhttp.sh).
set -eu
cd "$(dirname "$0")/.."
jobs=$(nproc)

step() { printf '\n== %s\n' "$*"; }

step "Release build, gcc, -Wall -Wextra -Werror"
cmake -S . -B build/gcc-release -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=gcc -DLODE_TESTS=OFF >/dev/null
cmake --build build/gcc-release -j "$jobs" >/dev/null

step "Release build, clang, -Wall -Wextra -Werror"
cmake -S . -B build/clang-release -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang -DLODE_TESTS=OFF >/dev/null
cmake --build build/clang-release -j "$jobs" >/dev/null

if [ -f fuzz/CMakeLists.txt ]; then
  step "Fuzz targets, clang libFuzzer"
  cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DLODE_FUZZ=ON -DLODE_TESTS=OFF \
    -DLODE_EXAMPLES=OFF >/dev/null
  cmake --build build/fuzz -j "$jobs" >/dev/null
  for f in build/fuzz/fuzz/fuzz-*; do
    [ -x "$f" ] || continue
    t=$(basename "$f")
    step "Fuzzing $t for 20 s"
    work=$(mktemp -d)
    seeds=fuzz/corpus/$t
    [ -d "$seeds" ] || seeds=
    if ! "$f" -max_total_time=20 "$work" $seeds >"$work.log" 2>&1; then
      tail -40 "$work.log"
      echo "FAIL: $t crashed"
      exit 1
    fi
    tail -1 "$work.log"
    if [ "$t" = fuzz-parser-http ]; then
      step "Judging the $t corpus with lode and Node's llhttp"
      fuzz/diff-llhttp.sh "$work" 120
    fi
    rm -rf "$work" "$work.log"
  done
fi

step "Tests, ASan + UBSan"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DLODE_SANITIZE=ON >/dev/null
cmake --build build/asan -j "$jobs" >/dev/null
cd build/asan
ctest -j 4 --output-on-failure --timeout 300
