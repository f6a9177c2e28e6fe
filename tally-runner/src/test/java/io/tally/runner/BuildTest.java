package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.FailureReason;
import io.tally.JobState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BuildTest extends RunnerTestSupport {

    @Test
    void theIssueExampleCompilesAndRuns() {
        Runner runner = track(runner().define(
                        "fetch",
                        ctx -> Path.of("/tmp", ctx.param("url", String.class).replaceAll("\\W", "_")),
                        Definition.options().param("url", "https://example.com/a"))
                .define(
                        "parse",
                        ctx -> ctx.dependencyResult("fetch", Path.class).resolveSibling("parsed"),
                        Definition.dependsOn("fetch"))
                .build());

        Build b = runner.build(
                "parse", BuildOptions.defaults().buildDependencies(true).buildDependents(false));
        b.await();

        assertThat(b.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(b.result(Path.class)).contains(Path.of("/tmp/parsed"));
        assertThat(b.error()).isEmpty();
        assertThat(runner.status("parse")).isEqualTo(BuildStatus.SUCCEEDED);
        assertThat(runner.outdated()).isEmpty();
    }

    @Test
    void aBuildIsAJobNamedAfterItsDefinitionCarryingParamsPinsAndFingerprint() {
        Runner runner = track(runner().define("a", ctx -> "x")
                .define(
                        "b",
                        ctx -> ctx.param("n", Integer.class) + ctx.param("extra", Integer.class, 0),
                        Definition.dependsOn("a").param("n", 1).version("3"))
                .build());
        Build a = runner.build("a").await();
        Build b = runner.build("b", BuildOptions.defaults().params(Map.of("extra", 10)))
                .await();

        var s = b.snapshot().orElseThrow();
        assertThat(s.name()).isEqualTo("b");
        assertThat(s.startedAt()).isPresent();
        assertThat(s.finishedAt()).isPresent();
        assertThat(s.metadata())
                .containsEntry("definition", "b")
                .containsEntry("version", "3")
                .containsEntry("params", Map.of("n", 1, "extra", 10))
                .containsEntry("dependencies", Map.of("a", a.id()));
        assertThat(b.fingerprint()).hasValueSatisfying(f -> assertThat(f).hasSize(64));
        assertThat(b.result(Integer.class)).contains(11);
        assertThat(runner.builds("b", 10)).extracting(Build::id).containsExactly(b.id());
        assertThat(runner.findBuild(b.id())).isPresent();
    }

    @Test
    void secretParametersReachTheBuildButNeverTheStore() {
        Runner runner = track(runner().define(
                        "login",
                        ctx -> ctx.param("token", String.class).length(),
                        Definition.options()
                                .param("user", "ann")
                                .param("token", "s3cr3t")
                                .secretParams("token"))
                .build());

        Build b = runner.build("login").await();

        assertThat(b.result(Integer.class)).contains(6);
        assertThat(b.snapshot().orElseThrow().metadataJson())
                .doesNotContain("s3cr3t")
                .contains("\"token\":\"***\"");
        assertThat(runner.status("login")).isEqualTo(BuildStatus.SUCCEEDED);
    }

    @Test
    void aChangedVersionOrParameterMakesABuildOutdated() {
        Runner v1 = track(runner().define("a", ctx -> 1, Definition.options().version("1"))
                .build());
        v1.build("a").await();
        assertThat(v1.status("a")).isEqualTo(BuildStatus.SUCCEEDED);

        Runner v2 = track(runner().define("a", ctx -> 1, Definition.options().version("2"))
                .build());
        assertThat(v2.status("a")).isEqualTo(BuildStatus.OUTDATED);
        assertThat(v2.outdated()).containsExactly("a");

        Runner p2 = track(
                runner().define("a", ctx -> 1, Definition.options().version("1").param("p", "new"))
                        .build());
        assertThat(p2.status("a")).isEqualTo(BuildStatus.OUTDATED);
    }

    @Test
    void jobcontrolsTableSkippedAndFailedBuildsDoNotOutdateDependents() {
        AtomicInteger job1Build = new AtomicInteger();
        Runner runner = track(runner().define("job1", ctx -> {
                    int n = job1Build.incrementAndGet();
                    if (n == 2) {
                        throw new IllegalStateException("build 2 fails");
                    }
                    if (n == 3) {
                        throw new SkipBuild("nothing changed");
                    }
                    return n;
                })
                .define("job2", ctx -> ctx.dependencyResult("job1", Integer.class), Definition.dependsOn("job1"))
                .build());

        runner.build("job1").await();
        runner.build("job2").await();
        assertThat(runner.status("job2")).isEqualTo(BuildStatus.SUCCEEDED);

        assertThat(runner.build("job1").await().state()).isEqualTo(JobState.FAILED);
        assertThat(runner.status("job1")).isEqualTo(BuildStatus.FAILED);
        assertThat(runner.status("job2")).as("no rebuild needed").isEqualTo(BuildStatus.SUCCEEDED);

        Build skipped = runner.build("job1").await();
        assertThat(skipped.state()).isEqualTo(JobState.SKIPPED);
        assertThat(skipped.logs()).anySatisfy(l -> assertThat(l.toString()).contains("nothing changed"));
        assertThat(runner.status("job2")).as("no rebuild needed").isEqualTo(BuildStatus.SUCCEEDED);

        runner.build("job1").await();
        assertThat(runner.status("job2")).isEqualTo(BuildStatus.OUTDATED);
        Build job2 = runner.build("job2").await();
        assertThat(job2.result(Integer.class)).contains(4);
    }

    @Test
    void aFailingBuildStoresTheExceptionTypeMessageAndStack() {
        Runner runner = track(runner().define("boom", ctx -> {
                    throw new IllegalArgumentException("bad input: 42");
                })
                .build());

        Build b = runner.build("boom").await();

        assertThat(b.state()).isEqualTo(JobState.FAILED);
        assertThat(b.error()).hasValueSatisfying(e -> {
            assertThat(e.type()).isEqualTo(IllegalArgumentException.class.getName());
            assertThat(e.message()).isEqualTo("bad input: 42");
            assertThat(e.stack()).contains("IllegalArgumentException: bad input: 42", "at io.tally.runner.BuildTest");
            assertThat(e.reason()).isEqualTo(FailureReason.ERROR);
        });
        assertThat(b.logs()).anySatisfy(l -> {
            assertThat(l.level()).isEqualTo("ERROR");
            assertThat(l.toString()).contains("build failed", "bad input: 42");
        });
        assertThat(runner.status("boom")).isEqualTo(BuildStatus.FAILED);
    }

    @Test
    void cleanupRunsAfterSuccessAndAfterFailure() {
        List<String> cleaned = new CopyOnWriteArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        Runner runner = track(runner().define(
                        "flaky",
                        ctx -> {
                            if (calls.incrementAndGet() == 2) {
                                throw new IllegalStateException("second build fails");
                            }
                            return "ok";
                        },
                        Definition.options().cleanup(ctx -> {
                            cleaned.add(ctx.buildId());
                            ctx.log().info("cleaned up");
                        }))
                .build());

        Build ok = runner.build("flaky").await();
        Build failed = runner.build("flaky").await();

        assertThat(ok.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(failed.state()).isEqualTo(JobState.FAILED);
        assertThat(cleaned).containsExactly(ok.id(), failed.id());
        assertThat(ok.logs()).anySatisfy(l -> assertThat(l.toString()).contains("cleaned up"));
        assertThat(failed.logs()).anySatisfy(l -> assertThat(l.toString()).contains("cleaned up"));
    }

    @Test
    void aCleanupFailureFailsASuccessfulBuildAndIsSuppressedOnAFailedOne() {
        Runner runner =
                track(runner().define("ok", ctx -> "fine", Definition.options().cleanup(ctx -> {
                            throw new IllegalStateException("cleanup broke");
                        }))
                        .define(
                                "bad",
                                ctx -> {
                                    throw new IllegalArgumentException("function broke");
                                },
                                Definition.options().cleanup(ctx -> {
                                    throw new IllegalStateException("cleanup broke too");
                                }))
                        .build());

        assertThat(runner.build("ok").await().error())
                .hasValueSatisfying(e -> assertThat(e.message()).isEqualTo("cleanup broke"));
        assertThat(runner.build("bad").await().error()).hasValueSatisfying(e -> {
            assertThat(e.message()).isEqualTo("function broke");
            assertThat(e.stack()).contains("Suppressed: java.lang.IllegalStateException: cleanup broke too");
        });
    }

    @Test
    void aMissingParameterOrANonJsonResultFailsTheBuild() {
        Runner runner = track(runner().define("p", ctx -> ctx.param("absent", String.class))
                .define("r", ctx -> new Object() {
                    @SuppressWarnings("unused")
                    public String getX() {
                        throw new IllegalStateException("cannot serialize");
                    }
                })
                .build());

        assertThat(runner.build("p").await().error())
                .hasValueSatisfying(e -> assertThat(e.message()).contains("no parameter 'absent'"));
        assertThat(runner.build("r").await().error())
                .hasValueSatisfying(e -> assertThat(e.message()).contains("cannot be written as JSON"));
    }

    @Test
    void independentBranchesBuildInParallel() {
        // Diamond: top ← left, right ← root. left and right each wait for the other at a barrier: both pass only
        // if they run at the same time.
        CyclicBarrier bothRunning = new CyclicBarrier(2);
        BuildFunction meet = ctx -> {
            bothRunning.await(30, TimeUnit.SECONDS);
            return ctx.dependencyResult("root", Integer.class) + 1;
        };
        Runner runner = track(runner().define("root", ctx -> 1)
                .define("left", meet, Definition.dependsOn("root"))
                .define("right", meet, Definition.dependsOn("root"))
                .define(
                        "top",
                        ctx -> ctx.dependencyResult("left", Integer.class)
                                + ctx.dependencyResult("right", Integer.class),
                        Definition.dependsOn("left", "right"))
                .build());

        Build top = runner.build("top", BuildOptions.defaults().buildDependencies(true))
                .await();

        assertThat(top.result(Integer.class)).contains(4);
        assertThat(runner.builds("root", 10)).hasSize(1);
    }

    @Test
    void aDependencyFailingInTheSameRequestFailsItsDependents() {
        Runner runner = track(runner().define("a", ctx -> {
                    throw new IllegalStateException("a fails");
                })
                .define("b", ctx -> 1, Definition.dependsOn("a"))
                .define("c", ctx -> 2, Definition.dependsOn("b"))
                .build());

        Build c = runner.build("c", BuildOptions.defaults().buildDependencies(true))
                .await();

        assertThat(c.error()).hasValueSatisfying(e -> assertThat(e.message()).isEqualTo("dependencies not met: b"));
        assertThat(runner.status("b")).isEqualTo(BuildStatus.FAILED);
        assertThat(runner.builds("b", 10).get(0).error())
                .hasValueSatisfying(e -> assertThat(e.message()).isEqualTo("dependencies not met: a"));
    }

    @Test
    void aTimedOutBuildIsFailedByTheSweepAndItsLateResultIsIgnored() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Runner runner = track(runner().heartbeat(null)
                .define(
                        "slow",
                        ctx -> {
                            started.countDown();
                            release.await(30, TimeUnit.SECONDS);
                            return "late";
                        },
                        Definition.options().timeout(Duration.ofMinutes(1)))
                .build());

        Build b = runner.build("slow");
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(runner.status("slow")).isEqualTo(BuildStatus.BUILDING);
        clock.advance(Duration.ofMinutes(2));
        assertThat(tally.sweep().timedOut()).isEqualTo(1);
        release.countDown();
        b.await();

        assertThat(b.state()).isEqualTo(JobState.FAILED);
        assertThat(b.error()).hasValueSatisfying(e -> assertThat(e.reason()).isEqualTo(FailureReason.TIMEOUT));
        assertThat(b.result(String.class)).isEmpty();
    }

    @Test
    void aBuildWhoseHeartbeatLapsesIsFailedAsStalledBySweep() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // A lease far longer than the test: the real-time beat never fires, as if the worker had died.
        Runner runner = track(runner().heartbeat(Duration.ofHours(1))
                .define("hangs", ctx -> {
                    started.countDown();
                    release.await(30, TimeUnit.SECONDS);
                    return "late";
                })
                .build());

        Build b = runner.build("hangs");
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(b.snapshot().orElseThrow().lease()).isPresent();
        clock.advance(Duration.ofMinutes(59));
        assertThat(tally.sweep().stalled()).isZero();
        clock.advance(Duration.ofMinutes(2));
        assertThat(tally.sweep().stalled()).isEqualTo(1);
        release.countDown();
        b.await();

        assertThat(b.error()).hasValueSatisfying(e -> assertThat(e.reason()).isEqualTo(FailureReason.STALLED));
        assertThat(runner.status("hangs")).isEqualTo(BuildStatus.FAILED);
    }

    @Test
    void progressGroupsRollUpIntoTheBuild() {
        Runner runner = track(runner().define("counting", ctx -> {
                    try (ProgressGroup pages = ctx.group("pages", 10)) {
                        pages.tick(4);
                        try (ProgressGroup images = pages.group("images", 5)) {
                            images.tick(5);
                        }
                    }
                    ctx.reporter().tick(2);
                    return null;
                })
                .build());

        Build b = runner.build("counting").await();

        assertThat(b.progress()).hasValueSatisfying(p -> {
            assertThat(p.succeeded()).isEqualTo(11);
            assertThat(p.total()).isEqualTo(15);
        });
    }
}
