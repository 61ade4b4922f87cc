#!/usr/bin/env bash
# Runs every test of Regent: installs what the tests need when it is missing, then `./mvnw -B verify`.
# Extra arguments go to Maven (e.g. ./test.sh -pl dcs-etcd-starter -am).
set -euo pipefail
cd "$(dirname "$0")"

missing=()
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || missing+=(etcd-client)
compgen -G "/usr/lib/postgresql/*/bin/pg_rewind" >/dev/null || missing+=(postgresql)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v patronictl >/dev/null 2>&1 || missing+=(patroni)
command -v dig >/dev/null 2>&1 || missing+=(dnsutils)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# Patroni 4.1's virtualenv (below) is built with Debian's python3 and its venv module
/usr/bin/python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
# the console's browser test: Debian's Chromium and its ChromeDriver (no browser download)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
# promtool, for the alert rules in deploy/prometheus
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
# the chaos rig: network namespaces, tc netem (iproute2) and nft (nftables)
command -v tc >/dev/null 2>&1 || missing+=(iproute2)
command -v nft >/dev/null 2>&1 || missing+=(nftables)

if ((${#missing[@]})); then
  echo "test.sh: installing ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo apt-get update
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  else
    echo "test.sh: missing ${missing[*]}; install them (apt-get install -y ${missing[*]}) and run again" >&2
    exit 1
  fi
fi

# Consul (open source, 1.14.x) built from the Go module proxy once per machine; without it the
# Consul tests skip, each saying why.
if consul_bin="$(.ci/consul.sh)"; then
  export CONSUL_BIN="$consul_bin"
else
  echo "test.sh: no Consul build (see above); the Consul tests will skip" >&2
fi

# Patroni 4.1.5 from PyPI in a virtualenv built once per machine; without it the Patroni 4.1 tests
# skip, each saying why.
if patroni_home="$(.ci/patroni.sh)"; then
  export PATRONI41_HOME="$patroni_home"
else
  echo "test.sh: no Patroni 4.1 virtualenv (see above); the Patroni 4.1 tests will skip" >&2
fi

# The newest etcd 3.6 built from the Go module proxy once per machine, for the etcd conformance kit
# (beside Debian's 3.4); without it those cases skip, saying why.
if etcd36_bin="$(.ci/etcd.sh)"; then
  export ETCD36_BIN="$etcd36_bin"
else
  echo "test.sh: no etcd 3.6 build (see above); the etcd 3.6 conformance cases will skip" >&2
fi

# The alert rules: valid, and firing as their unit tests say (about a second).
promtool check rules deploy/prometheus/alerts.yml
(cd deploy/prometheus && promtool test rules alerts_test.yml)

./mvnw -B verify "$@"

# The chaos slice (chaos/ci.sh): one seeded run of real faults on namespaced hosts against the jar
# just built; any split brain, lost synchronous commit or cluster that does not heal fails the
# build. Only on a full run (no Maven arguments); REGENT_CHAOS=off skips it. Without root or
# network namespaces the rig says so and the slice is skipped.
if [[ $# -eq 0 && "${REGENT_CHAOS:-on}" != off ]]; then
  rc=0
  chaos/ci.sh || rc=$?
  if [[ "$rc" -eq 2 ]]; then
    echo "test.sh: the chaos slice cannot run on this machine (see above); skipped" >&2
  elif [[ "$rc" -ne 0 ]]; then
    echo "test.sh: the chaos slice failed (exit $rc)" >&2
    exit "$rc"
  fi
fi
