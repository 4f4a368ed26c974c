#!/usr/bin/env bash
# Installs what lode needs to build and test, from Debian and npm.
# As root it installs what is missing; otherwise it says what to install.
# Usage: scripts/deps.sh [build|test|bench]   (each implies the ones before)
set -eu
want=${1:-test}
here=$(cd "$(dirname "$0")/.." && pwd)

# clang's sanitizer and libFuzzer runtimes come in a package named after
# the release's clang (14 in Debian 12).
clang_major=$(apt-cache depends clang 2>/dev/null |
  sed -n 's/^ *Depends: clang-\([0-9][0-9]*\)$/\1/p' | head -1)
pkgs="cmake make gcc pkg-config libuv1-dev libssl-dev"
case "$want" in
  test|bench) pkgs="$pkgs clang clang-format libclang-rt-${clang_major:-14}-dev zlib1g-dev"
              pkgs="$pkgs curl nodejs npm nginx-light iproute2 openssl" ;;
esac
case "$want" in
  bench) pkgs="$pkgs wrk libcurl4-openssl-dev util-linux" ;;
esac

missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing="$missing $p"
done
# node and npm may come from outside Debian; accept any working copy.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=$(echo "$missing" | tr ' ' '\n' | grep -vx -e nodejs -e npm | tr '\n' ' ')
fi
missing=$(echo $missing)

if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "deps: installing $missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "deps: missing Debian packages: $missing" >&2
    echo "deps: run as root: apt-get install $missing" >&2
    exit 1
  fi
fi

# The tests compare lode with Node 20 (the reference); Debian 12's nodejs
# is 18, whose answers differ (autoSelectFamily is off there, for one).
if [ "$want" != build ]; then
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -lt 20 ]; then
    echo "deps: the tests need Node.js 20 or later (found ${major:-none});" \
         "install it (https://nodejs.org/en/download) and run again" >&2
    exit 1
  fi
fi

# npm packages used only as test peers (ws) and benchmark peers (undici).
if [ "$want" != build ]; then
  if [ ! -d "$here/test/peers/node_modules/ws" ] ||
     { [ "$want" = bench ] && [ ! -d "$here/test/peers/node_modules/undici" ]; }; then
    echo "deps: npm install in test/peers"
    (cd "$here/test/peers" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
  fi
fi
