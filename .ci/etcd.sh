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

case "$version" in
  3.6.*) ;;
  *) echo "etcd.sh: the conformance kit expects the etcd 3.6 line, not $version" >&2; exit 2 ;;
esac

ready() { [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "etcd Version: $version\$"; }

name=etcd.sh
label=etcd
# shellcheck source=.ci/gobuild.sh
. "$(dirname "${BASH_SOURCE[0]}")/gobuild.sh"
gobuild_start 1.26
export GOTOOLCHAIN=local
gobuild_fetch go.etcd.io/etcd/server/v3 main.go 'Apache License' 'the Apache License'
# Drop the replace lines that point at sibling directories (inside a replace block or alone),
# and the toolchain line.
sed -i -E '/^[[:space:]]*(replace[[:space:]]+)?go\.etcd\.io\/etcd\/[a-z/]+\/v3 => \.\.\//d; /^toolchain /d' go.mod
if grep -Eq '=> \.\./' go.mod; then
  fail "its go.mod still replaces a module with a sibling directory: $(grep -E '=> \.\./' go.mod)"
fi
grep -q "go.etcd.io/etcd/api/v3 v$version" go.mod || fail "its go.mod does not require go.etcd.io/etcd/api/v3 v$version"

gobuild_compile
"$work/etcd" --version | grep -q "etcd Version: $version\$" \
  || fail "the binary does not report $version: $("$work/etcd" --version 2>&1 | head -1)"

gobuild_finish --version
