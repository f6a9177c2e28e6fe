#!/usr/bin/env bash
# A job and a watchbot (map-reduce) job done with the tally command alone, as a shell worker would.
# Usage: scripts/cli-worker-example.sh [STORE_URL]   (default: $TALLY_STORE, else sqlite:tally.db)
# TALLY names the command to run (default: ./tally beside this folder). Prints the two jobs' info as JSON, one per line.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tally=(${TALLY:-"$here/tally"})
if [[ $# -gt 0 ]]; then export TALLY_STORE="$1"; fi

# A job: created with a timeout, started, progress per batch, logs, finished with a result.
id=$("${tally[@]}" create --name import --total 3 --timeout 10m --heartbeat 1m)
"${tally[@]}" start "$id" >/dev/null
for batch in 1 2 3; do
    "${tally[@]}" progress "$id" --succeeded 1 --message "batch $batch of 3" >/dev/null
    "${tally[@]}" logs "$id" --append "imported batch $batch"
done
"${tally[@]}" finish "$id" --result '{"rows":300}' >/dev/null
"${tally[@]}" info "$id" --json

# A watchbot job: three parts; each worker logs its part's result and completes it; the completion that answers
# "last":true runs the reduce as the child job ID:reduce (tally-runner's convention, so tally info shows it).
mr=$(printf '{"tile":"a"}\n{"tile":"b"}\n{"tile":"c"}\n' | "${tally[@]}" create --name tiles --parts - --timeout 10m)
for part in $("${tally[@]}" pending "$mr"); do
    "${tally[@]}" logs "$mr" --append "{\"part\":$part,\"result\":$((part * 10))}" --level RESULT --logger "tally.part.$part"
    if "${tally[@]}" complete "$mr" "$part" | grep -q '"last":true'; then
        "${tally[@]}" create --id "$mr:reduce" --name tiles:reduce --parent "$mr" --start >/dev/null
        "${tally[@]}" finish "$mr:reduce" --result '{"sum":30}' >/dev/null
    fi
done
"${tally[@]}" info "$mr" --json
