#!/usr/bin/env bash
# Lint and formatting checks over the project's own files (those git tracks):
# prettier and ESLint for the TypeScript and JavaScript (npm devDependencies),
# ruff for the Python and clang-format for the C++ (from the lint environment,
# scripts/setup-lint). Every check runs; the exit status is non-zero when any
# of them found something.
#
#   scripts/lint.sh          check only (npm run lint)
#   scripts/lint.sh --fix    rewrite files: eslint --fix, prettier --write,
#                            ruff check --fix (safe fixes only), ruff format,
#                            clang-format -i (npm run format)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

fix=0
case "${1:-}" in
  --fix) fix=1 ;;
  "") ;;
  *) echo "usage: scripts/lint.sh [--fix]" >&2; exit 2 ;;
esac

if [[ ! -x node_modules/.bin/prettier || ! -x node_modules/.bin/eslint ]]; then
  echo "lint: prettier or eslint is not installed: run 'npm ci' first" >&2
  exit 1
fi
venv="$(scripts/setup-lint)"
ruff="$venv/bin/ruff"
clang_format="$venv/bin/clang-format"

# Tracked files by kind; extensionless scripts count by their #! line.
# .prettierignore drops the generated ones (lock file, fixtures, goldens).
by_shebang() { # interpreter-regex
  git ls-files | grep -v '\.' | while read -r f; do
    if [[ -f "$f" ]] && head -n1 "$f" | grep -qE "^#!.*\b($1)\b"; then echo "$f"; fi
  done
}
present() { while read -r f; do if [[ -f "$f" ]]; then echo "$f"; fi; done; } # tracked, not deleted
mapfile -t ts_files < <(git ls-files '*.ts' | present)
mapfile -t prettier_files < <({ git ls-files '*.ts' '*.js' '*.mjs' '*.cjs' '*.json' '*.css' '*.html'; by_shebang node; } | present)
mapfile -t py_files < <({ git ls-files '*.py'; by_shebang 'python[0-9.]*'; } | present)
mapfile -t cc_files < <(git ls-files '*.cc' '*.h' '*.cpp' '*.hpp' | present)

failed=()
step() { # name command...
  local name="$1" start=$SECONDS
  shift
  echo "lint: $name" >&2
  if "$@"; then
    echo "lint: $name: ok ($(( SECONDS - start )) s)" >&2
  else
    echo "lint: $name: FAILED ($(( SECONDS - start )) s)" >&2
    failed+=("$name")
  fi
}

if (( fix )); then
  # Fixes before formatting, so the formatters have the last word.
  step "eslint --fix" node_modules/.bin/eslint --fix "${ts_files[@]}"
  step "prettier --write" node_modules/.bin/prettier --write --log-level warn "${prettier_files[@]}"
  step "ruff check --fix" "$ruff" check --fix --exit-zero --silent "${py_files[@]}"
  step "ruff format" "$ruff" format --quiet "${py_files[@]}"
  step "clang-format -i" "$clang_format" -i "${cc_files[@]}"
  # What has no safe fix, with the line numbers of the formatted files.
  step "ruff check" "$ruff" check --output-format concise "${py_files[@]}"
else
  step "prettier --check (${#prettier_files[@]} files)" node_modules/.bin/prettier --check --log-level warn "${prettier_files[@]}"
  step "eslint (${#ts_files[@]} files)" node_modules/.bin/eslint --max-warnings 0 "${ts_files[@]}"
  step "ruff check (${#py_files[@]} files)" "$ruff" check --output-format concise "${py_files[@]}"
  step "ruff format --check (${#py_files[@]} files)" "$ruff" format --check "${py_files[@]}"
  step "clang-format --dry-run (${#cc_files[@]} files)" "$clang_format" --dry-run -Werror "${cc_files[@]}"
fi

if (( ${#failed[@]} )); then
  echo "lint: failed: $(IFS='|'; echo "${failed[*]}" | sed 's/|/; /g')" >&2
  if (( fix )); then
    echo "lint: the findings listed above have no safe fix: they need a hand fix" >&2
  else
    echo "lint: 'npm run format' applies the formatters and safe fixes; the rest needs a hand fix" >&2
  fi
  exit 1
fi
echo "lint: all clean" >&2
