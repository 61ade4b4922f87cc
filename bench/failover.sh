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
exec "$(dirname "$0")/run-java.sh" FailoverBenchmark "$@"
