#!/usr/bin/env bash
# Builds the pinned Velero tier (velero server+CLI, its AWS object-store plugin, and a local
# S3-compatible server) from the Go module proxy into a cache outside the repo. Reuses binaries
# already present. Prints what it builds. Separate from build.sh: the control plane alone needs none
# of this, and this tier is built only when a caller asks for Velero.
set -euo pipefail

VELERO_VERSION=v1.18.3
# Velero's compatibility matrix (the plugin's README): plugin v1.14.x <-> Velero v1.18.x.
AWS_PLUGIN_VERSION=v1.14.3
# S3 server: gofakes3 (MIT), its own cmd/gofakes3 with the in-memory or bolt backend.
GOFAKES3_VERSION=v1.2.0
# Velero's go.mod replaces kopia with Velero's fork; a helper module must repeat that replace.
KOPIA_REPLACE=github.com/project-velero/kopia@v0.0.0-20251230033609-d946b1e75197
# Velero v1.18.3 requires k8s.io/cli-runtime v0.33.12, which the module proxy does not serve
# ("This module version is not available"); the next patch, v0.33.13, is served.
CLI_RUNTIME_REPLACE=k8s.io/cli-runtime@v0.33.13
MIN_GO_MINOR=26

TOOLS=${KUBEHOOKS_VELERO_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/kubehooks/velero${VELERO_VERSION#v}-aws${AWS_PLUGIN_VERSION#v}-gofakes3${GOFAKES3_VERSION#v}}

say() { printf '[velero:build] %s\n' "$*" >&2; }

case "${1:-}" in
  --print-dir) echo "$TOOLS"; exit 0 ;;
  --print-versions)
    printf '{"velero":"%s","veleroPluginForAws":"%s","gofakes3":"%s"}\n' \
      "$VELERO_VERSION" "$AWS_PLUGIN_VERSION" "$GOFAKES3_VERSION"
    exit 0 ;;
esac

complete() { [ -x "$TOOLS/velero" ] && [ -x "$TOOLS/plugins/velero-plugin-for-aws" ] && [ -x "$TOOLS/gofakes3" ]; }
if complete; then
  say "using cached binaries in $TOOLS"
  echo "$TOOLS"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  say "Go is not installed. Velero and its plugin are built from the Go module proxy and need Go >= 1.${MIN_GO_MINOR}."
  exit 3
fi
minor=$(go env GOVERSION | sed 's/^go//' | cut -d. -f2 | sed "s/[^0-9].*//")
if [ "$minor" -lt "$MIN_GO_MINOR" ]; then
  say "Go $(go env GOVERSION) is too old: Velero $VELERO_VERSION needs Go >= 1.${MIN_GO_MINOR}."
  exit 3
fi

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-trimpath
mkdir -p "$TOOLS/plugins"
exec 9>"$TOOLS/.build.lock"
if ! flock -n 9; then say "another build is running; waiting for it"; flock 9; fi

elapsed() { echo $(( $(date +%s) - $1 ))s; }
ticker=
d=
cleanup() { [ -n "$ticker" ] && kill "$ticker" 2>/dev/null; [ -n "$d" ] && rm -rf "$d"; true; }
trap cleanup EXIT
# go build is silent for minutes; a ticker shows it is alive (stopped by its own PID).
tick() { ( while sleep 30 </dev/null >/dev/null 2>&1; do say "still compiling $1 ($(elapsed "$2"))"; done ) & ticker=$!; }
untick() { kill "$ticker" 2>/dev/null || true; ticker=; }

# build <name> <module@version> <package> <output> [ldflags] [replace...]: a throw-away helper module.
build() {
  local name=$1 modver=$2 pkg=$3 out=$4 ld=$5; shift 5
  local t; t=$(date +%s)
  say "building $name ($modver; helper module)"
  d=$(mktemp -d)
  (
    cd "$d"
    go mod init "local/${name}build" >/dev/null 2>&1
    for r in "$@"; do go mod edit -replace="$r"; done
    go get "$pkg@${modver#*@}"
  )
  say "compiling $name"
  tick "$name" "$t"
  (cd "$d" && go build -ldflags "-s -w $ld" -o "$out.tmp" "$pkg")
  untick
  mv "$out.tmp" "$out"; rm -rf "$d"; d=
  say "$name built in $(elapsed "$t")"
}

if [ ! -x "$TOOLS/gofakes3" ]; then
  build gofakes3 "github.com/johannesboyne/gofakes3@$GOFAKES3_VERSION" \
    github.com/johannesboyne/gofakes3/cmd/gofakes3 "$TOOLS/gofakes3" ""
fi
if [ ! -x "$TOOLS/plugins/velero-plugin-for-aws" ]; then
  build velero-plugin-for-aws "github.com/vmware-tanzu/velero-plugin-for-aws@$AWS_PLUGIN_VERSION" \
    github.com/vmware-tanzu/velero-plugin-for-aws/velero-plugin-for-aws "$TOOLS/plugins/velero-plugin-for-aws" ""
fi
# The server's controller-runtime manager would serve metrics on :8080 (every interface, and one
# fixed port for all runs); Velero has no flag for it, so the default is set to "0" (off) at link
# time. Velero's own metrics go to --metrics-address, which the harness sets to 127.0.0.1.
if [ ! -x "$TOOLS/velero" ]; then
  build velero "github.com/vmware-tanzu/velero@$VELERO_VERSION" \
    github.com/vmware-tanzu/velero/cmd/velero "$TOOLS/velero" \
    "-X github.com/vmware-tanzu/velero/pkg/buildinfo.Version=$VELERO_VERSION -X github.com/vmware-tanzu/velero/pkg/buildinfo.GitTreeState=clean -X sigs.k8s.io/controller-runtime/pkg/metrics/server.DefaultBindAddress=0" \
    "github.com/kopia/kopia=$KOPIA_REPLACE" "k8s.io/cli-runtime=$CLI_RUNTIME_REPLACE"
fi
complete || { say "build finished but $TOOLS is incomplete"; exit 4; }
say "ready: $TOOLS"
echo "$TOOLS"
