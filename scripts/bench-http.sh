#!/usr/bin/env bash
# HTTP API throughput of `tally serve`, measured with wrk against the server's own floor in the same run: a 404 on an
# unknown /api/ path (routing, the guards and a JSON error, no store) beside `GET /api/jobs/{id}` (one read and the
# job's JSON), `POST /api/jobs/{id}/progress` (one write; its answer is the job after it) and `POST /api/progress` with
# 10 jobs' updates in one request, then the POST again while one client follows the server's event stream
# (`GET /api/events`, as a dashboard does). Rounds run floor, GET, POST, batch, subscribed POST in turn, so a change in
# the machine's speed touches all of them; the table has each one's median and its ratio to the floor's (the
# subscribed POST's to the POST's). After the write rounds the stored counts are checked
# against the 2xx answers: every acknowledged increment stored (at most the requests still in flight when wrk
# stopped may be stored beyond them).
# Stores: sqlite (a temporary file), postgresql (TALLY_TEST_POSTGRES_URL or postgresql://postgres@127.0.0.1:5432/test,
# in tables of its own, dropped afterwards) and redis (TALLY_TEST_REDIS_URL or redis://127.0.0.1:6379, in a namespace
# of its own, deleted afterwards).
# Each store's server is warmed up first (every path once for --warmup seconds, its writes counted like the others).
# Usage: scripts/bench-http.sh [--rounds=3] [--secs=8] [--warmup=5] [--connections=16] [--stores=sqlite,postgresql,redis]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3 secs=8 warmup=5 conns=16 stores=sqlite,postgresql,redis
for a in "$@"; do
    case "$a" in
        --rounds=*) rounds=${a#*=} ;;
        --secs=*) secs=${a#*=} ;;
        --warmup=*) warmup=${a#*=} ;;
        --connections=*) conns=${a#*=} ;;
        --stores=*) stores=${a#*=} ;;
        *) echo "bench-http: unknown option $a" >&2; exit 2 ;;
    esac
done
command -v wrk >/dev/null || { echo "bench-http: wrk is not on PATH (apt-get install wrk)" >&2; exit 2; }
jar=tally-cli/target/tally.jar
[[ -f "$jar" ]] || mvn -q -B -ntp install -DskipTests -Djacoco.skip=true -pl tally-cli -am >&2
work=$(mktemp -d)
server=""
cleanup() {
    [[ -n "$server" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
cat >"$work/post.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BODY")
EOF

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# wrk's requests per second and its 2xx count (requests minus the non-2xx and errors it reports)
run_wrk() {
    local out
    out=$(BODY="${2:-}" wrk -t1 -c"$conns" -d"${3:-$secs}s" ${2:+-s "$work/post.lua"} "$base$1")
    local rps reqs bad
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    reqs=$(awk '/requests in/ {print $1}' <<<"$out")
    bad=$(awk '/Non-2xx/ {print $5}' <<<"$out")
    echo "$rps ${reqs:-0} ${bad:-0}"
}

median() { tr ' ' '\n' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "| store | floor (404) req/s | GET job req/s (÷ floor) | POST progress req/s (÷ floor) | POST /api/progress ×10 req/s (÷ floor), updates/s | POST progress, one event stream open req/s (÷ POST) | 2xx acknowledged / stored |"
echo "|---|---|---|---|---|---|---|"
IFS=, read -ra list <<<"$stores"
for store in "${list[@]}"; do
    case "$store" in
        sqlite) url="sqlite:$work/bench.db" ;;
        postgresql)
            pg=${TALLY_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}
            prefix="bench_http_$$_"
            url="$pg?tablePrefix=$prefix"
            ;;
        redis)
            redis=${TALLY_TEST_REDIS_URL:-redis://127.0.0.1:6379}
            namespace="bench_http_$$"
            url="$redis?namespace=$namespace"
            ;;
        *) echo "bench-http: unknown store $store" >&2; exit 2 ;;
    esac
    java -jar "$jar" serve --port "$port" --store "$url" >"$work/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 1 120); do curl -sf "$base/health" >/dev/null && break; sleep 0.25; done
    job=$(curl -sf -H 'Content-Type: application/json' -d '{"name":"bench","start":true}' "$base/api/jobs" | json "['id']")
    batch_ids=()
    for i in $(seq 1 10); do
        batch_ids+=("$(curl -sf -H 'Content-Type: application/json' -d '{"name":"bench-batch","start":true}' \
            "$base/api/jobs" | json "['id']")")
    done
    batch=$(printf '{"id":"%s","succeeded":1},' "${batch_ids[@]}")
    batch="{\"updates\":[${batch%,}]}"
    floor=() get=() post=() many=() watched=()
    acked=0
    batch_acked=0
    run_wrk /api/no-such-route "" "$warmup" >/dev/null
    run_wrk "/api/jobs/$job" "" "$warmup" >/dev/null
    read -r _ reqs bad < <(run_wrk "/api/jobs/$job/progress" '{"succeeded":1}' "$warmup")
    acked=$((acked + reqs - bad))
    read -r _ reqs bad < <(run_wrk /api/progress "$batch" "$warmup")
    batch_acked=$((batch_acked + reqs - bad))
    for r in $(seq 1 "$rounds"); do
        read -r rps _ _ < <(run_wrk /api/no-such-route); floor+=("$rps")
        read -r rps _ _ < <(run_wrk "/api/jobs/$job"); get+=("$rps")
        read -r rps reqs bad < <(run_wrk "/api/jobs/$job/progress" '{"succeeded":1}'); post+=("$rps")
        acked=$((acked + reqs - bad))
        read -r rps reqs bad < <(run_wrk /api/progress "$batch"); many+=("$rps")
        batch_acked=$((batch_acked + reqs - bad))
        curl -sN "$base/api/events" >"$work/events.txt" &
        follower=$!
        for _ in $(seq 1 40); do [[ -s "$work/events.txt" ]] && break; sleep 0.05; done # its snapshot: following
        read -r rps reqs bad < <(run_wrk "/api/jobs/$job/progress" '{"succeeded":1}'); watched+=("$rps")
        acked=$((acked + reqs - bad))
        kill "$follower"; wait "$follower" 2>/dev/null || true
        (($(grep -c '^id:' "$work/events.txt") > 1)) || { echo "bench-http: the event stream heard no write" >&2; exit 1; }
    done
    stored=$(curl -sf "$base/api/jobs/$job" | json "['succeeded']")
    batch_stored=0
    for id in "${batch_ids[@]}"; do
        batch_stored=$((batch_stored + $(curl -sf "$base/api/jobs/$id" | json "['succeeded']")))
    done
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
    if [[ "$store" == postgresql ]]; then
        for t in items parts logs events jobs schema_version; do
            psql "${pg}" -qc "DROP TABLE IF EXISTS ${prefix}${t} CASCADE" >/dev/null 2>&1 || true
        done
    elif [[ "$store" == redis ]]; then
        redis-cli -u "$redis" --scan --pattern "{$namespace}*" | xargs -r redis-cli -u "$redis" del >/dev/null
    fi
    f=$(printf '%s ' "${floor[@]}" | median)
    g=$(printf '%s ' "${get[@]}" | median)
    p=$(printf '%s ' "${post[@]}" | median)
    m=$(printf '%s ' "${many[@]}" | median)
    w=$(printf '%s ' "${watched[@]}" | median)
    python3 - "$store" "$f" "$g" "$p" "$m" "$w" "$acked" "$stored" "$batch_acked" "$batch_stored" <<'EOF'
import sys
store, f, g, p, m, w = sys.argv[1], *map(float, sys.argv[2:7])
acked, stored, backed, bstored = map(int, sys.argv[7:11])
lost = acked > stored or backed * 10 > bstored
print(f"| {store} | {f:,.0f} | {g:,.0f} ({g / f:.2f}) | {p:,.0f} ({p / f:.2f}) | {m:,.0f} ({m / f:.2f}), {m * 10:,.0f} |"
      f" {w:,.0f} ({w / p:.2f}) | {acked:,} / {stored:,}; batch {backed * 10:,} / {bstored:,}{' **LOST**' if lost else ''} |")
sys.exit(1 if lost else 0)
EOF
done
echo "($(date -u +%Y-%m-%dT%H:%MZ), wrk -t1 -c$conns -d${secs}s, $rounds rounds, medians; load after: $(cut -d' ' -f1-3 /proc/loadavg))"
