#!/usr/bin/env bash
# Builds a fresh Maven project from the README snippets only (tally-bom + one store artifact + the quick start) and
# runs it on SQLite, PostgreSQL and Redis, against a local repository holding nothing of Tally but what this checkout
# installs. Checks: it compiles as pasted, prints the quick start's counts, prints no DEBUG line, and neither it nor
# tally-runner brings a logging backend.
#
#   scripts/check-readme-snippets.sh            # third-party artifacts from ~/.m2/repository (copied, resolved offline)
#   MAVEN_REPO_SOURCE=/tmp/m2 scripts/check-readme-snippets.sh
#
# Services: PostgreSQL at TALLY_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test, its own schema,
# dropped after), Redis at TALLY_TEST_REDIS_URL (default redis://127.0.0.1:6379, its own namespace; no FLUSHALL).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SOURCE_REPO=${MAVEN_REPO_SOURCE:-$HOME/.m2/repository}
PG=${TALLY_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}
REDIS=${TALLY_TEST_REDIS_URL:-redis://127.0.0.1:6379}
WORK=$(mktemp -d /tmp/tally-readme-check.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
start=$(date +%s)
fail() { echo "check-readme-snippets: FAIL: $*" >&2; exit 1; }

# 1. A clean local repository: the third-party artifacts of the source repository, no io.tally at all.
cp -r "$SOURCE_REPO" "$WORK/repo"
rm -rf "$WORK/repo/io/tally"
MVN=(mvn -B -q -o -Dmaven.repo.local="$WORK/repo")
"${MVN[@]}" install -DskipTests -Djacoco.skip=true -Dspotless.check.skip=true \
    -pl tally-bom,tally-sqlite,tally-postgresql,tally-redis,tally-runner -am

# 2. tally-runner brings no logging backend at compile or runtime scope.
"${MVN[@]}" dependency:tree -pl tally-runner -DoutputFile="$WORK/runner-tree.txt" >/dev/null
if grep -E 'logback-classic|slf4j-simple|slf4j-reload4j|log4j-slf4j2?-impl|slf4j-jdk14' "$WORK/runner-tree.txt" \
        | grep -E ':(compile|runtime)'; then
    fail "tally-runner brings a logging backend"
fi

# 3. The snippets, between <!-- snippet:NAME --> and <!-- /snippet --> in the READMEs, without the code fence.
snippet() { # FILE NAME
    awk -v name="$2" '
        $0 == "<!-- snippet:" name " -->" { on = 1; found = 1; next }
        on && $0 == "<!-- /snippet -->" { on = 0; next }
        on && !/^```/ { print }
        END { if (!found) exit 1 }' "$ROOT/$1" || fail "no snippet $2 in $1"
}

scratch() { # NAME URL STORE-SNIPPET... (FILE:NAME)
    local name=$1 url=$2; shift 2
    local dir="$WORK/$name" deps=""
    mkdir -p "$dir/src/main/java"
    for s in "$@"; do deps+="$(snippet "${s%%:*}" "${s#*:}")"$'\n'; done
    cat > "$dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>readme-$name</artifactId>
  <version>1</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
$(snippet README.md bom)
  <dependencies>
$deps
  </dependencies>
  <build><plugins><plugin>
    <groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>3.14.0</version>
  </plugin></plugins></build>
</project>
POM
    snippet README.md quickstart > "$dir/src/main/java/QuickStart.java"
    (cd "$dir" && "${MVN[@]}" compile \
        org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath -Dmdep.outputFile=cp.txt) \
        || fail "$name: the project made of the snippets does not build"
    if tr ':' '\n' < "$dir/cp.txt" | grep -E 'logback-classic|slf4j-simple|slf4j-reload4j|log4j-slf4j2?-impl'; then
        fail "$name: a logging backend came with Tally"
    fi
    java -cp "$dir/target/classes:$(cat "$dir/cp.txt")" QuickStart "$url" > "$dir/out.txt" 2>&1 \
        || { cat "$dir/out.txt"; fail "$name: the quick start failed"; }
    grep -q '^1 succeeded, 1 failed, 8 pending$' "$dir/out.txt" || { cat "$dir/out.txt"; fail "$name: wrong output"; }
    if grep -q 'DEBUG' "$dir/out.txt"; then cat "$dir/out.txt"; fail "$name: DEBUG lines"; fi
    echo "check-readme-snippets: $name OK ($(wc -l < "$dir/out.txt") output lines)"
}

SCHEMA=readme_check_$$
NAMESPACE=readme-check-$$
sep() { [[ $1 == *\?* ]] && echo "&" || echo "?"; }
scratch sqlite "sqlite:$WORK/quickstart.db" README.md:store-sqlite
scratch postgresql "$PG$(sep "$PG")schema=$SCHEMA" tally-jdbc/README.md:store-postgresql
scratch redis "$REDIS$(sep "$REDIS")namespace=$NAMESPACE" tally-redis/README.md:store-redis tally-runner/README.md:runner

# Leave the services as they were: the schema, and the namespace's keys (found by their own prefix, not all keys).
if command -v psql >/dev/null; then
    psql -q "${PG/postgresql:/postgres:}" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true
fi
if command -v redis-cli >/dev/null; then
    redis-cli -u "$REDIS" --scan --pattern "{$NAMESPACE}*" | xargs -r redis-cli -u "$REDIS" DEL >/dev/null || true
fi
echo "check-readme-snippets: OK in $(( $(date +%s) - start )) s"
