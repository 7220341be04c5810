#!/usr/bin/env bash
# The README's first command: set up a fresh Debian machine and run the demo (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run demo
