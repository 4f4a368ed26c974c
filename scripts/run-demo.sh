#!/usr/bin/env bash
# Runs the main demo from a build directory: the HTTP demo server when it is
# built, else the echo server.
set -eu
dir=$1 port=${2:-8080}
for prog in demo-server echo-server; do
  if [ -x "$dir/examples/$prog" ]; then
    echo "running examples/$prog on 127.0.0.1 (Ctrl-C stops it)"
    exec "$dir/examples/$prog" "$port"
  fi
done
echo "no demo program built yet" >&2
exit 1
