package io.tally.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tally.EventType;
import io.tally.FailureReason;
import io.tally.InvalidInputException;
import io.tally.JobError;
import io.tally.JobExistsException;
import io.tally.JobNotFoundException;
import io.tally.JobQuery;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.Page;
import io.tally.StoreUnavailableException;
import io.tally.TallyException;
import io.tally.internal.Json;
import io.tally.store.Applied;
import io.tally.store.Cursor;
import io.tally.store.ItemUpdate;
import io.tally.store.JobRecord;
import io.tally.store.JobRules;
import io.tally.store.JobStore;
import io.tally.store.JobWrite;
import io.tally.store.LocalEventHub;
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
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
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
 * Times are UTC epoch milliseconds from the store's {@link Clock}; durations are milliseconds; states are the enum
 * names.
 *
 * <p><b>One transaction per operation.</b> Every write runs in one transaction that first locks the job's row
 * ({@code SELECT … FOR UPDATE}; on SQLite {@code BEGIN IMMEDIATE} takes the database's write lock instead), so every
 * guard reads the stored state, then writes with guarded statements, and commits; events are published after the
 * commit (and, on PostgreSQL, {@code pg_notify} is sent inside the transaction so other processes hear of the write
 * on commit only). Deadlocks and serialisation failures are retried. Which statement serves which operation:
 *
 * <ul>
 *   <li>{@link #create}: {@code INSERT INTO jobs}; a duplicate key is {@link JobExistsException}; parts by a batched
 *       {@code INSERT INTO parts} (outcome 0).
 *   <li>{@link #record}: lock; keyed items read under the lock, then upserted ({@code INSERT … ON CONFLICT DO UPDATE}
 *       / {@code ON DUPLICATE KEY UPDATE}); counters by {@code UPDATE jobs SET succeeded = succeeded + ?, failed =
 *       failed + ?, total = total + ?, … WHERE id = ? AND state IN ('PENDING','RUNNING')}. The rate
 *       ({@link io.tally.store.RateEstimator#fold}) is folded from the locked row in the same transaction.
 *   <li>{@link #recordParts}: lock; the parts' stored outcomes read under the lock; {@code UPDATE parts SET outcome}
 *       for the parts that change (PostgreSQL: one {@code UPDATE … FROM unnest(…)} for the batch); the counter
 *       {@code UPDATE}; then the exactly-once settle {@code UPDATE jobs SET settled = TRUE, state = 'SUCCEEDED' … WHERE
 *       id = ? AND settled = FALSE AND succeeded + failed = parts AND failed <= tolerated_failures AND state IN
 *       ('RUNNING')}, whose row count decides {@code last}. Calls of several threads on one job share this transaction
 *       (group commit, below).
 *   <li>{@link #transition}, {@link #heartbeat}, {@link #expire}: lock; {@code UPDATE jobs … WHERE id = ? AND state
 *       IN (JobState.sourcesOf(target))}.
 *   <li>{@link #query}: {@code SELECT … WHERE <filters> AND (created_at < ? OR (created_at = ? AND id < ?)) ORDER BY
 *       created_at DESC, id DESC LIMIT ?}: keyset pagination on the matching index.
 *   <li>{@link #sweepCandidates}: {@code WHERE lease_until|deadline|retain_until < ?} on that column's index.
 *   <li>{@link #items}, {@link #parts}, {@link #logs}: keyset reads on the tables' primary keys or outcome indexes.
 *   <li>{@link #appendLogs}: lock; {@code UPDATE jobs SET log_seq = log_seq + n}; batched {@code INSERT INTO logs}.
 *   <li>{@link #delete}: lock; {@code DELETE} from logs, items, parts, then jobs.
 * </ul>
 *
 * <p><b>Events.</b> In-process listeners get every event of this store through a {@link LocalEventHub}, in commit
 * order per job (writes to one job are serialised by an in-process lock stripe as well as by the row lock). On
 * PostgreSQL each write transaction with a lifecycle event (anything but {@code PROGRESS} and {@code PART}) also sends
 * one {@code pg_notify} inside it (payload: store instance, job id, event types); progress-only writes do not, because
 * a notifying transaction takes a server-wide lock around its commit: after their commit they hand the job id and its
 * parts to a {@link ProgressNotifier}, which sends at most one notification per job every 100 ms (coalesced) on a
 * connection of its own, so no listener ever hears of a rolled-back write. A {@code LISTEN} connection, opened on
 * the first {@link #subscribe}, turns notifications of <em>other</em> processes into events by reading the job's row.
 *
 * <p><b>Group commit</b> ({@link GroupCommit}, flat combining). Callers queue their calls; whichever holds the lock
 * sends every queued call it can and wakes the callers it answered, each with the answer it would have got alone.
 * {@link #recordParts} calls on one job share one transaction ({@link #recordPartsTogether}, under the job's lock
 * stripe). On PostgreSQL, {@link #record} with counts only (no keyed items) goes with the queued counter-only calls of
 * other jobs as one autocommit {@code UPDATE jobs AS j SET succeeded = j.succeeded + v.v_s, …, rate = CASE … END FROM
 * unnest(…) AS v WHERE j.id = v.v_id AND j.state = 'RUNNING' AND j.parts = 0 RETURNING …} ({@link #recordFast}; the
 * rate fold as CASE expressions, the same double arithmetic as {@link io.tally.store.RateEstimator#fold}), and a lone
 * single-part {@link #recordParts} is one autocommit statement ({@link #recordPartFast}); when either changes nothing
 * the full transaction runs and decides (not found, finished, a PENDING job that starts, parts, a duplicate part, the
 * last part). SQLite and MariaDB deliver in-process only; a process that needs
 * another process's writes polls {@link #query} (documented in the module README).
 */
public final class JdbcJobStore implements JobStore {
    private static final Logger log = LoggerFactory.getLogger(JdbcJobStore.class);

    private static final int NONE = 0;
    private static final int SUCCESS = 1;
    private static final int FAILURE = 2;
    private static final int MAX_ATTEMPTS = 8;
    private static final int IN_CHUNK = 500;
    private static final int BATCH = 1000;

    static final String COLS = "id, name, scope, parent, metadata, state, total, succeeded, failed, parts,"
            + " tolerated_failures, settled, created_at, started_at, updated_at, finished_at, timeout_ms,"
            + " heartbeat_ms, retain_ms, deadline, lease_until, retain_until, result, error_message, error_type,"
            + " error_stack, error_reason, message, rate, rate_at, rate_acc";

    private final Dialect dialect;
    private final Tables t;
    private final Clock clock;
    private final DataSource writeSource;
    private final DataSource readSource;
    private final Lock writeLock;
    private final boolean readsUnderWriteLock;
    private final Lock[] stripes;
    /** recordParts calls waiting for their job's lock stripe, by stripe (see {@link #recordParts}). */
    private final Queue<PartsCall>[] partsQueues;

    private final String description;
    private final String secret;
    private final AutoCloseable onClose;
    private final LocalEventHub events = new LocalEventHub();
    private final EventChannel channel;
    private final ProgressNotifier notifier;
    private final String instanceId = UUID.randomUUID().toString();
    private final Object listenLock = new Object();
    private AutoCloseable listening;
    private volatile boolean closed;

    private final String selectJob;
    private final String lockJob;
    private final String insertJob;
    private final String insertPart;
    private final String upsertItem;
    private final String updatePart;
    /** The parts of one batch in one statement (PostgreSQL), else null. */
    private final String updateParts;

    private final String updateJob;
    private final String fastRecord;
    private final String fastPart;
    /** Counter-only record calls waiting for {@link #recordFast}, and the lock of the one thread sending them. */
    private final Queue<FastRecord> fastQueue = new ConcurrentLinkedQueue<>();

    private final Lock fastLock = new ReentrantLock();

    private JdbcJobStore(Builder b) {
        this.dialect = b.dialect;
        this.t = new Tables(b.schema, b.tablePrefix);
        this.clock = b.clock;
        this.writeSource = b.dataSource;
        this.readSource = b.readDataSource == null ? b.dataSource : b.readDataSource;
        this.writeLock = dialect.singleWriter() ? new ReentrantLock() : null;
        this.readsUnderWriteLock = b.readsUnderWriteLock && writeLock != null;
        this.stripes = new Lock[64];
        this.partsQueues = newQueues(64);
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new ReentrantLock();
        }
        this.description = b.description == null ? dialect.name() + " DataSource" : b.description;
        this.secret = b.secret;
        this.onClose = b.onClose;
        this.channel = b.events ? dialect.eventChannel(t.prefixQualified) : null;
        this.notifier = channel == null
                ? null
                : new ProgressNotifier(channel, writeSource, this::progressPayload, t.prefixQualified);

        this.selectJob = "SELECT " + COLS + " FROM " + t.jobs + " WHERE id = ?";
        this.lockJob = selectJob + dialect.forUpdate();
        this.insertJob = "INSERT INTO " + t.jobs + " (" + COLS + ", log_seq) VALUES (?, ?, ?, ?, " + dialect.json("?")
                + ", ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, " + dialect.json("?")
                + ", ?, ?, ?, ?, ?, ?, ?, ?, 0)";
        this.insertPart = "INSERT INTO " + t.parts + " (job_id, part, outcome, reason, payload) VALUES (?, ?, 0, NULL, "
                + dialect.json("?") + ")";
        this.upsertItem = dialect.upsertItem(t.items);
        this.updatePart = "UPDATE " + t.parts + " SET outcome = ?, reason = ? WHERE job_id = ? AND part = ?";
        this.updateParts = dialect.updateReturning()
                ? "UPDATE " + t.parts + " AS p SET outcome = v.v_outcome, reason = v.v_reason FROM unnest(CAST(? AS"
                        + " INTEGER[]), CAST(? AS INTEGER[]), CAST(? AS TEXT[])) AS v(v_part, v_outcome, v_reason)"
                        + " WHERE p.job_id = ? AND p.part = v.v_part"
                : null;
        this.updateJob = "UPDATE " + t.jobs + " SET state = ?, total = total + ?, succeeded = succeeded + ?,"
                + " failed = failed + ?, settled = ?, started_at = ?, updated_at = ?, finished_at = ?, deadline = ?,"
                + " lease_until = ?, retain_until = ?, result = " + dialect.json("?") + ", error_message = ?,"
                + " error_type = ?, error_stack = ?, error_reason = ?, message = ?, rate = ?, rate_at = ?,"
                + " rate_acc = ? WHERE id = ? AND state = ? AND settled = ?";
        this.fastRecord = dialect.updateReturning() ? fastRecordSql(t.jobs) : null;
        this.fastPart = dialect.updateReturning() ? fastPartSql(t) : null;
    }

    /**
     * The one-statement {@link #record} of counts on running jobs without parts (PostgreSQL), for many jobs at once:
     * one row of {@code unnest(ids, succeeded, failed, addTotal, messages)} per job, the time as one parameter. The
     * counters, message, lease and the {@link io.tally.store.RateEstimator#fold} of the rate are computed by
     * {@link #progressSet}. Jobs that are not RUNNING or have parts are left alone (no row returned for them).
     */
    private static String fastRecordSql(String jobs) {
        return "UPDATE " + jobs + " AS j SET " + progressSet("v.v_s", "v.v_f", "v.v_t", "v.v_m", "n.now")
                + " FROM unnest(CAST(? AS TEXT[]), CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS BIGINT[]),"
                + " CAST(? AS TEXT[])) AS v(v_id, v_s, v_f, v_t, v_m), (SELECT CAST(? AS BIGINT) AS now) AS n"
                + " WHERE j.id = v.v_id AND j.state = 'RUNNING' AND j.parts = 0 RETURNING " + qualified("j", COLS);
    }

    /**
     * The one-statement recordParts of one part (PostgreSQL): lock the job row if it is RUNNING, not settled and this
     * part cannot be its last; set the part's outcome if it has none; count it with {@link #progressSet}. The CTEs
     * run in the order of their references, so the part is written only under the job's row lock, and the job only
     * if the part was written. Parameters: now, succeeded, failed; the job id; outcome, reason, part. Returns no row
     * when any condition fails, having changed nothing.
     */
    private static String fastPartSql(Tables t) {
        return "WITH n AS (SELECT CAST(? AS BIGINT) AS now, CAST(? AS BIGINT) AS v_s, CAST(? AS BIGINT) AS v_f),"
                + " lockj AS (SELECT id FROM " + t.jobs + " WHERE id = ? AND state = 'RUNNING' AND NOT settled"
                + " AND succeeded + failed + 1 < parts FOR UPDATE),"
                + " p AS (UPDATE " + t.parts + " SET outcome = ?, reason = ? WHERE job_id = (SELECT id FROM lockj)"
                + " AND part = ? AND outcome = " + NONE + " RETURNING part)"
                + " UPDATE " + t.jobs + " AS j SET " + progressSet("n.v_s", "n.v_f", "0", "NULL", "n.now")
                + " FROM n WHERE j.id = (SELECT id FROM lockj) AND EXISTS (SELECT 1 FROM p) RETURNING "
                + qualified("j", COLS);
    }

    /**
     * The SET list of the one-statement writes, from SQL expressions for the succeeded, failed, addTotal and message
     * of the write and for the time: the counters, message, lease, and the rate fold as CASE expressions in the same
     * order of double operations as {@link io.tally.store.RateEstimator#fold}, so the stored rate is bit for bit what
     * the reference store computes. Columns of the job are read through the alias {@code j}.
     */
    private static String progressSet(String succeeded, String failed, String addTotal, String message, String now) {
        String units = "(" + succeeded + " + " + failed + ")";
        String dt = "(" + now + " - j.rate_at)";
        String open = "j.rate_at IS NULL OR " + dt + " < " + io.tally.store.RateEstimator.WINDOW_MILLIS;
        String inst = "(CAST(j.rate_acc + " + units + " AS DOUBLE PRECISION) * CAST(1000 AS DOUBLE PRECISION)"
                + " / CAST(" + dt + " AS DOUBLE PRECISION))";
        String alpha = "LEAST(CAST(1 AS DOUBLE PRECISION), CAST(" + dt + " AS DOUBLE PRECISION)"
                + " / CAST(1000 AS DOUBLE PRECISION) / CAST(" + (long) io.tally.store.RateEstimator.TAU_SECONDS
                + " AS DOUBLE PRECISION))";
        return "succeeded = j.succeeded + " + succeeded + ", failed = j.failed + " + failed + ", total = j.total + "
                + addTotal + ", message = COALESCE(CAST(" + message + " AS TEXT), j.message), updated_at = " + now
                + ", lease_until = CASE WHEN j.heartbeat_ms IS NULL THEN j.lease_until ELSE " + now
                + " + j.heartbeat_ms END,"
                + " rate = CASE WHEN " + open + " THEN j.rate WHEN j.rate IS NULL THEN " + inst
                + " ELSE j.rate + " + alpha + " * (" + inst + " - j.rate) END,"
                + " rate_at = CASE WHEN j.rate_at IS NULL THEN " + now + " WHEN " + dt + " < "
                + io.tally.store.RateEstimator.WINDOW_MILLIS + " THEN j.rate_at ELSE " + now + " END,"
                + " rate_acc = CASE WHEN " + open + " THEN j.rate_acc + " + units + " ELSE 0 END";
    }

    /** @return the comma-separated columns, each prefixed with {@code alias.} */
    private static String qualified(String alias, String columns) {
        return alias + "." + columns.replace(", ", ", " + alias + ".");
    }

    @SuppressWarnings("unchecked")
    private static Queue<PartsCall>[] newQueues(int n) {
        Queue<PartsCall>[] queues = new Queue[n];
        for (int i = 0; i < n; i++) {
            queues[i] = new ConcurrentLinkedQueue<>();
        }
        return queues;
    }

    /** @return a builder for a store on a {@link DataSource} the application already has */
    public static Builder builder() {
        return new Builder();
    }

    /** Migrates if asked; closes what it was given to close if that fails. */
    private JdbcJobStore open(boolean migrate) {
        try {
            Migrator m = new Migrator(dialect, t);
            if (migrate) {
                withWriteLock(() -> {
                    try (Connection c = writeSource.getConnection()) {
                        int v = m.migrate(c);
                        log.debug("{} schema at version {}", description, v);
                    }
                    return null;
                });
            }
            return this;
        } catch (SQLException e) {
            close();
            throw translate(e, "open the store");
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
            return withWriteLock(() -> {
                try (Connection c = writeSource.getConnection()) {
                    return new Migrator(dialect, t).migrate(c);
                }
            });
        } catch (SQLException e) {
            throw translate(e, "migrate");
        }
    }

    /** @return the schema version recorded in the database, 0 if it was never migrated */
    public int schemaVersion() {
        return read("read the schema version", tx -> {
            try {
                return new Migrator(dialect, t).currentVersion(tx.c);
            } catch (SQLException e) {
                if (tx.c.getAutoCommit()) {
                    return 0;
                }
                tx.c.rollback();
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

    private Instant now() {
        return Instant.ofEpochMilli(clock.millis());
    }

    // ---------------------------------------------------------------------------------------------------- writes

    @Override
    public JobRecord create(NewJob j) {
        return write(j.id(), "create job " + j.id(), tx -> {
            Applied created = JobRules.create(j, now());
            JobRecord r = created.after();
            try (PreparedStatement ps = tx.c.prepareStatement(insertJob)) {
                bindRecord(ps, r);
                ps.executeUpdate();
            } catch (SQLException e) {
                if (dialect.isDuplicateKey(e)) {
                    throw new JobExistsException(j.id());
                }
                throw e;
            }
            if (!j.partPayloads().isEmpty()) {
                try (PreparedStatement ps = tx.c.prepareStatement(insertPart)) {
                    executeBatched(ps, j.partPayloads(), (payload, n) -> {
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
        return JobStore.answered(() -> {
            if (fastRecord != null && u.items().isEmpty()) {
                JobRecord done = recordFast(id, u);
                if (done != null) {
                    return RecordedProgress.of(done);
                }
            }
            return write(id, "record progress of job " + id, tx -> step(tx, id, List.of(u)))
                    .single(RecordedProgress.class);
        });
    }

    /**
     * One atomic step on a locked job: lock its row, read the stored outcomes of the items and parts the calls name,
     * apply {@link JobRules}, write what they decided ({@link #persist}). Runs inside {@link #write}'s transaction.
     */
    private Applied step(Tx tx, String id, List<? extends JobWrite> calls) throws SQLException {
        JobRecord r = locked(tx, id);
        Set<String> keys = new LinkedHashSet<>();
        Set<Integer> partNumbers = new LinkedHashSet<>();
        for (JobWrite call : calls) {
            if (call instanceof ProgressUpdate u) {
                u.items().forEach(i -> keys.add(i.key()));
            } else if (call instanceof PartsWrite w) {
                w.parts().forEach(p -> partNumbers.add(p.part()));
            }
        }
        Map<String, Outcome> items = keys.isEmpty() ? Map.of() : itemOutcomes(tx.c, id, keys);
        Map<Integer, Outcome> parts = partNumbers.isEmpty() ? Map.of() : partOutcomes(tx.c, id, partNumbers);
        Applied applied = JobRules.apply(r, items::get, parts::get, calls, now());
        persist(tx, applied);
        return applied;
    }

    /** Writes what the rules decided, in the step's transaction, and queues its events for after the commit. */
    private void persist(Tx tx, Applied a) throws SQLException {
        String id = a.before().id();
        if (a.deleted()) {
            deleteRows(tx, id);
        } else if (a.changed()) {
            writeItems(tx.c, id, a.items());
            writeParts(tx.c, id, a.parts());
            update(tx.c, a.before(), a.after());
        }
        a.events().forEach(tx::emit);
    }

    private void writeItems(Connection c, String id, List<ItemUpdate> items) throws SQLException {
        if (items.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(upsertItem)) {
            executeBatched(ps, items, (i, n) -> {
                ps.setString(1, id);
                ps.setString(2, i.key());
                ps.setInt(3, code(i.outcome()));
                ps.setString(4, i.reason());
            });
        }
    }

    /**
     * The one-round-trip {@link #record} of counts (PostgreSQL), with group commit: the call is queued, and whichever
     * caller holds {@link #fastLock} sends every queued call of distinct jobs as one autocommit {@link #fastRecordSql}
     * statement (a job's second call waits for the next one), under the lock stripes of those jobs so that events of
     * one job still leave in commit order. Returns null when the statement did not change the job (missing, finished,
     * pending or with parts) or met a conflict to retry: the caller then runs the full transaction, which decides.
     */
    private JobRecord recordFast(String id, ProgressUpdate u) {
        FastRecord mine = new FastRecord(id, u);
        fastQueue.add(mine);
        GroupCommit.await(mine, fastQueue, fastLock, () -> sendFastRecords(takeFastRecords()));
        if (mine.answer() instanceof RuntimeException e) {
            throw e;
        }
        return mine.answer() instanceof JobRecord r ? r : null;
    }

    /** Counter-only record calls one statement sends at most. */
    private static final int MAX_FAST_RECORDS = 128;

    /** A counter-only record call waiting for {@link #recordFast}; answer: the job, {@link #NO_ROW} or an exception. */
    private static final class FastRecord extends GroupCommit.Call {
        final String id;
        final ProgressUpdate update;

        FastRecord(String id, ProgressUpdate update) {
            this.id = id;
            this.update = update;
        }
    }

    private static final Object NO_ROW = new Object();

    /** @return the queued calls, one per job, oldest first */
    private List<FastRecord> takeFastRecords() {
        List<FastRecord> batch = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (var it = fastQueue.iterator(); it.hasNext() && batch.size() < MAX_FAST_RECORDS; ) {
            FastRecord f = it.next();
            if (ids.add(f.id)) {
                it.remove();
                batch.add(f);
            }
        }
        return batch;
    }

    private void sendFastRecords(List<FastRecord> batch) {
        try {
            sendFastRecordsOnce(batch);
        } catch (RuntimeException | Error e) {
            // Whatever went wrong, no caller of the batch may wait for an answer that will not come.
            RuntimeException answer = e instanceof RuntimeException re ? re : new IllegalStateException(e);
            for (FastRecord f : batch) {
                if (!f.isDone()) {
                    f.answer(answer);
                }
            }
            throw e;
        }
    }

    private void sendFastRecordsOnce(List<FastRecord> batch) {
        int[] locked =
                batch.stream().mapToInt(f -> stripeOf(f.id)).distinct().sorted().toArray();
        for (int stripe : locked) {
            stripes[stripe].lock(); // ascending: no other thread takes two stripes but the holder of fastLock
        }
        try {
            Map<String, JobRecord> after = new HashMap<>();
            try (Connection c = writeSource.getConnection()) {
                if (!c.getAutoCommit()) {
                    c.setAutoCommit(true);
                }
                int n = batch.size();
                Object[] ids = new Object[n];
                Object[] succeeded = new Object[n];
                Object[] failed = new Object[n];
                Object[] addTotal = new Object[n];
                Object[] messages = new Object[n];
                for (int i = 0; i < n; i++) {
                    ProgressUpdate u = batch.get(i).update;
                    ids[i] = batch.get(i).id;
                    succeeded[i] = u.succeeded();
                    failed[i] = u.failed();
                    addTotal[i] = u.addTotal();
                    messages[i] = u.message();
                }
                try (PreparedStatement ps = c.prepareStatement(fastRecord)) {
                    ps.setArray(1, c.createArrayOf("text", ids));
                    ps.setArray(2, c.createArrayOf("bigint", succeeded));
                    ps.setArray(3, c.createArrayOf("bigint", failed));
                    ps.setArray(4, c.createArrayOf("bigint", addTotal));
                    ps.setArray(5, c.createArrayOf("text", messages));
                    ps.setLong(6, clock.millis());
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            JobRecord r = toRecord(rs);
                            after.put(r.id(), r);
                        }
                    }
                }
            } catch (SQLException e) {
                RuntimeException failure = dialect.isRetryable(e) ? null : translate(e, "record progress");
                for (FastRecord f : batch) {
                    f.answer(failure == null ? NO_ROW : failure);
                }
                return;
            }
            for (FastRecord f : batch) {
                JobRecord r = after.get(f.id);
                if (r != null) {
                    events.publish(StoreEvent.of(EventType.PROGRESS, r));
                    if (notifier != null) {
                        notifier.offer(f.id, List.of());
                    }
                }
                f.answer(r == null ? NO_ROW : r);
            }
        } finally {
            for (int stripe : locked) {
                stripes[stripe].unlock();
            }
        }
    }

    /**
     * Group commit by flat combining: the caller queues its call; whichever caller gets the job's lock stripe applies
     * every call queued for the job — its own and those of the threads parked behind it, which it then wakes — in one
     * transaction ({@link #recordPartsTogether}). A lone single-part call on PostgreSQL takes the one-statement
     * {@link #recordPartFast} instead. Each call still gets the answer it would
     * have got alone, {@code last} included, because the calls are applied one after the other in Java on the locked
     * row; the database sees one row lock, one read of the stored outcomes, one batch of part updates, one job update
     * and one commit for all of them.
     */
    @Override
    public CompletableFuture<PartsOutcome> recordParts(String id, List<PartUpdate> parts) {
        return JobStore.answered(() -> recordPartsNow(id, parts));
    }

    private PartsOutcome recordPartsNow(String id, List<PartUpdate> parts) {
        int stripe = stripeOf(id);
        Lock lock = writeLock != null ? writeLock : stripes[stripe];
        if (fastPart != null && parts.size() == 1 && !parts.get(0).failJob() && lock.tryLock()) {
            // Nobody else is writing this job here: one statement, unless the general path has to decide.
            try {
                PartsOutcome done = recordPartFast(id, parts.get(0));
                if (done != null) {
                    return done;
                }
            } finally {
                lock.unlock();
            }
        }
        PartsCall mine = new PartsCall(id, parts);
        Queue<PartsCall> queue = partsQueues[stripe];
        queue.add(mine);
        GroupCommit.await(mine, queue, lock, () -> applyQueuedParts(queue, id));
        return mine.result();
    }

    /** Applies the queued calls of job {@code id} (up to {@link #MAX_COMBINED}) in one transaction. */
    private void applyQueuedParts(Queue<PartsCall> queue, String id) {
        List<PartsCall> calls = new ArrayList<>();
        for (var it = queue.iterator(); it.hasNext() && calls.size() < MAX_COMBINED; ) {
            PartsCall c = it.next();
            if (c.id.equals(id)) {
                it.remove();
                calls.add(c);
            }
        }
        try {
            List<PartsWrite> writes = new ArrayList<>(calls.size());
            for (PartsCall call : calls) {
                writes.add(new PartsWrite(call.parts));
            }
            Applied applied = write(id, "record parts of job " + id, tx -> step(tx, id, writes));
            for (int i = 0; i < calls.size(); i++) {
                Applied.Reply reply = applied.replies().get(i);
                calls.get(i).answer(reply.error() != null ? reply.error() : reply.value());
            }
        } catch (RuntimeException e) {
            calls.forEach(c -> c.answer(e));
        }
    }

    /**
     * One part in one autocommit statement ({@link #fastPartSql}), for the common case: a new outcome for a part of a
     * running job that it does not finish. Returns null, having changed nothing, when the general path has to decide
     * (job missing, pending or finished, part already recorded or out of range, the job's last part) or on a
     * conflict to retry. Called under the job's lock stripe.
     */
    private PartsOutcome recordPartFast(String id, PartUpdate p) {
        JobRecord after;
        try (Connection c = writeSource.getConnection()) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            boolean success = p.outcome() == Outcome.SUCCESS;
            try (PreparedStatement ps = c.prepareStatement(fastPart)) {
                ps.setLong(1, clock.millis());
                ps.setLong(2, success ? 1 : 0);
                ps.setLong(3, success ? 0 : 1);
                ps.setString(4, id);
                ps.setInt(5, code(p.outcome()));
                ps.setString(6, p.reason());
                ps.setInt(7, p.part());
                try (ResultSet rs = ps.executeQuery()) {
                    after = rs.next() ? toRecord(rs) : null;
                }
            }
        } catch (SQLException e) {
            if (dialect.isRetryable(e)) {
                return null;
            }
            throw translate(e, "record parts of job " + id);
        }
        if (after == null) {
            return null;
        }
        events.publish(new StoreEvent(EventType.PART, after, p.part()));
        if (notifier != null) {
            notifier.offer(id, List.of(p.part()));
        }
        return new PartsOutcome(1, after.parts() - after.succeeded() - after.failed(), false);
    }

    /** Calls one transaction applies at most; the rest wait for the next one. */
    private static final int MAX_COMBINED = 256;

    /** One recordParts call waiting to be applied; {@code answer} is its result or its exception, once applied. */
    private static final class PartsCall extends GroupCommit.Call {
        final String id;
        final List<PartUpdate> parts;

        PartsCall(String id, List<PartUpdate> parts) {
            this.id = id;
            this.parts = parts;
        }

        PartsOutcome result() {
            if (answer() instanceof RuntimeException e) {
                throw e;
            }
            return (PartsOutcome) answer();
        }
    }

    private int stripeOf(String id) {
        return Math.floorMod(id.hashCode(), stripes.length);
    }

    private void writeParts(Connection c, String id, Collection<PartUpdate> writes) throws SQLException {
        if (writes.isEmpty()) {
            return;
        }
        if (updateParts != null && writes.size() > 1) {
            // PostgreSQL: one statement for the whole batch instead of one per part.
            int n = writes.size();
            Object[] parts = new Object[n];
            Object[] outcomes = new Object[n];
            Object[] reasons = new Object[n];
            int i = 0;
            for (PartUpdate p : writes) {
                parts[i] = p.part();
                outcomes[i] = code(p.outcome());
                reasons[i++] = p.reason();
            }
            try (PreparedStatement ps = c.prepareStatement(updateParts)) {
                ps.setArray(1, c.createArrayOf("integer", parts));
                ps.setArray(2, c.createArrayOf("integer", outcomes));
                ps.setArray(3, c.createArrayOf("text", reasons));
                ps.setString(4, id);
                ps.executeUpdate();
            }
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(updatePart)) {
            executeBatched(ps, writes, (p, n) -> {
                ps.setInt(1, code(p.outcome()));
                ps.setString(2, p.reason());
                ps.setString(3, id);
                ps.setInt(4, p.part());
            });
        }
    }

    @Override
    public TransitionResult transition(String id, Transition t) {
        return write(id, "change job " + id + " (" + t + ")", tx -> step(tx, id, List.of(t)))
                .single(TransitionResult.class);
    }

    @Override
    public void appendLogs(String id, List<LogEntry> entries) {
        write(id, "append logs of job " + id, tx -> {
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
                executeBatched(ps, entries, (l, n) -> {
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
        return write(id, "delete job " + id, tx -> {
            Optional<JobRecord> found = lockedIfExists(tx, id);
            if (found.isEmpty()) {
                return false;
            }
            deleteRows(tx, id);
            tx.emit(StoreEvent.of(EventType.DELETED, found.get()));
            return true;
        });
    }

    private void deleteRows(Tx tx, String id) throws SQLException {
        for (String table : List.of(t.logs, t.items, t.parts, t.jobs)) {
            String column = table.equals(t.jobs) ? "id" : "job_id";
            try (PreparedStatement ps = tx.c.prepareStatement("DELETE FROM " + table + " WHERE " + column + " = ?")) {
                ps.setString(1, id);
                ps.executeUpdate();
            }
        }
    }

    // ----------------------------------------------------------------------------------------------------- reads

    @Override
    public Optional<JobRecord> find(String id) {
        return read("find job " + id, tx -> selectJob(tx.c, selectJob, id));
    }

    @Override
    public Page<JobRecord> query(JobQuery q) {
        StringBuilder sql = new StringBuilder("SELECT " + COLS + " FROM " + t.jobs + " WHERE 1 = 1");
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
        return read("list jobs", tx -> {
            List<JobRecord> out = new ArrayList<>();
            try (PreparedStatement ps = tx.c.prepareStatement(sql.toString())) {
                bindAll(ps, args);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(toRecord(rs));
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

    @Override
    public Map<JobState, Long> countByState() {
        return read("count jobs by state", tx -> {
            Map<JobState, Long> counts = new EnumMap<>(JobState.class);
            for (JobState s : JobState.values()) {
                counts.put(s, 0L);
            }
            try (PreparedStatement ps =
                            tx.c.prepareStatement("SELECT state, COUNT(*) FROM " + t.jobs + " GROUP BY state");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counts.put(JobState.valueOf(rs.getString(1)), rs.getLong(2));
                }
            }
            return counts;
        });
    }

    @Override
    public Page<StoredItem> items(String id, Outcome outcome, String afterKey, int limit) {
        StringBuilder sql = new StringBuilder("SELECT item_key, outcome, reason FROM " + t.items + " WHERE job_id = ?");
        List<Object> args = new ArrayList<>();
        args.add(id);
        if (outcome != null) {
            sql.append(" AND outcome = ?");
            args.add(code(outcome));
        }
        if (afterKey != null) {
            sql.append(" AND item_key > ?");
            args.add(afterKey);
        }
        sql.append(" ORDER BY item_key LIMIT ?");
        args.add(limit + 1);
        return read("list items of job " + id, tx -> {
            requireJob(tx.c, id);
            List<StoredItem> out = new ArrayList<>();
            try (PreparedStatement ps = tx.c.prepareStatement(sql.toString())) {
                bindAll(ps, args);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new StoredItem(rs.getString(1), outcome(rs.getInt(2)), rs.getString(3)));
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
            case PENDING -> NONE;
            case SUCCEEDED -> SUCCESS;
            case FAILED -> FAILURE;
        };
        return read("list parts of job " + id, tx -> {
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
        return read("read a part of job " + id, tx -> {
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
        return read("read the log of job " + id, tx -> {
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
        String sql = "SELECT id FROM " + t.jobs + " WHERE " + column + " < ? AND state IN (" + marks(states.size())
                + ") ORDER BY " + column + " LIMIT ?";
        return read("find jobs due for " + kind, tx -> {
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
        AutoCloseable sub = events.subscribe(listener);
        if (channel != null) {
            synchronized (listenLock) {
                if (listening == null && !closed) {
                    listening = channel.listen(readSource, this::onNotification);
                }
            }
        }
        return sub;
    }

    /** Builds the one notification of a transaction: {@code {"s": instance, "id": job, "e": [...], "d": {...}}}. */
    private String payload(String id, List<StoreEvent> list) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("s", instanceId);
        root.put("id", id);
        int budget = channel.maxPayloadBytes() - 400 - id.length();
        List<String> names = new ArrayList<>();
        int bytes = 0;
        int parts = 0;
        for (StoreEvent e : list) {
            if (e.type() == EventType.PART && bytes > budget) {
                parts++;
                continue;
            }
            String n =
                    e.part() >= 0 ? e.type().name() + ":" + e.part() : e.type().name();
            bytes += n.length() + 3;
            names.add(n);
            if (e.type() == EventType.DELETED) {
                JobRecord r = e.record();
                ObjectNode d = root.putObject("d");
                d.put("name", r.name());
                d.put("scope", r.scope());
                d.put("parent", r.parent());
                d.put("state", r.state().name());
                d.put("createdAt", r.createdAt().toEpochMilli());
                d.put("updatedAt", r.updatedAt().toEpochMilli());
            }
        }
        ArrayNode arr = root.putArray("e");
        names.forEach(arr::add);
        if (parts > 0) {
            root.put("partsLeftOut", parts);
        }
        String text = root.toString();
        return text.getBytes(StandardCharsets.UTF_8).length <= channel.maxPayloadBytes()
                ? text
                : "{\"s\":\"" + instanceId + "\",\"id\":\"" + id + "\",\"e\":[\"PROGRESS\"]}";
    }

    /** @return true if every event only reports progress (counts or parts), which the notifier sends coalesced */
    private static boolean progressOnly(List<StoreEvent> list) {
        if (list.isEmpty()) {
            return false;
        }
        for (StoreEvent e : list) {
            if (e.type() != EventType.PROGRESS && e.type() != EventType.PART) {
                return false;
            }
        }
        return true;
    }

    private static List<Integer> partsOf(List<StoreEvent> list) {
        List<Integer> parts = new ArrayList<>();
        for (StoreEvent e : list) {
            if (e.type() == EventType.PART) {
                parts.add(e.part());
            }
        }
        return parts;
    }

    /**
     * The coalesced notification of a job's progress: {@code {"s": instance, "id": job, "e": ["PART:3", …,
     * "PROGRESS"]}}, with the parts recorded since the last one, as many as fit in a notification.
     */
    private String progressPayload(String id, Collection<Integer> parts) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("s", instanceId);
        root.put("id", id);
        var names = root.putArray("e");
        int budget = channel.maxPayloadBytes() - 400 - id.length();
        int bytes = 0;
        for (int p : parts) {
            String n = EventType.PART.name() + ":" + p;
            bytes += n.length() + 3;
            if (bytes > budget) {
                break;
            }
            names.add(n);
        }
        names.add(EventType.PROGRESS.name());
        return root.toString();
    }

    private void onNotification(String payload) {
        JsonNode root = Json.tree(payload);
        if (instanceId.equals(root.path("s").asText()) || closed || !events.hasListeners()) {
            return;
        }
        String id = root.path("id").asText();
        JobRecord current = null;
        boolean read = false;
        for (JsonNode n : root.path("e")) {
            String text = n.asText();
            int colon = text.indexOf(':');
            EventType type = EventType.valueOf(colon < 0 ? text : text.substring(0, colon));
            int part = colon < 0 ? -1 : Integer.parseInt(text.substring(colon + 1));
            if (type == EventType.DELETED) {
                JsonNode d = root.path("d");
                Instant created = Instant.ofEpochMilli(d.path("createdAt").asLong());
                events.publish(StoreEvent.of(
                        EventType.DELETED,
                        new JobRecord(
                                id,
                                d.path("name").asText(),
                                d.hasNonNull("scope") ? d.get("scope").asText() : null,
                                d.hasNonNull("parent") ? d.get("parent").asText() : null,
                                "{}",
                                JobState.valueOf(d.path("state").asText()),
                                0,
                                0,
                                0,
                                0,
                                0,
                                false,
                                created,
                                null,
                                Instant.ofEpochMilli(d.path("updatedAt").asLong()),
                                null,
                                null,
                                null,
                                null,
                                null,
                                null,
                                null,
                                null,
                                null,
                                null,
                                null,
                                null,
                                0)));
                continue;
            }
            if (!read) {
                current = find(id).orElse(null);
                read = true;
            }
            if (current != null) {
                events.publish(new StoreEvent(type, current, part));
            }
        }
    }

    @Override
    public void close() {
        synchronized (listenLock) {
            if (closed) {
                return;
            }
            closed = true;
            if (listening != null) {
                closeQuietly(listening);
            }
        }
        if (notifier != null) {
            closeQuietly(notifier);
        }
        if (onClose != null) {
            closeQuietly(onClose);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            log.warn("closing {} failed", c, e);
        }
    }

    @Override
    public String toString() {
        return "JdbcJobStore{" + description + "}";
    }

    // --------------------------------------------------------------------------------------------------- helpers

    /** Work done on one connection. */
    @FunctionalInterface
    private interface Work<T> {
        T run(Tx tx) throws SQLException;
    }

    /** One transaction: its connection and the events to publish once it committed. */
    private static final class Tx {
        final Connection c;
        final List<StoreEvent> events = new ArrayList<>();

        Tx(Connection c) {
            this.c = c;
        }

        void emit(StoreEvent e) {
            events.add(e);
        }
    }

    /** Sets the parameters of row {@code index} (0-based) of a batched statement. */
    @FunctionalInterface
    private interface RowBinder<T> {
        void bind(T row, int index) throws SQLException;
    }

    /** Adds a row per element of {@code rows} to {@code ps}'s batch, executing it every {@value #BATCH} rows. */
    private static <T> void executeBatched(PreparedStatement ps, Iterable<T> rows, RowBinder<T> binder)
            throws SQLException {
        int n = 0;
        for (T row : rows) {
            binder.bind(row, n);
            ps.addBatch();
            if (++n % BATCH == 0) {
                ps.executeBatch();
            }
        }
        if (n % BATCH != 0) {
            ps.executeBatch();
        }
    }

    @FunctionalInterface
    private interface SqlSupplier<T> {
        T get() throws SQLException;
    }

    private <T> T withWriteLock(SqlSupplier<T> s) throws SQLException {
        if (writeLock != null) {
            writeLock.lock();
        }
        try {
            return s.get();
        } finally {
            if (writeLock != null) {
                writeLock.unlock();
            }
        }
    }

    /**
     * Runs {@code work} in one write transaction, retried on deadlocks and busy databases, and publishes its events
     * after the commit while still holding the job's lock stripe, so that events of one job leave in commit order.
     */
    private <T> T write(String id, String what, Work<T> work) {
        Lock lock = writeLock != null ? writeLock : stripes[stripeOf(id)];
        lock.lock();
        try {
            for (int attempt = 1; ; attempt++) {
                T result;
                List<StoreEvent> emitted;
                boolean progressOnly;
                try (Connection c = writeSource.getConnection()) {
                    dialect.beginWrite(c);
                    boolean committed = false;
                    try {
                        Tx tx = new Tx(c);
                        result = work.run(tx);
                        progressOnly = notifier != null && progressOnly(tx.events);
                        if (channel != null && !tx.events.isEmpty() && !progressOnly) {
                            channel.send(c, payload(id, tx.events));
                        }
                        dialect.commit(c);
                        committed = true;
                        emitted = tx.events;
                    } finally {
                        if (!committed) {
                            rollbackQuietly(c);
                        }
                    }
                } catch (SQLException e) {
                    if (attempt < MAX_ATTEMPTS && dialect.isRetryable(e)) {
                        pause(attempt);
                        continue;
                    }
                    throw translate(e, what);
                }
                for (StoreEvent e : emitted) {
                    events.publish(e);
                }
                if (progressOnly) {
                    notifier.offer(id, partsOf(emitted));
                }
                return result;
            }
        } finally {
            lock.unlock();
        }
    }

    private <T> T read(String what, Work<T> work) {
        Lock lock = readsUnderWriteLock ? writeLock : null;
        if (lock != null) {
            lock.lock();
        }
        try (Connection c = readSource.getConnection()) {
            try {
                T result = work.run(new Tx(c));
                if (!c.getAutoCommit()) {
                    c.commit();
                }
                return result;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            }
        } catch (SQLException e) {
            throw translate(e, what);
        } finally {
            if (lock != null) {
                lock.unlock();
            }
        }
    }

    private void rollbackQuietly(Connection c) {
        try {
            if (dialect.singleWriter()) {
                if (c.getAutoCommit() && !c.isClosed()) {
                    try (var s = c.createStatement()) {
                        s.execute("ROLLBACK");
                    } catch (SQLException ignored) {
                        // no transaction was open
                    }
                } else {
                    c.rollback();
                }
            } else if (!c.getAutoCommit()) {
                c.rollback();
            }
        } catch (SQLException e) {
            log.debug("rollback failed on {}", description, e);
        }
    }

    private static void pause(int attempt) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(1, 5L << Math.min(attempt, 6)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("interrupted while retrying a conflicting write", e);
        }
    }

    private TallyException translate(SQLException e, String what) {
        if (dialect.isUnstorableText(e)) {
            return new InvalidInputException(
                    "text", dialect.name() + " cannot store this text: " + mask(e.getMessage()));
        }
        return new StoreUnavailableException(
                dialect.name() + " store " + description + " could not " + what + ": " + mask(e.getMessage()), e);
    }

    private String mask(String message) {
        if (message == null) {
            return "";
        }
        return secret == null || secret.isEmpty() ? message : message.replace(secret, "***");
    }

    private JobRecord locked(Tx tx, String id) throws SQLException {
        return lockedIfExists(tx, id).orElseThrow(() -> new JobNotFoundException(id));
    }

    private Optional<JobRecord> lockedIfExists(Tx tx, String id) throws SQLException {
        return selectJob(tx.c, lockJob, id);
    }

    private Optional<JobRecord> selectJob(Connection c, String sql, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(toRecord(rs)) : Optional.empty();
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

    /**
     * Writes the job as the rules left it, the counters as increments, guarded by the state and settle flag it was read
     * with. Runs under the row lock, so the guard holds; a row count of 0 would mean the lock did not (or two steps
     * both claimed one settle), and is an error that rolls the step back.
     */
    private void update(Connection c, JobRecord before, JobRecord after) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(updateJob)) {
            int i = 1;
            ps.setString(i++, after.state().name());
            ps.setLong(i++, after.total() - before.total());
            ps.setLong(i++, after.succeeded() - before.succeeded());
            ps.setLong(i++, after.failed() - before.failed());
            ps.setBoolean(i++, after.settled());
            setInstant(ps, i++, after.startedAt());
            setInstant(ps, i++, after.updatedAt());
            setInstant(ps, i++, after.finishedAt());
            setInstant(ps, i++, after.deadline());
            setInstant(ps, i++, after.leaseUntil());
            setInstant(ps, i++, after.retainUntil());
            ps.setString(i++, after.resultJson());
            i = bindError(ps, i, after.error());
            ps.setString(i++, after.message());
            if (after.rate() == null) {
                ps.setNull(i++, Types.DOUBLE);
            } else {
                ps.setDouble(i++, after.rate());
            }
            setInstant(ps, i++, after.rateAt());
            ps.setLong(i++, after.rateAcc());
            ps.setString(i++, before.id());
            ps.setString(i++, before.state().name());
            ps.setBoolean(i++, before.settled());
            if (ps.executeUpdate() != 1) {
                throw new IllegalStateException("job " + before.id() + " changed under its row lock");
            }
        }
    }

    private Map<String, Outcome> itemOutcomes(Connection c, String id, Collection<String> keys) throws SQLException {
        Map<String, Outcome> out = new HashMap<>();
        List<String> all = new ArrayList<>(keys);
        for (int from = 0; from < all.size(); from += IN_CHUNK) {
            List<String> chunk = all.subList(from, Math.min(all.size(), from + IN_CHUNK));
            String sql = "SELECT item_key, outcome FROM " + t.items + " WHERE job_id = ? AND item_key IN ("
                    + marks(chunk.size()) + ")";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, id);
                int i = 2;
                for (String k : chunk) {
                    ps.setString(i++, k);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getString(1), outcome(rs.getInt(2)));
                    }
                }
            }
        }
        return out;
    }

    /** Reads the stored outcomes of the given parts: one range read when they are dense, else IN lists. */
    private Map<Integer, Outcome> partOutcomes(Connection c, String id, Set<Integer> wanted) throws SQLException {
        Map<Integer, Outcome> out = new HashMap<>();
        int min = Integer.MAX_VALUE;
        int max = Integer.MIN_VALUE;
        for (int p : wanted) {
            min = Math.min(min, p);
            max = Math.max(max, p);
        }
        if ((long) max - min + 1 <= 2L * wanted.size() + 16) {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT part, outcome FROM " + t.parts + " WHERE job_id = ? AND part >= ? AND part <= ?")) {
                ps.setString(1, id);
                ps.setInt(2, min);
                ps.setInt(3, max);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (wanted.contains(rs.getInt(1))) {
                            putOutcome(out, rs.getInt(1), rs.getInt(2));
                        }
                    }
                }
            }
            return out;
        }
        List<Integer> all = new ArrayList<>(wanted);
        for (int from = 0; from < all.size(); from += IN_CHUNK) {
            List<Integer> chunk = all.subList(from, Math.min(all.size(), from + IN_CHUNK));
            try (PreparedStatement ps = c.prepareStatement("SELECT part, outcome FROM " + t.parts
                    + " WHERE job_id = ? AND part IN (" + marks(chunk.size()) + ")")) {
                ps.setString(1, id);
                int i = 2;
                for (int p : chunk) {
                    ps.setInt(i++, p);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        putOutcome(out, rs.getInt(1), rs.getInt(2));
                    }
                }
            }
        }
        return out;
    }

    /** Keeps a stored part outcome; a pending part (code 0) has none. */
    private static void putOutcome(Map<Integer, Outcome> out, int part, int code) {
        if (code != NONE) {
            out.put(part, outcome(code));
        }
    }

    private void bindRecord(PreparedStatement ps, JobRecord r) throws SQLException {
        int i = 1;
        ps.setString(i++, r.id());
        ps.setString(i++, r.name());
        ps.setString(i++, r.scope());
        ps.setString(i++, r.parent());
        ps.setString(i++, r.metadataJson());
        ps.setString(i++, r.state().name());
        ps.setLong(i++, r.total());
        ps.setLong(i++, r.succeeded());
        ps.setLong(i++, r.failed());
        ps.setInt(i++, r.parts());
        ps.setInt(i++, r.toleratedFailures());
        ps.setBoolean(i++, r.settled());
        setInstant(ps, i++, r.createdAt());
        setInstant(ps, i++, r.startedAt());
        setInstant(ps, i++, r.updatedAt());
        setInstant(ps, i++, r.finishedAt());
        setDuration(ps, i++, r.timeout());
        setDuration(ps, i++, r.heartbeat());
        setDuration(ps, i++, r.retainFor());
        setInstant(ps, i++, r.deadline());
        setInstant(ps, i++, r.leaseUntil());
        setInstant(ps, i++, r.retainUntil());
        ps.setString(i++, r.resultJson());
        i = bindError(ps, i, r.error());
        ps.setString(i++, r.message());
        if (r.rate() == null) {
            ps.setNull(i++, Types.DOUBLE);
        } else {
            ps.setDouble(i++, r.rate());
        }
        setInstant(ps, i++, r.rateAt());
        ps.setLong(i, r.rateAcc());
    }

    private static int bindError(PreparedStatement ps, int i, JobError e) throws SQLException {
        ps.setString(i++, e == null ? null : e.message());
        ps.setString(i++, e == null ? null : e.type());
        ps.setString(i++, e == null ? null : e.stack());
        ps.setString(i++, e == null ? null : e.reason().code());
        return i;
    }

    static JobRecord toRecord(ResultSet rs) throws SQLException {
        String errorReason = rs.getString("error_reason");
        JobError error = errorReason == null
                ? null
                : new JobError(
                        rs.getString("error_message"),
                        rs.getString("error_type"),
                        rs.getString("error_stack"),
                        FailureReason.ofCode(errorReason));
        double rate = rs.getDouble("rate");
        Double rateOrNull = rs.wasNull() ? null : rate;
        return new JobRecord(
                rs.getString("id"),
                rs.getString("name"),
                rs.getString("scope"),
                rs.getString("parent"),
                rs.getString("metadata"),
                JobState.valueOf(rs.getString("state")),
                rs.getLong("total"),
                rs.getLong("succeeded"),
                rs.getLong("failed"),
                rs.getInt("parts"),
                rs.getInt("tolerated_failures"),
                rs.getBoolean("settled"),
                instant(rs, "created_at"),
                instant(rs, "started_at"),
                instant(rs, "updated_at"),
                instant(rs, "finished_at"),
                duration(rs, "timeout_ms"),
                duration(rs, "heartbeat_ms"),
                duration(rs, "retain_ms"),
                instant(rs, "deadline"),
                instant(rs, "lease_until"),
                instant(rs, "retain_until"),
                rs.getString("result"),
                error,
                rs.getString("message"),
                rateOrNull,
                instant(rs, "rate_at"),
                rs.getLong("rate_acc"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }

    private static Duration duration(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : Duration.ofMillis(v);
    }

    private static void setInstant(PreparedStatement ps, int i, Instant v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.BIGINT);
        } else {
            ps.setLong(i, v.toEpochMilli());
        }
    }

    private static void setDuration(PreparedStatement ps, int i, Duration v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.BIGINT);
        } else {
            ps.setLong(i, v.toMillis());
        }
    }

    private static void bindAll(PreparedStatement ps, List<Object> args) throws SQLException {
        int i = 1;
        for (Object a : args) {
            if (a instanceof Long l) {
                ps.setLong(i++, l);
            } else if (a instanceof Integer n) {
                ps.setInt(i++, n);
            } else {
                ps.setString(i++, (String) a);
            }
        }
    }

    private static Set<JobState> terminal() {
        Set<JobState> s = EnumSet.allOf(JobState.class);
        s.removeAll(JobState.active());
        return s;
    }

    private static String marks(int n) {
        return String.join(", ", Collections.nCopies(n, "?"));
    }

    private static int code(Outcome o) {
        return o == Outcome.SUCCESS ? SUCCESS : FAILURE;
    }

    private static Outcome outcome(int code) {
        return code == SUCCESS ? Outcome.SUCCESS : Outcome.FAILURE;
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

        /** @param dataSource where connections come from (required) */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            return this;
        }

        /** @param dialect the database's dialect (required) */
        public Builder dialect(Dialect dialect) {
            this.dialect = Objects.requireNonNull(dialect, "dialect");
            return this;
        }

        /** @param clock the clock every write takes its time from (default: the system UTC clock) */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * @param tablePrefix put before every table and index name (default {@code tally_}); {@code [a-z_][a-z0-9_]*}
         *     or empty
         */
        public Builder tablePrefix(String tablePrefix) {
            this.tablePrefix = Objects.requireNonNull(tablePrefix, "tablePrefix");
            new Tables(null, tablePrefix); // validates
            return this;
        }

        /** @param schema PostgreSQL schema holding the tables, created if missing (default: the search path) */
        public Builder schema(String schema) {
            this.schema = schema;
            new Tables(schema, "");
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
         * @throws InvalidInputException if the DataSource or dialect is missing
         * @throws StoreUnavailableException if the database cannot be reached while migrating
         */
        public JdbcJobStore build() {
            if (dataSource == null) {
                throw new InvalidInputException("dataSource", "is required");
            }
            if (dialect == null) {
                throw new InvalidInputException("dialect", "is required");
            }
            return new JdbcJobStore(this).open(migrate);
        }
    }
}
