#!/usr/bin/env bash
# CPU per HA cycle of a leader at rest through the agent's etcd client (jetcd, gRPC) and, for
# comparison, through etcd's JSON gateway over HTTP/1.1 (JDK HttpClient). Real etcd.
# JAVA_OPTS defaults to the launcher's JIT and GC flags, so the figures are what an agent sees.
# Usage: bench/etcd-cycle-cost.sh [runs] [cycles per run] [interval ms]
#   bench/etcd-cycle-cost.sh 5 30 2000     # a cycle every 2 s, as at loop_wait=2
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B -DskipTests install -pl agent-app,e2e -am
cp="$(mktemp)"
trap 'rm -f "$cp"' EXIT
./mvnw -q -B -pl e2e dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp"
opts="${JAVA_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CompileThresholdScaling=10 -XX:CICompilerCount=1}"
# shellcheck disable=SC2086 # word splitting of the options is intended
exec java $opts -cp "e2e/target/test-classes:$(cat "$cp")" io.pgregent.e2e.bench.EtcdCycleCostBenchmark "$@"
