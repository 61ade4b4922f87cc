#!/usr/bin/env bash
# Unplanned failover of a three-member cluster (agents as processes, real etcd and PostgreSQL):
# RTO, the part after the leader key expired, the killed member's rejoin, idle RSS and CPU.
# --agent patroni drives real Patroni agents (/usr/bin/patroni, -Dpatroni.bin=... in JAVA_OPTS) with
# the same harness; --agent both runs a Regent and a Patroni cluster side by side, runs interleaved.
# Usage: bench/failover.sh [--agent regent|patroni|both] [runs] [ttl loop_wait retry_timeout] [idle_seconds]
#   bench/failover.sh 5 30 10 10 300                 # Patroni's defaults (profile A)
#   bench/failover.sh 5 10 2 4 300                   # profile B
#   bench/failover.sh --agent both 5 30 10 10 300    # Regent and Patroni side by side
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B -DskipTests install -pl agent-app,e2e -am
cp="$(mktemp)"
trap 'rm -f "$cp"' EXIT
./mvnw -q -B -pl e2e dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp"
# shellcheck disable=SC2086 # word splitting of JAVA_OPTS is intended
exec java ${JAVA_OPTS:-} -cp "e2e/target/test-classes:$(cat "$cp")" -Dregent.jar.dir=agent-app/target -Dregent.bin=bin/regent \
  io.pgregent.e2e.bench.FailoverBenchmark "$@"
