#!/usr/bin/env bash
# Planned switchover of a three-member cluster (agents as processes, real etcd and PostgreSQL):
# the longest gap between a client's commits and the wall time of POST /switchover.
# Usage: bench/switchover.sh [runs] [ttl loop_wait retry_timeout]
#   bench/switchover.sh 5 30 10 10    # Patroni's defaults
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B -DskipTests install -pl agent-app,e2e -am
cp="$(mktemp)"
trap 'rm -f "$cp"' EXIT
./mvnw -q -B -pl e2e dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp"
exec java -cp "e2e/target/test-classes:$(cat "$cp")" -Dregent.jar.dir=agent-app/target -Dregent.bin=bin/regent \
  io.pgregent.e2e.bench.SwitchoverBenchmark "$@"
