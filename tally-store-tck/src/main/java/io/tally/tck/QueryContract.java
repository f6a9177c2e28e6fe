package io.tally.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.Job;
import io.tally.JobQuery;
import io.tally.JobSnapshot;
import io.tally.JobSpec;
import io.tally.JobState;
import io.tally.Page;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Listings by state, scope, name and parent, newest first, with keyset pagination. */
public interface QueryContract extends StoreFixture {

    private List<String> ids(JobQuery q) {
        return tally().query(q).items().stream().map(JobSnapshot::id).toList();
    }

    @Test
    default void filtersByStateScopeNameAndParent() {
        Job a = tally().create(JobSpec.builder()
                .name("import")
                .scope("user:1")
                .start(true)
                .build());
        clock().advance(Duration.ofMillis(5));
        Job b = tally().create(JobSpec.builder().name("export").scope("user:1").build());
        clock().advance(Duration.ofMillis(5));
        Job c = tally().create(JobSpec.builder()
                .name("import")
                .scope("user:2")
                .parent(a.id())
                .start(true)
                .build());

        assertThat(ids(JobQuery.builder().build())).containsExactly(c.id(), b.id(), a.id());
        assertThat(ids(JobQuery.builder().state(JobState.RUNNING).build())).containsExactly(c.id(), a.id());
        assertThat(ids(JobQuery.builder().state(JobState.PENDING).build())).containsExactly(b.id());
        assertThat(ids(JobQuery.builder().scope("user:1").build())).containsExactly(b.id(), a.id());
        assertThat(ids(JobQuery.builder().name("import").build())).containsExactly(c.id(), a.id());
        assertThat(ids(JobQuery.builder().parent(a.id()).build())).containsExactly(c.id());
        assertThat(ids(JobQuery.builder()
                        .name("import")
                        .scope("user:1")
                        .state(JobState.RUNNING)
                        .build()))
                .containsExactly(a.id());
        assertThat(ids(JobQuery.builder().scope("user:9").build())).isEmpty();
    }

    @Test
    default void theStateIndexFollowsEveryTransition() {
        Job job = tally().create(JobSpec.builder().name("moving").total(1).build());
        assertThat(ids(JobQuery.builder().state(JobState.PENDING).build())).containsExactly(job.id());
        job.recordSuccess();
        assertThat(ids(JobQuery.builder().state(JobState.PENDING).build())).isEmpty();
        assertThat(ids(JobQuery.builder().state(JobState.RUNNING).build())).containsExactly(job.id());
        job.finish();
        assertThat(ids(JobQuery.builder().state(JobState.RUNNING).build())).isEmpty();
        assertThat(ids(JobQuery.builder().state(JobState.SUCCEEDED).build())).containsExactly(job.id());
        assertThat(tally().stats())
                .containsEntry(JobState.SUCCEEDED, 1L)
                .containsEntry(JobState.RUNNING, 0L)
                .containsEntry(JobState.PENDING, 0L);
    }

    @Test
    default void pagesWalkEveryJobOnceNewestFirst() {
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            created.add(
                    0,
                    tally().create(JobSpec.builder().name("p").scope("s").build())
                            .id());
            if (i % 2 == 0) {
                clock().advance(Duration.ofMillis(1)); // several jobs share a millisecond: ties break by id
            }
        }
        List<String> seen = new ArrayList<>();
        JobQuery q = JobQuery.builder().scope("s").limit(5).build();
        int pages = 0;
        while (true) {
            Page<JobSnapshot> page = tally().query(q);
            pages++;
            page.items().forEach(s -> seen.add(s.id()));
            if (page.next().isEmpty()) {
                break;
            }
            q = q.toBuilder().cursor(page.next().get()).build();
        }
        assertThat(pages).isEqualTo(5);
        assertThat(seen).containsExactlyElementsOf(sortedNewestFirst(created));
    }

    private List<String> sortedNewestFirst(List<String> ids) {
        return ids.stream()
                .map(id -> tally().snapshot(id).orElseThrow())
                .sorted((x, y) -> {
                    int c = y.createdAt().compareTo(x.createdAt());
                    return c != 0 ? c : y.id().compareTo(x.id());
                })
                .map(JobSnapshot::id)
                .toList();
    }

    @Test
    default void aFullLastPageHasNoNextCursor() {
        for (int i = 0; i < 4; i++) {
            tally().create(JobSpec.builder().name("exact").build());
        }
        Page<JobSnapshot> page =
                tally().query(JobQuery.builder().name("exact").limit(4).build());
        assertThat(page.items()).hasSize(4);
        assertThat(page.next()).isEmpty();
    }

    @Test
    default void statsCountEveryState() {
        tally().create(JobSpec.builder().name("a").build());
        tally().create(JobSpec.builder().name("b").start(true).build()).fail("x");
        Map<JobState, Long> stats = tally().stats();
        assertThat(stats).hasSize(JobState.values().length);
        assertThat(stats.get(JobState.PENDING)).isEqualTo(1);
        assertThat(stats.get(JobState.FAILED)).isEqualTo(1);
        assertThat(stats.get(JobState.CANCELLED)).isZero();
    }
}
