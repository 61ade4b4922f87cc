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

case "$version" in
  1.14.*) ;;
  *) echo "consul.sh: only the MPL-2.0 1.14.x line may be used, not $version" >&2; exit 2 ;;
esac

ready() { [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; }

name=consul.sh
label=Consul
# shellcheck source=.ci/gobuild.sh
. "$(dirname "${BASH_SOURCE[0]}")/gobuild.sh"
gobuild_start 1.20
gobuild_fetch github.com/hashicorp/consul go.mod '^Mozilla Public License, version 2.0' 'the MPL 2.0'
sed -i -E '/^replace github\.com\/hashicorp\/consul\/(api|sdk|proto-public) => \.\//d' go.mod
if grep -Eq 'hashicorp/consul/(envoyextensions|troubleshoot)' go.mod; then
  fail "its go.mod requires envoyextensions or troubleshoot, which are not open source"
fi
if grep -Eq '=> \./' go.mod; then
  fail "its go.mod still replaces a module with a local directory: $(grep -E '=> \./' go.mod)"
fi

gobuild_compile

if go version -m "$work/consul" | grep -Eq 'hashicorp/consul/(envoyextensions|troubleshoot)'; then
  fail "the binary contains envoyextensions or troubleshoot, which are not open source"
fi
"$work/consul" version | grep -q "Consul v$version" || fail "the binary does not report v$version: $("$work/consul" version 2>&1 | head -1)"

gobuild_finish version
