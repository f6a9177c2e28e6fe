package io.tally.bench;

import io.tally.EventFilter;
import io.tally.Job;
import io.tally.JobSpec;
import io.tally.PartCompletion;
import io.tally.Subscription;
import io.tally.Tally;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * Load driver for the SQL stores: Tally's {@code recordSuccess()} (anonymous), {@code recordSuccess(key)} (keyed),
 * {@code completePart} and batched {@code completeParts} at several numbers of concurrent callers, each next to the
 * store's raw limit measured in the same run against the same database:
 *
 * <ul>
 *   <li><b>PostgreSQL</b>: {@code pgbench -M prepared -c N -j N -T secs} running the equivalent statement on plain
 *       tables in a scratch schema: {@code UPDATE raw_jobs SET succeeded = succeeded + 1 WHERE id = :client_id} for
 *       the anonymous tick, and the idempotent insert-and-count transaction {@code BEGIN; INSERT INTO raw_items …
 *       ON CONFLICT DO NOTHING; UPDATE raw_jobs SET succeeded = succeeded + 1 …; END} for keyed items and parts;
 *       next to each, the same writes as a read-decide-write transaction ({@link PgScripts}). The
 *       batched parts are compared with a raw JDBC transaction doing a 1000-row batched {@code UPDATE raw_parts} plus
 *       the counter {@code UPDATE}.
 *   <li><b>SQLite</b>: a raw JDBC loop through sqlite-jdbc on a second file with the same settings (WAL, {@code
 *       synchronous=NORMAL}, {@code busy_timeout}) doing the same statements, and the same read-decide-write
 *       transactions as on PostgreSQL; with several callers the raw loop shares one connection under a lock, as SQLite
 *       has one writer (and Tally does the same inside).
 * </ul>
 *
 * Every caller works on its own job (and pgbench's client on its own row, {@code :client_id}), so the figures measure
 * the cost of an operation, not a row-lock queue. Each cell runs a warm-up, then counts completed calls for a fixed
 * time. The scratch schema and the temporary SQLite files are removed at the end.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.tally.bench.SqlBench [--secs=12] [--warmup=3] [--clients=1,16,64]
 * [--sqlite-clients=1,16] [--batch-clients=1,16] [--batch=1000] [--pg=postgresql://postgres@127.0.0.1:5432/test]
 * [--no-pg] [--no-sqlite] [--only=anonymous,keyed,part,batch,variants]}
 *
 * <p>Some 680 lines as one harness on purpose, as {@link RedisBench} is: every cell is a row of one table whose raw
 * reference ran in the same run, so the cells share the run's databases, scratch tables, references and report; a
 * cell is a few lines in {@code postgresCell} or {@code sqlite()}. What stands on its own is apart: running pgbench
 * ({@link PgBench}) and its scripts ({@link PgScripts}), SQLite's raw loops ({@link SqliteRawLoops}).
 */
public final class SqlBench {
    /** Parts the raw batch loops share; each is done once, and running out is reported. */
    private static final int RAW_PARTS_PG = 2_400_000;

    private static final int RAW_PARTS_SQLITE = 8_000_000;

    private final int secs;
    private final int warmup;
    private final List<Integer> clients;
    private final List<Integer> sqliteClients;
    private final List<Integer> batchClients;
    private final int batch;
    private final String pgUrl;
    private final List<String> only;
    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    /** One line of the result table. */
    record Row(String store, String operation, int callers, double tally, String rawName, double raw, String unit) {}

    /** One call of a benchmarked operation by caller {@code thread}; returns the units it did (1, or parts). */
    @FunctionalInterface
    interface Op {
        long run(int thread) throws Exception;
    }

    private SqlBench(Map<String, String> opts) {
        secs = Integer.parseInt(opts.getOrDefault("secs", "12"));
        warmup = Integer.parseInt(opts.getOrDefault("warmup", "3"));
        clients = DriverArgs.ints(opts.getOrDefault("clients", "1,16,64"));
        sqliteClients = DriverArgs.ints(opts.getOrDefault("sqlite-clients", "1,16"));
        batchClients = DriverArgs.ints(opts.getOrDefault("batch-clients", "1,16"));
        batch = Integer.parseInt(opts.getOrDefault("batch", "1000"));
        pgUrl = opts.getOrDefault(
                "pg",
                System.getenv().getOrDefault("TALLY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"));
        only = List.of(
                opts.getOrDefault("only", "anonymous,keyed,part,batch,variants").split(","));
    }

    /** @param args {@code --name=value} options, see the class comment */
    public static void main(String[] args) throws Exception {
        Map<String, String> opts = DriverArgs.parse(args);
        SqlBench b = new SqlBench(opts);
        String loadBefore = DriverArgs.loadAverage();
        long started = System.nanoTime();
        if (!opts.containsKey("no-pg")) {
            b.postgres();
        }
        if (!opts.containsKey("no-sqlite")) {
            b.sqlite();
        }
        b.print(loadBefore, DriverArgs.loadAverage(), (System.nanoTime() - started) / 1e9);
    }

    // ------------------------------------------------------------------------------------------------ PostgreSQL

    private void postgres() throws Exception {
        URI uri = new URI(pgUrl);
        String host = uri.getHost();
        int port = uri.getPort() < 0 ? 5432 : uri.getPort();
        String user = uri.getUserInfo() == null ? "postgres" : uri.getUserInfo().split(":")[0];
        String db = uri.getPath().substring(1);
        String schema =
                "tally_bench_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
        String jdbc = "jdbc:postgresql://" + host + ":" + port + "/" + db;
        Properties props = new Properties();
        props.setProperty("user", user);
        if (uri.getUserInfo() != null && uri.getUserInfo().contains(":")) {
            props.setProperty(
                    "password", uri.getUserInfo().substring(uri.getUserInfo().indexOf(':') + 1));
        }
        String pgbench = PgBench.pgbenchBinary();
        System.err.printf("PostgreSQL %s, scratch schema %s, %s%n", jdbc, schema, pgbench);
        int maxClients = Math.max(
                clients.stream().max(Integer::compare).orElse(1),
                batchClients.stream().max(Integer::compare).orElse(1));
        try (Connection admin = DriverManager.getConnection(jdbc, props)) {
            exec(admin, "CREATE SCHEMA " + schema);
            try {
                exec(
                        admin,
                        "CREATE TABLE " + schema + ".raw_jobs (id VARCHAR(128) COLLATE \"C\" PRIMARY KEY,"
                                + " succeeded BIGINT NOT NULL DEFAULT 0, failed BIGINT NOT NULL DEFAULT 0)");
                exec(
                        admin,
                        "CREATE TABLE " + schema + ".raw_items (job_id VARCHAR(128) COLLATE \"C\" NOT NULL,"
                                + " item_key VARCHAR(512) COLLATE \"C\" NOT NULL, outcome SMALLINT NOT NULL,"
                                + " PRIMARY KEY (job_id, item_key))");
                exec(
                        admin,
                        "CREATE TABLE " + schema + ".raw_parts (job_id VARCHAR(128) COLLATE \"C\" NOT NULL,"
                                + " part INTEGER NOT NULL, outcome SMALLINT NOT NULL, PRIMARY KEY (job_id, part))");
                exec(
                        admin,
                        "INSERT INTO " + schema + ".raw_jobs (id) SELECT g::text FROM generate_series(0, "
                                + (maxClients - 1) + ") g");
                Path dir = Files.createTempDirectory("tally-sqlbench");
                try {
                    PgScripts scripts = PgScripts.write(dir, schema);
                    PgBench pb =
                            new PgBench(pgbench, host, port, user, db, props.getProperty("password"), secs, warmup);
                    for (int n : clients) {
                        postgresCell(n, schema, pb, scripts);
                    }
                    if (only.contains("batch")) {
                        for (int n : batchClients) {
                            postgresBatch(n, schema, jdbc, props);
                        }
                    }
                } finally {
                    deleteTree(dir);
                }
            } finally {
                exec(admin, "DROP SCHEMA " + schema + " CASCADE");
                System.err.println("dropped schema " + schema);
            }
        }
    }

    private Tally openPostgres(String schema, int n) {
        return openPostgres(schema, n, "");
    }

    private Tally openPostgres(String schema, int n, String extra) {
        String sep = pgUrl.contains("?") ? "&" : "?";
        return Tally.open(pgUrl + sep + "schema=" + schema + "&poolSize=" + Math.max(2, n) + extra);
    }

    /**
     * One number of callers. Each Tally measurement sits next to its pgbench run and opens its own Tally, closed before
     * the next pgbench run, so the two never hold connections at once (max_connections is shared with other work).
     */
    private void postgresCell(int n, String schema, PgBench pb, PgScripts scripts) throws Exception {
        String update = "pgbench: `UPDATE … + 1`";
        String insertCountName = "pgbench: `INSERT … ON CONFLICT DO NOTHING` + `UPDATE`";
        String locked = "pgbench, read-decide-write: `BEGIN; SELECT … FOR UPDATE;";
        boolean variants = only.contains("variants");
        if (only.contains("anonymous")) {
            double raw = pb.run(scripts.tick(), n);
            double rawLocked = pb.run(scripts.tickLocked(), n);
            double t = anonymousPg(schema, n, "");
            rows.add(new Row("PostgreSQL", "`recordSuccess()`", n, t, update, raw, "ops/s"));
            rows.add(new Row(
                    "PostgreSQL", "`recordSuccess()`", n, t, locked + " UPDATE … + 1; END`", rawLocked, "ops/s"));
            if (variants) {
                double quiet = anonymousPg(schema, n, "&events=false");
                rows.add(new Row("PostgreSQL", "`recordSuccess()`, `events=false`", n, quiet, update, raw, "ops/s"));
                double notify = pb.run(scripts.tickNotify(), n);
                rows.add(new Row(
                        "PostgreSQL",
                        "`recordSuccess()`",
                        n,
                        t,
                        "pgbench: `BEGIN; UPDATE … + 1; SELECT pg_notify(…); END`",
                        notify,
                        "ops/s"));
            }
        }
        if (only.contains("keyed") || only.contains("part")) {
            double raw = pb.run(scripts.insertCount(), n);
            double rawLocked = pb.run(scripts.insertCountLocked(), n);
            String lockedName = locked + " SELECT outcome …; INSERT …; UPDATE …; END`";
            if (only.contains("keyed")) {
                try (Tally tally = openPostgres(schema, n)) {
                    List<Job> jobs = startedJobs(tally, n, "keyed");
                    long[] next = new long[n * 16];
                    double t = drive("pg recordSuccess(key) x" + n, n, i -> {
                        jobs.get(i).recordSuccess("item-" + next[i * 16]++);
                        return 1;
                    });
                    rows.add(new Row("PostgreSQL", "`recordSuccess(key)`", n, t, insertCountName, raw, "ops/s"));
                    rows.add(new Row("PostgreSQL", "`recordSuccess(key)`", n, t, lockedName, rawLocked, "ops/s"));
                    // The same with a live subscriber, as a dashboard's event stream is: it hears every job's events.
                    AtomicLong heard = new AtomicLong();
                    try (Subscription sub = tally.subscribe(EventFilter.all(), e -> heard.incrementAndGet())) {
                        double subscribed = drive("pg recordSuccess(key), subscribed x" + n, n, i -> {
                            jobs.get(i).recordSuccess("item-" + next[i * 16]++);
                            return 1;
                        });
                        rows.add(new Row(
                                "PostgreSQL",
                                "`recordSuccess(key)` with a live event subscriber",
                                n,
                                subscribed,
                                "Tally `recordSuccess(key)` without one, same run",
                                t,
                                "ops/s"));
                    }
                }
            }
            if (only.contains("part")) {
                double t = partPg(schema, n, "");
                rows.add(new Row("PostgreSQL", "`completePart`", n, t, insertCountName, raw, "ops/s"));
                rows.add(new Row("PostgreSQL", "`completePart`", n, t, lockedName, rawLocked, "ops/s"));
                if (variants) {
                    double quiet = partPg(schema, n, "&events=false");
                    rows.add(new Row(
                            "PostgreSQL", "`completePart`, `events=false`", n, quiet, insertCountName, raw, "ops/s"));
                }
            }
        }
    }

    private double anonymousPg(String schema, int n, String extra) throws Exception {
        try (Tally tally = openPostgres(schema, n, extra)) {
            List<Job> jobs = startedJobs(tally, n, "anonymous");
            return drive("pg recordSuccess()" + extra + " x" + n, n, i -> {
                jobs.get(i).recordSuccess();
                return 1;
            });
        }
    }

    private double partPg(String schema, int n, String extra) throws Exception {
        try (Tally tally = openPostgres(schema, n, extra)) {
            PartJobs parts = new PartJobs(tally, n, 160_000, 1);
            double t = drive("pg completePart" + extra + " x" + n, n, parts::complete);
            parts.note("PostgreSQL completePart" + extra + " x" + n);
            return t;
        }
    }

    private void postgresBatch(int n, String schema, String jdbc, Properties props) throws Exception {
        int budget = 800_000;
        double t;
        try (Tally tally = openPostgres(schema, n)) {
            PartJobs parts = new PartJobs(tally, n, budget, batch);
            t = drive("pg completeParts(" + batch + ") x" + n, n, parts::complete);
            parts.note("PostgreSQL completeParts x" + n);
        }
        try (Connection admin = DriverManager.getConnection(jdbc, props)) {
            exec(admin, "TRUNCATE " + schema + ".raw_parts");
            exec(
                    admin,
                    "INSERT INTO " + schema + ".raw_parts (job_id, part, outcome) SELECT 'p', g, 0"
                            + " FROM generate_series(0, " + (RAW_PARTS_PG - 1) + ") g");
            exec(admin, "VACUUM ANALYZE " + schema + ".raw_parts");
        }
        List<Connection> conns = new ArrayList<>();
        try {
            List<PreparedStatement[]> stmts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Connection c = DriverManager.getConnection(jdbc, props);
                conns.add(c);
                c.setAutoCommit(false);
                stmts.add(new PreparedStatement[] {
                    c.prepareStatement("UPDATE " + schema
                            + ".raw_parts SET outcome = 1 WHERE job_id = ? AND part = ? AND outcome <> 1"),
                    c.prepareStatement("UPDATE " + schema + ".raw_jobs SET succeeded = succeeded + ? WHERE id = ?")
                });
            }
            AtomicInteger next = new AtomicInteger();
            double raw = drive("pg raw batch x" + n, n, i -> {
                PreparedStatement[] s = stmts.get(i);
                String id = Integer.toString(i);
                int from = take(next, RAW_PARTS_PG, "PostgreSQL raw batch x" + n);
                for (int k = 0; k < batch; k++) {
                    s[0].setString(1, "p");
                    s[0].setInt(2, from + k);
                    s[0].addBatch();
                }
                long changed = 0;
                for (int c : s[0].executeBatch()) {
                    changed += Math.max(c, 0);
                }
                s[1].setLong(1, changed);
                s[1].setString(2, id);
                s[1].executeUpdate();
                conns.get(i).commit();
                return batch;
            });
            rows.add(new Row(
                    "PostgreSQL",
                    "`completeParts` (" + batch + " per call)",
                    n,
                    t,
                    "JDBC: batched `UPDATE parts` + `UPDATE` counter, 1 tx",
                    raw,
                    "parts/s"));
        } finally {
            for (Connection c : conns) {
                c.close();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------- SQLite

    private void sqlite() throws Exception {
        Path dir = Files.createTempDirectory("tally-sqlbench-sqlite");
        System.err.println("SQLite files in " + dir);
        try {
            Properties props = new Properties();
            props.setProperty("journal_mode", "WAL");
            props.setProperty("synchronous", "NORMAL");
            props.setProperty("busy_timeout", "10000");
            int maxClients = Math.max(
                    sqliteClients.stream().max(Integer::compare).orElse(1),
                    batchClients.stream().max(Integer::compare).orElse(1));
            try (SqliteRawLoops raw = new SqliteRawLoops("jdbc:sqlite:" + dir.resolve("raw.db"), props, maxClients);
                    Tally tally = Tally.open("sqlite:" + dir.resolve("tally.db"))) {
                for (int n : sqliteClients) {
                    if (only.contains("anonymous")) {
                        List<Job> jobs = startedJobs(tally, n, "anonymous");
                        double t = drive("sqlite recordSuccess() x" + n, n, i -> {
                            jobs.get(i).recordSuccess();
                            return 1;
                        });
                        double r = drive("sqlite raw tick x" + n, n, i -> {
                            raw.tick(i);
                            return 1;
                        });
                        rows.add(new Row("SQLite", "`recordSuccess()`", n, t, "JDBC: `UPDATE … + 1`", r, "ops/s"));
                        double rdw = drive("sqlite raw read-decide-write x" + n, n, i -> {
                            raw.readDecideWrite(i);
                            return 1;
                        });
                        rows.add(new Row(
                                "SQLite",
                                "`recordSuccess()`",
                                n,
                                t,
                                "JDBC, read-decide-write: `BEGIN IMMEDIATE; SELECT …; UPDATE … + 1; COMMIT`",
                                rdw,
                                "ops/s"));
                    }
                    double rawInsertCount = 0;
                    double rawInsertCountRead = 0;
                    if (only.contains("keyed") || only.contains("part")) {
                        long[] next = new long[n * 16];
                        rawInsertCount = drive("sqlite raw insert-and-count x" + n, n, i -> {
                            raw.insertAndCount(i, "item-" + next[i * 16]++);
                            return 1;
                        });
                        rawInsertCountRead = drive("sqlite raw read-decide-write insert-and-count x" + n, n, i -> {
                            raw.readDecideWriteInsert(i, "rdw-item-" + next[i * 16]++);
                            return 1;
                        });
                    }
                    String insertName = "JDBC: `BEGIN IMMEDIATE; INSERT … ON CONFLICT DO NOTHING; UPDATE; COMMIT`";
                    String insertReadName = "JDBC, read-decide-write: `BEGIN IMMEDIATE; SELECT …; SELECT outcome …;"
                            + " INSERT …; UPDATE …; COMMIT`";
                    if (only.contains("keyed")) {
                        List<Job> jobs = startedJobs(tally, n, "keyed");
                        long[] next = new long[n * 16];
                        double t = drive("sqlite recordSuccess(key) x" + n, n, i -> {
                            jobs.get(i).recordSuccess("item-" + next[i * 16]++);
                            return 1;
                        });
                        rows.add(new Row("SQLite", "`recordSuccess(key)`", n, t, insertName, rawInsertCount, "ops/s"));
                        rows.add(new Row(
                                "SQLite", "`recordSuccess(key)`", n, t, insertReadName, rawInsertCountRead, "ops/s"));
                        double own;
                        try (SqliteRawLoops.OnTallysTables tables =
                                new SqliteRawLoops.OnTallysTables(dir.resolve("tally.db"), props)) {
                            own = drive("sqlite raw keyed on Tally's schema x" + n, n, i -> {
                                tables.record(jobs.get(i).id(), "own-" + next[i * 16]++);
                                return 1;
                            });
                        }
                        rows.add(new Row(
                                "SQLite",
                                "`recordSuccess(key)`",
                                n,
                                t,
                                SqliteRawLoops.OnTallysTables.NAME,
                                own,
                                "ops/s"));
                    }
                    if (only.contains("part")) {
                        PartJobs parts = new PartJobs(tally, n, 200_000, 1);
                        double t = drive("sqlite completePart x" + n, n, parts::complete);
                        parts.note("SQLite completePart x" + n);
                        rows.add(new Row("SQLite", "`completePart`", n, t, insertName, rawInsertCount, "ops/s"));
                        rows.add(
                                new Row("SQLite", "`completePart`", n, t, insertReadName, rawInsertCountRead, "ops/s"));
                    }
                }
                if (only.contains("batch")) {
                    for (int n : batchClients) {
                        sqliteBatch(n, tally, raw);
                    }
                }
            }
        } finally {
            deleteTree(dir);
        }
    }

    private void sqliteBatch(int n, Tally tally, SqliteRawLoops raw) throws Exception {
        int budget = 2_400_000;
        PartJobs parts = new PartJobs(tally, n, budget, batch);
        double t = drive("sqlite completeParts(" + batch + ") x" + n, n, parts::complete);
        parts.note("SQLite completeParts x" + n);
        raw.pendingParts(RAW_PARTS_SQLITE);
        AtomicInteger next = new AtomicInteger();
        double r = drive("sqlite raw batch x" + n, n, i -> {
            raw.completeParts(i, take(next, RAW_PARTS_SQLITE, "SQLite raw batch x" + n), batch);
            return batch;
        });
        rows.add(new Row(
                "SQLite",
                "`completeParts` (" + batch + " per call)",
                n,
                t,
                "JDBC: batched `UPDATE parts` + `UPDATE` counter, 1 tx",
                r,
                "parts/s"));
    }

    // --------------------------------------------------------------------------------------------------- helpers

    private static List<Job> startedJobs(Tally tally, int n, String name) {
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            jobs.add(tally.create(JobSpec.builder().name(name).start(true).build()));
        }
        return jobs;
    }

    /**
     * One map-reduce job per caller, created before the measurement with enough parts for it; a caller that runs out
     * creates another job inside the measurement (counted against Tally, and reported).
     */
    private final class PartJobs {
        final Tally tally;
        final int perJob;
        final int step;
        final String[] job;
        final int[] next;
        final long[] refills;

        PartJobs(Tally tally, int callers, int budget, int step) {
            this.tally = tally;
            this.step = step;
            this.perJob = Math.max(step * 4, (budget + callers - 1) / callers / step * step);
            this.job = new String[callers];
            this.next = new int[callers * 16];
            this.refills = new long[callers * 16];
            long t0 = System.nanoTime();
            for (int i = 0; i < callers; i++) {
                job[i] = newJob();
            }
            System.err.printf(
                    Locale.ROOT,
                    "  created %d jobs of %,d parts in %.1f s%n",
                    callers,
                    perJob,
                    (System.nanoTime() - t0) / 1e9);
        }

        private String newJob() {
            String id = tally.create(JobSpec.builder()
                            .name("parts")
                            .parts(Collections.nCopies(perJob, Map.of()))
                            .build())
                    .id();
            return id;
        }

        long complete(int caller) {
            int from = next[caller * 16];
            if (from + step > perJob) {
                job[caller] = newJob();
                refills[caller * 16]++;
                from = 0;
            }
            next[caller * 16] = from + step;
            PartCompletion c;
            if (step == 1) {
                c = tally.completePart(job[caller], from);
            } else {
                int[] parts = new int[step];
                for (int k = 0; k < step; k++) {
                    parts[k] = from + k;
                }
                c = tally.completeParts(job[caller], parts);
            }
            if (!c.changed()) {
                throw new IllegalStateException("part " + from + " of job " + job[caller] + " was already done");
            }
            return step;
        }

        void note(String what) {
            long total = 0;
            for (long r : refills) {
                total += r;
            }
            if (total > 0) {
                notes.add(what + ": callers ran out of parts " + total
                        + " time(s) and created a new job inside the measurement");
            }
        }
    }

    /**
     * Runs {@code op} on {@code threads} threads: a warm-up, then counts the units completed during {@code secs}.
     *
     * @return units per second
     */
    private double drive(String name, int threads, Op op) throws Exception {
        AtomicLongArray done = new AtomicLongArray(threads * 16);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread w = new Thread(
                    () -> {
                        try {
                            while (!stop.get()) {
                                done.addAndGet(id * 16, op.run(id));
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                            stop.set(true);
                        }
                    },
                    "bench-" + t);
            workers.add(w);
        }
        workers.forEach(Thread::start);
        Thread.sleep(warmup * 1000L);
        long c0 = sum(done);
        long t0 = System.nanoTime();
        Thread.sleep(secs * 1000L);
        long c1 = sum(done);
        long t1 = System.nanoTime();
        stop.set(true);
        for (Thread w : workers) {
            w.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException(name + " failed", failure.get());
        }
        double rate = (c1 - c0) / ((t1 - t0) / 1e9);
        System.err.printf(Locale.ROOT, "  %s: %,.0f/s%n", name, rate);
        return rate;
    }

    /**
     * The first part of a raw loop's next batch, from one pool of parts shared by its callers; when the pool runs out
     * it starts over on parts already done (cheaper no-op updates) and says so in the notes.
     */
    private int take(AtomicInteger next, int total, String what) {
        int from = next.getAndAdd(batch);
        if (from < 0 || (long) from + batch > total) {
            synchronized (notes) {
                String n = what + ": the raw loop ran out of parts and started over on parts already done";
                if (!notes.contains(n)) {
                    notes.add(n);
                }
            }
            return Math.floorMod(from, total / batch) * batch % (total - batch);
        }
        return from;
    }

    private static long sum(AtomicLongArray a) {
        long s = 0;
        for (int i = 0; i < a.length(); i += 16) {
            s += a.get(i);
        }
        return s;
    }

    private void print(String loadBefore, String loadAfter, double seconds) {
        System.out.printf(
                Locale.ROOT,
                "Each cell: %d s warm-up, then %d s measured; every caller on its own job / row."
                        + " Load average before: %s, after: %s; %.0f s in all.%n%n",
                warmup,
                secs,
                loadBefore,
                loadAfter,
                seconds);
        System.out.println("| store | operation | callers | Tally | raw limit (same run) | raw | Tally/raw |");
        System.out.println("|---|---|---:|---:|---|---:|---:|");
        for (Row r : rows) {
            System.out.printf(
                    Locale.ROOT,
                    "| %s | %s | %d | %,.0f %s | %s | %,.0f %s | %.0f %% |%n",
                    r.store(),
                    r.operation(),
                    r.callers(),
                    r.tally(),
                    r.unit(),
                    r.rawName(),
                    r.raw(),
                    r.unit(),
                    100 * r.tally() / r.raw());
        }
        for (String n : notes) {
            System.out.println();
            System.out.println("Note: " + n);
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
