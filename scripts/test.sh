#!/usr/bin/env bash
# The project's test command (npm test): type-check, compile dist/ (bin/ runs it), lint,
# the native addon's error paths under AddressSanitizer (scripts/test-native-asan.sh),
# then every test file under test/ with Node's test runner (TypeScript run through tsx).
# Every test process fails on an unhandled rejection or uncaught exception
# (test/support/fail-on-unhandled.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json --noEmit
npm run build --silent
npx biome check --error-on-warnings src test bench demo
bash scripts/test-native-asan.sh
mapfile -t files < <(find test -name '*.test.ts' | sort)
node --import tsx --import ./test/support/fail-on-unhandled.ts --test --test-concurrency=1 "${files[@]}"
