#!/usr/bin/env bash
# CPU per HA cycle of a leader at rest through the agent's etcd client (jetcd, gRPC) and, for
# comparison, through etcd's JSON gateway over HTTP/1.1 (JDK HttpClient). Real etcd.
# JAVA_OPTS defaults to the launcher's JIT and GC flags, so the figures are what an agent sees.
# Usage: bench/etcd-cycle-cost.sh [runs] [cycles per run] [interval ms]
#   bench/etcd-cycle-cost.sh 5 30 2000     # a cycle every 2 s, as at loop_wait=2
set -euo pipefail
export JAVA_OPTS="${JAVA_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CompileThresholdScaling=10 -XX:CICompilerCount=1}"
exec "$(dirname "$0")/run-java.sh" EtcdCycleCostBenchmark "$@"
