package io.tally.runner;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.InvalidInputException;
import io.tally.Job;
import io.tally.JobExistsException;
import io.tally.JobFinishedException;
import io.tally.JobSnapshot;
import io.tally.JobSpec;
import io.tally.PartCompletion;
import io.tally.Tally;
import io.tally.TallyException;
import io.tally.internal.Json;
import io.tally.store.LogEntry;
import io.tally.store.PartStatus;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The map-reduce side of a runner: starting jobs, and handling map messages as a worker.
 *
 * <p><b>Part results.</b> The store SPI has no per-part result, so a part's result is appended to the job's log
 * before the part is completed: one record with level {@value #RESULT_LEVEL}, logger {@code tally.part.N} and
 * message {@code {"part": N, "result": …}}. Appending first means that when the completion that settles the job
 * returns, every succeeded part's result is already stored. A redelivered part may append its result twice; the
 * reduce keeps the first record of each succeeded part.
 *
 * <p><b>The reduce.</b> Runs on the thread of the part completion that got {@code last = true} (the store grants it
 * to exactly one call per job), as a child job {@code <id>:reduce}; creating that job with a fixed id is a second
 * guard, so even a misbehaving store cannot run the reduce twice.
 */
final class MapReduces {
    static final String RESULT_LEVEL = "RESULT";

    private static final Logger log = LoggerFactory.getLogger(MapReduces.class);

    private final Runner runner;
    private final Tally tally;
    private final Dispatcher dispatcher;
    private final Map<String, Spec> specs = new ConcurrentHashMap<>();
    // One shared log per job in this process while any of its parts run here; counted so the last part closes it.
    private final Map<String, SharedLog> logs = new ConcurrentHashMap<>();

    MapReduces(Runner runner, Dispatcher dispatcher, int threads, Map<String, Spec> initial) {
        this.runner = runner;
        this.tally = runner.tally();
        this.dispatcher = dispatcher == null ? new InProcessDispatcher(threads) : dispatcher;
        this.specs.putAll(initial);
        this.dispatcher.start(new MessageHandler() {
            @Override
            public void handle(WorkMessage message) throws Exception {
                runner.handle(message);
            }

            @Override
            public void deadLettered(WorkMessage message, String place, Exception cause) {
                runner.deadLettered(message, place, cause);
            }
        });
    }

    /** The functions registered under one name. */
    record Spec(String name, PartFunction partFn, ReduceFunction reduceFn, MapReduceOptions options) {
        static Spec of(String name, PartFunction partFn, ReduceFunction reduceFn, MapReduceOptions options) {
            if (name == null || name.isBlank() || name.length() > 256) {
                throw new InvalidInputException("name", "must be 1–256 characters");
            }
            return new Spec(
                    name,
                    Objects.requireNonNull(partFn, "partFn"),
                    Objects.requireNonNull(reduceFn, "reduceFn"),
                    Objects.requireNonNull(options, "options"));
        }
    }

    void register(String name, PartFunction partFn, ReduceFunction reduceFn, MapReduceOptions options) {
        specs.put(name, Spec.of(name, partFn, reduceFn, options));
    }

    MapReduceJob start(String name, List<?> parts) {
        Spec spec = specs.get(name);
        if (spec == null) {
            throw new InvalidInputException("name", "no map-reduce registered as '" + name + "'");
        }
        Job job = tally.create(JobSpec.builder()
                .name(name)
                .parts(parts)
                .toleratedFailures(spec.options().toleratedFailures())
                .metadata(Map.of(BuildMetadata.KIND_KEY, "map-reduce", "mapReduce", name))
                .start(true)
                .build());
        for (int i = 0; i < parts.size(); i++) {
            WorkMessage m = WorkMessage.map(name, job.id(), i);
            try {
                // With the payload as the store keeps it (watchbot's message: the part plus jobId and partId).
                m = WorkMessage.map(
                        name, job.id(), i, RunnerJson.parseMap(Json.partPayload("parts", parts.get(i), job.id(), i)));
                dispatcher.publish(m);
            } catch (RuntimeException e) {
                DispatchException failure = e instanceof DispatchException d
                        ? d
                        : new DispatchException("publishing " + m + " failed: " + e.getMessage(), e);
                try {
                    // Parts already published will find the job ended and do nothing.
                    job.fail(failure);
                } catch (TallyException alsoFailed) {
                    failure.addSuppressed(alsoFailed);
                }
                throw failure;
            }
        }
        return new MapReduceJob(tally, job.id());
    }

    void handle(WorkMessage m) throws Exception {
        if (!WorkMessage.MAP.equals(m.kind())) {
            throw new DispatchException("unknown message kind '" + m.kind() + "' in " + m);
        }
        Spec spec = specs.get(m.name());
        if (spec == null) {
            // Another worker may know it: ask for a redelivery rather than drop the part.
            throw new DispatchException("no map-reduce registered as '" + m.name() + "' in this worker");
        }
        LogContext.withBuild(m.jobId(), () -> {
            runPart(spec, m);
            return null;
        });
    }

    private void runPart(Spec spec, WorkMessage m) throws Exception {
        SharedLog shared = acquireLog(m.jobId());
        try {
            PartContext ctx = new PartContext(
                    m,
                    m.payload() != null
                            ? m.payload()
                            : tally.partPayload(m.jobId(), m.part()).orElse(Map.of()),
                    new BuildLogger("io.tally.runner.part." + spec.name(), shared.log));
            tally.runPart(m.jobId(), m.part(), spec.options().partOptions(() -> reduce(spec, m.jobId())), () -> {
                Object result = spec.partFn().run(ctx);
                storeResult(m.jobId(), m.part(), result);
                return result;
            });
        } catch (JobFinishedException ended) {
            log.debug("{}: job already {}, nothing to do", m, ended.state());
        } catch (Exception e) {
            if (spec.options().failsJob(e)) {
                log.info("{} failed the job: {}", m, e.toString()); // runPart recorded it and failed the job
                return;
            }
            if (m.attempt() < spec.options().maxAttempts()) {
                throw e;
            }
            DeadLetterException gaveUp = new DeadLetterException(
                    Deliveries.describe(m) + " failed on all " + m.attempt() + " attempts: " + e, e);
            giveUp(spec, m, gaveUp);
            throw gaveUp; // recorded: the dispatcher moves the message to its dead-letter place, never redelivers it
        } finally {
            releaseLog(m.jobId(), shared);
        }
    }

    /**
     * A dispatcher dead-lettered a map message (it used up its deliveries): the part is given up on, as after its last
     * attempt, with a reason naming the part, the deliveries and the place.
     */
    void deadLettered(WorkMessage m, String place, Exception cause) {
        if (!WorkMessage.MAP.equals(m.kind())) {
            return;
        }
        giveUp(specs.get(m.name()), m, new DeadLetterException(Deliveries.reason(m, place, cause), cause));
    }

    /**
     * The part failed on its last attempt: record it; tolerated failures may settle the job, others fail it. Repeating
     * it changes nothing (the part is failed already, the job ended). {@code spec} is null when this worker does not
     * know the map-reduce: a settle then leaves the reduce to {@code rerunReduce}.
     */
    private void giveUp(Spec spec, WorkMessage m, Exception e) {
        try {
            PartCompletion c = tally.failPart(m.jobId(), m.part(), truncate(e.getMessage()), false);
            if (c.last() && spec == null) {
                log.error("{} settled the job, but this worker has no map-reduce '{}' to reduce it", m, m.name());
                return;
            }
            if (c.last()) {
                reduce(spec, m.jobId());
                return;
            }
            JobSnapshot s = tally.get(m.jobId()).snapshot();
            if (!s.state().isTerminal() && s.failed() > s.toleratedFailures()) {
                tally.get(m.jobId()).fail(e);
            }
        } catch (TallyException ended) {
            log.debug("{}: recording the failure found the job ended: {}", m, ended.toString());
        }
    }

    /**
     * Writes the lines this worker's parts logged before the reduce starts, so whoever sees the job end reads them:
     * the shared parts log is otherwise written when its last part lets go of it, which is after this reduce (it runs
     * inside the last part's completion). Once per job, not per part: a write per part serialised the parts on the log
     * and cost a multi-worker run several times its time. Lines of parts on other workers are written as those parts
     * end. A failed write leaves the lines buffered for that last write.
     */
    private void flushPartsLog(String jobId) {
        SharedLog shared = logs.get(jobId);
        if (shared == null) {
            return;
        }
        try {
            shared.log.flush();
        } catch (RuntimeException e) {
            log.debug("writing the log of {} failed: {}", jobId, e.toString());
        }
    }

    private void storeResult(String jobId, int part, Object result) {
        String json = RunnerJson.write(Map.of("part", part, "result", result == null ? "" : result));
        if (json.length() > 64 * 1024) {
            throw new InvalidInputException("result", "part " + part + "'s result is more than 64 KiB of JSON");
        }
        tally.get(jobId)
                .log(List.of(new LogEntry(0, tally.clock().instant(), RESULT_LEVEL, "tally.part." + part, json)));
    }

    /** Runs the reduce as the child job {@code <id>:reduce}; never throws (the part is complete either way). */
    private void reduce(Spec spec, String jobId) {
        flushPartsLog(jobId);
        String reduceId = MapReduceJob.reduceIdOf(jobId);
        Job job;
        try {
            JobSpec.Builder js = JobSpec.builder()
                    .id(reduceId)
                    .name(spec.name() + ":reduce")
                    .parent(jobId)
                    .metadata(Map.of(BuildMetadata.KIND_KEY, "reduce", "mapReduce", spec.name()))
                    .start(true);
            if (runner.heartbeatLease() != null) {
                // A worker that dies mid-reduce leaves a reduce job the sweeper fails as stalled, not one RUNNING
                // forever.
                js.heartbeat(runner.heartbeatLease());
            }
            job = tally.create(js.build());
        } catch (JobExistsException alreadyReduced) {
            log.warn("reduce of {} already ran; not running it again", jobId);
            return;
        } catch (RuntimeException e) {
            log.error("reduce job of {} could not be created", jobId, e);
            return;
        }
        BuildLog reduceLog = BuildLog.open(tally.get(reduceId), tally.clock(), runner.retention(), 200);
        java.util.concurrent.ScheduledFuture<?> beat = runner.startHeartbeat(job, runner.heartbeatLease());
        try {
            LogContext.withBuild(reduceId, () -> {
                ReduceContext ctx = new ReduceContext(
                        jobId,
                        results(jobId),
                        tally.parts(jobId, PartStatus.FAILED).toList(),
                        new BuildLogger("io.tally.runner.reduce." + spec.name(), reduceLog));
                Object result;
                try {
                    result = tally.runWork(reduceId, () -> spec.reduceFn().reduce(ctx));
                } catch (Exception | Error e) {
                    ctx.log().error("reduce failed: {}", String.valueOf(e));
                    reduceLog.close();
                    job.fail(e);
                    return null;
                }
                reduceLog.close();
                try {
                    job.finish(result);
                } catch (InvalidInputException badResult) {
                    job.fail(badResult);
                }
                return null;
            });
        } catch (RuntimeException e) {
            log.error("reduce of {} could not be recorded", jobId, e);
        } finally {
            if (beat != null) {
                beat.cancel(false);
            }
            reduceLog.close();
        }
    }

    /**
     * Runs the reduce of a settled job again, when its reduce job is missing (the worker died between the settle and
     * creating it) or failed (the reduce threw, or its worker died and the sweeper failed it as stalled).
     *
     * @return the job handle
     */
    MapReduceJob rerunReduce(String jobId) {
        JobSnapshot parts = tally.get(jobId).snapshot();
        if (!parts.settled()) {
            throw new InvalidInputException("jobId", "job " + jobId + " has not settled; its reduce cannot run yet");
        }
        String name = String.valueOf(parts.metadata().get("mapReduce"));
        Spec spec = specs.get(name);
        if (spec == null) {
            throw new InvalidInputException("name", "no map-reduce registered as '" + name + "'");
        }
        String reduceId = MapReduceJob.reduceIdOf(jobId);
        tally.snapshot(reduceId).ifPresent(r -> {
            if (r.state() != io.tally.JobState.FAILED && r.state() != io.tally.JobState.CANCELLED) {
                throw new InvalidInputException(
                        "jobId", "the reduce of " + jobId + " is " + r.state() + "; not re-run");
            }
            tally.delete(reduceId);
        });
        reduce(spec, jobId);
        return new MapReduceJob(tally, jobId);
    }

    /** One result per succeeded part: the first RESULT record of each, read page by page. */
    private SortedMap<Integer, JsonNode> results(String jobId) {
        Set<Integer> succeeded =
                new HashSet<>(tally.parts(jobId, PartStatus.SUCCEEDED).toList());
        SortedMap<Integer, JsonNode> out = new TreeMap<>();
        long after = 0;
        while (true) {
            List<LogEntry> page = tally.get(jobId).logs(after, 1000);
            for (LogEntry e : page) {
                if (RESULT_LEVEL.equals(e.level())) {
                    JsonNode n = RunnerJson.tree(e.message());
                    int part = n.get("part").asInt();
                    if (succeeded.contains(part)) {
                        out.putIfAbsent(part, n.get("result"));
                    }
                }
            }
            if (page.size() < 1000) {
                return out;
            }
            after = page.get(page.size() - 1).seq();
        }
    }

    private SharedLog acquireLog(String jobId) {
        return logs.compute(jobId, (k, s) -> {
            SharedLog out = s != null
                    ? s
                    : new SharedLog(BuildLog.open(tally.get(jobId), tally.clock(), runner.retention(), 200));
            out.users++;
            return out;
        });
    }

    private void releaseLog(String jobId, SharedLog shared) {
        logs.computeIfPresent(jobId, (k, s) -> {
            if (--s.users > 0) {
                return s;
            }
            try {
                s.log.close();
            } catch (RuntimeException e) {
                log.warn("the log of {} could not be written completely", jobId, e);
            }
            return null;
        });
    }

    private static String truncate(String s) {
        return s.length() > 4000 ? s.substring(0, 4000) + "…" : s;
    }

    void close() {
        dispatcher.close();
    }

    Dispatcher dispatcher() {
        return dispatcher;
    }

    private static final class SharedLog {
        final BuildLog log;
        int users;

        SharedLog(BuildLog log) {
            this.log = log;
        }
    }
}
