#!/usr/bin/env bash
# Provides Patroni 4.1 for the compatibility tests: Patroni 4.1.5 from PyPI (pinned), with its
# etcd3 and psycopg2-binary extras, in a virtualenv cached once per machine outside the checkout.
# Prints the virtualenv's path on stdout (patroni and patronictl are in its bin/); a second run
# only checks the cache.
#
# The Patroni agents of the mixed-cluster tests run as the PostgreSQL OS user, which cannot enter
# root's 0700 home: as root the cache is /var/cache/regent, and the interpreter Debian's python3
# (pyenv's lives under /root too).
#
# Environment: PATRONI41_VERSION (default 4.1.5), REGENT_CACHE (default ~/.cache/regent, as root
# /var/cache/regent), PYTHON (default /usr/bin/python3 when present, else python3; 3.9 or later
# with the venv module).
# On failure the reason is also written to <cache>/patroni-<version>/install-failed.txt, which
# the tests quote when they skip.
set -euo pipefail

version="${PATRONI41_VERSION:-4.1.5}"
if [ "$(id -u)" -eq 0 ]; then
  root="${REGENT_CACHE:-/var/cache/regent}"
else
  root="${REGENT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/regent}"
fi
home="$root/patroni-$version"
failed="$root/patroni-$version-install-failed.txt"
if [ -x /usr/bin/python3 ]; then python="${PYTHON:-/usr/bin/python3}"; else python="${PYTHON:-python3}"; fi

case "$version" in
  4.1.*) ;;
  *) echo "patroni.sh: the tests expect the Patroni 4.1 line, not $version" >&2; exit 2 ;;
esac

ready() {
  [ -x "$home/bin/patronictl" ] && [ -x "$home/bin/patroni" ] \
    && "$home/bin/patronictl" version 2>/dev/null | grep -q "patronictl version $version\$"
}

if ready; then
  echo "$home"
  exit 0
fi

mkdir -p "$root"
chmod 755 "$root"
fail() {
  echo "patroni.sh: $*" >&2
  printf 'installing Patroni %s from PyPI failed: %s\n' "$version" "$*" >"$failed"
  exit 1
}

command -v "$python" >/dev/null 2>&1 || fail "no '$python' on PATH (Python 3.9 or later)"

# One install at a time per machine, whoever asks.
exec 9>"$root/.patroni-$version.lock"
flock 9
if ready; then
  echo "$home"
  exit 0
fi

started=$(date +%s)
echo "patroni.sh: installing Patroni $version from PyPI into $home (once per machine)" >&2
# A virtualenv's scripts name their interpreter by absolute path, so it is built where it lives;
# a half-built one is removed (ready() also checks the version, never trusting a bare directory).
rm -rf "$home"
trap 'ready || rm -rf "$home"' EXIT
"$python" -m venv "$home" >"$root/patroni-install.log" 2>&1 \
  || fail "$python -m venv failed: $(tail -5 "$root/patroni-install.log")"
"$home/bin/pip" install -q --disable-pip-version-check --no-cache-dir \
  "patroni[etcd3,psycopg2-binary]==$version" >>"$root/patroni-install.log" 2>&1 \
  || fail "pip install patroni[etcd3,psycopg2-binary]==$version failed: $(tail -5 "$root/patroni-install.log")"
ready || { fail "the virtualenv does not report patronictl version $version"; }
rm -f "$failed"
echo "patroni.sh: installed Patroni $version in $(( $(date +%s) - started )) s" >&2
echo "$home"
