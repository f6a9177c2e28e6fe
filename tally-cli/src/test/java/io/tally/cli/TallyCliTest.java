package io.tally.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.Job;
import io.tally.JobSpec;
import io.tally.StoreUnavailableException;
import io.tally.Tally;
import io.tally.server.JobJson;
import io.tally.server.TallyServer;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

/** Runs the picocli command line in-process over one shared {@code memory:} store, capturing stdout and stderr. */
class TallyCliTest {
    final Tally shared = Tally.open("memory:");
    final Map<String, String> env = new HashMap<>();
    Function<String, Tally> opener =
            url -> Tally.builder().store(shared.store()).closeStore(false).build();
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
        TallyCli.Create.stdin = System.in;
    }

    @Test
    void watchbot_flow_exactly_one_last() throws Exception {
        TallyCli.Create.stdin = new ByteArrayInputStream(
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
            assertThat(j.has("first")).isTrue();
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
        assertThat(paged.out()).contains("more: tally ls --cursor ");
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
        Run r = tally("ls");
        if (TallyCli.Base.hasProvider(TallyCli.DEFAULT_STORE)) {
            assertThat(urls).containsExactly("sqlite:tally.db");
        } else {
            assertThat(r.code()).isEqualTo(4);
        }
    }

    @Test
    void serve_with_demo_shows_live_jobs() throws Exception {
        AtomicReference<TallyServer> server = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        TallyCli.Serve.started = s -> {
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
            TallyCli.Serve.started = s -> {};
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
}
