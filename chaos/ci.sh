#!/usr/bin/env bash
# The chaos slice CI runs (./test.sh): one fixed seed, synchronous mode, the fast profile, a few
# faults of the default classes; a few minutes on 2 cores. Fails on any violation or rig failure.
# CHAOS_CI_SEED / CHAOS_CI_FAULTS override the seed and the number of faults.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
results="$(mktemp "${TMPDIR:-/tmp}/regent-chaos-ci.XXXXXX.jsonl")"
trap 'rm -f "$results"' EXIT
rc=0
nice -n 10 "$here/run" --seed "${CHAOS_CI_SEED:-9}" --faults "${CHAOS_CI_FAULTS:-6}" --mode sync \
  --ttl 5 --loop-wait 1 --retry-timeout 2 --results "$results" || rc=$?
if [[ -s "$results" ]]; then
  /usr/bin/python3 "$here/summary.py" "$results" || true
fi
exit "$rc"
