#!/usr/bin/env bash
# Throughput of the Redis store on one server (the single-node layout, redis://), on a Cluster of one master that holds
# every slot (the Cluster layout's own cost), and on the three-master test Cluster of scripts/services.sh, in one run:
# 16 callers on 64 jobs each of keyed records and of part completions, then the median time of a listing page and of
# stats() with one caller (io.tally.bench.ClusterBench). Prints markdown
# rows for docs/benchmarks.md. Needs the tree built (mvn install -DskipTests) and scripts/services.sh run.
# Usage: scripts/bench-cluster.sh [--secs=5] [--warmup=2] [--callers=16] [--port=7190]
set -euo pipefail
cd "$(dirname "$0")/.."

secs=5
warmup=2
callers=16
port=7190
for arg in "$@"; do
    case $arg in
        --secs=*) secs=${arg#*=} ;;
        --warmup=*) warmup=${arg#*=} ;;
        --callers=*) callers=${arg#*=} ;;
        --port=*) port=${arg#*=} ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done
cluster_url=$(cat "${TALLY_REDIS_CLUSTER_DIR:-/tmp/tally-redis-cluster}/url")

cli() { redis-cli -p "$port" "$@"; }
if cli ping >/dev/null 2>&1; then
    echo "something already answers on port $port: choose another with --port" >&2
    exit 1
fi
work=$(mktemp -d)
cleanup() {
    cli shutdown nosave >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
# A one-master Cluster: one node in cluster mode holding all 16,384 slots.
(cd "$work" && redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --cluster-enabled yes \
    --cluster-config-file "$work/nodes.conf" --save "" --appendonly no --logfile "$work/redis.log" --dir "$work")
for _ in $(seq 1 40); do cli ping >/dev/null 2>&1 && break; sleep 0.25; done
cli cluster addslotsrange 0 16383 >/dev/null
for _ in $(seq 1 40); do cli cluster info | grep -q cluster_state:ok && break; sleep 0.25; done

jar=tally-bench/target/benchmarks.jar
run() { java -cp "$jar" io.tally.bench.ClusterBench --url="$1" --label="$2" --callers="$callers" --secs="$secs" \
    --warmup="$warmup" 2>/dev/null; }
echo "| store | operation | callers | calls/s, or a read's median time |"
echo "|---|---|---:|---:|"
run "redis://127.0.0.1:6379" "one server (redis://)"
run "redis-cluster://127.0.0.1:$port" "Cluster, 1 master"
run "$cluster_url" "Cluster, 3 masters (+3 replicas)"
