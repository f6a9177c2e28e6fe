package io.tally.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.JobSnapshot;
import io.tally.JobState;
import io.tally.Tally;
import io.tally.server.JobJson;
import io.tally.testing.MutableClock;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The commands a shell worker uses ({@code create} with its policies, {@code start}, {@code progress}, {@code logs},
 * {@code finish}, {@code delete}, {@code stats}, {@code info}, paged {@code ls}), run in-process against a real store
 * opened from its URL, as the {@code tally} command opens it. Each subclass names a store; time comes from a
 * {@link MutableClock} given to every Tally the commands open.
 */
abstract class JobCommandsContract {
    final MutableClock clock = MutableClock.startingNow();
    final Map<String, String> env = new HashMap<>();
    boolean terminal;
    Tally tally;

    /** @return the URL of an empty store for this test alone */
    abstract String storeUrl() throws Exception;

    /** Removes what {@link #storeUrl()} created, after the test. */
    void dropStore() throws Exception {}

    record Run(int code, String out, String err) {
        JsonNode json() {
            try {
                return JobJson.MAPPER.readTree(out);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + out + " / " + err, e);
            }
        }
    }

    @BeforeEach
    void openStore() throws Exception {
        String url = storeUrl();
        env.put("TALLY_STORE", url);
        tally = Tally.builder().url(url).clock(clock).build();
    }

    @AfterEach
    void closeStore() throws Exception {
        if (tally == null) {
            return; // the store's service was not there: the test was skipped
        }
        tally.close();
        FinishCommand.stdin = System.in;
        LogsCommand.stdin = System.in;
        CreateCommand.stdin = System.in;
        dropStore();
    }

    Run tally(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Console c = new Console(
                new PrintWriter(out),
                new PrintWriter(err),
                terminal,
                env,
                url -> Tally.builder().url(url).clock(clock).build());
        int code = TallyCli.run(c, args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Runs a command that must succeed. */
    Run ok(String... args) {
        Run r = tally(args);
        assertThat(r.code()).as(String.join(" ", args) + ": " + r.err()).isZero();
        return r;
    }

    JobSnapshot job(String id) {
        return tally.snapshot(id).orElseThrow();
    }

    @Test
    void a_shell_worker_runs_a_whole_job() {
        String id = ok(
                        "create",
                        "--name",
                        "import",
                        "--total",
                        "4",
                        "--timeout",
                        "PT1H",
                        "--heartbeat",
                        "30s",
                        "--retain-for",
                        "7d",
                        "--message",
                        "queued")
                .out()
                .trim();
        JobSnapshot created = job(id);
        assertThat(created.state()).isEqualTo(JobState.PENDING);
        assertThat(created.timeout()).contains(Duration.ofHours(1));
        assertThat(created.heartbeat()).contains(Duration.ofSeconds(30));
        assertThat(created.retainFor()).contains(Duration.ofDays(7));
        assertThat(created.message()).contains("queued");

        JsonNode started = ok("start", id).json();
        assertThat(started.get("state").asText()).isEqualTo("RUNNING");
        assertThat(started.get("deadline").asText()).isNotBlank();
        assertThat(started.get("lease").asText()).isNotBlank();

        clock.advance(Duration.ofSeconds(2));
        assertThat(ok("progress", id, "--succeeded", "1")
                        .json()
                        .get("succeeded")
                        .asLong())
                .isEqualTo(1);
        clock.advance(Duration.ofSeconds(2));
        ok("progress", id, "--item", "row-2", "--message", "halfway");
        // Keyed items count once: the same item again changes nothing.
        ok("progress", id, "--item", "row-2");
        JsonNode failed = ok("progress", id, "--failed-item", "row-3", "--reason", "bad row")
                .json();
        assertThat(failed.get("failed").asLong()).isEqualTo(1);
        // The retried item moves to succeeded.
        ok("progress", id, "--item", "row-3", "--succeeded", "1");
        assertThat(job(id).succeeded()).isEqualTo(4);
        assertThat(job(id).failed()).isZero();
        assertThat(tally.get(id).items().get(io.tally.Outcome.SUCCESS)).containsExactly("row-2", "row-3");

        ok("logs", id, "--append", "read 4 rows");
        LogsCommand.stdin = new ByteArrayInputStream("line one\nline two\n".getBytes(StandardCharsets.UTF_8));
        ok("logs", id, "--append", "-", "--level", "WARN", "--logger", "importer");
        JsonNode logs = ok("logs", id).json();
        assertThat(logs.get("logs")).hasSize(3);
        assertThat(logs.get("logs").get(1).get("level").asText()).isEqualTo("WARN");
        assertThat(logs.get("logs").get(2).get("message").asText()).isEqualTo("line two");
        assertThat(logs.get("next").isNull()).isTrue();
        JsonNode page = ok("logs", id, "--limit", "2").json();
        assertThat(page.get("logs")).hasSize(2);
        long next = page.get("next").asLong();
        assertThat(ok("logs", id, "--after", Long.toString(next)).json().get("logs"))
                .hasSize(1);
        assertThat(ok("logs", id, "--tail", "1")
                        .json()
                        .get("logs")
                        .get(0)
                        .get("message")
                        .asText())
                .isEqualTo("line two");

        JsonNode finished = ok("finish", id, "--result", "{\"rows\":4}").json();
        assertThat(finished.get("state").asText()).isEqualTo("SUCCEEDED");

        JsonNode info = ok("info", id).json();
        assertThat(info.get("result").get("rows").asInt()).isEqualTo(4);
        assertThat(info.get("logs")).hasSize(3);
        assertThat(info.get("reduce").isNull()).isTrue();
        terminal = true;
        String text = ok("info", id, "--logs", "2").out();
        assertThat(text)
                .contains("SUCCEEDED")
                .contains("4/4 100.0%")
                .contains("{\"rows\":4}")
                .contains("logs (last 2):")
                .contains("WARN  importer line two")
                .doesNotContain("read 4 rows");
        assertThat(ok("info", id, "--logs", "0").out()).doesNotContain("logs");
    }

    @Test
    void a_watchbot_job_from_the_shell_with_its_reduce() {
        CreateCommand.stdin =
                new ByteArrayInputStream("{\"t\":1}\n{\"t\":2}\n{\"t\":3}\n".getBytes(StandardCharsets.UTF_8));
        String id = ok("create", "--name", "tiles", "--parts", "-", "--tolerated-failures", "1", "--timeout", "10m")
                .out()
                .trim();
        assertThat(job(id).toleratedFailures()).isEqualTo(1);
        ok("logs", id, "--append", "{\"part\":0,\"result\":10}", "--level", "RESULT", "--logger", "tally.part.0");
        assertThat(ok("complete", id, "0").json().get("last").asBoolean()).isFalse();
        assertThat(ok("fail", id, "--part", "1", "--reason", "corrupt tile")
                        .json()
                        .get("last")
                        .asBoolean())
                .isFalse();
        JsonNode last = ok("complete", id, "2").json();
        assertThat(last.get("last").asBoolean()).isTrue();
        assertThat(job(id).state()).isEqualTo(JobState.SUCCEEDED);

        // The call that got "last":true runs the reduce as the child job ID:reduce, as tally-runner does.
        String reduce = id + ":reduce";
        ok("create", "--id", reduce, "--name", "tiles:reduce", "--parent", id, "--start");
        ok("finish", reduce, "--result", "{\"sum\":40}");

        JsonNode info = ok("info", id).json();
        assertThat(info.get("reduce").get("id").asText()).isEqualTo(reduce);
        assertThat(info.get("reduce").get("result").get("sum").asInt()).isEqualTo(40);
        assertThat(info.get("logs").get(0).get("level").asText()).isEqualTo("RESULT");
        terminal = true;
        assertThat(ok("info", id).out())
                .contains("reduce:        " + reduce + " SUCCEEDED")
                .contains("reduce result: {\"sum\":40}")
                .contains("RESULT tally.part.0");
    }

    @Test
    void bad_input_gets_a_clear_error_and_changes_nothing() {
        String id =
                ok("create", "--name", "n", "--total", "10", "--start").out().trim();
        ok("progress", id, "--succeeded", "2");
        String before = job(id).record().toString();

        Run negative = tally("progress", id, "--succeeded", "-1");
        assertThat(negative.code()).isEqualTo(TallyCli.USAGE);
        assertThat(negative.err().lines()).containsExactly("tally: --succeeded: must not be negative, was -1");
        assertThat(tally("progress", id, "--failed", "-3").code()).isEqualTo(TallyCli.USAGE);
        assertThat(tally("progress", id, "--add-total", "-3").code()).isEqualTo(TallyCli.USAGE);
        assertThat(tally("progress", id, "--succeeded", "x").code()).isEqualTo(TallyCli.USAGE);
        Run nothing = tally("progress", id);
        assertThat(nothing.code()).isEqualTo(TallyCli.USAGE);
        assertThat(nothing.err()).contains("nothing to record");
        assertThat(tally("progress", id, "--reason", "r").code()).isEqualTo(TallyCli.USAGE);
        assertThat(tally("progress", id, "--item", " ").code()).isEqualTo(TallyCli.USAGE);

        Run badJson = tally("finish", id, "--result", "{rows: 4");
        assertThat(badJson.code()).isEqualTo(TallyCli.USAGE);
        assertThat(badJson.err().lines()).hasSize(1);
        assertThat(badJson.err()).startsWith("tally: --result: not JSON");
        assertThat(tally("finish", id, "--result", "done").code()).isEqualTo(TallyCli.USAGE);
        assertThat(tally("finish", id, "--result", "{} {}").code()).isEqualTo(TallyCli.USAGE);
        assertThat(tally("finish", id, "--result", " ").code()).isEqualTo(TallyCli.USAGE);
        assertThat(tally("logs", id, "--limit", "0").code()).isEqualTo(TallyCli.USAGE);
        assertThat(tally("logs", id, "--tail", "5000").code()).isEqualTo(TallyCli.USAGE);
        assertThat(tally("logs", id, "--after", "-1").code()).isEqualTo(TallyCli.USAGE);
        assertThat(tally("logs", id, "--append", "x", "--level", " ").code()).isEqualTo(TallyCli.USAGE);
        assertThat(tally("info", id, "--logs", "-1").code()).isEqualTo(TallyCli.USAGE);
        assertThat(job(id).record().toString()).isEqualTo(before);
        assertThat(tally.get(id).logs(0, 10)).isEmpty();

        for (String bad : List.of("soon", "0", "-5s", "PT-1S", "P", "10y", "")) {
            Run r = tally("create", "--name", "t", "--timeout", bad);
            assertThat(r.code()).as(bad).isEqualTo(TallyCli.USAGE);
            assertThat(r.err()).as(bad).contains("--timeout");
        }
        assertThat(tally("create", "--name", "t", "--heartbeat", "forever").code())
                .isEqualTo(TallyCli.USAGE);
        assertThat(tally("create", "--name", "t", "--retain-for", "-1").code()).isEqualTo(TallyCli.USAGE);
        assertThat(tally("create", "--name", "t", "--timeout", "P36600D").code())
                .isEqualTo(TallyCli.USAGE);
        Run tolerated = tally("create", "--name", "t", "--tolerated-failures", "1");
        assertThat(tolerated.code()).isEqualTo(TallyCli.USAGE);
        assertThat(tolerated.err()).contains("needs --parts");
        assertThat(tally("create", "--name", "t", "--metadata", "{nope").code()).isEqualTo(TallyCli.USAGE);

        for (String[] args : List.of(
                new String[] {"start", "nope"},
                new String[] {"progress", "nope", "--succeeded", "1"},
                new String[] {"finish", "nope"},
                new String[] {"logs", "nope"},
                new String[] {"logs", "nope", "--append", "x"},
                new String[] {"delete", "nope"},
                new String[] {"info", "nope"})) {
            Run r = tally(args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(TallyCli.NOT_FOUND);
            assertThat(r.err().lines()).containsExactly("tally: job not found: nope");
        }
        // Only the one job: none of the refused creates made one.
        assertThat(ok("stats").json().get("total").asLong()).isEqualTo(1);
    }

    /**
     * The bad input the HTTP API refuses, given on the command line or stdin: digits that are not ASCII, a {@code +},
     * numbers past their range, counts past 2^53 − 1, lone surrogates (invalid Unicode) in text and in JSON, trailing
     * garbage and keys given twice in JSON, bytes that are not UTF-8 on stdin. Each exits 2 with one line that names
     * the option or parameter, and nothing is written.
     */
    @Test
    void hostile_input_is_refused_naming_the_option_and_writes_nothing() {
        String id =
                ok("create", "--name", "n", "--total", "10", "--start").out().trim();
        ok("progress", id, "--succeeded", "2", "--item", "kept");
        CreateCommand.stdin = stdin("[{},{}]");
        String parts = ok("create", "--name", "mr", "--parts", "-").out().trim();
        String max = "9007199254740991";
        String big =
                ok("create", "--name", "big", "--total", max, "--start").out().trim();
        assertThat(ok("progress", big, "--succeeded", max, "--json")
                        .json()
                        .get("succeeded")
                        .asText())
                .isEqualTo(max);
        String before = stored(id, parts, big);
        String lone = "a\ud800b";
        List<String[]> refused = List.of(
                new String[] {"PART", "complete", parts, "+1"},
                new String[] {"PART", "complete", parts, "\uff11"}, // a fullwidth 1
                new String[] {"PART", "complete", parts, "\u0661"}, // an Arabic-Indic 1
                new String[] {"PART", "complete", parts, "1.0"},
                new String[] {"PART", "complete", parts, "99999999999"},
                new String[] {"PART", "complete", parts, "2"}, // past the job's parts
                new String[] {"--part", "fail", parts, "--part", "+1", "--reason", "r"},
                new String[] {"--part", "fail", parts, "--part", "\u0661", "--reason", "r"},
                new String[] {"--succeeded", "progress", id, "--succeeded", "+1"},
                new String[] {"--succeeded", "progress", id, "--succeeded", "\u0661"},
                new String[] {"--succeeded", "progress", id, "--succeeded", "9007199254740992"},
                new String[] {"--failed", "progress", id, "--failed", "99999999999999999999"},
                new String[] {"--add-total", "progress", id, "--add-total", "9007199254740992"},
                new String[] {"--succeeded", "progress", big, "--succeeded", "1"
                }, // the job's counter would pass 2^53-1
                new String[] {"--total", "create", "--name", "x", "--total", "9007199254740992"},
                new String[] {"--total", "create", "--name", "x", "--total", "+5"},
                new String[] {"--tolerated-failures", "create", "--name", "x", "--tolerated-failures", "\uff11"},
                new String[] {"--limit", "ls", "--limit", "\u0661"},
                new String[] {"--timeout", "create", "--name", "x", "--timeout", "\u0661s"},
                new String[] {"--timeout", "create", "--name", "x", "--timeout", "+5"},
                new String[] {"--name", "create", "--name", lone},
                new String[] {"--scope", "create", "--name", "x", "--scope", "\udc00"},
                new String[] {"--message", "create", "--name", "x", "--message", lone},
                new String[] {"--message", "progress", id, "--message", lone},
                new String[] {"--item", "progress", id, "--item", lone},
                new String[] {"--reason", "progress", id, "--failed-item", "k", "--reason", lone},
                new String[] {"--reason", "fail", id, "--reason", lone},
                new String[] {"--metadata", "create", "--name", "x", "--metadata", "{\"k\":\"\\ud800\"}"},
                new String[] {"--metadata", "create", "--name", "x", "--metadata", "{\"k\":\"" + lone + "\"}"},
                new String[] {"--metadata", "create", "--name", "x", "--metadata", "{\"a\":1} x"},
                new String[] {"--metadata", "create", "--name", "x", "--metadata", "{\"a\":1,\"a\":2}"},
                new String[] {"--result", "finish", id, "--result", "\"\\udfff\""},
                new String[] {"--result", "finish", id, "--result", "{\"a\":1,\"a\":2}"},
                new String[] {"--result", "finish", id, "--result", "[1]]"});
        for (String[] r : refused) {
            refusedNaming(r[0], List.of(r).subList(1, r.length).toArray(String[]::new));
        }
        FinishCommand.stdin = new ByteArrayInputStream(new byte[] {'"', (byte) 0xFF, '"'});
        refusedNaming("--result", "finish", id, "--result", "-");
        for (String partsJson : List.of("[{\"a\":1,\"a\":2}]", "[{}] x", "{}\n{} x")) {
            CreateCommand.stdin = stdin(partsJson);
            refusedNaming("--parts", "create", "--name", "x", "--parts", "-");
        }
        CreateCommand.stdin = new ByteArrayInputStream(new byte[] {'[', '{', '}', ']', (byte) 0xC3, '('});
        refusedNaming("--parts", "create", "--name", "x", "--parts", "-");
        LogsCommand.stdin = new ByteArrayInputStream(new byte[] {'o', 'k', '\n', (byte) 0xC0, (byte) 0xAF, '\n'});
        refusedNaming("--append", "logs", id, "--append", "-");

        assertThat(stored(id, parts, big)).as("nothing written").isEqualTo(before);
        assertThat(ok("stats").json().get("total").asLong())
                .as("no job created")
                .isEqualTo(3);
    }

    private static ByteArrayInputStream stdin(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Runs a command that must exit 2 with one line on stderr naming {@code option}. */
    private void refusedNaming(String option, String... args) {
        Run r = tally(args);
        // (lone surrogates shown escaped: a report cannot print them)
        String shown = String.join(" ", args).replaceAll("\\p{Cs}", "\\\\u+surrogate");
        assertThat(r.code())
                .as(shown + ": " + r.err().replaceAll("\\p{Cs}", "?"))
                .isEqualTo(TallyCli.USAGE);
        assertThat(r.err().lines()).as(shown).hasSize(1);
        assertThat(r.err()).as(shown).startsWith("tally: ").contains(option).doesNotContain("Exception");
    }

    /** @return the jobs as stored, with their items, parts and logs */
    private String stored(String... ids) {
        StringBuilder out = new StringBuilder();
        for (String j : ids) {
            out.append(job(j).record())
                    .append(tally.get(j).items())
                    .append(tally.get(j).logs(0, 100))
                    .append(tally.pendingParts(j).toList());
        }
        return out.toString();
    }

    @Test
    void finished_jobs_refuse_what_would_change_them() {
        String id = ok("create", "--name", "n", "--start").out().trim();
        ok("finish", id, "--result", "1");
        // Finishing again with the same result is a no-op; with another, a conflict that keeps the first.
        assertThat(ok("finish", id, "--result", "1").json().get("result").asInt())
                .isEqualTo(1);
        Run conflicting = tally("finish", id, "--result", "2");
        assertThat(conflicting.code()).isEqualTo(TallyCli.JOB_FAILED);
        assertThat(conflicting.err()).startsWith("tally: ").contains("different result");
        assertThat(job(id).resultJson()).contains("1");
        Run progress = tally("progress", id, "--succeeded", "1");
        assertThat(progress.code()).isEqualTo(TallyCli.JOB_FAILED);
        assertThat(progress.err()).startsWith("tally: ").contains("SUCCEEDED");
        assertThat(tally("cancel", id).code()).isEqualTo(TallyCli.JOB_FAILED);

        String cancelled = ok("create", "--name", "c").out().trim();
        ok("cancel", cancelled, "--reason", "not needed");
        Run finish = tally("finish", cancelled);
        assertThat(finish.code()).isEqualTo(TallyCli.JOB_FAILED);
        assertThat(finish.err().lines()).hasSize(1);
        assertThat(finish.err()).contains("CANCELLED");
        assertThat(tally("start", cancelled).code()).isEqualTo(TallyCli.JOB_FAILED);
        assertThat(job(cancelled).state()).isEqualTo(JobState.CANCELLED);
        assertThat(job(id).succeeded()).isZero();
    }

    @Test
    void start_claim_lets_one_worker_win() {
        String id = ok("create", "--name", "n").out().trim();
        assertThat(ok("start", id, "--claim").json().get("state").asText()).isEqualTo("RUNNING");
        Run second = tally("start", id, "--claim");
        assertThat(second.code()).isEqualTo(TallyCli.JOB_FAILED);
        assertThat(second.err().lines()).containsExactly("tally: job " + id + " was started by another caller");
        // Without --claim, starting a running job is a no-op.
        assertThat(ok("start", id).json().get("state").asText()).isEqualTo("RUNNING");
    }

    @Test
    void the_sweep_fails_a_job_past_its_timeout_and_a_silent_one() {
        String slow = ok("create", "--name", "slow", "--timeout", "10s", "--start")
                .out()
                .trim();
        String silent =
                ok("create", "--name", "silent", "--heartbeat", "5s").out().trim();
        ok("start", silent);
        clock.advance(Duration.ofSeconds(4));
        ok("progress", silent, "--succeeded", "1"); // renews the lease
        clock.advance(Duration.ofSeconds(4));
        assertThat(ok("sweep").json().get("stalled").asInt()).isZero();
        clock.advance(Duration.ofSeconds(3));
        JsonNode swept = ok("sweep").json();
        assertThat(swept.get("timedOut").asInt()).isEqualTo(1);
        assertThat(swept.get("stalled").asInt()).isEqualTo(1);
        assertThat(job(slow).error().orElseThrow().reason().code()).isEqualTo("timeout");
        assertThat(job(silent).error().orElseThrow().reason().code()).isEqualTo("stalled");
    }

    @Test
    void delete_and_stats() {
        String a = ok("create", "--name", "a").out().trim();
        String b = ok("create", "--name", "b", "--start").out().trim();
        ok("logs", b, "--append", "hello");
        JsonNode stats = ok("stats").json();
        assertThat(stats.get("states").get("PENDING").asLong()).isEqualTo(1);
        assertThat(stats.get("states").get("RUNNING").asLong()).isEqualTo(1);
        assertThat(stats.get("total").asLong()).isEqualTo(2);
        assertThat(ok("delete", b).json().get("deleted").asBoolean()).isTrue();
        assertThat(tally.snapshot(b)).isEmpty();
        assertThat(tally("delete", b).code()).isEqualTo(TallyCli.NOT_FOUND);
        terminal = true;
        assertThat(ok("delete", a).out()).isEqualTo("deleted " + a + "\n");
        assertThat(ok("stats").out()).contains("STATE", "PENDING", "total").containsPattern("total\\s+0");
    }

    @Test
    void ls_keeps_its_filters_on_the_next_page() {
        List<String> mine = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            mine.add(ok("create", "--name", "job " + i, "--scope", "user:1")
                    .out()
                    .trim());
            ok("create", "--name", "other " + i, "--scope", "user:2");
            clock.advance(Duration.ofMillis(5));
        }
        terminal = true;
        List<String> seen = new ArrayList<>();
        List<String> args = List.of("ls", "--scope", "user:1", "--limit", "1");
        for (int page = 0; page < 5 && args != null; page++) {
            Run r = ok(args.toArray(new String[0]));
            for (String id : mine) {
                if (r.out().contains(id)) {
                    seen.add(id);
                }
            }
            assertThat(r.out()).doesNotContain("other");
            Matcher m = Pattern.compile("(?m)^more: tally (.*)$").matcher(r.out());
            args = m.find() ? words(m.group(1)) : null;
            if (args != null) {
                assertThat(args).containsSubsequence("--scope", "user:1", "--limit", "1", "--cursor");
            }
        }
        List<String> newestFirst = new ArrayList<>(mine);
        java.util.Collections.reverse(newestFirst);
        assertThat(seen).containsExactlyElementsOf(newestFirst);
    }

    /** Splits the "more:" command into words, undoing {@link Text#shellWord}'s single quotes. */
    static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("'((?:[^']|'\\\\'')*)'|(\\S+)").matcher(line);
        while (m.find()) {
            out.add(m.group(1) != null ? m.group(1).replace("'\\''", "'") : m.group(2));
        }
        return out;
    }
}
