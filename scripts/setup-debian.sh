#!/usr/bin/env bash
# Installs the Debian packages PQConnect needs on Debian 12 or 13: the KEM libraries
# (libmceliece, libntruprime; from trixie with a low pin on bookworm), a C toolchain for
# the native addon, and the networking tools used by the daemon and its end-to-end tests.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-debian.sh: must run as root (it installs Debian packages)" >&2
  exit 1
fi

. /etc/os-release
export DEBIAN_FRONTEND=noninteractive

if [ "${VERSION_CODENAME:-}" = "bookworm" ]; then
  if ! grep -rqs "trixie" /etc/apt/sources.list.d/pqconnect-trixie.sources; then
    cat > /etc/apt/sources.list.d/pqconnect-trixie.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    cat > /etc/apt/preferences.d/pqconnect-trixie <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 1
PIN
  fi
  kem_release=(-t trixie)
else
  kem_release=()
fi

apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  build-essential python3 pkg-config iproute2 iptables iputils-ping curl dnsmasq-base tcpdump iperf3 conntrack nftables chromium \
  libnetfilter-queue-dev libseccomp-dev debootstrap time promtool bird2 >/dev/null
apt-get install -y -qq --no-install-recommends "${kem_release[@]}" \
  libmceliece-dev libntruprime-dev >/dev/null
if ! id -u pqconnect >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin pqconnect
fi
echo "setup-debian.sh: packages installed, user pqconnect present"
