#!/usr/bin/env bash
# Unplanned failover of a three-member cluster (agents as processes, real etcd and PostgreSQL):
# RTO, the part after the leader key expired, the killed member's rejoin, idle RSS and CPU.
# Usage: bench/failover.sh [runs] [ttl loop_wait retry_timeout] [idle_seconds]
#   bench/failover.sh 5 30 10 10 300    # Patroni's defaults (profile A)
#   bench/failover.sh 5 10 2 4 300      # profile B
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B -DskipTests install -pl agent-app,e2e -am
cp="$(mktemp)"
trap 'rm -f "$cp"' EXIT
./mvnw -q -B -pl e2e dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp"
exec java -cp "e2e/target/test-classes:$(cat "$cp")" -Dregent.jar.dir=agent-app/target -Dregent.bin=bin/regent \
  io.pgregent.e2e.bench.FailoverBenchmark "$@"
