#!/usr/bin/env bash
# The deterministic simulation (docs/simulation.md): three members running the real HaDecider
# against the in-memory store. The default scenario, faults, lands seeded faults between any two
# steps of the agents' loops (machine crashes, store and peer partitions, the store down, frozen
# agents and stalled loops, clock drift and jumps, switchover requests) in asynchronous, synchronous and quorum mode,
# with the lease guard and the fence modelled; leader-crash is the first model (the leader's
# machine crashed and restarted). Every event is checked for two leading writable primaries, a
# writable primary without a live lease and a lost acknowledged commit; every run for
# convergence after the faults healed.
# The loop scenario runs the same schedules on the agent's own loop, executor and lease guard
# (HaLoop on simulated threads, PostgreSQL behind its port): slower, the whole agent;
# loop-failsafe runs them with DCS failsafe mode on.
# Usage: bench/simulate.sh [--scenario faults|loop|loop-failsafe|leader-crash] N          seeds 1..N (default 1000)
#        bench/simulate.sh [--scenario faults|loop|loop-failsafe|leader-crash] FIRST LAST seeds FIRST..LAST
#                                                                           (ranges add up)
#        bench/simulate.sh [--scenario faults|loop|loop-failsafe|leader-crash] --seed S   replay seed S: its
#                                                                           trace, the same bytes
#                                                                           every time
# The tests run on a JDK of version 21 or later when one is installed (REGENT_SIM_JAVA_HOME, else
# the newest under /usr/lib/jvm): a run's threads are then virtual threads taking turns on one
# carrier, about 1.5 times faster; the runs are the same.
# A range ends with: <N> schedules, <V> violations, <R> schedules/s; exit status non-zero on any
# violation.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=faults
if [[ "${1:-}" == --scenario ]]; then
  scenario="${2:?usage: bench/simulate.sh --scenario faults|loop|loop-failsafe|leader-crash ...}"
  shift 2
fi
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
jvm=()
for home in "${REGENT_SIM_JAVA_HOME:-}" $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
  [[ -n "$home" && -x "$home/bin/java" && -f "$home/release" ]] || continue
  version="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")"
  if [[ "${version:-0}" -ge 21 ]]; then
    jvm=("-Djvm=${home%/}/bin/java")
    break
  fi
done
rc=0
module=agent-core
runner=SimulationRangeTests
if [[ "$scenario" == loop || "$scenario" == loop-failsafe ]]; then
  module=agent-app
  runner=LoopSimulationRangeTests
fi
./mvnw -B -q -o -pl "$module" -am test -Dtest="$runner" \
  -Dsurefire.failIfNoSpecifiedTests=false -Dspotless.check.skip=true -Djacoco.skip=true \
  "$prop" -Dregent.sim.scenario="$scenario" -Dregent.sim.out="$out" ${jvm[@]+"${jvm[@]}"} \
  >"$log" 2>&1 || rc=$?
if [[ ! -s "$out" ]]; then
  cat "$log" >&2
  echo "simulate: no result (the build failed?)" >&2
  exit 2
fi
cat "$out"
exit "$rc"
