#!/usr/bin/env bash
# Runs the Redis store benchmarks (io.tally.bench.RedisBench): Tally's recordSuccess (anonymous and keyed, blocking and async),
# completePart, progress() reads and the batch APIs at 1, 16 and 256 calls in flight, next to redis-benchmark (the
# minimal progress script by EVALSHA, and a plain HINCRBY) and a bare Lettuce client running that script, all against
# the same server in one run; prints the markdown table for docs/benchmarks.md ("## Redis store").
# Redis: TALLY_TEST_REDIS_URL or redis://127.0.0.1:6379 (redis-benchmark from PATH); everything lives in the scratch
# namespace "tally-bench" whose keys are removed before and after the run.
# Usage: scripts/bench-redis.sh [--secs=10] [--warmup=3] [--clients=1,16,256] [--batch-clients=1,16] [--batch=1000]
#        [--namespace=tally-bench] [--only=raw,anonymous,keyed,part,progress,batch]
set -euo pipefail
cd "$(dirname "$0")/.."
# -f, not -pl: the root pom lists modules that may not build yet.
if [ -z "${SKIP_BUILD:-}" ]; then
    for m in tally-core tally-store-tck tally-redis; do
        mvn -q -B -ntp install -DskipTests -Djacoco.skip=true -f "$m/pom.xml"
    done
    mvn -q -B -ntp package -DskipTests -Djacoco.skip=true -f tally-bench/pom.xml
fi
command -v redis-benchmark >/dev/null || { echo "redis-benchmark is not on PATH" >&2; exit 1; }
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); busiest processes:" >&2
ps -eo pcpu,comm --sort=-pcpu | head -6 >&2
java -Xms1g -cp tally-bench/target/benchmarks.jar io.tally.bench.RedisBench "$@"
