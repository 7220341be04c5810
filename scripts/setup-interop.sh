#!/usr/bin/env bash
# The deployed PQConnect for the interoperability tests, installed the Debian way without
# touching the host: a minimal Debian trixie root built with debootstrap in a cache
# directory, with `pqconnect` installed by apt inside it. Re-runs reuse the cached root
# (rebuild: delete the directory). The tests run its daemons in our network namespaces
# through chroot in a private mount namespace (test/support/deployed.ts).
# Prints the installed version. Root only.
set -euo pipefail

root="${PQCONNECT_INTEROP_ROOT:-/var/cache/pqconnect-interop/trixie}"
mirror="${PQCONNECT_INTEROP_MIRROR:-http://deb.debian.org/debian}"

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-interop.sh: must run as root (debootstrap, chroot)" >&2
  exit 1
fi

if [ ! -e "$root/.pqconnect-ready" ]; then
  command -v debootstrap >/dev/null ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  rm -rf "$root.partial"
  mkdir -p "$(dirname "$root")"
  echo "setup-interop.sh: building a Debian trixie root in $root (debootstrap, once)" >&2
  debootstrap --variant=minbase trixie "$root.partial" "$mirror" >"$root.partial.log" 2>&1 ||
    { tail -20 "$root.partial.log" >&2; exit 1; }
  # No service may start inside the root while packages are installed.
  printf '#!/bin/sh\nexit 101\n' >"$root.partial/usr/sbin/policy-rc.d"
  chmod 0755 "$root.partial/usr/sbin/policy-rc.d"
  touch "$root.partial/.pqconnect-ready"
  rm -f "$root.partial.log"
  rm -rf "$root"
  mv "$root.partial" "$root"
fi
# The deployed PQConnect, and iptables for its client where the kernel lacks nft queue.
packages=(pqconnect iptables)
if ! chroot "$root" dpkg-query -W "${packages[@]}" >/dev/null 2>&1; then
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${packages[*]}" \
    >"$root.apt.log" 2>&1 || { tail -20 "$root.apt.log" >&2; exit 1; }
  chroot "$root" apt-get clean
  rm -f "$root.apt.log"
fi
chroot "$root" dpkg-query -W -f='pqconnect ${Version}\n' pqconnect
