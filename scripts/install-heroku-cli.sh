#!/usr/bin/env bash
# Installs the official heroku CLI (npm package `heroku`) into node_modules/.cache/heroku-cli for the
# compatibility tests (test/compat). Idempotent; needs only the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${HEROKU_CLI_VERSION:-11.10.0}"
dir=node_modules/.cache/heroku-cli
if [ -x "$dir/node_modules/.bin/heroku" ] && grep -q "\"version\": \"$version\"" "$dir/node_modules/heroku/package.json" 2>/dev/null; then
  exit 0
fi
mkdir -p "$dir"
[ -f "$dir/package.json" ] || echo '{"name":"heroku-cli-compat","private":true}' > "$dir/package.json"
(cd "$dir" && npm install --no-audit --no-fund --no-save --ignore-scripts "heroku@$version" >/dev/null)
echo "installed heroku@$version into $dir"
