#!/usr/bin/env bash
# The chaos campaign: chaos/run once per seed of a range (a fresh cluster per seed, FAULTS faults
# each), each run's result appended to RESULTS; seeds already in RESULTS for the same profile and
# mode are skipped, so a campaign can run over several sittings. Ends with the summary (RTO min /
# median / max, split brain, lost commits, unavailability per fault class).
# Needs root (network namespaces); other users of the machine's cores: it runs under nice.
# Usage: bench/chaos.sh [--mode async|sync|quorum] [--faults N] [--results FILE] FIRST_SEED LAST_SEED [rig args]
#   bench/chaos.sh 1 20                          # 20 runs x 10 faults, async, ttl 5/1/2
#   bench/chaos.sh --mode sync 1 20
#   bench/chaos.sh 1 10 --ttl 30 --loop-wait 10 --retry-timeout 10    # Patroni's defaults
#   bench/chaos.sh --mode sync 1 10 --store zookeeper                  # a ZooKeeper ensemble
#   bench/chaos.sh --mode sync 1 10 --agent patroni --ttl 20 --loop-wait 2 --retry-timeout 3
set -euo pipefail
cd "$(dirname "$0")/.."
mode=async faults=10 results=chaos/results/results.jsonl
while [[ $# -gt 0 && "$1" == --* ]]; do
  case "$1" in
    --mode) mode="$2"; shift 2 ;;
    --faults) faults="$2"; shift 2 ;;
    --results) results="$2"; shift 2 ;;
    *) break ;;
  esac
done
if [[ $# -lt 2 ]]; then
  sed -n '2,13p' "$0" >&2
  exit 2
fi
first="$1" last="$2"
shift 2
ttl=5 lw=1 rt=2 store="" agent=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --store) [[ "${args[i + 1]}" == etcd ]] || store="${args[i + 1]}/" ;;
    --agent) [[ "${args[i + 1]}" == regent ]] || agent="${args[i + 1]}/" ;;
    --ttl) ttl="${args[i + 1]}" ;;
    --loop-wait) lw="${args[i + 1]}" ;;
    --retry-timeout) rt="${args[i + 1]}" ;;
  esac
done
profile="${agent}${store}ttl$ttl/lw$lw/rt$rt"
mkdir -p "$(dirname "$results")"
touch "$results"
failed=0
for ((seed = first; seed <= last; seed++)); do
  if grep -qF "\"seed\": $seed, \"mode\": \"$mode\", \"profile\": \"$profile\"" "$results"; then
    echo "chaos: seed $seed ($profile, $mode) already in $results"
    continue
  fi
  rc=0
  nice -n 10 chaos/run --seed "$seed" --faults "$faults" --mode "$mode" --results "$results" "$@" || rc=$?
  case "$rc" in
    0 | 1) ;;
    2) exit 2 ;;  # cannot run here; the rig said why
    *) echo "chaos: the rig failed on seed $seed (exit $rc)" >&2; failed=1 ;;
  esac
done
/usr/bin/python3 chaos/summary.py "$results" --mode "$mode" --profile "$profile" || failed=1
exit "$failed"
