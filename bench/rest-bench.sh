#!/usr/bin/env bash
# REST API benchmark: GET /primary and /patroni on loopback against one Regent agent (real etcd,
# real PostgreSQL), measured as Patroni 3.0.2 was (shared/reference/patroni-figures.md):
#   - throughput: ab -c 4, no keep-alive (a new connection per request)
#   - latency at a fixed rate: hey, 1,000 requests/s in total (4 workers x 250/s)
# Prints min / median / max over RUNS runs (default 5). Needs: etcd, PostgreSQL server binaries,
# ab (apache2-utils), hey (Debian package hey). Usage: bench/rest-bench.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
requests="${AB_REQUESTS:-20000}"
rate_seconds="${HEY_SECONDS:-10}"

for tool in ab hey etcd; do
  command -v "$tool" >/dev/null 2>&1 || { echo "rest-bench: $tool is missing (apt-get install apache2-utils hey etcd-server)" >&2; exit 1; }
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

work="$(mktemp -d /tmp/regent-bench.XXXXXX)"
chmod 755 "$work"
etcd_pid=""
agent_pid=""
cleanup() {
  [[ -n "$agent_pid" ]] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null || true
  [[ -n "$etcd_pid" ]] && kill "$etcd_pid" 2>/dev/null && wait "$etcd_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

etcd_port="$(free_port)"; etcd_peer="$(free_port)"; api_port="$(free_port)"; pg_port="$(free_port)"
etcd --name bench --data-dir "$work/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-cluster "bench=http://127.0.0.1:$etcd_peer" >"$work/etcd.log" 2>&1 &
etcd_pid=$!

mkdir -p "$work/pg"
cat >"$work/regent.yml" <<YAML
scope: bench
name: pg0
restapi:
  listen: 127.0.0.1:$api_port
  connect_address: 127.0.0.1:$api_port
etcd3:
  hosts: 127.0.0.1:$etcd_port
bootstrap:
  dcs:
    ttl: 30
    loop_wait: 10
    retry_timeout: 10
postgresql:
  listen: 127.0.0.1:$pg_port
  connect_address: 127.0.0.1:$pg_port
  data_dir: $work/pg/data
  authentication:
    superuser:
      username: postgres
      password: bench-super
    replication:
      username: replicator
      password: bench-repl
  parameters:
    unix_socket_directories: $work/pg
log:
  level: WARNING
YAML

bin/regent "$work/regent.yml" >"$work/agent.log" 2>&1 &
agent_pid=$!
url="http://127.0.0.1:$api_port"
for _ in $(seq 1 240); do
  code="$(curl -s -o /dev/null -w '%{http_code}' "$url/primary" || true)"
  [[ "$code" == 200 ]] && break
  kill -0 "$agent_pid" 2>/dev/null || { echo "rest-bench: the agent exited:" >&2; tail -30 "$work/agent.log" >&2; exit 1; }
  sleep 0.5
done
[[ "$code" == 200 ]] || { echo "rest-bench: /primary never answered 200" >&2; tail -30 "$work/agent.log" >&2; exit 1; }

# min / median / max of numbers on stdin
stats() { sort -g | awk '{v[NR]=$1} END {m = (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf "%s [%s-%s]", m, v[1], v[NR]}'; }

echo "Regent REST benchmark: $(nproc) cores, $(date -u +%FT%TZ), $runs runs, ab -n $requests -c 4 (no keep-alive), hey 1000 req/s for ${rate_seconds}s"
for path in /primary /patroni; do
  ab -q -n "$requests" -c 4 "$url$path" >/dev/null 2>&1   # warm-up (JIT)
  : >"$work/rps"; : >"$work/ab99"; : >"$work/p50"; : >"$work/p99"; : >"$work/hey_rps"
  for _ in $(seq 1 "$runs"); do
    out="$(ab -q -n "$requests" -c 4 "$url$path" 2>&1)"
    grep -q '^Non-2xx responses' <<<"$out" && { echo "rest-bench: non-2xx answers to $path" >&2; exit 1; }
    awk '/^Requests per second/ {print $4}' <<<"$out" >>"$work/rps"
    awk '$1=="99%" {print $2}' <<<"$out" >>"$work/ab99"
    out="$(hey -z "${rate_seconds}s" -c 4 -q 250 "$url$path")"
    awk '/Requests\/sec/ {print $2}' <<<"$out" >>"$work/hey_rps"
    awk '/ 50% in / {printf "%.3f\n", $3*1000}' <<<"$out" >>"$work/p50"
    awk '/ 99% in / {printf "%.3f\n", $3*1000}' <<<"$out" >>"$work/p99"
  done
  echo "GET $path"
  echo "  ab -c 4 throughput (requests/s):     $(stats <"$work/rps")"
  echo "  ab -c 4 p99 (ms):                    $(stats <"$work/ab99")"
  echo "  hey 1000/s achieved (requests/s):    $(stats <"$work/hey_rps")"
  echo "  hey 1000/s p50 latency (ms):         $(stats <"$work/p50")"
  echo "  hey 1000/s p99 latency (ms):         $(stats <"$work/p99")"
done
