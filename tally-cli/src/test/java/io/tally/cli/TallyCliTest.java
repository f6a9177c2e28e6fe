package io.tally.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.Job;
import io.tally.JobSpec;
import io.tally.StoreUnavailableException;
import io.tally.Tally;
import io.tally.server.JobJson;
import io.tally.server.TallyServer;
import io.tally.testing.TestServices;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** Runs the picocli command line in-process over one shared {@code memory:} store, capturing stdout and stderr. */
class TallyCliTest {
    final Tally shared = Tally.open("memory:");
    final Map<String, String> env = new HashMap<>();
    Function<String, Tally> opener =
            url -> Tally.builder().store(shared.storeSpi()).closeStore(false).build();
    boolean terminal;

    {
        // The commands open the shared store whatever the URL; a memory: URL keeps the SQLite check out of the way.
        env.put("TALLY_STORE", "memory:");
    }

    /** A finished command: exit code and what it printed. */
    record Run(int code, String out, String err) {
        JsonNode json() {
            try {
                return JobJson.MAPPER.readTree(out);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + out, e);
            }
        }
    }

    Run tally(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Console c = new Console(new PrintWriter(out), new PrintWriter(err), terminal, env, opener);
        int code = TallyCli.run(c, args);
        return new Run(code, out.toString(), err.toString());
    }

    @AfterEach
    void close() {
        shared.close();
        CreateCommand.stdin = System.in;
    }

    @Test
    void watchbot_flow_exactly_one_last() throws Exception {
        CreateCommand.stdin = new ByteArrayInputStream(
                "{\"tile\":\"a\"}\n{\"tile\":\"b\"}\n\n{\"tile\":\"c\"}\n".getBytes(StandardCharsets.UTF_8));
        Run created = tally("create", "--name", "watchbot", "--parts", "-");
        assertThat(created.code()).as(created.err()).isZero();
        String id = created.out().trim();
        assertThat(id).matches("[0-9a-f-]{36}");

        Run pending = tally("pending", id);
        assertThat(pending.out()).isEqualTo("0\n1\n2\n");
        assertThat(tally("pending", id, "--array").out().trim()).isEqualTo("[0,1,2]");

        // Three "processes" complete the three parts at once.
        ExecutorService pool = Executors.newFixedThreadPool(3);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Run>> runs = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            String part = Integer.toString(p);
            runs.add(pool.submit(() -> {
                go.await();
                return tally("complete", id, part);
            }));
        }
        go.countDown();
        int lasts = 0;
        for (Future<Run> f : runs) {
            Run r = f.get(30, TimeUnit.SECONDS);
            assertThat(r.code()).as(r.err()).isZero();
            JsonNode j = r.json();
            assertThat(j.has("changed")).isTrue();
            assertThat(j.has("remaining")).isTrue();
            if (j.get("last").asBoolean()) {
                lasts++;
            }
        }
        pool.shutdown();
        assertThat(lasts).isEqualTo(1);
        // A redelivery is not last again.
        assertThat(tally("complete", id, "1").json().get("last").asBoolean()).isFalse();

        Run info = tally("info", id);
        assertThat(info.json().get("state").asText()).isEqualTo("SUCCEEDED");
        terminal = true;
        assertThat(tally("info", id).out()).contains("SUCCEEDED").contains("3/3");
        assertThat(tally("pending", id).out()).isEmpty();
    }

    @Test
    void parts_from_a_json_array_file(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("parts.json");
        Files.writeString(f, "[{\"n\":1},{\"n\":2}]");
        Run r = tally("create", "--name", "file", "--parts", f.toString(), "--scope", "s:1");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(shared.get(r.out().trim()).snapshot().parts()).isEqualTo(2);

        Files.writeString(f, "[1,2]");
        Run bad = tally("create", "--name", "file", "--parts", f.toString());
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("part 0 must be a JSON object");
        Run missing =
                tally("create", "--name", "file", "--parts", dir.resolve("nope").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err().lines()).hasSize(1);
    }

    @Test
    void ls_as_json_and_as_a_table() {
        tally("create", "--name", "one", "--total", "10", "--scope", "user:1", "--start");
        tally("create", "--name", "two", "--scope", "user:2");
        Run json = tally("ls");
        assertThat(json.code()).isZero();
        assertThat(json.json().get("jobs")).hasSize(2);
        assertThat(tally("ls", "--scope", "user:1").json().get("jobs")).hasSize(1);
        assertThat(tally("ls", "--state", "running")
                        .json()
                        .get("jobs")
                        .get(0)
                        .get("name")
                        .asText())
                .isEqualTo("one");

        terminal = true;
        Run table = tally("ls");
        assertThat(table.out())
                .startsWith("ID")
                .contains("NAME")
                .contains("one")
                .contains("0/10 0.0%");
        assertThat(tally("ls", "--json").out()).startsWith("{");
        Run paged = tally("ls", "--limit", "1");
        assertThat(paged.out()).contains("more: tally ls --limit 1 --cursor ");
        Run filtered = tally("ls", "--state", "pending", "--name", "two words", "--limit", "1");
        assertThat(filtered.out()).doesNotContain("more:");
        tally("create", "--name", "two words");
        tally("create", "--name", "two words");
        assertThat(tally("ls", "--state", "pending", "--name", "two words", "--limit", "1", "--store", "memory:")
                        .out())
                .contains("more: tally ls --state PENDING --name 'two words' --limit 1 --store memory: --cursor ");
        // A store URL with a password is not printed: the user's TALLY_STORE or --store has to be given again.
        assertThat(tally("ls", "--limit", "1", "--store", "redis://:secret@127.0.0.1:6379")
                        .out())
                .contains("more: tally ls --limit 1 --cursor ")
                .doesNotContain("secret");
    }

    @Test
    void fail_cancel_sweep() {
        String parts = shared.create(JobSpec.builder()
                        .name("mr")
                        .parts(List.of(Map.of(), Map.of()))
                        .build())
                .id();
        Run failPart = tally("fail", parts, "--part", "1", "--reason", "flaky");
        assertThat(failPart.code()).as(failPart.err()).isZero();
        assertThat(failPart.json().get("remaining").asLong()).isEqualTo(1);
        assertThat(shared.get(parts).snapshot().state().name()).isEqualTo("RUNNING");
        tally("fail", parts, "--part", "0", "--reason", "fatal", "--fail-job");
        assertThat(shared.get(parts).snapshot().state().name()).isEqualTo("FAILED");

        String plain = shared.create(JobSpec.builder().name("p").build()).id();
        Run failJob = tally("fail", plain, "--reason", "broken");
        assertThat(failJob.json().get("state").asText()).isEqualTo("FAILED");
        assertThat(failJob.json().get("error").get("message").asText()).isEqualTo("broken");

        String c =
                shared.create(JobSpec.builder().name("c").start(true).build()).id();
        assertThat(tally("cancel", c).json().get("state").asText()).isEqualTo("CANCELLED");
        Run again = tally("fail", c, "--reason", "late");
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).startsWith("tally: ").contains("CANCELLED");

        Run sweep = tally("sweep");
        assertThat(sweep.code()).isZero();
        assertThat(sweep.json().has("timedOut")).isTrue();
    }

    @Test
    void watch_exits_0_on_success_and_1_otherwise() throws Exception {
        Job job = shared.create(JobSpec.builder().name("w").total(3).start(true).build());
        CompletableFuture<Run> watch =
                CompletableFuture.supplyAsync(() -> tally("watch", job.id(), "--interval", "50"));
        for (int i = 0; i < 3; i++) {
            job.recordSuccess("k" + i);
        }
        job.finish();
        Run ok = watch.get(10, TimeUnit.SECONDS);
        assertThat(ok.code()).as(ok.err()).isZero();
        String[] lines = ok.out().strip().split("\n");
        assertThat(JobJson.MAPPER.readTree(lines[lines.length - 1]).get("state").asText())
                .isEqualTo("SUCCEEDED");

        Job bad = shared.create(JobSpec.builder().name("b").build());
        bad.cancel(null);
        assertThat(tally("watch", bad.id()).code()).isEqualTo(1);

        terminal = true;
        Job done =
                shared.create(JobSpec.builder().name("d").total(2).start(true).build());
        done.recordSuccess();
        done.recordSuccess();
        done.finish();
        Run human = tally("watch", done.id());
        assertThat(human.code()).isZero();
        assertThat(human.out()).contains("SUCCEEDED");
    }

    @Test
    void every_subcommand_has_help() {
        Run create = tally("create", "--help");
        assertThat(create.code()).isZero();
        assertThat(create.out()).contains("Usage: tally create").contains("--name=<name>");
        Run ls = tally("ls", "-h");
        assertThat(ls.code()).isZero();
        assertThat(ls.out()).contains("Usage: tally ls").contains("--state");
        assertThat(tally("info", "--version").out()).contains("tally 0.1.0");
        // Registered alone, a command still gets the inherited options and the help texts of help.properties.
        assertThat(tally("serve", "--help").out()).contains("job definitions (YAML or JSON) to list and build at");
        Run all = tally("--help");
        assertThat(all.out()).contains("progress", "finish", "logs", "stats", "worker");
        assertThat(tally("help", "progress").out()).contains("Usage: tally progress");
    }

    @Test
    void every_option_and_parameter_has_help_text() {
        CommandLine root = TallyCli.commandLine(null);
        List<String> missing = new ArrayList<>();
        for (CommandLine sub : root.getSubcommands().values()) {
            CommandSpec spec = sub.getCommandSpec();
            if (spec.usageMessage().description().length == 0) {
                missing.add(spec.qualifiedName());
            }
            for (OptionSpec o : spec.options()) {
                if (o.description().length == 0 || o.description()[0].isBlank()) {
                    missing.add(spec.qualifiedName() + " " + o.longestName());
                }
            }
            for (PositionalParamSpec p : spec.positionalParameters()) {
                if (p.description().length == 0 || p.description()[0].isBlank()) {
                    missing.add(spec.qualifiedName() + " " + p.paramLabel());
                }
            }
        }
        assertThat(missing).isEmpty();
        assertThat(root.getSubcommands().keySet())
                .contains("start", "progress", "finish", "fail", "cancel", "logs", "delete", "stats");
    }

    @Test
    void watch_shows_one_rate_apart_from_the_state() throws Exception {
        Job job = shared.create(JobSpec.builder().name("w").total(4).start(true).build());
        job.recordSuccess();
        assertThat(WatchCommand.barMessage(job.snapshot())).isEqualTo("RUNNING ok 1 failed 0 rate -");
        job.recordSuccess();
        job.finish();
        java.io.ByteArrayOutputStream bar = new java.io.ByteArrayOutputStream();
        WatchCommand.barStream = new java.io.PrintStream(bar, true, StandardCharsets.UTF_8);
        try {
            terminal = true;
            Run r = tally("watch", job.id());
            assertThat(r.code()).as(r.err()).isZero();
        } finally {
            WatchCommand.barStream = null;
        }
        String drawn = bar.toString(StandardCharsets.UTF_8);
        // One rate (the job's), after the ETA and a space: no progressbar speed such as ".6/sRUNNING".
        assertThat(drawn).contains(") SUCCEEDED ok 2 failed 0 rate ");
        assertThat(drawn).doesNotContainPattern("/s[A-Z]");
    }

    @Test
    void exit_codes_and_one_line_errors() {
        Run missing = tally("info", "no-such-job");
        assertThat(missing.code()).isEqualTo(3);
        assertThat(missing.err().lines()).containsExactly("tally: job not found: no-such-job");
        assertThat(tally("watch", "no-such-job").code()).isEqualTo(3);
        assertThat(tally("complete", "no-such-job", "0").code()).isEqualTo(3);

        Run verbose = tally("info", "no-such-job", "--verbose");
        assertThat(verbose.code()).isEqualTo(3);
        assertThat(verbose.err()).contains("at io.tally");

        assertThat(tally("info").code()).isEqualTo(2);
        assertThat(tally("ls", "--bogus").code()).isEqualTo(2);
        assertThat(tally("frobnicate").code()).isEqualTo(2);
        assertThat(tally("complete", "x", "notanumber").code()).isEqualTo(2);
        assertThat(tally("ls", "--state", "DONE").code()).isEqualTo(2);
        assertThat(tally("create", "--name", " ").code()).isEqualTo(2);
        assertThat(tally("info", "bad id").code()).isEqualTo(2);
        Run badPort = tally("serve", "--port", "70000");
        assertThat(badPort.code()).isEqualTo(2);
        assertThat(badPort.err().trim()).isEqualTo("tally: --port: must be 0–65535, was 70000");
        assertThat(tally("serve", "--host", " ").code()).isEqualTo(2);
        Run badHost = tally("serve", "--allowed-host", "a b");
        assertThat(badHost.code()).isEqualTo(2);
        assertThat(badHost.err().trim()).isEqualTo("tally: --allowed-host: must be a host name or address, was 'a b'");
        Run badStreams = tally("serve", "--max-event-streams", "0");
        assertThat(badStreams.code()).isEqualTo(2);
        assertThat(badStreams.err().trim()).isEqualTo("tally: --max-event-streams: must be 1–100000, was 0");
        String parts = shared.create(
                        JobSpec.builder().name("mr").parts(List.of(Map.of())).build())
                .id();
        Run badPart = tally("complete", parts, "7");
        assertThat(badPart.code()).isEqualTo(2);
        assertThat(badPart.err().lines()).hasSize(1);
        assertThat(badPart.err()).doesNotContain("Exception");

        opener = url -> {
            throw new StoreUnavailableException("cannot reach " + url);
        };
        Run down = tally("ls", "--store", "redis://127.0.0.1:1");
        assertThat(down.code()).isEqualTo(4);
        assertThat(down.err().trim()).isEqualTo("tally: cannot reach redis://127.0.0.1:1");
        assertThat(tally("--help").code()).isZero();
    }

    @Test
    void store_url_from_option_env_then_default() {
        List<String> urls = Collections.synchronizedList(new ArrayList<>());
        Function<String, Tally> base = opener;
        opener = url -> {
            urls.add(url);
            return base.apply(url);
        };
        tally("ls", "--store", "memory:");
        env.put("TALLY_STORE", "memory:?from-env");
        tally("ls");
        assertThat(urls).containsExactly("memory:", "memory:?from-env");
        env.remove("TALLY_STORE");
        urls.clear();
        Run r = tally("create", "--name", "on-the-default-store"); // (a read would want the file to exist)
        if (Stores.hasProvider(TallyCli.DEFAULT_STORE)) {
            assertThat(urls).containsExactly("sqlite:tally.db");
        } else {
            assertThat(r.code()).isEqualTo(4);
        }
    }

    @Test
    void a_read_creates_no_store_and_bad_intervals_public_binds_and_token_files_are_refused(@TempDir Path dir)
            throws Exception {
        Path missing = dir.resolve("new/dirs/x.db");
        for (List<String> read : List.of(
                List.of("ls"),
                List.of("stats"),
                List.of("info", "some-id"),
                List.of("logs", "some-id"),
                List.of("watch", "some-id"),
                List.of("pending", "some-id"))) {
            List<String> args = new ArrayList<>(read);
            args.addAll(List.of("--store", "sqlite:" + missing));
            Run r = tally(args.toArray(String[]::new));
            assertThat(r.code()).as(read.toString()).isEqualTo(4);
            assertThat(r.err()).as(read.toString()).contains("no Tally store at " + missing);
        }
        assertThat(dir.resolve("new")).doesNotExist();

        Run badInterval = tally("watch", "some-id", "--interval", "-5");
        assertThat(badInterval.code()).isEqualTo(2);
        assertThat(badInterval.err().trim()).isEqualTo("tally: --interval: must be 50–3600000 milliseconds, was -5");

        Run publicBind = tally("serve", "--host", "0.0.0.0", "--port", "0");
        assertThat(publicBind.code()).isEqualTo(2);
        assertThat(publicBind.err()).contains("--host").contains("--insecure");

        Run noFile = tally(
                "serve", "--port", "0", "--token-file", dir.resolve("none").toString());
        assertThat(noFile.code()).isEqualTo(2);
        assertThat(noFile.err()).startsWith("tally: --token-file: cannot read ");
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        assertThat(tally("serve", "--port", "0", "--token-file", empty.toString())
                        .err())
                .contains("holds no token on its first line");
        Path file = Files.writeString(dir.resolve("token"), "s3cret\n");
        Run both = tally("serve", "--port", "0", "--token", "x", "--token-file", file.toString());
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err()).contains("not both");
    }

    @Test
    void serve_with_demo_shows_live_jobs() throws Exception {
        AtomicReference<TallyServer> server = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        ServeCommand.started = s -> {
            server.set(s);
            started.countDown();
        };
        try {
            CompletableFuture<Run> serve =
                    CompletableFuture.supplyAsync(() -> tally("serve", "--port", "0", "--demo", "--token", "t"));
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            HttpClient http = HttpClient.newHttpClient();
            String base = server.get().url();
            assertThat(base).startsWith("http://127.0.0.1:");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(URI.create(base + "/api/jobs")).build(),
                        HttpResponse.BodyHandlers.ofString());
                JsonNode jobs = JobJson.MAPPER.readTree(r.body()).get("jobs");
                return jobs.size() >= 8 && jobs.toString().contains("\"succeeded\":") && anyProgress(jobs);
            });
            // The served Tally counts what it writes: the demo's progress shows in /metrics.
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
                String metrics = http.send(
                                HttpRequest.newBuilder(URI.create(base + "/metrics"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
                java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                                "(?m)^tally_records_total\\{outcome=\"succeeded\"} (\\S+)$")
                        .matcher(metrics);
                return metrics.contains("tally_sweeps_total{kind=\"stalled\"}")
                        && m.find()
                        && Double.parseDouble(m.group(1)) > 0;
            });
            HttpResponse<String> write = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/api/jobs"))
                            .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"x\"}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(write.statusCode()).isEqualTo(401);
            server.get().close();
            Run r = serve.get(30, TimeUnit.SECONDS);
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("Tally dashboard and API on http://127.0.0.1:");
        } finally {
            ServeCommand.started = s -> {};
            if (server.get() != null) {
                server.get().close();
            }
        }
    }

    private static boolean anyProgress(JsonNode jobs) {
        for (JsonNode j : jobs) {
            if (j.get("succeeded").asLong() > 0) {
                return true;
            }
        }
        return false;
    }

    @Test
    void migrate_a_sqlite_file_explicitly(@TempDir Path dir) throws Exception {
        opener = Tally::open;
        Path db = dir.resolve("t.db");
        String url = "sqlite:" + db;
        int latest = MigrateCommand.latestVersion(io.tally.jdbc.sqlite.SqliteDialect.INSTANCE);
        assertThat(latest).isPositive();

        Run status = tally("migrate", "--store", url, "--status");
        assertThat(status.code()).as(status.err()).isZero();
        assertThat(status.json().get("version").asInt()).isZero();
        assertThat(status.json().get("latest").asInt()).isEqualTo(latest);
        assertThat(status.json().get("upToDate").asBoolean()).isFalse();
        assertThat(status.json().get("store").asText()).isEqualTo(url);
        assertThat(sqliteTables(db)).isEmpty();
        terminal = true;
        assertThat(tally("migrate", "--store", url, "--dry-run").out())
                .isEqualTo("schema version 0, latest " + latest + " (run tally migrate to apply " + latest
                        + " migration" + (latest == 1 ? "" : "s") + ")\n");
        assertThat(sqliteTables(db)).isEmpty();

        // migrate=true in the URL is overridden: the command opens without migrating, then migrates itself.
        Run migrate = tally("migrate", "--store", url + "?migrate=true&busyTimeout=5000");
        assertThat(migrate.code()).as(migrate.err()).isZero();
        assertThat(migrate.out()).isEqualTo("schema version 0 -> " + latest + "\n");
        assertThat(sqliteTables(db)).contains("tally_jobs", "tally_schema_version");

        Run again = tally("migrate", "--store", url);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).isEqualTo("schema already at version " + latest + "\n");
        assertThat(tally("migrate", "--store", url, "--status").out())
                .isEqualTo("schema version " + latest + ", latest " + latest + " (up to date)\n");
        terminal = false;
        JsonNode j = tally("migrate", "--store", url).json();
        assertThat(j.get("before").asInt()).isEqualTo(latest);
        assertThat(j.get("after").asInt()).isEqualTo(latest);
        assertThat(j.get("latest").asInt()).isEqualTo(latest);

        // The migrated store works without migrating on open.
        String noMigrate = url + "?migrate=false";
        Run created = tally("create", "--name", "after-migrate", "--store", noMigrate);
        assertThat(created.code()).as(created.err()).isZero();
        Run ls = tally("ls", "--store", noMigrate);
        assertThat(ls.code()).as(ls.err()).isZero();
        assertThat(ls.json().get("jobs")).hasSize(1);
        assertThat(ls.json().get("jobs").get(0).get("name").asText()).isEqualTo("after-migrate");
    }

    @Test
    void migrate_keeps_the_table_prefix(@TempDir Path dir) throws Exception {
        opener = Tally::open;
        Path db = dir.resolve("p.db");
        String url = "sqlite:" + db + "?tablePrefix=app_";
        Run r = tally("migrate", "--store", url);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.json().get("before").asInt()).isZero();
        assertThat(sqliteTables(db)).contains("app_jobs").doesNotContain("tally_jobs");
        assertThat(tally("migrate", "--store", url, "--status")
                        .json()
                        .get("upToDate")
                        .asBoolean())
                .isTrue();
        assertThat(tally("migrate", "--store", "sqlite:" + db, "--status")
                        .json()
                        .get("version")
                        .asInt())
                .isZero();
    }

    @Test
    void migrate_refuses_stores_without_a_schema_and_bad_urls() {
        List<String> opened = Collections.synchronizedList(new ArrayList<>());
        Function<String, Tally> base = opener;
        opener = url -> {
            opened.add(url);
            return base.apply(url);
        };
        Run memory = tally("migrate", "--store", "memory:");
        assertThat(memory.code()).isEqualTo(TallyCli.USAGE);
        assertThat(memory.err().lines())
                .containsExactly("tally: --store: memory: has no schema to migrate; tally migrate is for the SQL "
                        + "stores (sqlite:, postgresql://, mariadb://)");
        assertThat(memory.out()).isEmpty();
        Run redis = tally("migrate", "--status", "--store", "redis://:secret@127.0.0.1:1");
        assertThat(redis.code()).isEqualTo(TallyCli.USAGE);
        assertThat(redis.err())
                .contains("redis://:***@127.0.0.1:1 has no schema")
                .doesNotContain("secret");
        Run param = tally("migrate", "--store", "redis://127.0.0.1:1?password=hunter2");
        assertThat(param.code()).isEqualTo(TallyCli.USAGE);
        assertThat(param.err()).contains("password=***").doesNotContain("hunter2");
        env.put("TALLY_STORE", "memory:");
        assertThat(tally("migrate").code()).isEqualTo(TallyCli.USAGE);
        assertThat(opened).as("nothing opened").isEmpty();

        // An opener that ignores the URL (as this test's does) gives a store without a schema: refused too.
        Run fake = tally("migrate", "--store", "sqlite::memory:?x=1");
        assertThat(fake.code()).isEqualTo(TallyCli.USAGE);
        assertThat(opened).containsExactly("sqlite::memory:?x=1&migrate=false");

        opener = Tally::open;
        Run scheme = tally("migrate", "--store", "nosuch://x");
        assertThat(scheme.code()).isEqualTo(TallyCli.USAGE);
        assertThat(scheme.err()).startsWith("tally: url: no store for 'nosuch://x'");
        Run noDb = tally("migrate", "--store", "postgresql://127.0.0.1:1");
        assertThat(noDb.code()).isEqualTo(TallyCli.USAGE);
        assertThat(noDb.err().lines()).hasSize(1);
        assertThat(noDb.err()).contains("names no database");
        Run badOption = tally("migrate", "--store", "sqlite::memory:?tablePrefix=Bad-Prefix");
        assertThat(badOption.code()).isEqualTo(TallyCli.USAGE);
        assertThat(badOption.err()).contains("tablePrefix");
    }

    @Test
    void without_migrating_keeps_the_other_options() {
        assertThat(MigrateCommand.withoutMigrating("sqlite:a.db")).isEqualTo("sqlite:a.db?migrate=false");
        assertThat(MigrateCommand.withoutMigrating("sqlite:a.db?migrate=true&tablePrefix=x_"))
                .isEqualTo("sqlite:a.db?tablePrefix=x_&migrate=false");
        assertThat(MigrateCommand.withoutMigrating("postgresql://u:p@h:5/db?schema=s&migrate&prefix=y_"))
                .isEqualTo("postgresql://u:p@h:5/db?schema=s&prefix=y_&migrate=false");
    }

    @Test
    void migrate_postgres_with_a_table_prefix() throws Exception {
        String pg = TestServices.postgresUrl();
        String prefix = "cli_mig_" + UUID.randomUUID().toString().substring(0, 8) + "_";
        try (Connection c = TestServices.connect(pg)) {
            opener = Tally::open;
            String url = TestServices.withOption(pg, "tablePrefix=" + prefix);
            try {
                Run status = tally("migrate", "--status", "--store", url);
                assertThat(status.code()).as(status.err()).isZero();
                assertThat(status.json().get("version").asInt()).isZero();
                assertThat(postgresTables(c, prefix)).isEmpty();
                Run migrate = tally("migrate", "--store", url);
                assertThat(migrate.code()).as(migrate.err()).isZero();
                int latest = migrate.json().get("latest").asInt();
                assertThat(migrate.json().get("before").asInt()).isZero();
                assertThat(migrate.json().get("after").asInt())
                        .isEqualTo(latest)
                        .isPositive();
                assertThat(postgresTables(c, prefix)).contains(prefix + "jobs");
                terminal = true;
                assertThat(tally("migrate", "--store", url).out())
                        .isEqualTo("schema already at version " + latest + "\n");
                Run ls = tally("ls", "--store", url + "&migrate=false");
                assertThat(ls.code()).as(ls.err()).isZero();
                assertThat(ls.out()).contains("(no jobs)");
            } finally {
                try (Statement s = c.createStatement()) {
                    for (String t : postgresTables(c, prefix)) {
                        s.execute("DROP TABLE IF EXISTS \"" + t + "\" CASCADE");
                    }
                }
            }
            assertThat(postgresTables(c, prefix)).isEmpty();
        }
    }

    /** The tables of a SQLite file, read with plain JDBC. */
    private static List<String> sqliteTables(Path db) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table'")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static List<String> postgresTables(Connection c, String prefix) throws Exception {
        List<String> out = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT table_name FROM information_schema.tables WHERE table_name LIKE '"
                        + prefix.replace("_", "\\_") + "%' AND table_schema = current_schema()")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
