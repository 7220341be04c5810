#!/usr/bin/env bash
# The native addon's start, stop and error paths, and its offload paths (TSO segments,
# GSO sends, GRO receives), against an AddressSanitizer build of the addon: a
# use-after-free or overflow fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
build=test-output/native-asan
rm -rf "$build"
mkdir -p "$build"
cp -r native/src native/binding.gyp "$build/"
(cd "$build" && CFLAGS="-fsanitize=address -fno-omit-frame-pointer -g" LDFLAGS="-fsanitize=address" \
  npx --prefix "$OLDPWD" node-gyp rebuild --nodedir=/usr >build.log 2>&1) ||
  { cat "$build/build.log"; exit 1; }
asan="$(gcc -print-file-name=libasan.so)"
[ -e "$asan" ] || { echo "test-native-asan: libasan not found (gcc's libasan)" >&2; exit 1; }
LD_PRELOAD="$asan" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
  PQCONNECT_NATIVE_ADDON="$PWD/$build/build/Release/pqconnect_native.node" \
  node --import tsx --import ./test/support/fail-on-unhandled.ts --test \
  test/io/native-addon.test.ts test/io/segment-sender.test.ts test/io/tun-offload.test.ts
