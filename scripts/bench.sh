#!/usr/bin/env bash
# Runs the JMH benchmarks and prints the markdown table for docs/benchmarks.md (Tally next to the raw limit
# measured in the same run). Usage: scripts/bench.sh [JMH regexp] — e.g. scripts/bench.sh Tick
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -ntp install -DskipTests -Djacoco.skip=true -pl tally-bench -am
out=target/bench
mkdir -p "$out"
java -jar tally-bench/target/benchmarks.jar -f 1 -wi 3 -w 2 -i 5 -r 2 -rf json -rff "$out/result.json" "${1:-.}"
java -cp tally-bench/target/benchmarks.jar io.tally.bench.BenchReport "$out/result.json"
