package io.tally.examples;

import io.tally.EventFilter;
import io.tally.Job;
import io.tally.JobFinishedException;
import io.tally.JobQuery;
import io.tally.JobSnapshot;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.PartOptions;
import io.tally.Progress;
import io.tally.ReportPolicy;
import io.tally.Reporter;
import io.tally.Subscription;
import io.tally.Tally;
import io.tally.runner.Build;
import io.tally.runner.BuildOptions;
import io.tally.runner.Definition;
import io.tally.runner.Runner;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The examples from the READMEs of the systems Tally replaces, written against Tally. Run it with
 * {@code mvn -q -pl tally-examples exec:java} (optionally {@code -Dexec.args=STORE_URL}).
 */
public final class QuickStart {
    private final Tally tally;
    private final PrintStream out;

    QuickStart(Tally tally, PrintStream out) {
        this.tally = tally;
        this.out = out;
    }

    /** @param args an optional store URL (default {@code memory:}) */
    public static void main(String[] args) throws Exception {
        String url = args.length > 0 ? args[0] : "memory:";
        try (Tally tally = Tally.open(url)) {
            new QuickStart(tally, System.out).runAll();
        }
    }

    void runAll() throws Exception {
        jobProgress();
        jobberTrack();
        watchbot();
        redisProgress();
        jobcontrol();
    }

    /** JobProgress: a job with metadata and an amount; successes, failures, items; query by state. */
    void jobProgress() {
        out.println("== JobProgress: counts, items, query by state");
        Job job = tally.create(JobSpec.builder()
                .name("import")
                .metadata(Map.of("created_at", "2013-12-12"))
                .total(10)
                .start(true)
                .build());
        job.recordSuccess();
        job.recordFailure();
        Progress p = job.progress();
        out.printf(
                "progress: SUCCESS=%d FAILURE=%d PENDING=%d (%.0f%%)%n",
                p.succeeded(), p.failed(), p.pending(), p.percent());

        JobSnapshot first = tally.query(
                        JobQuery.builder().state(JobState.RUNNING).build())
                .items()
                .get(0);
        out.println("first RUNNING job: " + first.id() + " " + first.progress().succeeded() + " succeeded");

        Job detailed = tally.create(
                JobSpec.builder().name("detailed").total(10).start(true).build());
        detailed.recordSuccess("success item");
        detailed.recordFailure("failed item", "bad row");
        detailed.track(true, "foo");
        detailed.recordSuccess("foo"); // idempotent: counts once
        out.println("detailed progress: " + detailed.items());
    }

    /** jobberTrack: waiting → running → finished with data; a per-job timeout enforced by the sweeper. */
    void jobberTrack() {
        out.println("== jobberTrack: start, finish with data, read back");
        Job job = tally.create(
                JobSpec.builder().name("render").timeout(Duration.ofSeconds(12)).build());
        job.start();
        job.finish("some data to store");
        JobSnapshot again = tally.get(job.id()).snapshot();
        if (again.state() == JobState.SUCCEEDED) {
            out.println("finished with data: " + again.result(String.class).orElseThrow());
        }
    }

    /** watchbot-progress: parts, one map per part on workers, exactly one reduce. */
    void watchbot() throws Exception {
        out.println("== watchbot: map-reduce parts with exactly one reduce");
        List<Map<String, String>> parts =
                List.of(Map.of("url", "https://a.com"), Map.of("url", "https://b.com"), Map.of("url", "https://c.com"));
        Job job = tally.create(JobSpec.builder().name("tiles").parts(parts).build());
        String jobId = job.id();
        AtomicInteger reduces = new AtomicInteger();
        PartOptions options = PartOptions.failJobOn(IllegalArgumentException.class)
                .whenLast(() -> {
                    reduces.incrementAndGet(); // send the "reduce" message here
                });
        ExecutorService workers = Executors.newFixedThreadPool(3);
        for (int delivery = 0; delivery < 6; delivery++) { // every "map" message delivered twice
            int partId = delivery % 3;
            workers.submit(() -> {
                Map<String, Object> message = tally.partPayload(jobId, partId).orElseThrow();
                try {
                    return tally.runPart(jobId, partId, options, () -> "processed " + message.get("url"));
                } catch (JobFinishedException redelivered) {
                    return "job already " + redelivered.state(); // ack the message: nothing left to do
                }
            });
        }
        workers.shutdown();
        workers.awaitTermination(30, TimeUnit.SECONDS);
        JobSnapshot s = job.snapshot();
        out.println("pending parts: " + tally.pendingParts(jobId).toList() + ", state " + s.state() + ", settled "
                + s.settled());
        out.println("reduce ran " + reduces.get() + " time(s)");
    }

    /** RedisProgress: throttled ticks for a scope, listed per scope with percent and ETA. */
    void redisProgress() throws Exception {
        out.println("== RedisProgress: throttled tick() per scope");
        List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        Job job = tally.create(JobSpec.builder()
                .name("records")
                .scope("user:3421")
                .total(100_000)
                .start(true)
                .build());
        try (Subscription sub = tally.subscribe(
                        EventFilter.scope("user:3421"), e -> events.add(e.type().name()));
                Reporter pace = job.reporter(ReportPolicy.every(Duration.ofMillis(200)))) {
            for (int i = 0; i < 100_000; i++) {
                pace.tick(); // nanoseconds: no store call here
            }
        }
        job.finish();
        for (JobSnapshot s :
                tally.query(JobQuery.builder().scope("user:3421").build()).items()) {
            out.printf(
                    "%s %s percent=%.0f count=%d total=%d started_at=%s finished_at=%s%n",
                    s.id(),
                    s.state(),
                    s.progress().percent(),
                    s.succeeded(),
                    s.total(),
                    s.startedAt().orElseThrow(),
                    s.finishedAt().orElseThrow());
        }
    }

    /**
     * jobcontrol: definitions with dependencies; building C builds A and B first, results flow A → B → C, and a new
     * build of A makes B and C outdated.
     */
    void jobcontrol() {
        out.println("== jobcontrol: definitions with dependencies, results, outdated builds");
        try (Runner runner = Runner.builder(tally)
                .define("A", ctx -> 1)
                .define("B", ctx -> ctx.dependencyResult("A", Integer.class) * 10 + 2, Definition.dependsOn("A"))
                .define("C", ctx -> ctx.dependencyResult("B", Integer.class) * 10 + 3, Definition.dependsOn("B"))
                .build()) {
            Build c = runner.build("C", BuildOptions.defaults().buildDependencies(true))
                    .await();
            out.println(
                    "C " + c.state() + " with result " + c.result(Integer.class).orElseThrow());
            runner.build("A").await();
            out.println("outdated after a new build of A: " + runner.outdated());
        }
    }
}
