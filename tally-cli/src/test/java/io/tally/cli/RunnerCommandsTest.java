package io.tally.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.Tally;
import io.tally.runner.BuildContext;
import io.tally.server.JobJson;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tally defs}, {@code build}, {@code builds} and {@code worker}, in-process over one {@code memory:} store. */
class RunnerCommandsTest {
    /** The functions the definitions file names. */
    public static class Jobs {
        public static int a(BuildContext ctx) {
            return ctx.param("n", Integer.class);
        }

        public static int b(BuildContext ctx) {
            return ctx.dependencyResult("A", Integer.class) * 10 + 2;
        }

        public static int careful(BuildContext ctx) {
            ctx.log().warn("careful with {}", "the tiles");
            return 7;
        }

        public static int boom() {
            throw new IllegalStateException("boom on purpose");
        }
    }

    final Tally shared = Tally.open("memory:");
    final Map<String, String> env = new HashMap<>(Map.of("TALLY_STORE", "memory:"));
    final Function<String, Tally> opener =
            url -> Tally.builder().store(shared.storeSpi()).closeStore(false).build();
    boolean terminal;

    @TempDir
    Path dir;

    String defs;

    record Run(int code, String out, String err) {
        JsonNode json() {
            try {
                return JobJson.MAPPER.readTree(out);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + out + " / " + err, e);
            }
        }

        /** The last line as JSON: {@code build} prints two, its id at once and the finished build at the end. */
        JsonNode last() {
            String[] lines = out.strip().split("\n");
            try {
                return JobJson.MAPPER.readTree(lines[lines.length - 1]);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + out + " / " + err, e);
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

    @BeforeEach
    void writeDefinitions() throws Exception {
        Path file = dir.resolve("jobs.yaml");
        Files.writeString(file, """
                definitions:
                  - id: A
                    function: io.tally.cli.RunnerCommandsTest$Jobs#a
                    params: {n: 1}
                    title: Step A
                    tags: [etl]
                  - id: B
                    function: io.tally.cli.RunnerCommandsTest$Jobs#b
                    dependsOn: [A]
                  - id: boom
                    function: io.tally.cli.RunnerCommandsTest$Jobs#boom
                  - id: careful
                    function: io.tally.cli.RunnerCommandsTest$Jobs#careful
                """);
        defs = file.toString();
    }

    @AfterEach
    void close() {
        shared.close();
    }

    private static JsonNode def(Run r, String id) {
        for (JsonNode d : r.json().get("definitions")) {
            if (d.get("id").asText().equals(id)) {
                return d;
            }
        }
        throw new AssertionError("no " + id + " in " + r.out());
    }

    @Test
    void defs_lists_definitions_with_status_as_json_and_as_a_table() {
        Run r = tally("defs", "--definitions", defs);
        assertThat(r.code()).as(r.err()).isZero();
        List<String> ids = new ArrayList<>();
        r.json().get("definitions").forEach(d -> ids.add(d.get("id").asText()));
        assertThat(ids).containsExactlyInAnyOrder("A", "B", "boom", "careful");
        assertThat(ids.indexOf("A")).isLessThan(ids.indexOf("B"));
        JsonNode a = def(r, "A");
        assertThat(a.get("title").asText()).isEqualTo("Step A");
        assertThat(a.get("status").asText()).isEqualTo("NOT_BUILT");
        assertThat(a.get("outdated").asBoolean()).isFalse();
        assertThat(def(r, "B").get("dependsOn").get(0).asText()).isEqualTo("A");

        terminal = true;
        env.put("TALLY_DEFINITIONS", defs);
        Run table = tally("defs");
        assertThat(table.code()).isZero();
        assertThat(table.out()).contains("ID", "STATUS", "OUTDATED", "Step A", "NOT_BUILT");
        terminal = false;
        assertThat(tally("defs", "--json").json().get("definitions")).hasSize(4);
    }

    @Test
    void build_prints_the_id_and_final_state_and_exits_by_the_outcome() {
        terminal = true;
        Run failed = tally("build", "B", "--definitions", defs);
        assertThat(failed.code()).isEqualTo(1);
        String[] lines = failed.out().strip().split("\n");
        assertThat(lines).hasSize(2);
        assertThat(lines[1]).startsWith("B: FAILED").contains("dependencies not met: A");

        Run ok = tally("build", "B", "--deps", "--definitions", defs);
        assertThat(ok.code()).as(ok.err()).isZero();
        String buildId = ok.out().strip().split("\n")[0];
        assertThat(ok.out()).contains("B: SUCCEEDED");
        assertThat(shared.snapshot(buildId).orElseThrow().resultJson()).contains("12");

        terminal = false;
        Run boom = tally("build", "boom", "--definitions", defs);
        assertThat(boom.code()).isEqualTo(1);
        assertThat(boom.out().lines()).hasSize(2);
        assertThat(boom.json().get("definition").asText()).isEqualTo("boom");
        assertThat(boom.json().get("id").asText())
                .isEqualTo(boom.last().get("id").asText());
        assertThat(boom.last().get("state").asText()).isEqualTo("FAILED");
        assertThat(boom.last().get("error").get("message").asText()).contains("boom on purpose");

        Run a = tally("build", "A", "--definitions", defs);
        assertThat(a.code()).isZero();
        assertThat(a.last().get("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(a.last().get("result").asInt()).isEqualTo(1);
        // A newer A: B is outdated until A is built with its dependents.
        Run d = tally("defs", "--definitions", defs);
        assertThat(def(d, "B").get("status").asText()).isEqualTo("OUTDATED");
        assertThat(def(d, "B").get("outdated").asBoolean()).isTrue();
        assertThat(def(d, "A").get("lastBuild").asText())
                .isEqualTo(a.json().get("id").asText());

        assertThat(tally("build", "A", "--dependents", "--definitions", defs).code())
                .isZero();
        d = tally("defs", "--definitions", defs);
        assertThat(def(d, "B").get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(def(d, "B").get("outdated").asBoolean()).isFalse();
    }

    @Test
    void a_builds_log_reaches_stderr_without_the_runners_internal_marker() throws Exception {
        // The CLI's SLF4J provider is CliLogProvider: first on the test class path, alone in the shaded jar.
        assertThat(org.slf4j.LoggerFactory.getILoggerFactory().getLogger("x"))
                .isInstanceOf(CliLogProvider.WithoutCapturedMarker.class);
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        Run r;
        try {
            r = tally("build", "careful", "--definitions", defs);
        } finally {
            System.setErr(stderr);
        }
        assertThat(r.code()).as(r.err()).isZero();
        String err = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(err).contains("WARN").contains("careful with the tiles").doesNotContain("TALLY_CAPTURED");
        // The record is stored with the build all the same.
        String id = r.last().get("id").asText();
        assertThat(shared.get(id).logs(0, 10))
                .anySatisfy(e -> assertThat(e.message()).isEqualTo("careful with the tiles"));
    }

    @Test
    void builds_lists_a_definitions_builds_newest_first() {
        Run first = tally("build", "A", "--definitions", defs);
        Run second = tally("build", "A", "--definitions", defs);
        String id1 = first.last().get("id").asText();
        String id2 = second.last().get("id").asText();
        // A job named like a definition but not made by the runner is not a build.
        shared.create(io.tally.JobSpec.builder().name("A").build());

        for (List<String> args : List.of(List.of("builds", "A"), List.of("builds", "A", "--definitions", defs))) {
            Run r = tally(args.toArray(new String[0]));
            assertThat(r.code()).as(r.err()).isZero();
            JsonNode builds = r.json().get("builds");
            assertThat(builds).hasSize(2);
            assertThat(builds.get(0).get("id").asText()).isEqualTo(id2);
            assertThat(builds.get(1).get("id").asText()).isEqualTo(id1);
            assertThat(builds.get(0).get("state").asText()).isEqualTo("SUCCEEDED");
            assertThat(builds.get(0).get("startedAt").asText()).isNotBlank();
            assertThat(builds.get(0).get("finishedAt").asText()).isNotBlank();
        }
        assertThat(tally("builds", "A", "--limit", "1").json().get("builds")).hasSize(1);

        terminal = true;
        Run table = tally("builds", "A");
        assertThat(table.out()).contains("ID", "STATE", "STARTED", "FINISHED", id1, id2, "SUCCEEDED");
        Run none = tally("builds", "B", "--definitions", defs);
        assertThat(none.code()).isZero();
        assertThat(none.out()).contains("(no builds)");
    }

    @Test
    void unknown_definitions_exit_3_and_usage_errors_exit_2() {
        Run build = tally("build", "nope", "--definitions", defs);
        assertThat(build.code()).isEqualTo(TallyCli.NOT_FOUND);
        assertThat(build.err()).contains("no such definition: nope").contains("A, B");
        assertThat(tally("builds", "nope", "--definitions", defs).code()).isEqualTo(TallyCli.NOT_FOUND);
        assertThat(tally("builds", "nope").code()).isEqualTo(TallyCli.NOT_FOUND);

        Run noFile = tally("defs");
        assertThat(noFile.code()).isEqualTo(TallyCli.USAGE);
        assertThat(noFile.err()).contains("--definitions");
        assertThat(tally("build", "A").code()).isEqualTo(TallyCli.USAGE);
        assertThat(tally("defs", "--definitions", dir.resolve("missing.yaml").toString())
                        .code())
                .isEqualTo(TallyCli.USAGE);
        assertThat(tally("build", "--definitions", defs).code()).isEqualTo(TallyCli.USAGE);
        assertThat(tally("builds", "A", "--limit", "0").code()).isEqualTo(TallyCli.USAGE);
        assertThat(tally(
                                "defs",
                                "--definitions",
                                defs,
                                "--classpath",
                                dir.resolve("none.jar").toString())
                        .code())
                .isEqualTo(TallyCli.USAGE);
        // Nothing was built by any of these.
        assertThat(shared.stats().values().stream().mapToLong(Long::longValue).sum())
                .isZero();
    }

    @Test
    void worker_needs_a_transport_and_a_definitions_file() {
        Run noRedis = tally("worker", "--store", "memory:", "--definitions", defs);
        assertThat(noRedis.code()).isEqualTo(TallyCli.USAGE);
        assertThat(noRedis.err()).contains("--via", "amqp://", "nats://", "--redis");
        Run unknown = tally("worker", "--store", "memory:", "--definitions", defs, "--via", "sns://topic");
        assertThat(unknown.code()).isEqualTo(TallyCli.USAGE);
        assertThat(unknown.err())
                .contains("--via", "no dispatcher for 'sns://'", "sqs://")
                .doesNotContain("Exception");
        Run badSqs = tally("worker", "--store", "memory:", "--definitions", defs, "--via", "sqs://queue");
        assertThat(badSqs.code()).isEqualTo(TallyCli.USAGE);
        assertThat(badSqs.err())
                .contains("--via", "must be sqs://HOST:PORT?region=…&queue=…")
                .doesNotContain("Exception");
        Run noGroup = tally(
                "worker", "--store", "memory:", "--definitions", defs, "--via", "amqp://127.0.0.1:1", "--group", "g");
        assertThat(noGroup.code()).isEqualTo(TallyCli.USAGE);
        assertThat(noGroup.err()).contains("--group", "RabbitMQ has no consumer group");
        Run noDefs = tally("worker", "--store", "redis://127.0.0.1:1/0");
        assertThat(noDefs.code()).isEqualTo(TallyCli.USAGE);
        assertThat(noDefs.err()).contains("--definitions");
        Run badDuration =
                tally("worker", "--store", "redis://127.0.0.1:1/0", "--definitions", defs, "--claim-idle", "soon");
        assertThat(badDuration.code()).isEqualTo(TallyCli.USAGE);
        assertThat(badDuration.err()).contains("--claim-idle");
        Run tooShort =
                tally("worker", "--store", "redis://127.0.0.1:1/0", "--definitions", defs, "--claim-idle", "PT0.01S");
        assertThat(tooShort.code()).isEqualTo(TallyCli.USAGE);
        assertThat(tooShort.err()).contains("--claim-idle").doesNotContain("Exception");
    }

    @Test
    void worker_help_names_every_transport() {
        Run help = tally("worker", "--help");
        assertThat(help.code()).isEqualTo(TallyCli.OK);
        assertThat(help.out())
                .contains(
                        "--via", "amqp://", "nats://", "sqs://", "redis://", "--redis", "--queue", "--max-deliveries");
    }
}
