#!/usr/bin/env bash
# Everything a fresh clone needs before tf2tvm runs: npm packages, the Python
# toolchain (cached per user, keyed by its pins), the runtime op library, and
# the compiled TypeScript. Each step is skipped when already up to date.
#
#   scripts/setup.sh            what tf2tvm needs (npm run demo, npm run setup)
#   scripts/setup.sh --tests    also what the tests need: headless Chromium
#                               for the HTML report tests (npm test)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tests=0
case "${1:-}" in
  "") ;;
  --tests) tests=1 ;;
  *) echo "usage: scripts/setup.sh [--tests]" >&2; exit 2 ;;
esac

stage() { echo "setup: $1 ($(( $(date +%s) - start )) s)" >&2; start=$(date +%s); }
start=$(date +%s)

if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund >&2
fi
stage "npm packages"

# Headless Chromium for the HTML report tests only (scripts/setup-chromium).
if (( tests )); then
  scripts/setup-chromium
  stage "chromium (for the tests)"
fi

venv="$(scripts/setup-toolchain)"
stage "python toolchain at $venv"

bash runtime/build.sh "$venv/bin/python" build/runtime >&2
stage "runtime op library"

npx tsc -p tsconfig.json
stage "typescript"
