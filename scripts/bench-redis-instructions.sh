#!/usr/bin/env bash
# Counts the instructions Redis executes for Tally's write function (the library built from this tree's lua/) next to the
# minimal progress script of scripts/bench-redis.sh (HINCRBY + HSET + PUBLISH by EVALSHA), on a scratch redis-server
# run under valgrind's callgrind. Instruction counts do not move with the machine's load the way throughput does, so
# this is how a change to the scripts is compared; prints a markdown table for docs/benchmarks.md.
#
# What one function call carries: keyed records (recordSuccess(key): an 'i' call), one per job, on RECORDS jobs, each a
# new random item key (with --one-job: RECORDS records on one job, one run of '=i' calls, as the group commit sends
# concurrent callers' records on one job); the minimal script one call per EVALSHA, as redis-benchmark sends it in
# scripts/bench-redis.sh.
# Counted: the whole redis-server process (user space) over CALLS script calls sent 8 at a time on one connection, after
# 200 calls of warm-up; system calls' kernel time is not counted.
#
# With --bullmq, also BullMQ 5's job.updateProgress (scripts/bench/bullmq-progress.mjs, 8 calls in flight from one Node
# process; BullMQ installed with npm into BULLMQ_DIR as scripts/bench-bullmq.sh does): the peer's cost per call.
#
# With --cluster, the server runs in cluster mode holding every slot and the write function is called as the Cluster
# layout calls it: the keys of one bucket, events on the bucket's shard channel (SPUBLISH, PUBSUB SHARDNUMSUB).
#
# Needs valgrind, redis-server, redis-cli and redis-benchmark on PATH (and node with --bullmq).
# Usage: scripts/bench-redis-instructions.sh [--records=1,4,16] [--calls=2000] [--port=6390] [--one-job] [--bullmq]
#        [--cluster]
set -euo pipefail
cd "$(dirname "$0")/.."

records=1,4,16
calls=2000
port=6390
bullmq=false
one_job=
cluster=
for arg in "$@"; do
    case $arg in
        --records=*) records=${arg#*=} ;;
        --calls=*) calls=${arg#*=} ;;
        --port=*) port=${arg#*=} ;;
        --bullmq) bullmq=true ;;
        --one-job) one_job=1 ;;
        --cluster) cluster=1 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done
for tool in valgrind callgrind_control redis-server redis-cli redis-benchmark; do
    command -v "$tool" >/dev/null || { echo "$tool is not on PATH" >&2; exit 1; }
done

cli() { redis-cli -p "$port" "$@"; }
# The scratch server is flushed and shut down at the end: never take over a server that already listens there.
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

# (exec: $! is then valgrind's process, which callgrind_control is told to address)
(cd "$work" && exec valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
    ${cluster:+--cluster-enabled yes --cluster-config-file "$work/nodes.conf"} >"$work/redis.log" 2>&1) &
server=$!
for _ in $(seq 1 120); do
    cli ping >/dev/null 2>&1 && break
    sleep 0.5
done
cli ping >/dev/null || { echo "redis-server under valgrind did not start (see $work/redis.log)" >&2; exit 1; }
if [[ -n $cluster ]]; then
    cli cluster addslotsrange 0 16383 >/dev/null
    for _ in $(seq 1 120); do
        cli cluster info | grep -q cluster_state:ok && break
        sleep 0.5
    done
fi

# Runs redis-benchmark with the given command, warm-up first; prints the instructions per command.
count() {
    redis-benchmark -p "$port" -q -c 1 -P 8 -n 200 -r 100000000 "$@" >/dev/null
    # callgrind_control is given the server's pid: without one it acts on every process callgrind runs on the machine,
    # and a second run of this script would zero this one's counters in the middle of its calls (seen: figures far
    # too low whenever two ran at once).
    callgrind_control -z "$server" >/dev/null 2>&1
    redis-benchmark -p "$port" -q -c 1 -P 8 -n "$calls" -r 100000000 "$@" >/dev/null
    rm -f "$work"/cg.out.*
    callgrind_control -d "$server" >/dev/null 2>&1
    local total
    total=$(grep -m1 '^summary:\|^totals:' "$(ls -t "$work"/cg.out.* | head -1)" | awk '{print $2}')
    echo $((total / calls))
}

# The instructions per call of BullMQ's updateProgress, counted like count()'s: warm-up, zero, the calls, dump.
count_bullmq() {
    local dir=${BULLMQ_DIR:-${TMPDIR:-/tmp}/tally-bench-bullmq}
    mkdir -p "$dir"
    [[ -d "$dir/node_modules/bullmq" ]] ||
        (cd "$dir" && npm install --silent --no-audit --no-fund --no-save bullmq@5 >/dev/null)
    cp scripts/bench/bullmq-progress.mjs "$dir/"
    mkfifo "$work/go"
    (cd "$dir" && exec node bullmq-progress.mjs "redis://127.0.0.1:$port" "calls=$calls" 1 8 bench-instr-bullmq \
        <"$work/go" >"$work/bullmq.out") &
    local node=$!
    exec 3>"$work/go"
    until grep -q warm "$work/bullmq.out" 2>/dev/null; do sleep 0.2; done
    callgrind_control -z "$server" >/dev/null 2>&1
    echo go >&3
    until grep -q done "$work/bullmq.out" 2>/dev/null; do sleep 0.2; done
    rm -f "$work"/cg.out.*
    callgrind_control -d "$server" >/dev/null 2>&1
    exec 3>&-
    wait "$node"
    local total
    total=$(grep -m1 '^summary:\|^totals:' "$(ls -t "$work"/cg.out.* | head -1)" | awk '{print $2}')
    echo $((total / calls))
}

ns='{bench-instr}'
[[ -n $cluster ]] && ns='{bench-instr:0}' # (a bucket's tag, Keys.cluster)
minimal_sha=$(cli SCRIPT LOAD "$(printf "redis.call('HINCRBY', KEYS[1], 'succeeded', 1)\nredis.call('HSET', KEYS[1], 'updatedAt', ARGV[1])\nredis.call('PUBLISH', ARGV[2], ARGV[3])\nreturn 1\n")")
minimal=$(count EVALSHA "$minimal_sha" 1 "$ns:raw:__rand_int__" 1700000000000 "$ns:raw-events" \
    '{"id":"raw","events":[{"type":"PROGRESS"}]}')

lua=tally-redis/src/main/resources/io/tally/redis/lua
# The library as Functions.java assembles it (lib.lua, then the functions' files), under a fixed version name.
{
    echo "#!lua name=tally_bench"
    echo "local VERSION = 'bench'"
    cat "$lua/lib.lua"
    for f in create find write transition heartbeat query count items parts payload append_logs logs sweep expire delete; do
        cat "$lua/$f.lua"
    done
} >"$work/library.lua"
cli -x FUNCTION LOAD REPLACE <"$work/library.lua" >/dev/null

echo "| script | records per call | instructions per call | per record | per record ÷ minimal script's per call |"
echo "|---|---:|---:|---:|---:|"
echo "| minimal progress script | 1 | $minimal | $minimal | 1.00 |"
if $bullmq; then
    peer=$(count_bullmq)
    awk -v c="$peer" -v m="$minimal" \
        'BEGIN { printf "| BullMQ 5 job.updateProgress | 1 | %d | %d | %.2f |\n", c, c, c / m }'
fi
IFS=, read -ra sizes <<<"$records"
for n in "${sizes[@]}"; do
    cli FLUSHALL >/dev/null
    # Jobs as create.lua stores JobSpec.builder().name("bench").start(true) (a listpack hash of 16 fields, in the order of
    # Records.fields: a listpack is searched from its start).
    keys=()
    # The shared keys WriteBatcher sends a batch of records (WriteArgs.SHARED, Keys.writeShared()).
    for k in due:lease due:deadline state:PENDING state:RUNNING; do
        keys+=("$ns:$k")
    done
    argv=(1700000005000 "${cluster:+#}$ns:events" "$n")
    for j in $(seq 1 "$n"); do
        if [[ -n $one_job && $j -gt 1 ]]; then
            argv+=(=i "item-__rand_int__" S) # (on the job of the call before: no keys)
            continue
        fi
        id=$(printf '01a242ea-21c4-78a0-98a4-%012d' "$j")
        cli HSET "$ns:job:$id" state RUNNING parts 0 total 0 succeeded 0 failed 0 updatedAt 1700000000000 rateAcc 0 \
            startedAt 1700000000000 rateAt 1700000000000 tolerated 0 settled 0 id "$id" name bench metadata '{}' \
            createdAt 1700000000000 createdBy 1398c9fb-f56e-4d4c-98d3-adb1b9677f65:1 >/dev/null
        keys+=("$ns:job:$id" "$ns:item-reasons:$id" "$ns:items-ok:$id" "$ns:items-failed:$id")
        argv+=(i "item-__rand_int__" S)
    done
    per_call=$(count FCALL tally_bench_write "${#keys[@]}" "${keys[@]}" "${argv[@]}")
    awk -v n="$n" -v c="$per_call" -v m="$minimal" -v on="${one_job:+one job}" -v layout="${cluster:+ (Cluster layout)}" \
        'BEGIN { printf "| write function%s, keyed records on %s | %d | %d | %d | %.2f |\n", layout, on ? on : "their own jobs", n, c, c / n, c / n / m }'
done
