#!/usr/bin/env bash
# Installs the systemd units for this checkout (as root): copies systemd/*.service to
# /etc/systemd/system with @PREFIX@ set to the checkout's path, the man pages the units
# name to /usr/local/share/man/man8, and reloads systemd. (The Debian package,
# npm run package:deb, installs both itself.)
# Enable with: systemctl enable --now pqconnect   (or pqconnect-server)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
if [ "$(id -u)" -ne 0 ]; then echo "install-systemd.sh: must run as root" >&2; exit 1; fi
for unit in "$here"/systemd/*.service; do
  sed "s|@PREFIX@|$here|g" "$unit" > "/etc/systemd/system/$(basename "$unit")"
  echo "installed /etc/systemd/system/$(basename "$unit")"
done
version="$(node -p "require('$here/package.json').version")"
mkdir -p /usr/local/share/man/man8
for page in "$here"/man/man8/*.8; do
  sed "s/@VERSION@/$version/" "$page" > "/usr/local/share/man/man8/$(basename "$page")"
done
echo "installed the man pages in /usr/local/share/man/man8"
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
