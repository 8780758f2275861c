#!/usr/bin/env bash
# Builds the bench's client-go floor (bench/floor, our own code; client-go from the Go module proxy)
# into a cache outside the repo, keyed by a hash of its sources, and prints the binary's path.
# Reuses a binary already built from the same sources. Progress lines go to stderr.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
MIN_GO_MINOR=26
say() { printf '[bench:floor] %s\n' "$*" >&2; }

key=$(cat "$HERE/go.mod" "$HERE/go.sum" "$HERE/main.go" | sha256sum | cut -c1-12)
DIR=${KUBEHOOKS_FLOOR_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kubehooks/bench-floor-$key}
BIN="$DIR/floor"
if [ -x "$BIN" ]; then say "using cached $BIN"; echo "$BIN"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  say "Go is not installed: the floor is built from the Go module proxy and needs Go >= 1.${MIN_GO_MINOR} (or run the bench with --skip-floor)."
  exit 3
fi
minor=$(go env GOVERSION | sed 's/^go//' | cut -d. -f2 | sed "s/[^0-9].*//")
if [ "$minor" -lt "$MIN_GO_MINOR" ]; then say "Go $(go env GOVERSION) is too old: the floor needs Go >= 1.${MIN_GO_MINOR}."; exit 3; fi

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-trimpath -mod=readonly"
mkdir -p "$DIR"
exec 9>"$DIR/.build.lock"
if ! flock -n 9; then say "another build is running; waiting for it"; flock 9; fi
if [ -x "$BIN" ]; then say "built meanwhile: $BIN"; echo "$BIN"; exit 0; fi

t=$(date +%s)
ticker=
cleanup() { [ -n "$ticker" ] && kill "$ticker" 2>/dev/null; rm -f "$BIN.tmp"; true; }
trap cleanup EXIT
say "building the floor (client-go, go.mod in bench/floor) into $DIR"
( while sleep 30 </dev/null >/dev/null 2>&1; do say "still compiling ($(( $(date +%s) - t ))s)"; done ) & ticker=$!
(cd "$HERE" && go build -ldflags "-s -w" -o "$BIN.tmp" .)
kill "$ticker" 2>/dev/null || true; ticker=
mv "$BIN.tmp" "$BIN"
say "floor built in $(( $(date +%s) - t ))s"
echo "$BIN"
