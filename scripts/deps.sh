#!/usr/bin/env bash
# Installs what lode needs to build and test, from Debian and npm.
# As root it installs what is missing; otherwise it says what to install.
# Usage: scripts/deps.sh [build|test|bench]   (each implies the ones before)
set -eu
want=${1:-test}
here=$(cd "$(dirname "$0")/.." && pwd)

pkgs="cmake make gcc pkg-config libuv1-dev"
case "$want" in
  test|bench) pkgs="$pkgs clang libclang-rt-14-dev zlib1g-dev curl nodejs npm" ;;
esac
case "$want" in
  bench) pkgs="$pkgs wrk nginx-light libcurl4-openssl-dev util-linux" ;;
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

# npm packages used only as test peers (ws) and benchmark peers (undici).
if [ "$want" != build ]; then
  if [ ! -d "$here/test/peers/node_modules/ws" ] ||
     { [ "$want" = bench ] && [ ! -d "$here/test/peers/node_modules/undici" ]; }; then
    echo "deps: npm install in test/peers"
    (cd "$here/test/peers" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
  fi
fi
