package io.tally.runner;

import io.tally.IllegalTransitionException;
import io.tally.InvalidInputException;
import io.tally.Job;
import io.tally.JobFinishedException;
import io.tally.JobSnapshot;
import io.tally.JobState;
import io.tally.Tally;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one build on the calling thread, on a job already RUNNING: the definition's function, then its cleanup, with
 * every log line captured for the build (see {@link LogContext}), the job watched meanwhile (heartbeat, cancel), and
 * the outcome stored (result, failure with its stack text, or SKIPPED). A build whose job was cancelled while it ran
 * stores nothing more: the cancel stands, and whatever the function threw for it (an {@link InterruptedException}, say)
 * is no error. Used for builds run here and builds claimed by a worker.
 */
final class BuildExecution {
    // Logs under the runner's name, as before the split, so existing logging configuration still applies.
    private static final Logger log = LoggerFactory.getLogger(Runner.class);

    private final Tally tally;
    private final LogRetention retention;
    private final int logBatchSize;
    private final JobWatcher watcher;

    BuildExecution(Tally tally, LogRetention retention, int logBatchSize, JobWatcher watcher) {
        this.tally = tally;
        this.retention = retention;
        this.logBatchSize = logBatchSize;
        this.watcher = watcher;
    }

    /**
     * @param params the parameters the function sees (secrets unmasked)
     * @param pinned the build id of each dependency, fixed when the build's job was created
     * @param lease the heartbeat lease to renew, or null
     * @return the build's state as stored after it ran (the store's word: it may have been swept or cancelled)
     */
    Build.Outcome run(Definition def, Job job, Map<String, Object> params, Map<String, String> pinned, Duration lease) {
        BuildLog buildLog = BuildLog.open(job, tally.clock(), retention, logBatchSize);
        BuildCancel cancel = new BuildCancel(Thread.currentThread(), def.interruptOnCancel());
        BuildContext ctx = new BuildContext(
                tally,
                def,
                job,
                RunnerJson.unmodifiable(params),
                Collections.unmodifiableMap(pinned),
                buildLog,
                cancel);
        Object result = null;
        Throwable failure = null;
        boolean skipped = false;
        ScheduledFuture<?> watch = watcher.start(job, lease, cancel);
        try {
            // Through runWork, so instrumentation (a tracing module's span) sees the build's function. A skip is
            // handed out as a value, since it is no error for the instrumentation to record.
            Object ran = tally.runWork(job.id(), () -> {
                try {
                    return LogContext.withBuild(job.id(), () -> def.function().run(ctx));
                } catch (SkipBuild s) {
                    return s;
                }
            });
            if (ran instanceof SkipBuild s) {
                throw s;
            }
            result = ran;
        } catch (SkipBuild s) {
            skipped = true;
            ctx.log().info("build skipped: {}", s.getMessage());
        } catch (Exception | Error e) {
            failure = e;
        } finally {
            cancel.functionEnded();
        }
        if (def.cleanup().isPresent()) {
            try {
                LogContext.withBuild(job.id(), () -> {
                    def.cleanup().get().cleanup(ctx);
                    return null;
                });
            } catch (Exception | Error e) {
                // A cleanup that throws fails a good build, but must not hide why a failed one failed.
                if (failure == null) {
                    failure = e;
                    skipped = false;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        ctx.closeOpened();
        if (watch != null) {
            watch.cancel(false);
        }
        boolean cancelled = ctx.cancelled();
        if (cancelled) {
            ctx.log().info("build cancelled");
        } else if (failure != null) {
            ctx.log().error("build failed: {}", String.valueOf(failure));
        }
        try {
            buildLog.close();
        } catch (RuntimeException e) {
            log.warn("the log of build {} could not be written completely", job.id(), e);
        }
        if (!cancelled) {
            storeOutcome(job, result, failure, skipped);
        }
        JobState state = tally.snapshot(job.id()).map(JobSnapshot::state).orElse(JobState.FAILED);
        return new Build.Outcome(job.id(), state, null);
    }

    /** Stores what the build came to: its result, its failure, or SKIPPED. */
    private static void storeOutcome(Job job, Object result, Throwable failure, boolean skipped) {
        try {
            if (failure == null && !skipped) {
                try {
                    job.finish(result);
                    return;
                } catch (InvalidInputException badResult) {
                    failure = badResult; // not JSON, or too large: the build fails rather than lose its result
                }
            }
            if (failure != null) {
                job.fail(failure);
            } else {
                job.skip();
            }
        } catch (IllegalTransitionException | JobFinishedException endedElsewhere) {
            // Swept as timed out, or cancelled after the last check, while the function ran: the stored state stands.
            log.info("build {} ended elsewhere before it finished: {}", job.id(), endedElsewhere.getMessage());
        }
    }
}
