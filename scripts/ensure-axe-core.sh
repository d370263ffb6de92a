#!/usr/bin/env bash
# Install axe-core (the accessibility rules the browser tests inject into each page) from npm into
# node_modules/ (ignored by git) when it is missing or another version. Pinned exactly: a new
# release may add rules, and a new violation should come from a change here, not from npm.
set -eu
cd "$(dirname "$0")/.."
AXE_CORE_VERSION=4.14.1
installed=$(node -p "require('./node_modules/axe-core/package.json').version" 2>/dev/null || true)
[ "$installed" = "$AXE_CORE_VERSION" ] && exit 0
command -v npm >/dev/null || { echo "npm is needed to install axe-core for the browser tests" >&2; exit 1; }
echo "Installing axe-core $AXE_CORE_VERSION for the browser tests"
npm install --no-save --no-package-lock --no-audit --no-fund --silent "axe-core@$AXE_CORE_VERSION"
[ -f node_modules/axe-core/axe.min.js ] || { echo "axe-core is still missing in node_modules/" >&2; exit 1; }
