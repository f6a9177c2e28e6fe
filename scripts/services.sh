#!/usr/bin/env bash
# Starts whichever of the services Tally's tests use is not running: PostgreSQL (127.0.0.1:5432),
# MariaDB (127.0.0.1:3306), Redis (127.0.0.1:6379), RabbitMQ (127.0.0.1:5672), NATS with JetStream
# (127.0.0.1:4222), dynalite (a DynamoDB-compatible server from npm, on a free port written to
# $TALLY_DYNALITE_DIR/port) and ElasticMQ (an SQS-compatible server from Maven Central, on a free port written to
# $TALLY_ELASTICMQ_DIR/port) and a Redis Cluster of six nodes (three masters, three replicas, on free ports written to
# $TALLY_REDIS_CLUSTER_DIR/ports, its Tally URL to $TALLY_REDIS_CLUSTER_DIR/url), installing the Debian packages first
# if they are missing, plus chromium/chromium-driver for the browser tests. Safe to run again: running services are left
# alone.
set -euo pipefail

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {
    local name=$1 port=$2
    for _ in $(seq 1 60); do
        if up "$port"; then
            echo "services: $name is up on 127.0.0.1:$port"
            return 0
        fi
        sleep 0.5
    done
    echo "services: $name did not come up on 127.0.0.1:$port" >&2
    return 1
}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
[ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
command -v rabbitmq-server >/dev/null || missing+=(rabbitmq-server)
[ -x /usr/sbin/nats-server ] || missing+=(nats-server)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
if [ ${#missing[@]} -gt 0 ]; then
    echo "services: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! up 5432; then
    echo "services: starting PostgreSQL"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
if ! up 6379; then
    echo "services: starting Redis"
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no
fi
if ! up 3306; then
    echo "services: starting MariaDB"
    as_root mkdir -p /run/mysqld && as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
    as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
fi

if ! up 5672; then
    echo "services: starting RabbitMQ"
    as_root rabbitmq-server -detached
fi
if ! up 4222; then
    echo "services: starting NATS with JetStream"
    as_root mkdir -p /var/lib/nats-server
    as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
        -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server
fi

# dynalite keeps its tables in memory; it is installed from npm into a folder of its own the first time. Its port is
# the one written to $TALLY_DYNALITE_DIR/port when a server still answers there, else a free one found now.
dynalite_dir=${TALLY_DYNALITE_DIR:-/tmp/tally-dynalite}
mkdir -p "$dynalite_dir"
dynalite_port=$(cat "$dynalite_dir/port" 2>/dev/null || true)
if [ -z "$dynalite_port" ] || ! up "$dynalite_port"; then
    if [ ! -x "$dynalite_dir/node_modules/.bin/dynalite" ]; then
        echo "services: installing dynalite with npm into $dynalite_dir"
        (cd "$dynalite_dir" && npm install --silent --no-audit --no-fund --no-save dynalite@4 >/dev/null)
    fi
    dynalite_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    echo "services: starting dynalite on 127.0.0.1:$dynalite_port"
    nohup "$dynalite_dir/node_modules/.bin/dynalite" --host 127.0.0.1 --port "$dynalite_port" \
        >"$dynalite_dir/dynalite.log" 2>&1 &
    echo "$dynalite_port" >"$dynalite_dir/port"
fi

# ElasticMQ keeps its queues in memory; the server and its dependencies are fetched from Maven Central into a folder
# of its own the first time (a pom of two lines and dependency:copy-dependencies). Its port as dynalite's.
elasticmq_version=1.7.1
elasticmq_dir=${TALLY_ELASTICMQ_DIR:-/tmp/tally-elasticmq}
mkdir -p "$elasticmq_dir"
elasticmq_port=$(cat "$elasticmq_dir/port" 2>/dev/null || true)
if [ -z "$elasticmq_port" ] || ! up "$elasticmq_port"; then
    if [ ! -f "$elasticmq_dir/lib/elasticmq-server_2.13-$elasticmq_version.jar" ]; then
        echo "services: fetching ElasticMQ $elasticmq_version from Maven Central into $elasticmq_dir"
        cat >"$elasticmq_dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.tally.services</groupId><artifactId>elasticmq</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.elasticmq</groupId><artifactId>elasticmq-server_2.13</artifactId>
      <version>$elasticmq_version</version></dependency>
  </dependencies>
</project>
POM
        (cd "$elasticmq_dir" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime \
            -DoutputDirectory=lib >"$elasticmq_dir/fetch.log" 2>&1) \
            || { cat "$elasticmq_dir/fetch.log" >&2; exit 1; }
    fi
    elasticmq_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat >"$elasticmq_dir/elasticmq.conf" <<CONF
include classpath("application.conf")
node-address { protocol = http, host = 127.0.0.1, port = $elasticmq_port, context-path = "" }
rest-sqs { enabled = true, bind-port = $elasticmq_port, bind-hostname = "127.0.0.1", sqs-limits = strict }
rest-stats.enabled = false
CONF
    echo "services: starting ElasticMQ on 127.0.0.1:$elasticmq_port"
    nohup java -Xmx256m -Dconfig.file="$elasticmq_dir/elasticmq.conf" -cp "$elasticmq_dir/lib/*" \
        org.elasticmq.server.Main >"$elasticmq_dir/elasticmq.log" 2>&1 &
    echo "$elasticmq_port" >"$elasticmq_dir/port"
fi

wait_for PostgreSQL 5432
wait_for Redis 6379
wait_for MariaDB 3306
wait_for RabbitMQ 5672
wait_for NATS 4222
wait_for dynalite "$dynalite_port"
wait_for ElasticMQ "$elasticmq_port"

# The Redis Cluster: six nodes on 127.0.0.1, each with a folder of its own under $TALLY_REDIS_CLUSTER_DIR named by its
# port (nodes.conf, redis.log, redis.pid), joined by redis-cli --cluster create into three masters with a replica each.
# A cluster whose url was written, that is ok with three masters and whose six nodes answer is left alone; anything
# else (a node gone, a half-made cluster) is stopped (our nodes only: by the pid files in our folders) and made anew.
# Ports: 7101-7106 (cluster bus 17101-17106) if all twelve are free, else the first free set of 7201-7206, 7301-7306, …
# cluster-node-timeout is 2 s, so that failover tests run fast.
cluster_dir=${TALLY_REDIS_CLUSTER_DIR:-/tmp/tally-redis-cluster}
mkdir -p "$cluster_dir"
cluster_ports=()
[ -f "$cluster_dir/ports" ] && read -r -a cluster_ports <"$cluster_dir/ports" || true

# The answer of the node on port $1 to the command in the other arguments, lines without their \r; empty if it does
# not answer within 3 s.
node() { local port=$1; shift; { timeout 3 redis-cli -p "$port" "$@" 2>/dev/null || true; } | tr -d '\r'; }
# The value of field $2 in the INFO-style text $1.
field() { sed -n "s/^$2://p" <<<"$1"; }
# Runs "$@" every half second until it succeeds, 60 times at most.
poll() { for _ in $(seq 1 60); do "$@" && return 0; sleep 0.5; done; return 1; }

cluster_healthy() {
    local info port
    [ -f "$cluster_dir/url" ] && [ ${#cluster_ports[@]} -eq 6 ] || return 1
    info=$(node "${cluster_ports[0]}" cluster info)
    [ "$(field "$info" cluster_state)" = ok ] && [ "$(field "$info" cluster_size)" = 3 ] || return 1
    for port in "${cluster_ports[@]}"; do
        [ "$(node "$port" ping)" = PONG ] || return 1
    done
}

# Every node is ok and three of them are replicas whose link to their master is up.
cluster_ready() {
    local port info replicas=0
    for port in "${cluster_ports[@]}"; do
        [ "$(field "$(node "$port" cluster info)" cluster_state)" = ok ] || return 1
        info=$(node "$port" info replication)
        if [ "$(field "$info" role)" = slave ]; then
            [ "$(field "$info" master_link_status)" = up ] || return 1
            replicas=$((replicas + 1))
        fi
    done
    [ "$replicas" -eq 3 ]
}

all_answer() {
    local port
    for port in "${cluster_ports[@]}"; do [ "$(node "$port" ping)" = PONG ] || return 1; done
}

# Stops the node of ours in folder $1 (named by its port): the process of its pid file, else the pid the node on that
# port reports if its nodes.conf is the one in this folder, and only if that process is a redis-server on that port.
stop_node() {
    local dir=${1%/} port pid
    port=${dir##*/}
    pid=$(cat "$dir/redis.pid" 2>/dev/null || true)
    if [ -z "$pid" ] && [ "$(node "$port" config get cluster-config-file | sed -n 2p)" = "$dir/nodes.conf" ]; then
        pid=$(field "$(node "$port" info server)" process_id)
    fi
    [ -n "$pid" ] && grep -qa "redis-server.*:$port" "/proc/$pid/cmdline" 2>/dev/null || return 0
    echo "services: stopping the Redis Cluster node on 127.0.0.1:$port"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.25
    done
    kill -9 "$pid" 2>/dev/null || true
}

# The first of 7101, 7201, … 7901 whose six ports and their bus ports (+10000) nothing listens on.
free_cluster_base() {
    local base port
    for base in $(seq 7101 100 7901); do
        for port in $(seq "$base" $((base + 5))); do
            if up "$port" || up $((port + 10000)); then continue 2; fi
        done
        echo "$base"
        return 0
    done
    return 1
}

if cluster_healthy; then
    echo "services: Redis Cluster is up on 127.0.0.1:${cluster_ports[0]}..${cluster_ports[5]}"
else
    for node_dir in "$cluster_dir"/[0-9]*/; do
        [ -d "$node_dir" ] || continue
        stop_node "$node_dir"
        rm -rf "$node_dir"
    done
    rm -f "$cluster_dir/url" "$cluster_dir/ports"
    cluster_base=$(free_cluster_base) || { echo "services: no free ports for the Redis Cluster in 7101-7906" >&2; exit 1; }
    mapfile -t cluster_ports < <(seq "$cluster_base" $((cluster_base + 5)))
    echo "${cluster_ports[*]}" >"$cluster_dir/ports"
    echo "services: starting a Redis Cluster on 127.0.0.1:${cluster_ports[0]}..${cluster_ports[5]}"
    cluster_addrs=()
    for port in "${cluster_ports[@]}"; do
        mkdir -p "$cluster_dir/$port"
        redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --cluster-enabled yes \
            --cluster-config-file "$cluster_dir/$port/nodes.conf" --cluster-node-timeout 2000 --save "" \
            --appendonly no --dir "$cluster_dir/$port" --logfile "$cluster_dir/$port/redis.log" \
            --pidfile "$cluster_dir/$port/redis.pid" --protected-mode no
        cluster_addrs+=("127.0.0.1:$port")
    done
    poll all_answer || { echo "services: the Redis Cluster nodes did not start (see $cluster_dir/*/redis.log)" >&2; exit 1; }
    timeout 60 redis-cli --cluster create "${cluster_addrs[@]}" --cluster-replicas 1 --cluster-yes \
        >"$cluster_dir/create.log" 2>&1 || { cat "$cluster_dir/create.log" >&2; exit 1; }
    poll cluster_ready || { echo "services: the Redis Cluster did not become ok (see $cluster_dir)" >&2; exit 1; }
    echo "redis-cluster://$(IFS=,; echo "${cluster_addrs[*]}")" >"$cluster_dir/url"
    echo "services: Redis Cluster is up on 127.0.0.1:${cluster_ports[0]}..${cluster_ports[5]}"
fi

# The databases the tests use ('test' on both servers); creating them again is harmless.
if command -v psql >/dev/null; then
    psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" 2>/dev/null | grep -q 1 \
        || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null 2>&1 || true
fi
if command -v mariadb >/dev/null; then
    mariadb -h 127.0.0.1 -u root -e "CREATE DATABASE IF NOT EXISTS test" >/dev/null 2>&1 || true
fi
