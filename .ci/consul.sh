#!/usr/bin/env bash
# Provides the Consul server the tests run against: Consul 1.14.11 (MPL 2.0, every module of it)
# built from the Go module proxy once per machine and cached outside the checkout.
# Prints the binary's path on stdout; a second run only checks the cache.
#
# Why 1.14: Consul 1.17 and later are under the BUSL, and so are its envoyextensions and
# troubleshoot modules. The 1.14 line predates both modules; its release branch was kept free of
# BUSL files, and this script refuses a go.mod or a binary that names either module.
#
# The root go.mod replaces its submodules (api, sdk, proto-public) with ./ directories that the
# module zip does not contain, so `go install` refuses it; the build copies the module, drops those
# three replace lines (the published versions it requires are used instead) and builds it.
# Reproducible: the version is pinned and every module is checked against sum.golang.org.
#
# Environment: CONSUL_VERSION (default 1.14.11), REGENT_CACHE (default ~/.cache/regent).
# On failure the reason is also written to <cache>/consul-<version>/build-failed.txt, which the
# tests quote when they skip.
set -euo pipefail

version="${CONSUL_VERSION:-1.14.11}"
cache="${REGENT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/regent}/consul-$version"
bin="$cache/consul"
failed="$cache/build-failed.txt"

case "$version" in
  1.14.*) ;;
  *) echo "consul.sh: only the MPL-2.0 1.14.x line may be used, not $version" >&2; exit 2 ;;
esac

if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi

mkdir -p "$cache"
fail() {
  echo "consul.sh: $*" >&2
  printf 'building Consul %s from the Go module proxy failed: %s\n' "$version" "$*" >"$failed"
  exit 1
}

command -v go >/dev/null 2>&1 || fail "no 'go' on PATH (install Go 1.20 or later)"

# One build at a time per machine, whoever asks.
exec 9>"$cache/.lock"
flock 9
if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/regent-consul-build.XXXXXX")"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

started=$(date +%s)
echo "consul.sh: building Consul $version from the Go module proxy into $cache (once per machine)" >&2
dir="$(go mod download -json "github.com/hashicorp/consul@v$version" \
  | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')" \
  || fail "go mod download github.com/hashicorp/consul@v$version failed"
[ -n "$dir" ] && [ -f "$dir/go.mod" ] || fail "the module proxy gave no source for github.com/hashicorp/consul@v$version"
grep -q '^Mozilla Public License, version 2.0' "$dir/LICENSE" || fail "its LICENSE is not the MPL 2.0"

cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
cd "$work/src"
sed -i -E '/^replace github\.com\/hashicorp\/consul\/(api|sdk|proto-public) => \.\//d' go.mod
if grep -Eq 'hashicorp/consul/(envoyextensions|troubleshoot)' go.mod; then
  fail "its go.mod requires envoyextensions or troubleshoot, which are not open source"
fi
if grep -Eq '=> \./' go.mod; then
  fail "its go.mod still replaces a module with a local directory: $(grep -E '=> \./' go.mod)"
fi

GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$work/consul" . \
  >"$work/build.log" 2>&1 || fail "go build failed: $(tail -20 "$work/build.log")"

if go version -m "$work/consul" | grep -Eq 'hashicorp/consul/(envoyextensions|troubleshoot)'; then
  fail "the binary contains envoyextensions or troubleshoot, which are not open source"
fi
"$work/consul" version | grep -q "Consul v$version" || fail "the binary does not report v$version: $("$work/consul" version 2>&1 | head -1)"

mv "$work/consul" "$bin.tmp"
mv "$bin.tmp" "$bin"
rm -f "$failed"
echo "consul.sh: built $("$bin" version | head -1) in $(( $(date +%s) - started )) s" >&2
echo "$bin"
