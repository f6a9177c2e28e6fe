package io.tally.runner;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.MDC;

/**
 * Carries "which build is running" across threads. While a build runs, its thread's SLF4J MDC holds
 * {@value #MDC_KEY} = the build id, and the runner's appender stores every event carrying that key with the build.
 * MDC is per thread, so work a build hands to other threads must carry it along: wrap the task or the executor.
 *
 * <pre>{@code
 * ExecutorService pool = LogContext.wrap(Executors.newFixedThreadPool(4)); // inside the build function
 * pool.submit(() -> log.info("captured with the build"));
 * }</pre>
 *
 * The MDC is captured when the task is wrapped (or submitted, for a wrapped executor) and restored to the thread's
 * previous state afterwards, so pooled threads never leak one build's key into another's work.
 */
public final class LogContext {
    /** The MDC key naming the build (or map-reduce job) a log event belongs to. */
    public static final String MDC_KEY = "tally.build";

    private LogContext() {}

    /** @return the id of the build whose context the current thread runs in */
    public static Optional<String> currentBuild() {
        return Optional.ofNullable(MDC.get(MDC_KEY));
    }

    /** @return {@code task} running with the caller's current MDC */
    public static Runnable wrap(Runnable task) {
        Map<String, String> captured = MDC.getCopyOfContextMap();
        return () -> {
            Map<String, String> previous = MDC.getCopyOfContextMap();
            set(captured);
            try {
                task.run();
            } finally {
                set(previous);
            }
        };
    }

    /** @return {@code task} running with the caller's current MDC */
    public static <T> Callable<T> wrap(Callable<T> task) {
        Map<String, String> captured = MDC.getCopyOfContextMap();
        return () -> {
            Map<String, String> previous = MDC.getCopyOfContextMap();
            set(captured);
            try {
                return task.call();
            } finally {
                set(previous);
            }
        };
    }

    /** @return an executor that runs each task with the MDC of the thread that submitted it */
    public static Executor wrap(Executor executor) {
        return task -> executor.execute(wrap(task));
    }

    /**
     * @return an executor service that runs each task with the MDC of the thread that submitted it; shutting it down
     *     shuts down {@code executor}
     */
    public static ExecutorService wrap(ExecutorService executor) {
        return new AbstractExecutorService() {
            @Override
            public void execute(Runnable command) {
                executor.execute(wrap(command));
            }

            @Override
            public void shutdown() {
                executor.shutdown();
            }

            @Override
            public List<Runnable> shutdownNow() {
                return executor.shutdownNow();
            }

            @Override
            public boolean isShutdown() {
                return executor.isShutdown();
            }

            @Override
            public boolean isTerminated() {
                return executor.isTerminated();
            }

            @Override
            public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
                return executor.awaitTermination(timeout, unit);
            }
        };
    }

    /** Runs {@code body} with {@value #MDC_KEY} set to {@code buildId}, restoring the previous value afterwards. */
    static <T, E extends Exception> T withBuild(String buildId, ThrowingSupplier<T, E> body) throws E {
        String previous = MDC.get(MDC_KEY);
        MDC.put(MDC_KEY, buildId);
        try {
            return body.get();
        } finally {
            if (previous == null) {
                MDC.remove(MDC_KEY);
            } else {
                MDC.put(MDC_KEY, previous);
            }
        }
    }

    private static void set(Map<String, String> context) {
        if (context == null) {
            MDC.clear();
        } else {
            MDC.setContextMap(context);
        }
    }

    /** A supplier that may throw. */
    @FunctionalInterface
    interface ThrowingSupplier<T, E extends Exception> {
        T get() throws E;
    }
}
