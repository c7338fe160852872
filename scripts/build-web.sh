#!/usr/bin/env bash
# Builds the softphone bundle: web/src (TypeScript on JsSIP) -> static/softphone.js with
# esbuild. `npm ci` runs only when web/node_modules is missing or older than the lock file.
# The portal embeds the bundle when the server is compiled (server/portal/build.rs), so
# `make run` and `make test` call this before cargo.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
web="$root/web"
command -v npm >/dev/null 2>&1 || { echo "build-web: npm missing (scripts/ensure-deps.sh installs it)" >&2; exit 1; }
if [[ ! -f "$web/node_modules/.package-lock.json" ||
      "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]]; then
  echo "build-web: npm ci in web/" >&2
  npm ci --prefix "$web" --no-audit --no-fund --loglevel=error >&2
fi
npm run --silent --prefix "$web" build
