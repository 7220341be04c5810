#!/usr/bin/env bash
# Installs what `npm run bench:daemon` compares our daemons with: wireguard-go with
# batched I/O and offloads (0.0.20230223 or later; on Debian 12 from trixie, which
# setup-debian.sh adds with a low pin) and wireguard-tools to configure it.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-bench.sh: must run as root (it installs Debian packages)" >&2
  exit 1
fi
bash "$(dirname "$0")/setup-debian.sh" >/dev/null

. /etc/os-release
export DEBIAN_FRONTEND=noninteractive
release=()
[ "${VERSION_CODENAME:-}" = "bookworm" ] && release=(-t trixie)

version() { wireguard-go --version 2>/dev/null | sed -n 's/^wireguard-go v0\.0\.\([0-9]*\).*/\1/p'; }
if [ "$(version || true)" \< "20230223" ] || ! command -v wg >/dev/null; then
  apt-get install -y -qq --no-install-recommends "${release[@]}" wireguard-go >/dev/null
  apt-get install -y -qq --no-install-recommends wireguard-tools >/dev/null
fi
echo "setup-bench.sh: $(wireguard-go --version | head -1), $(wg --version | cut -d' ' -f1-2)"
