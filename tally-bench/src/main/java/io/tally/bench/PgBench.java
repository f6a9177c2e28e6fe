package io.tally.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Runs pgbench against the benchmark database, a warm-up run first: {@link SqlBench}'s raw PostgreSQL figures. */
final class PgBench {
    private static final Pattern TPS = Pattern.compile("tps = ([0-9.]+)");

    final String binary;
    final String host;
    final int port;
    final String user;
    final String db;
    final String password;
    final int secs;
    final int warmup;

    PgBench(String binary, String host, int port, String user, String db, String password, int secs, int warmup) {
        this.binary = binary;
        this.host = host;
        this.port = port;
        this.user = user;
        this.db = db;
        this.password = password;
        this.secs = secs;
        this.warmup = warmup;
    }

    double run(Path script, int n) throws IOException, InterruptedException {
        if (warmup > 0) {
            once(script, n, warmup);
        }
        double tps = once(script, n, secs);
        System.err.printf(Locale.ROOT, "  pgbench %s -c %d: %,.0f tps%n", script.getFileName(), n, tps);
        return tps;
    }

    double once(Path script, int n, int seconds) throws IOException, InterruptedException {
        List<String> cmd = List.of(
                binary,
                "-h",
                host,
                "-p",
                Integer.toString(port),
                "-U",
                user,
                "-n",
                "-M",
                "prepared",
                "-c",
                Integer.toString(n),
                "-j",
                Integer.toString(n),
                "-T",
                Integer.toString(seconds),
                "-f",
                script.toString(),
                db);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (password != null) {
            pb.environment().put("PGPASSWORD", password);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        Matcher m = TPS.matcher(out);
        if (rc != 0 || !m.find()) {
            throw new IllegalStateException("pgbench failed (exit " + rc + "): " + String.join(" ", cmd) + "\n" + out);
        }
        return Double.parseDouble(m.group(1));
    }

    /** @return {@code $PGBENCH}, else the newest {@code /usr/lib/postgresql/VERSION/bin/pgbench}, else {@code pgbench} */
    static String pgbenchBinary() throws IOException {
        String env = System.getenv("PGBENCH");
        if (env != null) {
            return env;
        }
        Path lib = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(lib)) {
            try (Stream<Path> versions = Files.list(lib)) {
                Path found = versions.map(v -> v.resolve("bin/pgbench"))
                        .filter(Files::isExecutable)
                        .max(Comparator.naturalOrder())
                        .orElse(null);
                if (found != null) {
                    return found.toString();
                }
            }
        }
        return "pgbench";
    }
}
