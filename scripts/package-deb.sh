#!/usr/bin/env bash
# npm run package:deb — builds pqconnect_<version>_<arch>.deb in build/ with dpkg-deb from
# this checkout: the compiled tree and production npm dependencies (from the lock file)
# under /usr/lib/pqconnect, the native addon built here, links in /usr/bin, the systemd
# units, the man pages, and maintainer scripts that create the pqconnect system user.
# Needs: the Debian packages of scripts/setup-debian.sh and network (or a warm cache) for npm.
set -euo pipefail
cd "$(dirname "$0")/.."
version="$(node -p 'require("./package.json").version')"
arch="$(dpkg --print-architecture)"
out="build/pqconnect_${version}_${arch}.deb"
stage="$(mktemp -d /tmp/pqconnect-deb.XXXXXX)"
trap 'rm -rf "$stage"' EXIT
lib="$stage/usr/lib/pqconnect"

npm run --silent build
npm run --silent build:native >/dev/null
mkdir -p "$lib/native/build/Release" "$stage/usr/bin" "$stage/usr/lib/systemd/system" \
  "$stage/usr/share/man/man8" "$stage/usr/share/doc/pqconnect" "$stage/DEBIAN"
cp -r dist bin package.json package-lock.json README.md "$lib/"
cp -r docs "$lib/docs"
cp native/build/Release/pqconnect_native.node "$lib/native/build/Release/"
(cd "$lib" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
rm "$lib/package-lock.json"
# sodium-native ships prebuilt binaries for every platform; keep this one's.
platform="$(node -p 'process.platform + "-" + process.arch')"
find "$lib/node_modules/sodium-native/prebuilds" -mindepth 1 -maxdepth 1 ! -name "$platform" -exec rm -rf {} +
for tool in pqconnect pqconnect-server pqconnect-keygen pqconnect-server-check; do
  ln -s "../lib/pqconnect/bin/$tool" "$stage/usr/bin/$tool"
  sed "s/@VERSION@/$version/" "man/man8/$tool.8" | gzip -9n > "$stage/usr/share/man/man8/$tool.8.gz"
done
for unit in systemd/*.service; do
  sed 's|@PREFIX@|/usr/lib/pqconnect|g' "$unit" > "$stage/usr/lib/systemd/system/$(basename "$unit")"
done
cp README.md "$stage/usr/share/doc/pqconnect/README.md"
cp docs/protocol.md "$stage/usr/share/doc/pqconnect/protocol.md"
for script in postinst prerm postrm; do
  install -m 0755 "packaging/debian/$script" "$stage/DEBIAN/$script"
done
size="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
  packaging/debian/control > "$stage/DEBIAN/control"
find "$stage" -type d -exec chmod 0755 {} +
mkdir -p build
dpkg-deb --root-owner-group --build "$stage" "$out" >/dev/null
echo "$out"
