package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.FailureReason;
import io.tally.JobState;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * jobcontrol's README example, exactly: A → B → C → D. Building C with dependencies builds A and B first; a new
 * build of C makes D outdated and {@code buildDependents} rebuilds it; results flow A → B → C.
 */
class JobcontrolExampleTest extends RunnerTestSupport {
    private final List<String> ran = new CopyOnWriteArrayList<>();
    private Runner runner;

    @BeforeEach
    void define() {
        runner = track(runner().define("A", ctx -> {
                    ran.add("A");
                    return 1;
                })
                .define(
                        "B",
                        ctx -> {
                            ran.add("B");
                            return ctx.dependencyResult("A", Integer.class) * 10 + 2;
                        },
                        Definition.dependsOn("A"))
                .define(
                        "C",
                        ctx -> {
                            ran.add("C");
                            return ctx.dependencyResult("B", Integer.class) * 10 + 3;
                        },
                        Definition.dependsOn("B"))
                .define(
                        "D",
                        ctx -> {
                            ran.add("D");
                            return ctx.dependencyResult("C", Integer.class) * 10 + 4;
                        },
                        Definition.dependsOn("C"))
                .build());
    }

    @Test
    void buildingCWithoutDependenciesFailsWithDependenciesNotMet() {
        Build c = runner.build("C", BuildOptions.defaults().buildDependencies(false))
                .await();

        assertThat(c.state()).isEqualTo(JobState.FAILED);
        assertThat(c.error()).hasValueSatisfying(e -> {
            assertThat(e.message()).isEqualTo("dependencies not met: B");
            assertThat(e.type()).isEqualTo(DependenciesNotMetException.class.getName());
            assertThat(e.reason()).isEqualTo(FailureReason.ERROR);
        });
        assertThat(ran).isEmpty();
        assertThat(runner.status("C")).isEqualTo(BuildStatus.FAILED);
        assertThat(runner.status("A")).isEqualTo(BuildStatus.NOT_BUILT);
    }

    @Test
    void buildingCWithDependenciesBuildsAThenBThenCAndResultsFlow() {
        Build c = runner.build("C", BuildOptions.defaults().buildDependencies(true))
                .await();

        assertThat(ran).containsExactly("A", "B", "C");
        assertThat(c.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(c.result(Integer.class)).contains(123);
        Build b = runner.latestSuccessfulBuild("B").orElseThrow();
        Build a = runner.latestSuccessfulBuild("A").orElseThrow();
        assertThat(b.result(Integer.class)).contains(12);
        assertThat(c.dependencyBuilds()).containsExactly(java.util.Map.entry("B", b.id()));
        assertThat(b.dependencyBuilds()).containsExactly(java.util.Map.entry("A", a.id()));
        assertThat(runner.status("A")).isEqualTo(BuildStatus.SUCCEEDED);
        assertThat(runner.status("B")).isEqualTo(BuildStatus.SUCCEEDED);
        assertThat(runner.status("C")).isEqualTo(BuildStatus.SUCCEEDED);
        assertThat(runner.status("D")).isEqualTo(BuildStatus.NOT_BUILT);
        assertThat(runner.outdated()).isEmpty();
    }

    @Test
    void aNewBuildOfCMakesDOutdatedAndBuildDependentsRebuildsIt() {
        runner.build("C", BuildOptions.defaults().buildDependencies(true)).await();
        Build d1 = runner.build("D").await();
        assertThat(d1.result(Integer.class)).contains(1234);
        assertThat(runner.status("D")).isEqualTo(BuildStatus.SUCCEEDED);

        ran.clear();
        Build c2 = runner.build("C", BuildOptions.defaults().buildDependencies(true))
                .await();
        assertThat(ran).as("A and B are up to date: only C runs").containsExactly("C");
        assertThat(runner.status("D")).isEqualTo(BuildStatus.OUTDATED);
        assertThat(runner.outdated()).containsExactly("D");

        ran.clear();
        Build c3 =
                runner.build("C", BuildOptions.defaults().buildDependents(true)).await();
        assertThat(ran).containsExactly("C", "D");
        Build d2 = runner.latestSuccessfulBuild("D").orElseThrow();
        assertThat(d2.id()).isNotEqualTo(d1.id());
        assertThat(d2.dependencyBuilds()).containsEntry("C", c3.id());
        assertThat(c3.id()).isNotEqualTo(c2.id());
        assertThat(runner.status("D")).isEqualTo(BuildStatus.SUCCEEDED);
        assertThat(runner.outdated()).isEmpty();
    }

    @Test
    void outdatedIsTransitive() {
        runner.build("D", BuildOptions.defaults().buildDependencies(true)).await();
        assertThat(ran).containsExactly("A", "B", "C", "D");

        runner.build("A").await();

        assertThat(runner.status("B")).isEqualTo(BuildStatus.OUTDATED);
        assertThat(runner.status("C")).as("C pinned a B that pinned the old A").isEqualTo(BuildStatus.OUTDATED);
        assertThat(runner.outdated()).containsExactly("B", "C", "D");

        ran.clear();
        runner.build("D", BuildOptions.defaults().buildDependencies(true)).await();
        assertThat(ran).containsExactly("B", "C", "D");
        assertThat(runner.outdated()).isEmpty();
    }

    @Test
    void dependentsPinTheBuildsOfTheirRequestNotWhatIsLatestWhenTheyRead() {
        runner.build("C", BuildOptions.defaults().buildDependencies(true)).await();
        Build b1 = runner.latestSuccessfulBuild("B").orElseThrow();
        Build c = runner.latestSuccessfulBuild("C").orElseThrow();
        runner.build("B").await(); // a newer B after C was built

        assertThat(c.dependencyBuilds()).containsEntry("B", b1.id());
        assertThat(runner.status("C")).isEqualTo(BuildStatus.OUTDATED);
    }
}
