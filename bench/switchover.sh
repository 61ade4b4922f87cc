#!/usr/bin/env bash
# Planned switchover of a three-member cluster (agents as processes, real etcd and PostgreSQL):
# the longest gap between a client's commits and the wall time of POST /switchover.
# Usage: bench/switchover.sh [runs] [ttl loop_wait retry_timeout]
#   bench/switchover.sh 5 30 10 10    # Patroni's defaults
set -euo pipefail
exec "$(dirname "$0")/run-java.sh" SwitchoverBenchmark "$@"
