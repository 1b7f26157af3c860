#!/usr/bin/env bash
# Everything a fresh clone needs before tf2tvm runs: npm packages, the Python
# toolchain (cached per user, keyed by its pins), the runtime op library, and
# the compiled TypeScript. Each step is skipped when already up to date.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

stage() { echo "setup: $1 ($(( $(date +%s) - start )) s)" >&2; start=$(date +%s); }
start=$(date +%s)

if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund >&2
fi
stage "npm packages"

# Headless Chromium for the HTML report tests (test/report): Debian's package.
if [[ ! -x /usr/bin/chromium ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "setup: installing chromium with apt-get (the HTML report tests run it headless)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else
    echo "setup: /usr/bin/chromium is missing and this is not root with apt-get, so it cannot be installed here;" >&2
    echo "setup: the HTML report tests need it: run 'apt-get update && apt-get install -y chromium' as root" >&2
    exit 1
  fi
fi
stage "chromium"

venv="$(scripts/setup-toolchain)"
stage "python toolchain at $venv"

bash runtime/build.sh "$venv/bin/python" build/runtime >&2
stage "runtime op library"

npx tsc -p tsconfig.json
stage "typescript"
