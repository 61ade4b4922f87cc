#!/usr/bin/env bash
# Provides the newest etcd 3.6 for the conformance kit: etcd 3.6.16 (Apache 2.0) built from the Go
# module proxy (go.etcd.io/etcd/server/v3, whose root package is the etcd binary) once per machine
# and cached outside the checkout. Debian's etcd 3.4 stays the default store of every other test.
# Prints the binary's path on stdout; a second run only checks the cache.
#
# The module's go.mod replaces its sibling modules (api, client, pkg) with ../ directories that
# the module zip does not contain, so `go install` refuses it: the build copies the module, drops
# those replace lines (the published versions it requires, of the same release, are used instead)
# and builds it with the Go on PATH (its toolchain line is dropped: no other Go is fetched).
# Reproducible: the version is pinned and every module is checked against sum.golang.org.
#
# Environment: ETCD36_VERSION (default 3.6.16), REGENT_CACHE (default ~/.cache/regent).
# On failure the reason is also written to <cache>/etcd-<version>/build-failed.txt, which the
# tests quote when they skip.
set -euo pipefail

version="${ETCD36_VERSION:-3.6.16}"
cache="${REGENT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/regent}/etcd-$version"
bin="$cache/etcd"
failed="$cache/build-failed.txt"

case "$version" in
  3.6.*) ;;
  *) echo "etcd.sh: the conformance kit expects the etcd 3.6 line, not $version" >&2; exit 2 ;;
esac

ready() { [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "etcd Version: $version\$"; }

if ready; then
  echo "$bin"
  exit 0
fi

mkdir -p "$cache"
fail() {
  echo "etcd.sh: $*" >&2
  printf 'building etcd %s from the Go module proxy failed: %s\n' "$version" "$*" >"$failed"
  exit 1
}

command -v go >/dev/null 2>&1 || fail "no 'go' on PATH (install Go 1.26 or later)"

# One build at a time per machine, whoever asks.
exec 9>"$cache/.lock"
flock 9
if ready; then
  echo "$bin"
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/regent-etcd-build.XXXXXX")"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

started=$(date +%s)
echo "etcd.sh: building etcd $version from the Go module proxy into $cache (once per machine)" >&2
export GOTOOLCHAIN=local
dir="$(go mod download -json "go.etcd.io/etcd/server/v3@v$version" \
  | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')" \
  || fail "go mod download go.etcd.io/etcd/server/v3@v$version failed"
[ -n "$dir" ] && [ -f "$dir/main.go" ] || fail "the module proxy gave no source for go.etcd.io/etcd/server/v3@v$version"
grep -q 'Apache License' "$dir/LICENSE" || fail "its LICENSE is not the Apache License"

cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
cd "$work/src"
# Drop the replace lines that point at sibling directories (inside a replace block or alone),
# and the toolchain line.
sed -i -E '/^[[:space:]]*(replace[[:space:]]+)?go\.etcd\.io\/etcd\/[a-z/]+\/v3 => \.\.\//d; /^toolchain /d' go.mod
if grep -Eq '=> \.\./' go.mod; then
  fail "its go.mod still replaces a module with a sibling directory: $(grep -E '=> \.\./' go.mod)"
fi
grep -q "go.etcd.io/etcd/api/v3 v$version" go.mod || fail "its go.mod does not require go.etcd.io/etcd/api/v3 v$version"

GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$work/etcd" . \
  >"$work/build.log" 2>&1 || fail "go build failed: $(tail -20 "$work/build.log")"
"$work/etcd" --version | grep -q "etcd Version: $version\$" \
  || fail "the binary does not report $version: $("$work/etcd" --version 2>&1 | head -1)"

mv "$work/etcd" "$bin.tmp"
mv "$bin.tmp" "$bin"
rm -f "$failed"
echo "etcd.sh: built $("$bin" --version | head -1) in $(( $(date +%s) - started )) s" >&2
echo "$bin"
