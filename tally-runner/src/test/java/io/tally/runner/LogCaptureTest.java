package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.store.LogEntry;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

class LogCaptureTest extends RunnerTestSupport {
    private static final Logger appLog = LoggerFactory.getLogger("com.example.App");

    private static long count(List<LogEntry> logs, String level, String text) {
        return logs.stream()
                .filter(l -> l.level().equals(level) && l.message().contains(text))
                .count();
    }

    @Test
    void aBuildLoggingFromAThreadPoolItStartsKeepsEveryRecord() {
        int tasks = 8;
        int perTask = 250;
        Runner runner = track(runner().logBatchSize(50)
                .define("fanout", ctx -> {
                    appLog.info("on the build thread");
                    ExecutorService pool = LogContext.wrap(Executors.newFixedThreadPool(4));
                    try {
                        List<Future<?>> done = new java.util.ArrayList<>();
                        for (int t = 0; t < tasks; t++) {
                            int task = t;
                            done.add(pool.submit(() -> {
                                for (int i = 0; i < perTask; i++) {
                                    appLog.warn("record {} of task {}", i, task);
                                }
                            }));
                        }
                        for (Future<?> f : done) {
                            f.get(30, TimeUnit.SECONDS);
                        }
                    } finally {
                        pool.shutdown();
                    }
                    return null;
                })
                .build());
        assertThat(runner.capturingLogs()).isTrue();

        List<LogEntry> logs = runner.build("fanout").await().logs();

        assertThat(count(logs, "WARN", "record ")).isEqualTo((long) tasks * perTask);
        for (int t = 0; t < tasks; t++) {
            for (int i = 0; i < perTask; i += 97) {
                String line = "record " + i + " of task " + t;
                assertThat(count(logs, "WARN", line + "")).as(line).isGreaterThanOrEqualTo(1);
            }
        }
        assertThat(count(logs, "INFO", "on the build thread")).isEqualTo(1);
        assertThat(logs).allSatisfy(l -> assertThat(l.logger()).isNotNull());
        assertThat(logs).extracting(LogEntry::seq).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void threadsStartedWithoutTheContextAreNotCapturedAndNeverLeakIntoAnotherBuild() throws Exception {
        Runner runner = track(runner().define("plain", ctx -> {
                    Thread t = new Thread(() -> appLog.info("from a bare thread"));
                    t.start();
                    t.join();
                    appLog.info("from the build");
                    return null;
                })
                .define("other", ctx -> {
                    appLog.info("other build");
                    return null;
                })
                .build());

        List<LogEntry> plain = runner.build("plain").await().logs();
        List<LogEntry> other = runner.build("other").await().logs();

        assertThat(count(plain, "INFO", "from a bare thread")).isZero();
        assertThat(count(plain, "INFO", "from the build")).isEqualTo(1);
        assertThat(count(other, "INFO", "from the build")).isZero();
        assertThat(LogContext.currentBuild()).isEmpty();
    }

    @Test
    void levelsAndStacksAreKeptAndCtxLogCapturesEveryLevel() {
        Runner runner = track(runner().logRetention(LogRetention.unlimited())
                .define("levels", ctx -> {
                    ctx.log().trace("t {}", 1);
                    ctx.log().debug("d");
                    ctx.log().info("i");
                    ctx.log().warn("w");
                    ctx.log().error("e", new IllegalStateException("inner problem"));
                    appLog.debug("app debug");
                    return null;
                })
                .build());

        List<LogEntry> logs = runner.build("levels").await().logs();

        assertThat(logs).extracting(LogEntry::level).startsWith("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "DEBUG");
        assertThat(logs.get(0).message()).isEqualTo("t 1");
        assertThat(logs.get(4).message()).contains("e\njava.lang.IllegalStateException: inner problem", "\tat ");
        assertThat(logs.get(4).toString()).contains("ERROR", "inner problem");
        assertThat(count(logs, "DEBUG", "app debug"))
                .as("stored once, not twice")
                .isEqualTo(1);
        assertThat(count(logs, "TRACE", "t 1"))
                .as("ctx.log() records are not appended again")
                .isEqualTo(1);
    }

    @Test
    void retentionKeepsAtMostNLinesPerLevelAndSaysHowManyItDropped() {
        Runner runner = track(runner().logRetention(LogRetention.unlimited().maxLines(Level.DEBUG, 5))
                .define("chatty", ctx -> {
                    for (int i = 0; i < 100; i++) {
                        appLog.debug("debug {}", i);
                        appLog.info("info {}", i);
                    }
                    return null;
                })
                .build());

        List<LogEntry> logs = runner.build("chatty").await().logs();

        assertThat(count(logs, "DEBUG", "debug ")).isEqualTo(5);
        assertThat(logs.stream().filter(l -> l.level().equals("DEBUG")))
                .extracting(LogEntry::message)
                .containsExactly("debug 0", "debug 1", "debug 2", "debug 3", "debug 4");
        assertThat(count(logs, "INFO", "info ")).isEqualTo(100);
        assertThat(count(logs, "INFO", "log retention dropped 95 DEBUG lines (kept 5)"))
                .isEqualTo(1);
    }

    @Test
    void wrappedTasksRestoreThePoolThreadsContext() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            org.slf4j.MDC.put(LogContext.MDC_KEY, "build-1");
            Runnable wrapped = LogContext.wrap(() -> {
                assertThat(LogContext.currentBuild()).contains("build-1");
            });
            org.slf4j.MDC.remove(LogContext.MDC_KEY);
            pool.submit(wrapped).get(10, TimeUnit.SECONDS);
            assertThat(pool.submit(() -> LogContext.currentBuild()).get(10, TimeUnit.SECONDS))
                    .isEmpty();
        } finally {
            pool.shutdown();
        }
    }
}
