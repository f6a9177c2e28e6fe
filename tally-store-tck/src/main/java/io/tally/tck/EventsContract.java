package io.tally.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.EventFilter;
import io.tally.EventType;
import io.tally.Job;
import io.tally.JobEvent;
import io.tally.JobSpec;
import io.tally.Subscription;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Events reach subscribers in order; progress is coalesced for slow subscribers. */
public interface EventsContract extends StoreFixture {

    private static List<EventType> types(List<JobEvent> events) {
        return events.stream().map(JobEvent::type).toList();
    }

    @Test
    default void lifecycleEventsArriveInOrder() {
        List<JobEvent> seen = new CopyOnWriteArrayList<>();
        try (Subscription sub = tally().subscribe(EventFilter.all(), seen::add)) {
            Job job = tally().create(JobSpec.builder().name("e").total(2).build());
            job.start();
            job.recordSuccess();
            job.finish("r");
            Job other = tally().create(JobSpec.builder().name("f").build());
            other.fail("x");
            Job third = tally().create(JobSpec.builder().name("g").build());
            third.cancel("stop");
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> seen.stream().anyMatch(e -> e.type() == EventType.CANCELLED));
            assertThat(seen.stream().filter(e -> e.jobId().equals(job.id())).map(JobEvent::type))
                    .containsSubsequence(EventType.CREATED, EventType.STARTED, EventType.PROGRESS, EventType.FINISHED);
            assertThat(seen.stream().filter(e -> e.jobId().equals(other.id())).map(JobEvent::type))
                    .containsExactly(EventType.CREATED, EventType.FAILED);
            assertThat(seen.stream().filter(e -> e.jobId().equals(third.id())).map(JobEvent::type))
                    .containsExactly(EventType.CREATED, EventType.CANCELLED);
            JobEvent finished = seen.stream()
                    .filter(e -> e.type() == EventType.FINISHED)
                    .findFirst()
                    .orElseThrow();
            assertThat(finished.snapshot().result(String.class)).contains("r");
        }
    }

    @Test
    default void theSettleIsAnnouncedOnce() {
        List<JobEvent> seen = new CopyOnWriteArrayList<>();
        Job job = tally().create(JobSpec.builder()
                .name("mr")
                .parts(List.of(Map.of(), Map.of()))
                .build());
        try (Subscription sub = tally().subscribe(EventFilter.job(job.id()), seen::add)) {
            tally().completePart(job.id(), 0);
            tally().completePart(job.id(), 1);
            tally().completePart(job.id(), 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> types(seen).contains(EventType.FINISHED));
            assertThat(types(seen)).containsOnlyOnce(EventType.SETTLED, EventType.FINISHED);
            assertThat(types(seen)).containsSubsequence(EventType.PART, EventType.SETTLED, EventType.FINISHED);
            assertThat(seen.stream()
                            .filter(e -> e.type() == EventType.PART)
                            .map(e -> e.part().getAsInt()))
                    .contains(1);
        }
    }

    @Test
    default void eachChangedPartIsAnnouncedWithTheJobAfterIt() {
        // Each call waits for its event before the next (PART events of one job are coalesced while they wait).
        List<JobEvent> seen = new CopyOnWriteArrayList<>();
        Job job = tally().create(JobSpec.builder()
                .name("mr")
                .parts(List.of(Map.of(), Map.of(), Map.of()))
                .start(true)
                .build());
        try (Subscription sub = tally().subscribe(EventFilter.job(job.id()), seen::add)) {
            tally().completePart(job.id(), 0);
            assertThat(awaitPart(seen, 0).snapshot().succeeded()).isEqualTo(1);
            tally().failPart(job.id(), 1, "flaky", false);
            assertThat(awaitPart(seen, 1).snapshot().failed()).isEqualTo(1);
            tally().completePart(job.id(), 0); // changes nothing: no event
            tally().completePart(job.id(), 2);
            JobEvent third = awaitPart(seen, 2);
            assertThat(third.snapshot().succeeded()).isEqualTo(2);
            assertThat(third.snapshot().state()).isEqualTo(io.tally.JobState.RUNNING); // a failure, none tolerated
            assertThat(seen.stream()
                            .filter(e -> e.type() == EventType.PART)
                            .map(e -> e.part().getAsInt()))
                    .containsExactly(0, 1, 2);
        }
    }

    /** @return the first PART event of {@code part} among {@code seen}, waiting up to 10 s for it */
    private static JobEvent awaitPart(List<JobEvent> seen, int part) {
        return await().atMost(Duration.ofSeconds(10))
                .until(
                        () -> seen.stream()
                                .filter(e ->
                                        e.type() == EventType.PART && e.part().getAsInt() == part)
                                .findFirst(),
                        java.util.Optional::isPresent)
                .orElseThrow();
    }

    @Test
    default void filtersSelectByJobAndScope() {
        List<JobEvent> mine = new CopyOnWriteArrayList<>();
        List<JobEvent> scoped = new CopyOnWriteArrayList<>();
        Job job = tally().create(JobSpec.builder().name("a").scope("team:x").build());
        Job other = tally().create(JobSpec.builder().name("b").build());
        try (Subscription s1 = tally().subscribe(EventFilter.job(job.id()), mine::add);
                Subscription s2 = tally().subscribe(EventFilter.scope("team:x"), scoped::add)) {
            other.start();
            job.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> mine.size() == 1 && scoped.size() == 1);
            assertThat(mine.get(0).jobId()).isEqualTo(job.id());
            assertThat(scoped.get(0).snapshot().scope()).contains("team:x");
        }
    }

    @Test
    default void progressIsCoalescedForASlowSubscriberAndTheLatestArrives() throws Exception {
        Job job = running(10_000);
        CountDownLatch release = new CountDownLatch(1);
        List<JobEvent> seen = new CopyOnWriteArrayList<>();
        List<JobEvent> all = new CopyOnWriteArrayList<>();
        try (Subscription sub = tally().subscribe(EventFilter.job(job.id()), e -> {
                    seen.add(e);
                    try {
                        release.await(10, TimeUnit.SECONDS); // the subscriber is stuck on its first event
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                    }
                });
                // A second subscriber, never stuck: events are handed to subscribers in the order they subscribed, so
                // once this one has FINISHED, every event has been queued for the stuck one too. (Released earlier, the
                // stuck one would take events that were still on their way from the store one by one.)
                Subscription witness = tally().subscribe(EventFilter.job(job.id()), all::add)) {
            for (int i = 0; i < 2000; i++) {
                job.recordSuccess();
            }
            job.finish();
            await().atMost(Duration.ofSeconds(10)).until(() -> types(all).contains(EventType.FINISHED));
            release.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> types(seen).contains(EventType.FINISHED));
            long progressEvents =
                    types(seen).stream().filter(t -> t == EventType.PROGRESS).count();
            assertThat(progressEvents).isBetween(1L, 3L);
            JobEvent lastProgress = seen.stream()
                    .filter(e -> e.type() == EventType.PROGRESS)
                    .reduce((a, b) -> b)
                    .orElseThrow();
            assertThat(lastProgress.snapshot().succeeded()).isEqualTo(2000);
            assertThat(types(seen).get(types(seen).size() - 1)).isEqualTo(EventType.FINISHED);
        }
    }

    @Test
    default void aClosedSubscriptionReceivesNothing() {
        List<JobEvent> seen = new CopyOnWriteArrayList<>();
        Subscription sub = tally().subscribe(EventFilter.all(), seen::add);
        sub.close();
        Job job = tally().create(JobSpec.builder().name("quiet").build());
        List<JobEvent> control = new CopyOnWriteArrayList<>();
        try (Subscription other = tally().subscribe(EventFilter.job(job.id()), control::add)) {
            job.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> !control.isEmpty());
        }
        assertThat(seen).isEmpty();
    }
}
