#!/usr/bin/env bash
# The installed copy of lode works: builds lode (Release) from the source
# tree in a temporary directory, installs it into a temporary prefix, then
# builds a small program against the installed copy four ways (pkg-config
# shared and static, CMake package shared and static) and runs each.
set -euo pipefail

src=${LODE_SOURCE_DIR:?LODE_SOURCE_DIR must name the source tree}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lode-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
jobs=2

step() { printf '== %s\n' "$*"; }

# Warnings are the other builds' business (Release-only ones included):
# this test is about what gets installed. The test environment's sanitizer
# settings must not reach the Release build or the programs below.
unset ASAN_OPTIONS UBSAN_OPTIONS

step "build and install lode"
cmake -S "$src" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release \
  -DLODE_TESTS=OFF -DLODE_EXAMPLES=OFF -DLODE_BENCH=OFF -DLODE_FUZZ=OFF \
  -DLODE_SANITIZE=OFF -DLODE_WERROR=OFF -DCMAKE_INSTALL_PREFIX="$prefix" \
  >"$tmp/configure.log" \
  || { cat "$tmp/configure.log"; exit 1; }
cmake --build "$tmp/build" -j"$jobs" >"$tmp/build.log" 2>&1 \
  || { tail -50 "$tmp/build.log"; exit 1; }
cmake --install "$tmp/build" >"$tmp/install.log"

libdir=$(find "$prefix" -name liblode.a -printf '%h\n' | head -1)
test -n "$libdir" || { echo "liblode.a was not installed"; exit 1; }
for f in "$prefix/include/lode.h" "$prefix/include/lode/buf.h" \
         "$libdir/pkgconfig/lode.pc" "$libdir/cmake/lode/lodeConfig.cmake" \
         "$libdir/cmake/lode/lodeConfigVersion.cmake"; do
  test -f "$f" || { echo "missing after install: $f"; exit 1; }
done
ls "$libdir"/liblode.so* >/dev/null

# The program: a few calls across core, and a stream pair run on a loop.
mkdir -p "$tmp/app"
cat >"$tmp/app/main.c" <<'C'
#include <lode.h>
#include <stdio.h>
#include <string.h>

static int got;

static void on_data(void* ctx, lode_stream_t* s, lode_slice_t d) {
  got += d.len == 2 && memcmp(d.base, "hi", 2) == 0;
}

static const lode_stream_reader_t reader = { .on_data = on_data };

int main(void) {
  char out[16];
  size_t n = lode_encode(LODE_ENC_BASE64, LODE_SLICE("lode"), out,
                         sizeof(out));
  if (n != 8 || memcmp(out, "bG9kZQ==", 8) != 0) return 1;
  if (strcmp(lode_err_name(LODE_ERR_SOCKET_CLOSED), "ERR_SOCKET_CLOSED"))
    return 2;
  if (lode_encoding_parse("UCS-2") != LODE_ENC_UTF16LE) return 3;
  uv_loop_t loop;
  lode_stream_t *a, *b;
  uv_loop_init(&loop);
  if (lode_stream_pair(&loop, &a, &b) != 0) return 4;
  lode_stream_set_reader(a, &reader, NULL);
  lode_stream_set_reader(b, &reader, NULL);
  lode_stream_write(a, LODE_SLICE("hi"), NULL, NULL);
  lode_stream_end(a, NULL, NULL);
  lode_stream_end(b, NULL, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  if (got != 1 || uv_loop_close(&loop) != 0) return 5;
  printf("lode %s ok\n", LODE_VERSION_STRING);
  return 0;
}
C

export PKG_CONFIG_PATH=$libdir/pkgconfig
cc=${CC:-cc}

step "pkg-config, shared"
# shellcheck disable=SC2046
$cc -Wall -Werror -o "$tmp/app/shared" "$tmp/app/main.c" \
  $(pkg-config --cflags --libs lode)
LD_LIBRARY_PATH=$libdir "$tmp/app/shared"
# Whole outputs are read before grep looks at them: with pipefail, grep -q
# leaving early would fail the pipeline by SIGPIPE on the writer.
deps=$(LD_LIBRARY_PATH=$libdir ldd "$tmp/app/shared")
grep -q "liblode.so" <<<"$deps" \
  || { echo "not linked with the shared library"; exit 1; }

step "pkg-config, static"
# pkg-config --static gives the private dependencies; -Bstatic makes the
# linker take liblode.a although liblode.so sits next to it.
libs=$(pkg-config --static --libs lode)
libs=${libs/-llode/-Wl,-Bstatic -llode -Wl,-Bdynamic}
# shellcheck disable=SC2086
$cc -Wall -Werror -o "$tmp/app/static" "$tmp/app/main.c" \
  $(pkg-config --static --cflags lode) $libs
dyn=$(readelf -d "$tmp/app/static")
if grep -q "liblode" <<<"$dyn"; then
  echo "the static build needs liblode.so"; exit 1
fi
"$tmp/app/static"

for kind in shared static; do
  step "CMake package, lode::lode_$kind"
  mkdir -p "$tmp/cm-$kind"
  cat >"$tmp/cm-$kind/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.20)
project(lode_app C)
find_package(lode 0.1 REQUIRED)
add_executable(app "$tmp/app/main.c")
target_link_libraries(app PRIVATE lode::lode_$kind)
CM
  cmake -S "$tmp/cm-$kind" -B "$tmp/cm-$kind/build" \
    -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/cm-$kind.log" 2>&1 \
    || { cat "$tmp/cm-$kind.log"; exit 1; }
  cmake --build "$tmp/cm-$kind/build" >>"$tmp/cm-$kind.log" 2>&1 \
    || { cat "$tmp/cm-$kind.log"; exit 1; }
  "$tmp/cm-$kind/build/app"
done

step "all ok"
