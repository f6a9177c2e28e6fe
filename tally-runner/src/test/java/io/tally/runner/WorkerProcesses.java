package io.tally.runner;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts {@link Worker} in a child JVM on the test's class path, its output in a log file. */
final class WorkerProcesses {
    private WorkerProcesses() {}

    /**
     * @param systemProperties {@code -D} settings for the child JVM, as {@code name=value}
     * @param workerArgs the worker's command line
     */
    static Process start(Path log, List<String> systemProperties, String... workerArgs) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        systemProperties.forEach(p -> cmd.add("-D" + p));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Worker.class.getName());
        cmd.addAll(List.of(workerArgs));
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }
}
