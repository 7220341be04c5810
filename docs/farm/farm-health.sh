#!/bin/bash
# Health loop of one PQConnect farm instance. It runs
#   pqconnect-server-check --local SERVICE_ADDRESS --every INTERVAL --timeout TIMEOUT
# (one kept session to this instance: per round a key-server answer and an echo through
# the tunnel) and reads its verdicts. After FAILS unhealthy rounds in a row it disables
# bird's `anycast` protocol, which withdraws the instance's BGP route to the service
# address; after one healthy round it enables it again. If the check itself stops, the
# route is withdrawn and the check restarted a second later.
# Usage: farm-health.sh SERVICE_ADDRESS KEYDIR BIRD_SOCKET
# Environment: INTERVAL (seconds, default 0.5), TIMEOUT (seconds, default 0.5),
# FAILS (default 2), PQCONNECT_SERVER_CHECK (the check program).
set -u
address=${1:?service address}
keydir=${2:?key directory}
socket=${3:?bird control socket}
interval=${INTERVAL:-0.5}
timeout=${TIMEOUT:-0.5}
fails_allowed=${FAILS:-2}
check=${PQCONNECT_SERVER_CHECK:-$(dirname "$(readlink -f "$0")")/../../bin/pqconnect-server-check}
[ -x "$check" ] || check=pqconnect-server-check
announced=unknown
checker=

route() { # enable|disable, and what to log
  if birdc -s "$socket" "$1" anycast >/dev/null; then
    [ "$1" = enable ] && announced=yes || announced=no
    echo "farm-health: $2"
  else
    echo "farm-health: birdc $1 anycast failed (is bird running on $socket?)" >&2
  fi
}

trap '[ -n "$checker" ] && kill "$checker" 2>/dev/null; exit 0' TERM INT
while :; do
  failed=0
  exec {verdicts}< <(exec "$check" --local "$address" --keydir "$keydir" \
    --every "$interval" --timeout "$timeout" 2>&1)
  checker=$!
  while read -r -u "$verdicts" mark verdict why; do
    case "$verdict" in
    healthy:)
      failed=0
      [ "$announced" = yes ] || route enable "healthy, route announced"
      ;;
    unhealthy:)
      failed=$((failed + 1))
      if [ "$failed" -ge "$fails_allowed" ] && [ "$announced" != no ]; then
        route disable "unhealthy $failed times in a row ($why), route withdrawn"
      fi
      ;;
    *) echo "farm-health: $mark $verdict $why" >&2 ;;
    esac
  done
  exec {verdicts}<&-
  [ "$announced" = no ] || route disable "the check stopped, route withdrawn"
  sleep 1 &
  wait $!
done
