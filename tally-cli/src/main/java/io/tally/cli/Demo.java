package io.tally.cli;

import io.tally.Job;
import io.tally.JobFinishedException;
import io.tally.JobSpec;
import io.tally.Tally;
import io.tally.TallyException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sample jobs for {@code tally serve --demo}, so a new user sees the dashboard move at once: keyed items with some
 * failures, a map-reduce job whose parts finish out of order (one fails and is retried), a job that fails with an
 * exception and logs, a parent with three children run one after another, and one that waits. Each round takes about
 * 45 seconds; a new round starts when the previous one ended, so the dashboard stays live.
 */
final class Demo implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Demo.class);
    private static final long TICK_MS = 200;

    private final Tally tally;
    private final ScheduledExecutorService thread;
    private final Random random = new Random(42);
    private final List<Step> steps = new ArrayList<>();
    private int round;
    private long idleTicks;

    /** One demo job's next move; returns false once it has ended. */
    private interface Step {
        boolean tick();
    }

    private Demo(Tally tally) {
        this.tally = tally;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tally-demo");
            t.setDaemon(true);
            return t;
        });
    }

    static Demo start(Tally tally) {
        Demo d = new Demo(tally);
        d.thread.scheduleWithFixedDelay(d::tick, 0, TICK_MS, TimeUnit.MILLISECONDS);
        return d;
    }

    private void tick() {
        try {
            if (steps.isEmpty()) {
                if (idleTicks-- > 0) {
                    return;
                }
                newRound();
            }
            steps.removeIf(s -> {
                try {
                    return !s.tick();
                } catch (JobFinishedException e) {
                    return true; // someone cancelled it from the dashboard
                }
            });
            if (steps.isEmpty()) {
                idleTicks = 25; // a pause between rounds, so finished jobs can be looked at
            }
        } catch (TallyException e) {
            log.warn("demo step failed: {}", e.getMessage());
        }
    }

    private void newRound() {
        round++;
        String scope = "demo:" + round;
        steps.add(items(scope));
        steps.add(mapReduce(scope));
        steps.add(failing(scope));
        steps.add(pipeline(scope));
        Job waiting = tally.create(JobSpec.builder()
                .name("waiting-for-approval")
                .scope(scope)
                .message("waits for someone to start or cancel it")
                .retainFor(Duration.ofMinutes(30))
                .build());
        log.debug("demo round {} created {}", round, waiting.id());
    }

    /** Keyed items at ~10/s, every 37th fails. */
    private Step items(String scope) {
        Job job = tally.create(JobSpec.builder()
                .name("import-users")
                .scope(scope)
                .total(400)
                .metadata(Map.of("source", "users.csv", "round", round))
                .start(true)
                .retainFor(Duration.ofMinutes(30))
                .build());
        int[] next = {0};
        return () -> {
            for (int i = 0; i < 2 && next[0] < 400; i++, next[0]++) {
                int n = next[0];
                if (n % 37 == 36) {
                    job.recordFailure("user-" + n, "invalid email");
                } else {
                    job.recordSuccess("user-" + n);
                }
            }
            if (next[0] % 100 == 0) {
                job.message("imported " + next[0] + " users");
            }
            if (next[0] >= 400) {
                job.finish(Map.of("imported", 400 - 400 / 37, "rejected", 400 / 37));
                return false;
            }
            return true;
        };
    }

    /** Twelve parts done out of order; part 5 fails once and is retried; the settling call is the reduce. */
    private Step mapReduce(String scope) {
        List<Map<String, Object>> parts = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            parts.add(Map.of("tile", "z10/" + i));
        }
        Job job = tally.create(JobSpec.builder()
                .name("render-tiles")
                .scope(scope)
                .parts(parts)
                .retainFor(Duration.ofMinutes(30))
                .build());
        List<Integer> todo = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            todo.add(i);
        }
        java.util.Collections.shuffle(todo, random);
        boolean[] failedOnce = {false};
        return () -> {
            if (random.nextInt(8) != 0 || todo.isEmpty()) {
                return !todo.isEmpty();
            }
            int part = todo.remove(0);
            if (part == 5 && !failedOnce[0]) {
                failedOnce[0] = true;
                tally.failPart(job.id(), part, "worker lost", false);
                todo.add(part); // retried later
                return true;
            }
            if (tally.completePart(job.id(), part).last()) {
                job.log("INFO", "all parts done: reduce sent exactly once");
            }
            return !todo.isEmpty();
        };
    }

    /** Progresses, logs, then fails with an exception (stack folded on the job page). */
    private Step failing(String scope) {
        Job job = tally.create(JobSpec.builder()
                .name("resize-images")
                .scope(scope)
                .total(200)
                .start(true)
                .retainFor(Duration.ofMinutes(30))
                .build());
        job.log("INFO", "resizing 200 images to 3 sizes");
        int[] n = {0};
        return () -> {
            job.record(io.tally.store.ProgressUpdate.counts(3, n[0] % 5 == 0 ? 1 : 0));
            n[0]++;
            if (n[0] == 20) {
                job.log("WARN", "disk 95% full");
            }
            if (n[0] >= 60) {
                job.log("ERROR", "giving up");
                job.fail(new IOException("No space left on device: /var/images/out/img-0161.jpg"));
                return false;
            }
            return true;
        };
    }

    /** A parent whose three children (unknown totals, then known) run one after another. */
    private Step pipeline(String scope) {
        Job parent = tally.create(JobSpec.builder()
                .name("nightly-etl")
                .scope(scope)
                .start(true)
                .metadata(Map.of("schedule", "0 2 * * *"))
                .retainFor(Duration.ofMinutes(30))
                .build());
        String[] names = {"extract", "transform", "load"};
        long[] totals = {120, 240, 120};
        List<Job> children = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            children.add(tally.create(JobSpec.builder()
                    .name(names[i])
                    .scope(scope)
                    .parent(parent.id())
                    .total(totals[i])
                    .retainFor(Duration.ofMinutes(30))
                    .build()));
        }
        int[] at = {0};
        long[] done = {0};
        return () -> {
            Job child = children.get(at[0]);
            long step = Math.min(3, totals[at[0]] - done[0]);
            child.record(io.tally.store.ProgressUpdate.counts(step, 0));
            done[0] += step;
            if (done[0] >= totals[at[0]]) {
                child.finish();
                parent.message(names[at[0]] + " done");
                at[0]++;
                done[0] = 0;
                if (at[0] == children.size()) {
                    parent.finish(Map.of("rows", 120));
                    return false;
                }
            }
            return true;
        };
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
