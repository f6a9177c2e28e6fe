package io.tally.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.IllegalTransitionException;
import io.tally.InvalidInputException;
import io.tally.Job;
import io.tally.JobFinishedException;
import io.tally.JobSnapshot;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.PartCompletion;
import io.tally.store.ProgressUpdate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A seeded randomized test: random operation sequences run against the store and against a small sequential model of
 * Tally's rules; after every step the outcome (result or exception type) and the job's state and counters must agree.
 * The seed is printed; {@code -Dtally.seed=N} replays a run.
 */
public interface ModelContract extends StoreFixture {

    /** @return operations per run */
    default int modelSteps() {
        return 3000;
    }

    /** The sequential model of one job. */
    final class ModelJob {
        final int parts;
        final int tolerated;
        JobState state = JobState.PENDING;
        long total;
        long succeeded;
        long failed;
        boolean settled;
        String error; // the message of a FAILED job's error: failing it again with another is refused
        final Map<String, Outcome> items = new HashMap<>();
        final Outcome[] partOutcomes;

        ModelJob(long total, int parts, int tolerated) {
            this.total = parts > 0 ? parts : total;
            this.parts = parts;
            this.tolerated = tolerated;
            this.partOutcomes = new Outcome[parts];
        }

        void progress(Outcome outcome, String key) {
            if (state.isTerminal()) {
                throw new JobFinishedException("model", state);
            }
            if (parts > 0) {
                throw new InvalidInputException("part", "has parts");
            }
            state = JobState.RUNNING;
            if (key == null) {
                count(outcome, 1);
                return;
            }
            Outcome before = items.put(key, outcome);
            if (before == outcome) {
                return;
            }
            if (before != null) {
                count(before, -1);
            }
            count(outcome, 1);
        }

        private void count(Outcome o, int d) {
            if (o == Outcome.SUCCESS) {
                succeeded += d;
            } else {
                failed += d;
            }
        }

        /** @return "last" or "" for a part completion */
        String part(int p, Outcome outcome, boolean failJob) {
            if (parts == 0 || p >= parts) {
                throw new InvalidInputException("part", "out of range");
            }
            if (state.isTerminal()) {
                if (partOutcomes[p] != outcome) {
                    throw new JobFinishedException("model", state);
                }
                return "";
            }
            state = JobState.RUNNING;
            Outcome before = partOutcomes[p];
            if (before != outcome) {
                partOutcomes[p] = outcome;
                if (before != null) {
                    count(before, -1);
                }
                count(outcome, 1);
            }
            if (outcome == Outcome.FAILURE && failJob) {
                state = JobState.FAILED;
                error = "bad";
                return "";
            }
            if (!settled && succeeded + failed == parts && failed <= tolerated) {
                settled = true;
                state = JobState.SUCCEEDED;
                return "last";
            }
            return "";
        }

        /** @param message the error message of a move to FAILED */
        void transition(JobState to, String message) {
            if (state == to) {
                if (to == JobState.FAILED && !message.equals(error)) {
                    throw new IllegalTransitionException("model", state, to, "with a different error");
                }
                return;
            }
            if (!JobState.canTransition(state, to)) {
                throw new IllegalTransitionException("model", state, to);
            }
            state = to;
            error = message;
        }
    }

    @Test
    default void randomOperationSequencesMatchTheModel() {
        long seed = ConcurrencyContract.seed("model");
        Random random = new Random(seed);
        List<Job> jobs = new ArrayList<>();
        List<ModelJob> models = new ArrayList<>();
        for (int step = 0; step < modelSteps(); step++) {
            if (jobs.isEmpty() || random.nextInt(40) == 0) {
                int parts = random.nextBoolean() ? 1 + random.nextInt(6) : 0;
                int tolerated = random.nextInt(3) == 0 ? 1 : 0;
                long total = random.nextInt(8);
                JobSpec.Builder spec = JobSpec.builder().name("m").toleratedFailures(tolerated);
                if (parts > 0) {
                    List<Map<String, Object>> payloads = new ArrayList<>();
                    for (int i = 0; i < parts; i++) {
                        payloads.add(Map.of("i", i));
                    }
                    spec.parts(payloads);
                } else {
                    spec.total(total);
                }
                jobs.add(tally().create(spec.build()));
                models.add(new ModelJob(total, parts, tolerated));
            }
            int j = random.nextInt(jobs.size());
            Job job = jobs.get(j);
            ModelJob model = models.get(j);
            String key = random.nextInt(3) == 0 ? null : "k" + random.nextInt(5);
            int part = random.nextInt(Math.max(1, model.parts) + 1);
            int op = random.nextInt(12);
            boolean failJob = random.nextInt(4) == 0;
            boolean cancel = random.nextBoolean();
            String description = "step " + step + " op " + op + " on job " + j + " (seed " + seed + ")";
            Object expected = outcome(() -> switch (op) {
                case 0, 1, 2 -> {
                    model.progress(Outcome.SUCCESS, key);
                    yield "ok";
                }
                case 3, 4 -> {
                    model.progress(Outcome.FAILURE, key);
                    yield "ok";
                }
                case 5, 6, 7 -> model.part(part, Outcome.SUCCESS, false);
                case 8 -> model.part(part, Outcome.FAILURE, failJob);
                case 9 -> {
                    model.transition(JobState.RUNNING, null);
                    yield "ok";
                }
                case 10 -> {
                    model.transition(JobState.SUCCEEDED, null);
                    yield "ok";
                }
                default -> {
                    model.transition(cancel ? JobState.CANCELLED : JobState.FAILED, cancel ? null : "f");
                    yield "ok";
                }
            });
            // Replay the same random choices against the store.
            Object actual = outcome(() -> switch (op) {
                case 0, 1, 2 -> {
                    if (key == null) {
                        job.record(ProgressUpdate.counts(1, 0));
                    } else {
                        job.recordSuccess(key);
                    }
                    yield "ok";
                }
                case 3, 4 -> {
                    if (key == null) {
                        job.recordFailure();
                    } else {
                        job.recordFailure(key, "r");
                    }
                    yield "ok";
                }
                case 5, 6, 7 -> last(tally().completePart(job.id(), part));
                case 8 -> last(tally().failPart(job.id(), part, "bad", failJob));
                case 9 -> {
                    job.start();
                    yield "ok";
                }
                case 10 -> {
                    job.finish();
                    yield "ok";
                }
                default -> {
                    if (cancel) {
                        job.cancel("c");
                    } else {
                        job.fail("f");
                    }
                    yield "ok";
                }
            });
            assertThat(actual).as(description).isEqualTo(expected);
            JobSnapshot s = job.snapshot();
            assertThat(s.state()).as(description).isEqualTo(model.state);
            assertThat(s.succeeded()).as(description).isEqualTo(model.succeeded);
            assertThat(s.failed()).as(description).isEqualTo(model.failed);
            assertThat(s.total()).as(description).isEqualTo(model.total);
            assertThat(s.settled()).as(description).isEqualTo(model.settled);
        }
    }

    private static String last(PartCompletion c) {
        return c.last() ? "last" : "";
    }

    private static Object outcome(java.util.function.Supplier<Object> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName();
        }
    }
}
