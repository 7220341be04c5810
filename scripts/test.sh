#!/usr/bin/env bash
# The project's test command (npm test): type-check, compile dist/ (bin/ runs it), lint,
# the native addon's error paths under AddressSanitizer (scripts/test-native-asan.sh),
# then every test file under test/ with Node's test runner (TypeScript run through tsx),
# then the namespace suites again with the kernel offloads off.
# Every test process fails on an unhandled rejection or uncaught exception
# (test/support/fail-on-unhandled.ts). Afterwards nothing they made may remain in /tmp
# or among the network namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json --noEmit
npm run build --silent
npx biome check --error-on-warnings src test bench demo
bash scripts/test-native-asan.sh
mapfile -t files < <(find test -name '*.test.ts' | sort)
started="$(mktemp)"
node --import tsx --import ./test/support/fail-on-unhandled.ts --test --test-concurrency=1 "${files[@]}"
# The namespace suites once more with the kernel offloads off (offload.test.ts runs both
# modes itself), so both data paths carry every scenario.
mapfile -t labs < <(find test/e2e test/interop -name '*.test.ts' ! -name 'offload.test.ts' | sort)
echo "test.sh: the namespace suites again, with --offload off"
PQCONNECT_LAB_DAEMON_ARGS="--offload off" \
  node --import tsx --import ./test/support/fail-on-unhandled.ts --test --test-concurrency=1 "${labs[@]}"
# The tests (and the demo lab they use) must leave nothing behind: no temporary
# directories, no network namespaces.
left="$(find /tmp -maxdepth 1 -name 'pqconnect-*' -newer "$started"; ip netns list 2>/dev/null | grep -E '^pq' || true)"
rm -f "$started"
if [ -n "$left" ]; then
  echo "test.sh: the tests left these behind:" >&2
  echo "$left" >&2
  exit 1
fi
