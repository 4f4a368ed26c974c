#!/usr/bin/env bash
# Fetches llhttp's generated C from Debian's node-llhttp package into
# $1 (default build/llhttp) for the parser benchmark. Nothing of it goes
# into the repository; the benchmark compiles it when it is there.
set -eu
dest=${1:-build/llhttp}
mkdir -p "$dest"
cd "$dest"
if [ ! -f llhttp.c ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download node-llhttp >/dev/null 2>&1)
  dpkg-deb -x "$tmp"/node-llhttp_*.deb "$tmp/x"
  cp "$tmp"/x/usr/share/llhttp/{llhttp.c,api.c,http.c} .
  cp "$tmp"/x/usr/share/include/llhttp/llhttp.h .
  rm -rf "$tmp"
fi
grep -m1 'define LLHTTP_VERSION_MAJOR' llhttp.h
