#!/usr/bin/env bash
# The leader-crash simulation (docs/simulation.md): three members running the real HaDecider
# against the in-memory store, the leader's machine crashed and restarted at seeded times; every
# event checked for two leading writable primaries, every run for convergence afterwards.
# Usage: bench/simulate.sh N              seeds 1..N (default 1000)
#        bench/simulate.sh FIRST LAST     seeds FIRST..LAST (ranges add up over sittings)
#        bench/simulate.sh --seed S       replay seed S: its trace, the same bytes every time
# A range ends with: <N> schedules, <V> violations, <R> schedules/s; exit status non-zero on any
# violation.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == --seed ]]; then
  prop="-Dregent.sim.seed=${2:?usage: bench/simulate.sh --seed S}"
elif [[ $# -ge 2 ]]; then
  prop="-Dregent.sim.seeds=$1-$2"
else
  prop="-Dregent.sim.seeds=1-${1:-1000}"
fi
out="$(mktemp "${TMPDIR:-/tmp}/regent-simulate.XXXXXX")"
log="$(mktemp "${TMPDIR:-/tmp}/regent-simulate-log.XXXXXX")"
trap 'rm -f "$out" "$log"' EXIT
rc=0
./mvnw -B -q -o -pl agent-core test -Dtest=SimulationRangeTests \
  -Dsurefire.failIfNoSpecifiedTests=false -Dspotless.check.skip=true -Djacoco.skip=true \
  "$prop" -Dregent.sim.out="$out" >"$log" 2>&1 || rc=$?
if [[ ! -s "$out" ]]; then
  cat "$log" >&2
  echo "simulate: no result (the build failed?)" >&2
  exit 2
fi
cat "$out"
exit "$rc"
