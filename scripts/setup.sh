#!/usr/bin/env bash
# Sets up a fresh Debian 12/13 machine for PQConnect: Debian packages (as root), the
# deployed PQConnect in a cached trixie root for the interoperability tests (as root),
# npm dependencies from the lock file, the native addon, and the compiled tree (dist/).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then
  bash scripts/setup-debian.sh
  bash scripts/setup-interop.sh
else
  echo "setup.sh: not root, skipping Debian packages (run scripts/setup-debian.sh as root)" >&2
fi
npm ci --no-audit --no-fund
npm run build:native
npm run build
