#!/bin/bash
# Health loop of one PQConnect farm instance: every INTERVAL seconds (default 1) it runs
# `pqconnect-server-check --local` against the service address; after FAILS failed
# checks in a row (default 1) it disables bird's `anycast` protocol, which withdraws the
# instance's BGP route to the service address, and after one good check it enables it
# again. Usage: farm-health.sh SERVICE_ADDRESS KEYDIR BIRD_SOCKET
set -u
address=${1:?service address}
keydir=${2:?key directory}
socket=${3:?bird control socket}
interval=${INTERVAL:-1}
fails_allowed=${FAILS:-1}
check=${PQCONNECT_SERVER_CHECK:-$(dirname "$(readlink -f "$0")")/../../bin/pqconnect-server-check}
[ -x "$check" ] || check=pqconnect-server-check
failed=0
announced=unknown
trap 'exit 0' TERM INT
while :; do
  if "$check" --local "$address" --keydir "$keydir" --timeout "${TIMEOUT:-1}" >/dev/null 2>&1; then
    failed=0
    if [ "$announced" != yes ]; then
      birdc -s "$socket" enable anycast >/dev/null && announced=yes && echo "farm-health: healthy, route announced"
    fi
  else
    failed=$((failed + 1))
    if [ "$failed" -ge "$fails_allowed" ] && [ "$announced" != no ]; then
      birdc -s "$socket" disable anycast >/dev/null && announced=no && echo "farm-health: check failed $failed time(s), route withdrawn"
    fi
  fi
  sleep "$interval" &
  wait $!
done
