#!/bin/sh
# Builds the addon with AddressSanitizer (and UBSan) into native/build/asan/
# and runs the native tests against that build. Any finding aborts the test
# process, so a clean run prints the usual test summary with "# fail 0".
#
#   sh native/asan.sh                 # build + run test/native/*.test.ts (but sanitizers.test.ts)
#   sh native/asan.sh test/native/conv.test.ts   # build + run chosen files
#
# Needs only g++ (with libasan, part of GCC) and Node's headers.
set -eu
cd "$(dirname "$0")/.."

CXX="${CXX:-g++}"
OUT=native/build/asan
NODE_INCLUDE="${NODE_INCLUDE:-$(node -p "require('path').resolve(process.execPath, '..', '..', 'include', 'node')")}"
if [ ! -f "$NODE_INCLUDE/node_api.h" ]; then
  echo "asan.sh: node_api.h not found in $NODE_INCLUDE (set NODE_INCLUDE)" >&2
  exit 1
fi

mkdir -p "$OUT"
echo "asan.sh: compiling native/src/*.cc with -fsanitize=address,undefined" >&2
# One object per source, as many compilers at once as there are cores (each
# takes a few hundred MB); same warnings as CI's build plus the sanitizers.
# Objects newer than their source and every header are kept.
export CXX NODE_INCLUDE OUT
ls native/src/*.cc | xargs -P "$(nproc)" -I{} sh -c '
  src="$1"; obj="$OUT/$(basename "$src" .cc).o"
  if [ -f "$obj" ] && [ -z "$(find "$src" native/src -maxdepth 1 -name "*.h" -newer "$obj" -o -path "$src" -newer "$obj")" ]; then exit 0; fi
  "$CXX" -std=c++17 -O1 -g -fPIC -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    -fexceptions -pthread -DNAPI_VERSION=8 -Wall -Wextra -Werror -Wno-psabi \
    -I"$NODE_INCLUDE" -c "$src" -o "$obj"' _ {}
"$CXX" -shared -fsanitize=address,undefined -pthread -o "$OUT/alexnet_native.node" "$OUT"/*.o

LIBASAN="$("$CXX" -print-file-name=libasan.so)"
LIBUBSAN="$("$CXX" -print-file-name=libubsan.so)"
# The default: every native test but sanitizers.test.ts, which runs this script itself (under the preloaded
# sanitizers it would build and run the whole suite a second time).
if [ $# -eq 0 ]; then set -- $(ls test/native/*.test.ts | grep -v '/sanitizers\.test\.ts$'); fi

# Node is not built with ASan, so the runtime is preloaded. Leak checking is
# off: V8 and Node keep memory alive until exit by design, which LeakSanitizer
# would report; use-after-free, overflows and UB are what this run checks.
# (detect_stack_use_after_return is off too: its fake stacks crash V8.)
echo "asan.sh: running $* against $OUT/alexnet_native.node" >&2
ALEXNET_NATIVE_ADDON="$PWD/$OUT/alexnet_native.node" \
ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
LD_PRELOAD="$LIBASAN $LIBUBSAN" \
  node --import tsx --test --test-concurrency=1 "$@"
