#!/usr/bin/env bash
# Fetches picohttpparser (h2o/picohttpparser on GitHub, at a pinned commit)
# into $1 (default build/pico) for the parser benchmark. Nothing of it
# goes into the repository; the benchmark compiles it when it is there
# (-O3 -msse4.2, as h2o builds it). Debian has no package of it.
#
#   bench/parser/get-pico.sh [DEST [GIT_DIR]]
#
# With GIT_DIR (a clone of the repository that has the commit) the files
# are taken from it instead of being downloaded. Either way they must
# match the pinned checksums.
set -eu
commit=f8326098f63eefabfa2b6ec595d90e9ed5ed958a
sum_c=ddada2e27e9010f678a68a93a08fc13dee32178cc497b602322d80900eb94044
sum_h=9630a0215f776d30445bc02eeec48cd4d83b7f3c22e2c37b19c1ab5e498aaf50
dest=${1:-build/pico}
git_dir=${2:-}
mkdir -p "$dest"
cd "$dest"
for f in picohttpparser.c picohttpparser.h; do
  [ -f "$f" ] && continue
  if [ -n "$git_dir" ]; then
    git --git-dir="$git_dir" show "$commit:$f" >"$f.tmp"
  else
    curl -fsSL -o "$f.tmp" \
      "https://raw.githubusercontent.com/h2o/picohttpparser/$commit/$f"
  fi
  mv "$f.tmp" "$f"
done
echo "$sum_c  picohttpparser.c
$sum_h  picohttpparser.h" | sha256sum -c --quiet
echo "picohttpparser $commit"
