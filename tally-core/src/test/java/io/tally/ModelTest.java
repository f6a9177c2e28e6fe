package io.tally;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.internal.Ids;
import io.tally.internal.Urls;
import io.tally.store.Cursor;
import io.tally.store.RateEstimator;
import io.tally.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ModelTest {

    @Test
    void theTransitionTable() {
        assertThat(JobState.canTransition(JobState.PENDING, JobState.RUNNING)).isTrue();
        assertThat(JobState.canTransition(JobState.PENDING, JobState.SUCCEEDED)).isFalse();
        assertThat(JobState.canTransition(JobState.RUNNING, JobState.PENDING)).isFalse();
        for (JobState terminal : JobState.values()) {
            if (terminal.isTerminal()) {
                for (JobState to : JobState.values()) {
                    assertThat(JobState.canTransition(terminal, to))
                            .as("%s -> %s", terminal, to)
                            .isFalse();
                }
            }
        }
        assertThat(JobState.sourcesOf(JobState.FAILED)).containsExactlyInAnyOrder(JobState.PENDING, JobState.RUNNING);
        assertThat(JobState.sourcesOf(JobState.SUCCEEDED)).containsExactly(JobState.RUNNING);
        assertThat(JobState.sourcesOf(JobState.RUNNING)).containsExactly(JobState.PENDING);
    }

    @Test
    void failureReasonCodes() {
        assertThat(FailureReason.PART_FAILED.code()).isEqualTo("part_failed");
        assertThat(FailureReason.ofCode("stalled")).isEqualTo(FailureReason.STALLED);
        assertThatThrownBy(() -> FailureReason.ofCode("nope")).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void uuidV7CarriesTheClocksMillisecondsAndNeverRepeats() {
        MutableClock clock = MutableClock.startingNow();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            ids.add(Ids.uuidV7(clock));
        }
        assertThat(ids).hasSize(100_000);
        UUID u = UUID.fromString(ids.iterator().next());
        assertThat(u.version()).isEqualTo(7);
        assertThat(u.variant()).isEqualTo(2);
        assertThat(u.getMostSignificantBits() >>> 16).isEqualTo(clock.millis());
    }

    @Test
    void passwordsAreMaskedInUrls() {
        assertThat(Urls.mask("postgresql://tally:s3cr3t@db:5432/app")).isEqualTo("postgresql://tally:***@db:5432/app");
        assertThat(Urls.mask("redis://:pw@host:6379/0")).isEqualTo("redis://:***@host:6379/0");
        assertThat(Urls.mask("mariadb://h/db?user=u&password=pw&x=1"))
                .isEqualTo("mariadb://h/db?user=u&password=***&x=1");
        assertThat(Urls.mask("sqlite:tally.db")).isEqualTo("sqlite:tally.db");
    }

    @Test
    void cursorsRoundTripAndRejectGarbage() {
        Cursor c = new Cursor(Instant.ofEpochMilli(1234567), "job:1");
        assertThat(Cursor.decode(c.encode())).isEqualTo(c);
        assertThatThrownBy(() -> Cursor.decode("!!")).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void theRateEstimatorFoldsWindowsOfAtLeastOneSecond() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        RateEstimator.State s = RateEstimator.State.startedAt(t0);
        s = RateEstimator.fold(s, 5, t0.plusMillis(500));
        assertThat(s.rate()).isNull();
        assertThat(s.acc()).isEqualTo(5);
        s = RateEstimator.fold(s, 5, t0.plusSeconds(1));
        assertThat(s.rate()).isEqualTo(10.0);
        assertThat(s.acc()).isZero();
        // One window of 5 s at 0/s pulls the rate halfway down (alpha = 5 s / 10 s).
        assertThat(RateEstimator.read(s, t0.plusSeconds(6))).isEqualTo(5.0);
        assertThat(RateEstimator.read(s, t0.plusSeconds(1).plus(Duration.ofMillis(999))))
                .isEqualTo(10.0);
        assertThat(RateEstimator.read(new RateEstimator.State(null, null, 0), t0))
                .isZero();
    }

    @Test
    void openingAnUnknownSchemeNamesTheArtifactAndMasksThePassword() {
        assertThatThrownBy(() -> Tally.open("redis://u:secret@localhost:6379"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("tally-redis")
                .hasMessageContaining("memory")
                .hasMessageNotContaining("secret");
        assertThatThrownBy(() -> Tally.open("memory:garbage")).isInstanceOf(InvalidInputException.class);
        // Misuse of the builder is the programmer's, not input: an IllegalStateException / NullPointerException.
        assertThatThrownBy(() -> Tally.builder().build()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Tally.builder()
                        .url("memory:")
                        .store(new io.tally.store.memory.MemoryJobStore(MutableClock.startingNow()))
                        .build())
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Tally.builder().clock(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void theBuilderOpensAMemoryStoreByUrl() {
        try (Tally tally =
                Tally.builder().url("memory:").clock(MutableClock.startingNow()).build()) {
            Job job = tally.create(JobSpec.builder().name("n").build());
            assertThat(tally.get(job.id()).snapshot().createdAt()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void partOptionsMisuseIsAProgrammingError() {
        assertThatThrownBy(() -> PartOptions.failJobOn((Class<? extends Throwable>[]) null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("failJobOn");
        assertThatThrownBy(() -> PartOptions.failJobOn(java.io.IOException.class, null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("failJobOn[1]");
        assertThatThrownBy(() -> PartOptions.defaults().whenLast(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("whenLast");
    }

    @Test
    void runPartRefusesAPartOutsideTheJobWithoutRunningItsWork() {
        try (Tally tally =
                Tally.builder().url("memory:").clock(MutableClock.startingNow()).build()) {
            Job job = tally.create(JobSpec.builder()
                    .name("n")
                    .parts(List.of(Map.of(), Map.of()))
                    .build());
            job.start();
            boolean[] ran = {false};
            assertThatThrownBy(() -> tally.runPart(job.id(), 2, PartOptions.defaults(), () -> ran[0] = true))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("must be between 0 and 1, was 2");
            assertThat(ran[0]).isFalse();
            assertThat(job.snapshot().succeeded()).isZero();
        }
    }

    @Test
    void aHandleIsNotReadFirstAndItsCallsFindTheJob() {
        try (Tally tally = Tally.open("memory:")) {
            assertThatThrownBy(() -> tally.handle("no-such-job").recordSuccess())
                    .isInstanceOf(JobNotFoundException.class);
            assertThatThrownBy(() -> tally.handle("not an id!")).isInstanceOf(InvalidInputException.class);
            Job job = tally.create(JobSpec.builder().name("j").total(2).build());
            assertThat(tally.handle(job.id()).recordSuccess().succeeded()).isEqualTo(1);
            assertThatThrownBy(() -> tally.handle(job.id()).recordAsync(io.tally.store.ProgressUpdate.counts(-1, 0)))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("succeeded");
            assertThat(job.progress().succeeded()).isEqualTo(1);
        }
    }
}
