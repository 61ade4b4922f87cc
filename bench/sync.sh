#!/usr/bin/env bash
# Commit latency/throughput (pgbench) in async, sync and quorum modes, and failover RTO in sync mode,
# on a three-member cluster (agents as processes, real etcd and PostgreSQL 15, loopback).
# Usage: bench/sync.sh [runs] [seconds per pgbench run] [clients]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B -DskipTests install -pl agent-app,e2e -am
cp="$(mktemp)"
trap 'rm -f "$cp"' EXIT
./mvnw -q -B -pl e2e dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp"
exec java -cp "e2e/target/test-classes:$(cat "$cp")" -Dregent.jar.dir=agent-app/target -Dregent.bin=bin/regent \
  io.pgregent.e2e.bench.SyncBenchmark "$@"
