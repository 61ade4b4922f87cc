#!/usr/bin/env bash
# Commit latency/throughput (pgbench) in async, sync and quorum modes, and failover RTO in sync mode,
# on a three-member cluster (agents as processes, real etcd and PostgreSQL 15, loopback).
# Usage: bench/sync.sh [runs] [seconds per pgbench run] [clients]
set -euo pipefail
exec "$(dirname "$0")/run-java.sh" SyncBenchmark "$@"
