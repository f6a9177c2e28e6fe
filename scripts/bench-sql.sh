#!/usr/bin/env bash
# Runs the SQL store benchmarks (io.tally.bench.SqlBench): Tally on PostgreSQL next to pgbench, and on SQLite next to a
# raw JDBC loop, measured in one run; prints the markdown table for docs/benchmarks.md ("## SQL stores").
# PostgreSQL: TALLY_TEST_POSTGRES_URL or postgresql://postgres@127.0.0.1:5432/test (pgbench from PATH or
# /usr/lib/postgresql/*/bin, or PGBENCH=...); tables live in a scratch schema dropped at the end.
# Usage: scripts/bench-sql.sh [--secs=12] [--warmup=3] [--clients=1,16,64] [--sqlite-clients=1,16]
#        [--batch-clients=1,16] [--batch=1000] [--no-pg] [--no-sqlite] [--only=anonymous,keyed,part,batch,variants]
set -euo pipefail
cd "$(dirname "$0")/.."
# -f, not -pl: the root pom lists modules that may not build yet.
for m in tally-core tally-store-tck tally-jdbc; do
    mvn -q -B -ntp install -DskipTests -Djacoco.skip=true -f "$m/pom.xml"
done
mvn -q -B -ntp package -DskipTests -Djacoco.skip=true -f tally-bench/pom.xml
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); busiest processes:" >&2
ps -eo pcpu,comm --sort=-pcpu | head -6 >&2
java -Xms1g -cp tally-bench/target/benchmarks.jar io.tally.bench.SqlBench "$@"
