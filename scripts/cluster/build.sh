#!/usr/bin/env bash
# Builds the pinned local control plane (kube-apiserver, kube-controller-manager, kube-scheduler,
# etcd, kwok) from the Go module proxy into a cache outside the repo. Reuses binaries already
# present. Prints what it builds.
set -euo pipefail

K8S_VERSION=v1.36.3
STAGING_VERSION=v0.36.3
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0
MIN_GO_MINOR=26

TOOLS=${KUBEHOOKS_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/kubehooks/k${K8S_VERSION#v}-e${ETCD_VERSION#v}-kwok${KWOK_VERSION#v}}

say() { printf '[cluster:build] %s\n' "$*" >&2; }

case "${1:-}" in
  --print-dir) echo "$TOOLS"; exit 0 ;;
  --print-versions)
    printf '{"kubernetes":"%s","staging":"%s","etcd":"%s","kwok":"%s","minGo":"1.%s"}\n' \
      "$K8S_VERSION" "$STAGING_VERSION" "$ETCD_VERSION" "$KWOK_VERSION" "$MIN_GO_MINOR"
    exit 0 ;;
esac

# A complete cache needs no Go at all (a copied cache, or a machine where Go was removed later).
KUBE_COMPONENTS="kube-apiserver kube-controller-manager kube-scheduler"
complete() {
  [ -x "$TOOLS/kwok" ] && [ -x "$TOOLS/etcd" ] || return 1
  for c in $KUBE_COMPONENTS; do [ -x "$TOOLS/$c" ] || return 1; done
}
if complete; then
  say "using cached binaries in $TOOLS"
  echo "$TOOLS"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  say "Go is not installed. The local control plane is built from the Go module proxy and needs Go >= 1.${MIN_GO_MINOR}."
  say "Install Go 1.${MIN_GO_MINOR}+ or point kubehooks at an existing cluster with --kubeconfig."
  exit 3
fi
gover=$(go env GOVERSION | sed 's/^go//')
minor=$(echo "$gover" | cut -d. -f2 | sed "s/[^0-9].*//")
if [ "$(echo "$gover" | cut -d. -f1)" -lt 1 ] || [ "$minor" -lt "$MIN_GO_MINOR" ]; then
  say "Go $gover is too old: kube-apiserver $K8S_VERSION and kwok $KWOK_VERSION need Go >= 1.${MIN_GO_MINOR}."
  exit 3
fi

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-trimpath
mkdir -p "$TOOLS"
lock="$TOOLS/.build.lock"
exec 9>"$lock"
if ! flock -n 9; then say "another build is running; waiting for it"; flock 9; fi

elapsed() { echo $(( $(date +%s) - $1 ))s; }

# One step per missing binary, numbered ("[2/5] etcd"), with honest time ranges: the low end was
# measured on an idle 2-core machine, the high end on a 2-core machine shared with other builds.
todo=
[ -x "$TOOLS/kwok" ] || todo="$todo kwok"
[ -x "$TOOLS/etcd" ] || todo="$todo etcd"
for c in $KUBE_COMPONENTS; do [ -x "$TOOLS/$c" ] || todo="$todo $c"; done
total=$(echo $todo | wc -w)
step=0
stepsay() { step=$((step + 1)); say "[$step/$total] $*"; }
t0=$(date +%s)
say "building $total binaries into $TOOLS:$todo"
case " $todo " in
  *" kube-apiserver "*) say "expect 5-15 minutes in all on 2 cores (measured 4 min 15 s idle, 14 min 26 s on a busy machine); later runs reuse them" ;;
  *) say "expect 1-6 minutes on 2 cores; later runs reuse them" ;;
esac

if [ ! -x "$TOOLS/kwok" ]; then
  t=$(date +%s); stepsay "kwok $KWOK_VERSION (go install; 1.5-4 min)"
  GOBIN="$TOOLS" go install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  say "[$step/$total] kwok built in $(elapsed "$t")"
fi

if [ ! -x "$TOOLS/etcd" ]; then
  t=$(date +%s); stepsay "etcd $ETCD_VERSION (helper module; 0.5-1.5 min)"
  d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
  (cd "$d" && go mod init local/etcdbuild >/dev/null 2>&1 \
    && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" \
    && go build -ldflags "-s -w" -o "$TOOLS/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$TOOLS/etcd.tmp" "$TOOLS/etcd"; rm -rf "$d"; trap - EXIT
  say "[$step/$total] etcd built in $(elapsed "$t")"
fi

missing=
for c in $KUBE_COMPONENTS; do [ -x "$TOOLS/$c" ] || missing="$missing $c"; done
if [ -n "$missing" ]; then
  t=$(date +%s); say "resolving$missing $K8S_VERSION (helper module with staging replaces)"
  d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
  cd "$d"; go mod init local/kasbuild >/dev/null 2>&1
  gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [ -f "$gomod" ] || { say "could not download k8s.io/kubernetes@$K8S_VERSION go.mod"; exit 4; }
  n=0
  for m in $(sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/.*#\1#p' "$gomod"); do
    go mod edit -replace="$m=$m@$STAGING_VERSION"; n=$((n+1))
  done
  say "replaced $n staging modules with $STAGING_VERSION; resolving dependencies"
  for c in $missing; do go get "k8s.io/kubernetes/cmd/$c@$K8S_VERSION"; done
  minor_k=$(echo "$K8S_VERSION" | cut -d. -f2)
  ld="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor_k -X k8s.io/component-base/version.gitTreeState=clean"
  for c in $missing; do
    tc=$(date +%s)
    case $c in
      kube-apiserver) range="2.5-9 min" ;;
      *) range="1-3 min after kube-apiserver" ;;
    esac
    stepsay "$c $K8S_VERSION (go build; $range; a line every 30 s)"
    # go build is silent for minutes; a ticker shows it is alive. Stopped by its own PID; its sleep
    # does not hold our stderr, so a reader of this script's output is not kept waiting by it.
    ( while sleep 30 </dev/null >/dev/null 2>&1; do say "[$step/$total] still compiling $c ($(elapsed "$tc"))"; done ) &
    ticker=$!
    trap 'kill "$ticker" 2>/dev/null; rm -rf "$d"' EXIT
    go build -ldflags "$ld" -o "$TOOLS/$c.tmp" "k8s.io/kubernetes/cmd/$c"
    kill "$ticker" 2>/dev/null || true
    trap 'rm -rf "$d"' EXIT
    mv "$TOOLS/$c.tmp" "$TOOLS/$c"
    say "[$step/$total] $c built in $(elapsed "$tc")"
  done
  cd /; rm -rf "$d"; trap - EXIT
  say "kubernetes components built in $(elapsed "$t")"
fi

# Stage definitions ship inside the kwok module; link them for reference (the launcher writes its own).
if [ ! -d "$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage" ]; then
  (cd /tmp && go mod download "sigs.k8s.io/kwok@$KWOK_VERSION")
fi
ln -sfn "$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage" "$TOOLS/stage"
say "ready: $TOOLS (built $total binaries in $(elapsed "$t0"))"
echo "$TOOLS"
