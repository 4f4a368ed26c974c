#!/usr/bin/env bash
# Each layer compiles against its own include root (LODE_BINARY_DIR/
# layer-include/<layer>): a private header of its own layer or a lower one
# is found; one of a higher layer is not, so an upward include fails to
# compile instead of waiting for a link to catch an upward call.
set -eu
roots=${LODE_BINARY_DIR:?}/layer-include
src=${LODE_SOURCE_DIR:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0

# yes: it compiles; no: the header is not found; other: another error
# (which would make a "no" mean nothing).
compiles() {  # layer header
  printf '#include "%s"\nint lode_layers_probe;\n' "$2" >"$work/probe.c"
  if cc -std=c11 -D_GNU_SOURCE -fsyntax-only -I "$src/include" \
        -I "$roots/$1" "$work/probe.c" 2>"$work/err"; then
    echo yes
  elif grep -q "No such file" "$work/err"; then
    echo no
  else
    echo other
  fi
}

expect() {  # yes|no layer header
  got=$(compiles "$2" "$3")
  if [ "$got" = "$1" ]; then
    echo "ok   $2 includes $3: $got"
  else
    echo "FAIL $2 includes $3: $got, want $1"
    fails=$((fails + 1))
  fi
}

expect yes parser http/parser/internal.h
expect yes parser core/ascii.h
expect no  parser core/internal.h
expect no  parser net/internal.h
expect yes core   core/internal.h
expect no  core   net/internal.h
expect no  core   http/server.h
expect yes net    net/internal.h
expect no  net    http/server.h
expect no  net    ws/internal.h
expect no  net    tls/internal.h
expect yes tls    net/internal.h
expect no  tls    http/server.h
expect yes http   http/server.h
expect yes http   net/internal.h
expect no  http   ws/internal.h
expect yes ws     ws/internal.h
echo "$((17 - fails)) passed, $fails failed"
[ "$fails" = 0 ]
