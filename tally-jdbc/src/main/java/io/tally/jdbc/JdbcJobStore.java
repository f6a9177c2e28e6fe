package io.tally.jdbc;

import io.tally.EventType;
import io.tally.JobExistsException;
import io.tally.JobNotFoundException;
import io.tally.JobQuery;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.Page;
import io.tally.StoreUnavailableException;
import io.tally.store.Applied;
import io.tally.store.Cursor;
import io.tally.store.JobRecord;
import io.tally.store.JobRules;
import io.tally.store.JobStats;
import io.tally.store.JobStore;
import io.tally.store.LogEntry;
import io.tally.store.NewJob;
import io.tally.store.PartStatus;
import io.tally.store.PartUpdate;
import io.tally.store.PartsOutcome;
import io.tally.store.PartsWrite;
import io.tally.store.ProgressUpdate;
import io.tally.store.RecordedProgress;
import io.tally.store.StoreEvent;
import io.tally.store.StoredItem;
import io.tally.store.SweepKind;
import io.tally.store.Transition;
import io.tally.store.TransitionResult;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SQL store: SQLite ({@code sqlite:PATH}, the embedded default), PostgreSQL ({@code postgresql://…}) and MariaDB
 * ({@code mariadb://…}), one implementation with a small {@link Dialect} for what differs.
 *
 * <h2>How it works</h2>
 *
 * <p><b>Schema</b> (shipped as versioned scripts in {@code io/tally/jdbc/<dialect>/V<n>__*.sql}, applied on open and
 * recorded in {@code <prefix>schema_version}); every table name starts with the table prefix ({@code tally_}):
 *
 * <pre>
 * jobs  (id PK, name, scope, parent, metadata JSON, state, total, succeeded, failed, parts, tolerated_failures,
 *        settled, created_at, started_at, updated_at, finished_at, timeout_ms, heartbeat_ms, retain_ms, deadline,
 *        lease_until, retain_until, result JSON, error_message, error_type, error_stack, error_reason, message,
 *        rate, rate_at, rate_acc, log_seq)
 *   indexes (created_at, id) · (state, created_at, id) · (scope, created_at, id) · (name, created_at, id)
 *           · (parent, created_at, id) · (lease_until) · (deadline) · (retain_until)
 * items (job_id, item_key, outcome 1=success 2=failure, reason)
 *   PK (job_id, item_key), index (job_id, outcome, item_key)
 * parts (job_id, part, outcome 0=pending 1=success 2=failure, reason, payload JSON)
 *   PK (job_id, part), index (job_id, outcome, part)
 * logs  (job_id, seq, at, level, logger, message)
 *   PK (job_id, seq)
 * &lt;prefix&gt;schema_version (version PK, description, applied_at)
 * </pre>
 *
 * Row mapping: {@link JobRows} (times are UTC epoch milliseconds from the store's {@link Clock}, durations
 * milliseconds, states the enum names).
 *
 * <p><b>One transaction per step, the rules from core.</b> Every write runs in one transaction ({@link Transactions}:
 * retried on deadlocks and busy databases, driver errors translated) that locks the job's row first ({@code SELECT …
 * FOR UPDATE}; on SQLite {@code BEGIN IMMEDIATE} takes the database's write lock instead), so every guard reads the
 * stored state. The writes to an existing job — {@link #record}, {@link #recordParts}, {@link #transition} — go through
 * {@link JobWriter}: it reads the stored outcomes of the items and parts the calls name, hands the locked rows to
 * {@link JobRules} (the one copy of the rules: auto-start, item moves, the exactly-once settle, the rate fold, the
 * lease, finished-job answers, event order) and writes what they decided: item upserts ({@code INSERT … ON CONFLICT DO
 * UPDATE} / {@code ON DUPLICATE KEY UPDATE}), part updates, and the job row, guarded by the state and settle flag it
 * was read with ({@code UPDATE jobs SET … WHERE id = ? AND state = ? AND settled = ?}), so a settle claimed twice
 * could not both commit. Concurrent callers' writes are combined into one transaction (group commit, see
 * {@link JobWriter}). The other statements:
 *
 * <ul>
 *   <li>{@link #create}: {@code INSERT INTO jobs}; a duplicate key is {@link JobExistsException}; parts by a batched
 *       {@code INSERT INTO parts} (outcome 0).
 *   <li>{@link #query}: {@code SELECT … WHERE <filters> AND (created_at < ? OR (created_at = ? AND id < ?)) ORDER BY
 *       created_at DESC, id DESC LIMIT ?}: keyset pagination on the matching index.
 *   <li>{@link #sweepCandidates}: {@code WHERE lease_until|deadline|retain_until < ?} on that column's index.
 *   <li>{@link #items}, {@link #parts}, {@link #logs}: keyset reads on the tables' primary keys or outcome indexes.
 *   <li>{@link #appendLogs}: lock; {@code UPDATE jobs SET log_seq = log_seq + n}; batched {@code INSERT INTO logs}.
 *   <li>{@link #delete}: lock; {@code DELETE} from logs, items, parts, then jobs.
 * </ul>
 *
 * <p><b>Events</b> ({@link StoreEvents}) are published after the commit, in commit order per job; on PostgreSQL other
 * processes hear them through {@code LISTEN/NOTIFY}. SQLite and MariaDB deliver in-process only; a process that needs
 * another process's writes polls {@link #query} (documented in the module README).
 */
public final class JdbcJobStore implements JobStore {
    private static final Logger log = LoggerFactory.getLogger(JdbcJobStore.class);

    private final Dialect dialect;
    private final Tables t;
    private final JobColumns columns;
    private final Clock clock;
    private final Transactions transactions;
    private final JobStatsQuery statsQuery;
    private final JobWriter writer;
    private final StoreEvents events;
    private final AutoCloseable onClose;
    private final String description;

    private final String selectJob;
    private final String insertJob;
    private final String insertPart;

    private JdbcJobStore(Builder b) {
        this.dialect = b.dialect;
        this.columns = JobColumns.of(b.dialect);
        this.t = new Tables(b.schema, b.tablePrefix);
        this.statsQuery = new JobStatsQuery(t);
        this.clock = b.clock;
        DataSource readSource = b.readDataSource == null ? b.dataSource : b.readDataSource;
        this.description = b.description == null ? dialect.name() + " DataSource" : b.description;
        this.transactions = new Transactions(
                dialect,
                b.dataSource,
                readSource,
                dialect.writeStripes(),
                b.readsUnderWriteLock,
                description,
                b.secret);
        this.events = new StoreEvents(
                b.events ? dialect.eventChannel(t.prefixQualified) : null,
                b.dataSource,
                readSource,
                t.prefixQualified,
                this::find);
        transactions.publishTo(events);
        this.writer = new JobWriter(transactions, dialect, t, clock);
        this.onClose = b.onClose;
        this.selectJob = "SELECT " + columns.select + " FROM " + t.jobs + " WHERE id = ?";
        this.insertJob = "INSERT INTO " + t.jobs + " (" + JobRows.COLS + ", log_seq) VALUES (?, ?, ?, ?, "
                + dialect.json("?") + ", ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, " + dialect.json("?")
                + ", ?, ?, ?, ?, ?, ?, ?, ?, 0)";
        this.insertPart = "INSERT INTO " + t.parts + " (job_id, part, outcome, reason, payload) VALUES (?, ?, 0, NULL, "
                + dialect.json("?") + ")";
    }

    /** @return a builder for a store on a {@link DataSource} the application already has */
    public static Builder builder() {
        return new Builder();
    }

    /** Migrates if asked; closes what it was given to close if that fails. */
    private JdbcJobStore open(boolean migrate) {
        try {
            if (migrate) {
                int v = migrate();
                log.debug("{} schema at version {}", description, v);
            }
            return this;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Applies the shipped migrations now (what opening with {@code migrate(true)} does; {@code tally migrate} calls
     * this).
     *
     * @return the schema version after migrating
     */
    public int migrate() {
        try {
            return transactions.withWriteLock(() -> {
                try (Connection c = transactions.writeConnection()) {
                    return new Migrator(dialect, t).migrate(c);
                }
            });
        } catch (SQLException e) {
            throw transactions.translate(e, "migrate");
        }
    }

    /** @return the schema version recorded in the database, 0 if it was never migrated */
    public int schemaVersion() {
        return transactions.read("read the schema version", tx -> {
            try {
                return new Migrator(dialect, t).currentVersion(tx.c);
            } catch (SQLException e) {
                if (!tx.c.getAutoCommit()) {
                    tx.c.rollback();
                }
                return 0;
            }
        });
    }

    /** @return the dialect */
    public Dialect dialect() {
        return dialect;
    }

    @Override
    public Clock clock() {
        return clock;
    }

    // ---------------------------------------------------------------------------------------------------- writes

    @Override
    public JobRecord create(NewJob j) {
        return transactions.write(transactions.lockOf(j.id()), "create job " + j.id(), tx -> {
            Applied created = JobRules.create(j, Instant.ofEpochMilli(clock.millis()));
            JobRecord r = created.after();
            try (PreparedStatement ps = tx.c.prepareStatement(insertJob)) {
                JobRows.bindInsert(ps, r);
                ps.executeUpdate();
            } catch (SQLException e) {
                if (dialect.isDuplicateKey(e)) {
                    throw new JobExistsException(j.id());
                }
                throw e;
            }
            if (!j.partPayloads().isEmpty()) {
                try (PreparedStatement ps = tx.c.prepareStatement(insertPart)) {
                    Transactions.executeBatched(ps, j.partPayloads(), (payload, n) -> {
                        ps.setString(1, j.id());
                        ps.setInt(2, n);
                        ps.setString(3, payload);
                    });
                }
            }
            created.events().forEach(tx::emit);
            return r;
        });
    }

    @Override
    public CompletableFuture<RecordedProgress> record(String id, ProgressUpdate u) {
        return JobStore.answered(() -> writer.apply(id, u, RecordedProgress.class));
    }

    @Override
    public CompletableFuture<PartsOutcome> recordParts(String id, List<PartUpdate> parts) {
        return JobStore.answered(() -> writer.apply(id, new PartsWrite(parts), PartsOutcome.class));
    }

    @Override
    public TransitionResult transition(String id, Transition t) {
        return writer.apply(id, t, TransitionResult.class);
    }

    @Override
    public void appendLogs(String id, List<LogEntry> entries) {
        transactions.write(transactions.lockOf(id), "append logs of job " + id, tx -> {
            long seq;
            try (PreparedStatement ps =
                    tx.c.prepareStatement("SELECT log_seq FROM " + t.jobs + " WHERE id = ?" + dialect.forUpdate())) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new JobNotFoundException(id);
                    }
                    seq = rs.getLong(1);
                }
            }
            if (entries.isEmpty()) {
                return null;
            }
            try (PreparedStatement ps =
                    tx.c.prepareStatement("UPDATE " + t.jobs + " SET log_seq = log_seq + ? WHERE id = ?")) {
                ps.setLong(1, entries.size());
                ps.setString(2, id);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = tx.c.prepareStatement(
                    "INSERT INTO " + t.logs + " (job_id, seq, at, level, logger, message) VALUES (?, ?, ?, ?, ?, ?)")) {
                long first = seq + 1;
                Transactions.executeBatched(ps, entries, (l, n) -> {
                    ps.setString(1, id);
                    ps.setLong(2, first + n);
                    ps.setLong(3, l.at().toEpochMilli());
                    ps.setString(4, l.level());
                    ps.setString(5, l.logger());
                    ps.setString(6, l.message());
                });
            }
            return null;
        });
    }

    @Override
    public boolean delete(String id) {
        return transactions.write(transactions.lockOf(id), "delete job " + id, tx -> {
            Optional<JobRecord> found = selectJob(tx.c, selectJob + dialect.forUpdate(), id);
            if (found.isEmpty()) {
                return false;
            }
            deleteRows(tx.c, t, id);
            tx.emit(StoreEvent.of(EventType.DELETED, found.get()));
            return true;
        });
    }

    /** Deletes a job's rows: its logs, items, parts, then the job. */
    static void deleteRows(Connection c, Tables t, String id) throws SQLException {
        for (String table : List.of(t.logs, t.items, t.parts, t.jobs)) {
            String column = table.equals(t.jobs) ? "id" : "job_id";
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE " + column + " = ?")) {
                ps.setString(1, id);
                ps.executeUpdate();
            }
        }
    }

    // ----------------------------------------------------------------------------------------------------- reads

    @Override
    public Optional<JobRecord> find(String id) {
        return transactions.read("find job " + id, tx -> selectJob(tx.c, selectJob, id));
    }

    @Override
    public Page<JobRecord> query(JobQuery q) {
        StringBuilder sql = new StringBuilder("SELECT " + columns.select + " FROM " + t.jobs + " WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        q.state().ifPresent(s -> {
            sql.append(" AND state = ?");
            args.add(s.name());
        });
        q.scope().ifPresent(s -> {
            sql.append(" AND scope = ?");
            args.add(s);
        });
        q.name().ifPresent(s -> {
            sql.append(" AND name = ?");
            args.add(s);
        });
        q.parent().ifPresent(s -> {
            sql.append(" AND parent = ?");
            args.add(s);
        });
        if (q.cursor().isPresent()) {
            Cursor c = Cursor.decode(q.cursor().get());
            sql.append(" AND (created_at < ? OR (created_at = ? AND id < ?))");
            args.add(c.createdAt().toEpochMilli());
            args.add(c.createdAt().toEpochMilli());
            args.add(c.id());
        }
        sql.append(" ORDER BY created_at DESC, id DESC LIMIT ?");
        args.add(q.limit() + 1);
        return transactions.read("list jobs", tx -> {
            List<JobRecord> out = new ArrayList<>();
            try (PreparedStatement ps = tx.c.prepareStatement(sql.toString())) {
                JobRows.bindAll(ps, args);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(columns.read(rs));
                    }
                }
            }
            boolean more = out.size() > q.limit();
            if (more) {
                out.remove(out.size() - 1);
            }
            Optional<String> next =
                    more ? Optional.of(Cursor.after(out.get(out.size() - 1)).encode()) : Optional.empty();
            return new Page<>(out, next);
        });
    }

    /** {@inheritDoc} A few reads down the parent index ({@link JobStatsQuery}). */
    @Override
    public JobStats stats(String root) {
        return transactions.read(
                root == null ? "count jobs by state" : "sum job " + root + " and its descendants",
                tx -> statsQuery.run(tx.c, root));
    }

    @Override
    public Page<StoredItem> items(String id, Outcome outcome, String afterKey, int limit) {
        StringBuilder sql = new StringBuilder("SELECT item_key, outcome, reason FROM " + t.items + " WHERE job_id = ?");
        List<Object> args = new ArrayList<>();
        args.add(id);
        if (outcome != null) {
            sql.append(" AND outcome = ?");
            args.add(JobRows.code(outcome));
        }
        if (afterKey != null) {
            sql.append(" AND item_key > ?");
            args.add(afterKey);
        }
        sql.append(" ORDER BY item_key LIMIT ?");
        args.add(limit + 1);
        return transactions.read("list items of job " + id, tx -> {
            requireJob(tx.c, id);
            List<StoredItem> out = new ArrayList<>();
            try (PreparedStatement ps = tx.c.prepareStatement(sql.toString())) {
                JobRows.bindAll(ps, args);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new StoredItem(rs.getString(1), JobRows.outcome(rs.getInt(2)), rs.getString(3)));
                    }
                }
            }
            boolean more = out.size() > limit;
            if (more) {
                out.remove(out.size() - 1);
            }
            return new Page<>(out, more ? Optional.of(out.get(out.size() - 1).key()) : Optional.empty());
        });
    }

    @Override
    public List<Integer> parts(String id, PartStatus status, int after, int limit) {
        int wanted = switch (status) {
            case PENDING -> JobRows.NONE;
            case SUCCEEDED -> JobRows.SUCCESS;
            case FAILED -> JobRows.FAILURE;
        };
        return transactions.read("list parts of job " + id, tx -> {
            requireJob(tx.c, id);
            List<Integer> out = new ArrayList<>();
            try (PreparedStatement ps = tx.c.prepareStatement("SELECT part FROM " + t.parts
                    + " WHERE job_id = ? AND outcome = ? AND part > ? ORDER BY part LIMIT ?")) {
                ps.setString(1, id);
                ps.setInt(2, wanted);
                ps.setInt(3, after);
                ps.setInt(4, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getInt(1));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public Optional<String> partPayload(String id, int part) {
        return transactions.read("read a part of job " + id, tx -> {
            int count;
            try (PreparedStatement ps = tx.c.prepareStatement("SELECT parts FROM " + t.jobs + " WHERE id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new JobNotFoundException(id);
                    }
                    count = rs.getInt(1);
                }
            }
            JobRules.checkPart(id, count, part);
            try (PreparedStatement ps =
                    tx.c.prepareStatement("SELECT payload FROM " + t.parts + " WHERE job_id = ? AND part = ?")) {
                ps.setString(1, id);
                ps.setInt(2, part);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.<String>empty();
                }
            }
        });
    }

    @Override
    public List<LogEntry> logs(String id, long afterSeq, int limit) {
        return transactions.read("read the log of job " + id, tx -> {
            requireJob(tx.c, id);
            List<LogEntry> out = new ArrayList<>();
            try (PreparedStatement ps = tx.c.prepareStatement("SELECT seq, at, level, logger, message FROM " + t.logs
                    + " WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?")) {
                ps.setString(1, id);
                ps.setLong(2, afterSeq);
                ps.setInt(3, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new LogEntry(
                                rs.getLong(1),
                                Instant.ofEpochMilli(rs.getLong(2)),
                                rs.getString(3),
                                rs.getString(4),
                                rs.getString(5)));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public List<String> sweepCandidates(SweepKind kind, Instant now, int limit) {
        String column;
        Set<JobState> states;
        switch (kind) {
            case STALLED -> {
                column = "lease_until";
                states = Set.of(JobState.RUNNING);
            }
            case TIMEOUT -> {
                column = "deadline";
                states = JobState.active();
            }
            default -> {
                column = "retain_until";
                states = terminal();
            }
        }
        String sql = "SELECT id FROM " + t.jobs + " WHERE " + column + " < ? AND state IN ("
                + JobRows.marks(states.size()) + ") ORDER BY " + column + " LIMIT ?";
        return transactions.read("find jobs due for " + kind, tx -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement ps = tx.c.prepareStatement(sql)) {
                int i = 1;
                ps.setLong(i++, now.toEpochMilli());
                for (JobState s : states) {
                    ps.setString(i++, s.name());
                }
                ps.setInt(i, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                }
            }
            return out;
        });
    }

    // ---------------------------------------------------------------------------------------------------- events

    @Override
    public AutoCloseable subscribe(Consumer<StoreEvent> listener) {
        return events.subscribe(listener);
    }

    @Override
    public void close() {
        events.close();
        StoreEvents.closeQuietly(onClose);
    }

    @Override
    public String toString() {
        return "JdbcJobStore{" + description + "}";
    }

    private Optional<JobRecord> selectJob(Connection c, String sql, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(columns.read(rs)) : Optional.empty();
            }
        }
    }

    private void requireJob(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM " + t.jobs + " WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new JobNotFoundException(id);
                }
            }
        }
    }

    private static Set<JobState> terminal() {
        Set<JobState> s = EnumSet.allOf(JobState.class);
        s.removeAll(JobState.active());
        return s;
    }

    /**
     * Builds a store on a {@link DataSource} the application already has (its own pool), for example:
     *
     * <pre>{@code
     * JobStore store = JdbcJobStore.builder()
     *         .dataSource(myPool)
     *         .dialect(PostgresDialect.INSTANCE)
     *         .tablePrefix("tally_")
     *         .build();
     * Tally tally = Tally.builder().store(store).build();
     * }</pre>
     *
     * The store never closes a DataSource it was given. For SQLite, give a DataSource whose connections open the same
     * file in WAL mode with a {@code busy_timeout}; the store serialises its writers itself.
     */
    public static final class Builder {
        private DataSource dataSource;
        private DataSource readDataSource;
        private Dialect dialect;
        private Clock clock = Clock.systemUTC();
        private String tablePrefix = "tally_";
        private String schema;
        private boolean migrate = true;
        private boolean events = true;
        private String description;
        private String secret;
        private AutoCloseable onClose;
        private boolean readsUnderWriteLock;

        private Builder() {}

        /**
         * @param dataSource where connections come from (required)
         * @throws NullPointerException if it is null
         */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            return this;
        }

        /**
         * @param dialect the database's dialect (required)
         * @throws NullPointerException if it is null
         */
        public Builder dialect(Dialect dialect) {
            this.dialect = Objects.requireNonNull(dialect, "dialect");
            return this;
        }

        /**
         * @param clock the clock every write takes its time from (default: the system UTC clock)
         * @throws NullPointerException if it is null
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * @param tablePrefix put before every table and index name (default {@code tally_}); {@code [a-z_][a-z0-9_]*}
         *     or empty
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is not such a name (the provider checks a URL's {@code tablePrefix}
         *     itself, as input)
         */
        public Builder tablePrefix(String tablePrefix) {
            this.tablePrefix = Tables.checked("tablePrefix", Objects.requireNonNull(tablePrefix, "tablePrefix"));
            return this;
        }

        /**
         * @param schema PostgreSQL schema holding the tables, created if missing; null for the search path (the
         *     default)
         * @throws IllegalArgumentException if it is not {@code [a-z_][a-z0-9_]*} (the provider checks a URL's
         *     {@code schema} itself, as input)
         */
        public Builder schema(String schema) {
            this.schema = Tables.checked("schema", schema);
            return this;
        }

        /** @param migrate apply the shipped migrations when the store is built (default true) */
        public Builder migrate(boolean migrate) {
            this.migrate = migrate;
            return this;
        }

        /**
         * @param events send events to other processes where the dialect has a channel (PostgreSQL NOTIFY; default
         *     true)
         */
        public Builder crossProcessEvents(boolean events) {
            this.events = events;
            return this;
        }

        /** @param description names the database in error messages (never put a password in it) */
        public Builder description(String description) {
            this.description = description;
            return this;
        }

        Builder readDataSource(DataSource readDataSource) {
            this.readDataSource = readDataSource;
            return this;
        }

        Builder secret(String secret) {
            this.secret = secret;
            return this;
        }

        Builder onClose(AutoCloseable onClose) {
            this.onClose = onClose;
            return this;
        }

        Builder readsUnderWriteLock(boolean value) {
            this.readsUnderWriteLock = value;
            return this;
        }

        /**
         * @return the store, migrated if asked
         * @throws IllegalStateException if the DataSource or dialect is missing
         * @throws StoreUnavailableException if the database cannot be reached while migrating
         */
        public JdbcJobStore build() {
            if (dataSource == null) {
                throw new IllegalStateException("a DataSource is required: dataSource(…)");
            }
            if (dialect == null) {
                throw new IllegalStateException("a dialect is required: dialect(…)");
            }
            return new JdbcJobStore(this).open(migrate);
        }
    }
}
