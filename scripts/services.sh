#!/usr/bin/env bash
# Starts whichever of the services Tally's tests use is not running: PostgreSQL (127.0.0.1:5432),
# MariaDB (127.0.0.1:3306), Redis (127.0.0.1:6379), RabbitMQ (127.0.0.1:5672), NATS with JetStream
# (127.0.0.1:4222), dynalite (a DynamoDB-compatible server from npm, on a free port written to
# $TALLY_DYNALITE_DIR/port) and ElasticMQ (an SQS-compatible server from Maven Central, on a free port written to
# $TALLY_ELASTICMQ_DIR/port), installing the Debian packages first if they are missing, plus
# chromium/chromium-driver for the browser tests. Safe to run again: running services are left alone.
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

# The databases the tests use ('test' on both servers); creating them again is harmless.
if command -v psql >/dev/null; then
    psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" 2>/dev/null | grep -q 1 \
        || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null 2>&1 || true
fi
if command -v mariadb >/dev/null; then
    mariadb -h 127.0.0.1 -u root -e "CREATE DATABASE IF NOT EXISTS test" >/dev/null 2>&1 || true
fi
