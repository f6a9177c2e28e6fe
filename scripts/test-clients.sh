#!/usr/bin/env bash
# Runs the test suites of the HTTP clients (clients/python with unittest, clients/js with node --test) against a real
# `tally serve`, which each suite starts itself on a free port with a temporary SQLite store.
#
# Needs tally-cli/target/tally.jar (built by `mvn verify` / `mvn install`; built here when missing, or set TALLY_JAR),
# Java 17, Python 3.9+ (PYTHON, default python3) and Node 20+ (NODE, default node). Both suites run; the exit status is
# non-zero when either failed.
set -euo pipefail
cd "$(dirname "$0")/.."

export TALLY_JAR="${TALLY_JAR:-$PWD/tally-cli/target/tally.jar}"
PYTHON="${PYTHON:-python3}"
NODE="${NODE:-node}"

if [[ ! -f "$TALLY_JAR" ]]; then
    echo "test-clients: building $TALLY_JAR" >&2
    mvn -q -B install -DskipTests -Djacoco.skip=true -pl tally-cli -am >&2
fi
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else "test-clients: Python 3.9+ needed, found " + sys.version)'
"$NODE" -e 'const m = +process.versions.node.split(".")[0]; if (m < 20) { console.error("test-clients: Node 20+ needed, found " + process.version); process.exit(1); }'

status=0
echo "test-clients: Python client ($("$PYTHON" --version 2>&1))"
(cd clients/python && PYTHONDONTWRITEBYTECODE=1 "$PYTHON" -m unittest discover -s tests -v) || status=1
echo "test-clients: JavaScript client (Node $("$NODE" --version))"
(cd clients/js && "$NODE" --test test/) || status=1
if [[ $status -ne 0 ]]; then
    echo "test-clients: FAILED" >&2
fi
exit $status
