#!/usr/bin/env bash
# Tally against BullMQ on one Redis: BullMQ 5's job.updateProgress with 16 calls in flight from one Node process
# (scripts/bench/bullmq-progress.mjs; BullMQ installed with npm into a scratch folder) beside Tally's async records
# and part completions with 16 lanes and a bare Lettuce client running the minimal progress script
# (io.tally.bench.RedisBench --only=raw,anonymous,keyed,part --clients=16), in alternating rounds so that a change in
# the machine's speed touches both. Prints a markdown table of the medians and the ratios to BullMQ.
# Redis: TALLY_TEST_REDIS_URL or redis://127.0.0.1:6379; BullMQ's keys live under the prefix tally-bench-bullmq,
# Tally's in the namespace tally-bench; both are removed afterwards.
# Usage: scripts/bench-bullmq.sh [--rounds=3] [--secs=5] [--warmup=2]   (BULLMQ_DIR: where to install BullMQ)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3 secs=5 warmup=2
for a in "$@"; do
    case "$a" in
        --rounds=*) rounds=${a#*=} ;;
        --secs=*) secs=${a#*=} ;;
        --warmup=*) warmup=${a#*=} ;;
        *) echo "bench-bullmq: unknown option $a" >&2; exit 2 ;;
    esac
done
url=${TALLY_TEST_REDIS_URL:-redis://127.0.0.1:6379}
dir=${BULLMQ_DIR:-${TMPDIR:-/tmp}/tally-bench-bullmq}
mkdir -p "$dir"
if [[ ! -d "$dir/node_modules/bullmq" ]]; then
    echo "bench-bullmq: installing bullmq@5 with npm into $dir" >&2
    (cd "$dir" && npm install --silent --no-audit --no-fund --no-save bullmq@5 >/dev/null)
fi
# ESM resolves packages from the script's own folder
cp scripts/bench/bullmq-progress.mjs "$dir/"
[[ -f tally-bench/target/benchmarks.jar ]] || mvn -q -B -ntp package -DskipTests -Djacoco.skip=true -f tally-bench/pom.xml
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

bull=() anon=() keyed=() part=() lettuce=()
# the ops/s of a RedisBench row (its third column)
cell() { awk -F'|' -v op="$1" 'index($2, op) == 2 && $3 ~ /16/ {gsub(/[ ,]/, "", $4); print $4; exit}' <<<"$2"; }
for r in $(seq 1 "$rounds"); do
    bull+=("$(cd "$dir" && node bullmq-progress.mjs "$url" "$secs" "$warmup" 16 tally-bench-bullmq | awk '{print $2}')")
    out=$(java -Xms1g -cp tally-bench/target/benchmarks.jar io.tally.bench.RedisBench --url="$url" --secs="$secs" \
        --warmup="$warmup" --clients=16 --only=raw,anonymous,keyed,part 2>/dev/null)
    anon+=("$(cell '`recordSuccessAsync()` (n lanes)' "$out")")
    keyed+=("$(cell '`recordSuccessAsync(key)` (n lanes)' "$out")")
    part+=("$(cell '`completePartAsync`' "$out")")
    lettuce+=("$(awk -F'|' '$2 ~ /16/ && NF > 5 {gsub(/[ ,]/, "", $4); print $4; exit}' <<<"$(sed -n '/Raw limits/,$p' <<<"$out")")")
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
b=$(printf '%s ' "${bull[@]}" | median)
row() {
    local m
    m=$(printf '%s ' "${@:2}" | median)
    python3 -c "import sys; b, m = float(sys.argv[2]), float(sys.argv[3]); print(f'| {sys.argv[1]} | {m:,.0f} | {m / b:.2f} |')" \
        "$1" "$b" "$m"
}
echo "| 16 in flight, one Redis | calls/s (median of $rounds) | ÷ BullMQ updateProgress |"
echo "|---|---:|---:|"
row "BullMQ 5 \`job.updateProgress\` (one Node process)" "${bull[@]}"
row "Tally \`recordSuccessAsync()\`" "${anon[@]}"
row "Tally \`recordSuccessAsync(key)\`" "${keyed[@]}"
row "Tally \`completePartAsync\`" "${part[@]}"
row "bare Lettuce async, minimal script (HINCRBY + HSET + PUBLISH)" "${lettuce[@]}"
echo "(rounds: BullMQ ${bull[*]}; Tally anonymous ${anon[*]}, keyed ${keyed[*]}, parts ${part[*]}; Lettuce ${lettuce[*]}."
echo " $(date -u +%Y-%m-%dT%H:%MZ); load after: $(cut -d' ' -f1-3 /proc/loadavg))"
