#!/usr/bin/env bash
# The HTTP parser fuzzer's differential mode. libFuzzer cannot call Node,
# so this judges a corpus after a fuzzing run instead: every file, read as
# fuzz-parser-http reads it, is parsed by lode and by the llhttp inside
# Node (test/peers/llhttp-verdicts.js); disagreements that no known
# llhttp 9.3/9.4 difference explains are printed, and fail the run.
#
#   fuzz/diff-llhttp.sh CORPUS_DIR [SECONDS]
#
# The judge is fuzz-parser-http.c built with -DLODE_FUZZ_DIFF against the
# parser's sources alone (libc only), under ASan and UBSan. Bounded: at
# most SECONDS (default 120) in all.
set -eu
cd "$(dirname "$0")/.."
corpus=${1:?usage: fuzz/diff-llhttp.sh CORPUS_DIR [SECONDS]}
limit=${2:-120}
out=build/fuzz-diff
mkdir -p "$out"
cc=${CC:-cc}
"$cc" -std=c11 -O1 -g -D_GNU_SOURCE -DLODE_FUZZ_DIFF -Wall -Wextra -Werror \
  -Wno-unused-parameter \
  -fsanitize=address,undefined -fno-sanitize-recover=all \
  -Iinclude -Isrc -Itest/parser \
  src/http/parser/*.c fuzz/fuzz-parser-http.c -o "$out/judge-parser-http"
files=$(find "$corpus" -type f | sort)
if [ -z "$files" ]; then  # nothing judged is no pass
  echo "no inputs in $corpus"
  exit 1
fi
# xargs may split a large corpus over several judges: each one judges its
# share and fails on its own disagreements.
printf '%s\n' $files |
  ASAN_OPTIONS=detect_leaks=1 timeout "$limit" \
  xargs -d '\n' "$out/judge-parser-http" test/peers/llhttp-verdicts.js
