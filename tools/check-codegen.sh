#!/usr/bin/env bash
# Fails when the committed generated code differs from what the protos generate,
# or when the protos break buf lint or break compatibility with main.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== buf lint"
npx buf lint

echo "== buf breaking against main"
if git rev-parse --verify --quiet main >/dev/null && git cat-file -e main:proto 2>/dev/null; then
  npx buf breaking proto --against '.git#branch=main,subdir=proto'
else
  echo "no proto/ on main yet: nothing to compare against"
fi

echo "== regenerate and compare"
npx nx run-many -t codegen --skip-nx-cache
drift="$(git status --porcelain --untracked-files=all | grep '/src/gen/' || true)"
if [ -n "$drift" ]; then
  echo "generated code is out of date; run 'npm run codegen' and commit:" >&2
  echo "$drift" >&2
  git --no-pager diff --stat >&2
  exit 1
fi
echo "generated code matches the protos"
