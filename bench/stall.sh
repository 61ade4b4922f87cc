#!/usr/bin/env bash
# The leader's agent out for 1.5 × ttl while its PostgreSQL runs on, frozen (SIGSTOP, then SIGCONT)
# and killed (kill -9 of the agent alone, then started again): seconds with two writable primaries
# and with two members answering 200 on /primary, with Regent's fence and without it, two clusters
# side by side.
# Usage: bench/stall.sh [runs] [ttl loop_wait retry_timeout] [--only stall|kill]
#   bench/stall.sh 5 10 2 4
#   bench/stall.sh 5 30 10 10
set -euo pipefail
exec "$(dirname "$0")/run-java.sh" StallBenchmark "$@"
