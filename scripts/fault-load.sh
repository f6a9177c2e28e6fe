#!/usr/bin/env bash
# Tally's fault and load suite (scripts/FaultLoad.java), loopback only and bounded (about a minute in all):
#   kill-sqlite, kill-postgresql  64 HTTP writers for 10 s, the server killed with SIGKILL at 6 s and restarted; every
#                                 acknowledged increment stored, keyed items exact after retries, SQLite integrity_check
#   sse                           500 event streams held open while the API answers creates and progress
#   slow                          200 slow half-open connections while /health is polled on new connections
#   two-servers                   two `tally serve` on one SQLite file, every part completed through both: one `last`
#   rollup                        a parent with 3,000 children read against a plain job (target: within 3x)
# It starts its own `tally serve` processes from tally-cli/target/tally.jar (built here when missing) and kills them,
# deletes its temporary files and drops its PostgreSQL tables on every exit. PostgreSQL: --pg=URL, else
# TALLY_TEST_POSTGRES_URL, else postgresql://postgres@127.0.0.1:5432/test. docs/fault-and-load.md has the figures.
# Usage: scripts/fault-load.sh [--markdown] [--secs=10] [--writers=64] [--kill-at=6] [--streams=500] [--slow=200]
#        [--slow-bodies=50] [--health-secs=10] [--health-rate=5] [--pg=URL] [scenario…]   (--help: every option)
# Exit: 0 all checks passed, 1 a correctness check failed, 2 usage or set-up error, 3 only a service target missed.
set -euo pipefail
cd "$(dirname "$0")/.."
jar=tally-cli/target/tally.jar
if [[ ! -f "$jar" ]]; then
    echo "fault-load: building $jar…" >&2
    mvn -q -B -ntp install -DskipTests -Djacoco.skip=true -pl tally-cli -am >&2
fi
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); busiest processes:" >&2
ps -eo pcpu,comm --sort=-pcpu | head -6 >&2
# Java 17 runs the single source file directly; the shaded jar brings Jackson and the SQLite and PostgreSQL drivers.
exec java -Xss512k -Xmx1g -cp "$jar" scripts/FaultLoad.java "$@"
