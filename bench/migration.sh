#!/usr/bin/env bash
# Rolling migration of a three-member Patroni 4.1 cluster (synchronous mode, a steady writer) to
# Regent, one member at a time, n times: the longest gap between acknowledged writes of each run
# and of its switchover from the Patroni leader to a Regent member (a mixed-cluster switchover),
# then min/median/max. Every run also checks that no acknowledged write was lost.
# Needs Patroni 4.1 (.ci/patroni.sh, run by ./test.sh).
# Usage: bench/migration.sh [runs]     (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
home="$(.ci/patroni.sh)"
export PATRONI41_HOME="$home"
out="$(mktemp "${TMPDIR:-/tmp}/regent-migration.XXXXXX")"
trap 'rm -f "$out"' EXIT
# One build, then the runs one after another, each on a fresh Patroni cluster.
./mvnw -B -q -o -pl e2e -am verify -Dit.test=RollingMigration41IT -Dtest=none \
  -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false \
  -Dspotless.check.skip=true -Djacoco.skip=true \
  -Dregent.bench.runs="$runs" -Dregent.bench.out="$out" >&2
cat "$out"
summary() {
  sed -n "s/.* $1=\([0-9.]*\).*/\1/p" "$out" | sort -n | awk -v what="$2" '
    { v[NR] = $1 }
    END {
      if (NR == 0) { print "no runs finished"; exit 1 }
      med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%s over %d runs: min %.3f s, median %.3f s, max %.3f s\n", what, NR, v[1], med, v[NR]
    }'
}
summary longest_write_gap_s "longest write gap of the whole migration"
summary switchover_gap_s "write gap of the switchover Patroni leader -> Regent member"
summary total_s "whole migration, first write to last"
