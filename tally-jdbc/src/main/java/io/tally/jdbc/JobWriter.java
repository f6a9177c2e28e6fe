package io.tally.jdbc;

import io.tally.JobNotFoundException;
import io.tally.Outcome;
import io.tally.store.Applied;
import io.tally.store.ItemUpdate;
import io.tally.store.JobRecord;
import io.tally.store.JobRules;
import io.tally.store.JobWrite;
import io.tally.store.PartUpdate;
import io.tally.store.PartsWrite;
import io.tally.store.ProgressUpdate;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Every write to an existing job of the SQL store — progress, parts, transitions — as one transaction that applies
 * {@link JobRules} to the locked rows, with group commit.
 *
 * <p><b>Group commit</b> (flat combining, {@link GroupCommit}). A caller queues its write on its job's lock stripe;
 * whichever caller holds the stripe takes every write queued there (up to {@value #MAX_CALLS}, of any jobs of the
 * stripe) and applies them in one transaction: lock the rows of their jobs in one statement ({@code SELECT … WHERE id
 * IN (…) ORDER BY id FOR UPDATE}: one order, so two batches never deadlock each other), read the stored outcomes of
 * the items and parts the writes name, apply the rules job by job, write the items, parts and jobs, commit. The
 * lock and the reads are one {@link StatementPipeline}, the writes and the commit another: on PostgreSQL two round
 * trips in all, elsewhere a statement (or a batched statement) each. The callers it served are woken with their own answers, each the answer it would have got alone,
 * {@code last} included, because the rules apply a job's writes one after the other on its locked row. A lone caller
 * never waits for company: a batch only takes what queued up while a transaction was under way.
 *
 * <p>If a batch of several writes fails as a whole (a deadlock past its retries, text the database cannot store, the
 * database gone), each of its writes is run again on its own, so that one caller's bad input or a conflict is that
 * caller's answer only.
 */
final class JobWriter {
    /** Writes one transaction applies at most; the rest wait for the next one. */
    private static final int MAX_CALLS = 256;

    private static final int IN_CHUNK = 500;

    private final Transactions transactions;
    private final Tables t;
    private final JobColumns columns;
    private final Clock clock;
    private final Queue<Pending>[] queues;
    private final String lockSuffix;
    private final String upsertItem;
    private final String updatePart;
    /** The update of a job row a write changed more of than its progress. */
    private final JobUpdate wholeJob;
    /** The update of a job row a write changed only the progress of: counters, message, rate, updated_at. */
    private final JobUpdate progressOnly;

    /** One write waiting for its batch; its answer is its {@link Applied.Reply}. */
    private static final class Pending extends GroupCommit.Call {
        final String id;
        final JobWrite write;

        Pending(String id, JobWrite write) {
            this.id = id;
            this.write = write;
        }
    }

    @SuppressWarnings("unchecked")
    JobWriter(Transactions transactions, Dialect dialect, Tables t, Clock clock) {
        this.transactions = transactions;
        this.t = t;
        this.clock = clock;
        this.columns = JobColumns.of(dialect);
        this.queues = new Queue[transactions.stripes()];
        for (int i = 0; i < queues.length; i++) {
            queues[i] = new ConcurrentLinkedQueue<>();
        }
        this.lockSuffix = " ORDER BY id" + dialect.forUpdate();
        this.upsertItem = dialect.upsertItem(t.items);
        this.updatePart = "UPDATE " + t.parts + " SET outcome = ?, reason = ? WHERE job_id = ? AND part = ?";
        String guard = " WHERE id = ? AND state = ? AND settled = ?";
        this.wholeJob = new JobUpdate(
                dialect,
                "UPDATE " + t.jobs + " SET state = ?, total = total + ?, succeeded = succeeded + ?,"
                        + " failed = failed + ?, settled = ?, started_at = ?, updated_at = ?, finished_at = ?,"
                        + " deadline = ?, lease_until = ?, retain_until = ?, result = " + dialect.json("?") + ","
                        + " error_message = ?, error_type = ?, error_stack = ?, error_reason = ?, message = ?, rate = ?,"
                        + " rate_at = ?, rate_acc = ?" + guard,
                JobWriter::bindJob);
        this.progressOnly = new JobUpdate(
                dialect,
                "UPDATE " + t.jobs + " SET total = total + ?, succeeded = succeeded + ?, failed = failed + ?,"
                        + " updated_at = ?, message = ?, rate = ?, rate_at = ?, rate_acc = ?" + guard,
                JobWriter::bindProgress);
    }

    /**
     * Applies {@code write} to job {@code id}, with whatever other writes queue up meanwhile on its stripe.
     *
     * @return the answer of the rules for this write
     * @throws RuntimeException the refusal of the rules, or the store's failure
     */
    <T> T apply(String id, JobWrite write, Class<T> answer) {
        int stripe = transactions.stripeOf(id);
        Pending mine = new Pending(id, write);
        Queue<Pending> queue = queues[stripe];
        queue.add(mine);
        GroupCommit.await(mine, queue, transactions.stripe(stripe), () -> applyQueued(queue));
        return ((Applied.Reply) mine.answer()).get(answer);
    }

    /** Takes the queued writes (up to {@link #MAX_CALLS}) and applies them; called holding the stripe's lock. */
    private void applyQueued(Queue<Pending> queue) {
        List<Pending> batch = new ArrayList<>();
        for (Pending p; batch.size() < MAX_CALLS && (p = queue.poll()) != null; ) {
            batch.add(p);
        }
        if (batch.isEmpty()) {
            return;
        }
        try {
            answer(batch, run(batch));
        } catch (RuntimeException | Error e) {
            if (batch.size() == 1) {
                RuntimeException failure = e instanceof RuntimeException re ? re : new IllegalStateException(e);
                batch.get(0).answer(new Applied.Reply(null, failure));
                if (e instanceof Error) {
                    throw e;
                }
                return;
            }
            for (Pending p : batch) { // each on its own: one write's failure is not the others'
                try {
                    answer(List.of(p), run(List.of(p)));
                } catch (RuntimeException alone) {
                    p.answer(new Applied.Reply(null, alone));
                }
            }
        }
    }

    private static void answer(List<Pending> batch, List<Applied.Reply> replies) {
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).answer(replies.get(i));
        }
    }

    /** One transaction for {@code batch}, under the lock the caller holds. @return one reply per write, in order */
    private List<Applied.Reply> run(List<Pending> batch) {
        // The lock is held already (reentrant): write() takes it again only to publish under it after the commit.
        String first = batch.get(0).id;
        return transactions.write(
                transactions.lockOf(first),
                batch.size() == 1 ? "write job " + first : "write " + batch.size() + " calls",
                tx -> step(tx, batch));
    }

    private List<Applied.Reply> step(Transactions.Tx tx, List<Pending> batch) throws SQLException {
        Map<String, List<Pending>> byJob = new LinkedHashMap<>();
        for (Pending p : batch) {
            byJob.computeIfAbsent(p.id, k -> new ArrayList<>()).add(p);
        }
        Reads reads = read(tx, byJob);
        Instant now = Instant.ofEpochMilli(clock.millis());
        Map<Pending, Applied.Reply> replies = new HashMap<>();
        List<Applied> changed = new ArrayList<>();
        for (Map.Entry<String, List<Pending>> job : byJob.entrySet()) {
            String id = job.getKey();
            JobRecord r = reads.jobs.get(id);
            if (r == null) {
                job.getValue().forEach(p -> replies.put(p, new Applied.Reply(null, new JobNotFoundException(id))));
                continue;
            }
            List<JobWrite> writes = job.getValue().stream().map(p -> p.write).toList();
            Map<String, Outcome> items = reads.items.getOrDefault(id, Map.of());
            Map<Integer, Outcome> parts = reads.parts.getOrDefault(id, Map.of());
            Applied applied = JobRules.apply(r, items::get, parts::get, writes, now);
            for (int i = 0; i < writes.size(); i++) {
                replies.put(job.getValue().get(i), applied.replies().get(i));
            }
            if (applied.changed()) {
                changed.add(applied);
            }
            applied.events().forEach(tx::emit);
        }
        persist(tx, changed);
        List<Applied.Reply> out = new ArrayList<>(batch.size());
        batch.forEach(p -> out.add(replies.get(p)));
        return out;
    }

    /** What a batch reads before the rules apply: its jobs' rows, locked, and the stored outcomes its writes name. */
    private static final class Reads {
        final Map<String, JobRecord> jobs = new HashMap<>();
        final Map<String, Map<String, Outcome>> items = new HashMap<>();
        final Map<String, Map<Integer, Outcome>> parts = new HashMap<>();
    }

    /**
     * Locks the batch's jobs and reads the stored outcomes of the items and parts its writes name, in one pipeline:
     * one round trip where the dialect sends statements together. The lock comes first, so the reads see the rows as
     * they are under it.
     */
    private Reads read(Transactions.Tx tx, Map<String, List<Pending>> byJob) throws SQLException {
        Reads reads = new Reads();
        StatementPipeline p = new StatementPipeline();
        lock(p, byJob.keySet(), reads.jobs);
        for (Map.Entry<String, List<Pending>> job : byJob.entrySet()) {
            Set<String> keys = new LinkedHashSet<>();
            Set<Integer> parts = new TreeSet<>();
            for (Pending pending : job.getValue()) {
                if (pending.write instanceof ProgressUpdate u) {
                    u.items().forEach(i -> keys.add(i.key()));
                } else if (pending.write instanceof PartsWrite w) {
                    w.parts().forEach(part -> parts.add(part.part()));
                }
            }
            String id = job.getKey();
            if (!keys.isEmpty()) {
                itemOutcomes(p, id, keys, reads.items.computeIfAbsent(id, k -> new HashMap<>()));
            }
            if (!parts.isEmpty()) {
                partOutcomes(p, id, parts, reads.parts.computeIfAbsent(id, k -> new HashMap<>()));
            }
        }
        p.run(tx.c, tx.together);
        return reads;
    }

    /** Adds the locking read of the rows of {@code ids} that exist, one statement per chunk, in one order. */
    private void lock(StatementPipeline p, Set<String> ids, Map<String, JobRecord> out) {
        List<String> sorted = new ArrayList<>(new TreeSet<>(ids));
        for (int from = 0; from < sorted.size(); from += IN_CHUNK) {
            List<String> chunk = sorted.subList(from, Math.min(sorted.size(), from + IN_CHUNK));
            String sql = "SELECT " + columns.select + " FROM " + t.jobs + " WHERE id IN (" + JobRows.marks(chunk.size())
                    + ")" + lockSuffix;
            p.query(sql, chunk.size(), (ps, first, none) -> bindAll(ps, first, chunk), rs -> {
                while (rs.next()) {
                    JobRecord r = columns.read(rs);
                    out.put(r.id(), r);
                }
            });
        }
    }

    private void itemOutcomes(StatementPipeline p, String id, Set<String> keys, Map<String, Outcome> out) {
        String select = "SELECT item_key, outcome FROM " + t.items + " WHERE job_id = ? AND item_key IN (";
        inChunks(p, select, id, new ArrayList<>(keys), PreparedStatement::setString, rs -> {
            while (rs.next()) {
                out.put(rs.getString(1), JobRows.outcome(rs.getInt(2)));
            }
        });
    }

    /**
     * Adds the reads of the stored outcomes of the given parts (none for a pending part): one range read when they
     * are dense, else IN lists.
     */
    private void partOutcomes(StatementPipeline p, String id, Set<Integer> wanted, Map<Integer, Outcome> out) {
        StatementPipeline.Reader reader = rs -> {
            while (rs.next()) {
                Outcome o = JobRows.outcome(rs.getInt(2));
                if (o != null && wanted.contains(rs.getInt(1))) {
                    out.put(rs.getInt(1), o);
                }
            }
        };
        int min = wanted.stream().mapToInt(Integer::intValue).min().orElseThrow();
        int max = wanted.stream().mapToInt(Integer::intValue).max().orElseThrow();
        if ((long) max - min + 1 <= 2L * wanted.size() + 16) {
            String sql = "SELECT part, outcome FROM " + t.parts + " WHERE job_id = ? AND part >= ? AND part <= ?";
            p.query(
                    sql,
                    3,
                    (ps, first, none) -> {
                        ps.setString(first, id);
                        ps.setInt(first + 1, min);
                        ps.setInt(first + 2, max);
                    },
                    reader);
            return;
        }
        String select = "SELECT part, outcome FROM " + t.parts + " WHERE job_id = ? AND part IN (";
        inChunks(p, select, id, new ArrayList<>(wanted), PreparedStatement::setInt, reader);
    }

    /**
     * Adds the reads of {@code select} (ending in {@code IN (}) for job {@code id} and {@code values}, {@value
     * #IN_CHUNK} values a statement.
     */
    private static <T> void inChunks(
            StatementPipeline p,
            String select,
            String id,
            List<T> values,
            StatementPipeline.Binder<T> value,
            StatementPipeline.Reader reader) {
        for (int from = 0; from < values.size(); from += IN_CHUNK) {
            List<T> chunk = values.subList(from, Math.min(values.size(), from + IN_CHUNK));
            p.query(
                    select + JobRows.marks(chunk.size()) + ")",
                    1 + chunk.size(),
                    (ps, first, none) -> {
                        ps.setString(first, id);
                        for (int i = 0; i < chunk.size(); i++) {
                            value.bind(ps, first + 1 + i, chunk.get(i));
                        }
                    },
                    reader);
        }
    }

    private static void bindAll(PreparedStatement ps, int first, List<String> values) throws SQLException {
        for (int i = 0; i < values.size(); i++) {
            ps.setString(first + i, values.get(i));
        }
    }

    /** An item or part write of a job, as a row of a batched statement. */
    private record Row<T>(String job, T write) {}

    /**
     * Hands the transaction what the rules decided for each changed job — items, parts, then the job rows — to send
     * with its commit ({@link Transactions.Tx#writes}); deletions go at once.
     */
    private void persist(Transactions.Tx tx, List<Applied> changed) throws SQLException {
        List<Applied> updated = new ArrayList<>(changed.size());
        List<Row<ItemUpdate>> items = new ArrayList<>();
        List<Row<PartUpdate>> parts = new ArrayList<>();
        for (Applied a : changed) {
            if (a.deleted()) {
                JdbcJobStore.deleteRows(tx.c, t, a.before().id());
                continue;
            }
            updated.add(a);
            a.items().forEach(i -> items.add(new Row<>(a.before().id(), i)));
            a.parts().forEach(p -> parts.add(new Row<>(a.before().id(), p)));
        }
        tx.writes.update(
                upsertItem,
                4,
                items,
                (ps, first, row) -> {
                    ps.setString(first, row.job());
                    ps.setString(first + 1, row.write().key());
                    ps.setInt(first + 2, JobRows.code(row.write().outcome()));
                    ps.setString(first + 3, row.write().reason());
                },
                null);
        tx.writes.update(
                updatePart,
                4,
                parts,
                (ps, first, row) -> {
                    ps.setInt(first, JobRows.code(row.write().outcome()));
                    ps.setString(first + 1, row.write().reason());
                    ps.setString(first + 2, row.job());
                    ps.setInt(first + 3, row.write().part());
                },
                null);
        updateJobs(tx, updated);
    }

    /**
     * Writes each job as the rules left it, the counters as increments, guarded by the state and settle flag it was
     * read with. A job whose write changed only its progress gets the statement that sets only those columns: on
     * SQLite an update that names an indexed column rewrites its index entries even when the value stays, a second
     * page for each commit of a plain record. The rows are locked, so the guards hold; a row count other than 1 would
     * mean the lock did not (or two steps both claimed one settle), and is an error that rolls the step back: checked
     * by the statement itself where the commit goes with it ({@link Dialect#failUnlessOneRow}), else here from the row
     * counts before the commit.
     */
    private void updateJobs(Transactions.Tx tx, List<Applied> updated) {
        List<Applied> progress = new ArrayList<>(updated.size());
        List<Applied> whole = new ArrayList<>();
        for (Applied a : updated) {
            (changesOnlyProgress(a.before(), a.after()) ? progress : whole).add(a);
        }
        boolean checkedInStatement = tx.together && tx.writes.fitsOneTripWith(updated.size());
        progressOnly.add(tx, progress, checkedInStatement);
        wholeJob.add(tx, whole, checkedInStatement);
    }

    /** @return whether {@code after} differs from {@code before} in counters, message, rate and updated_at alone */
    private static boolean changesOnlyProgress(JobRecord before, JobRecord after) {
        return before.state() == after.state()
                && before.settled() == after.settled()
                && Objects.equals(before.startedAt(), after.startedAt())
                && Objects.equals(before.finishedAt(), after.finishedAt())
                && Objects.equals(before.deadline(), after.deadline())
                && Objects.equals(before.leaseUntil(), after.leaseUntil())
                && Objects.equals(before.retainUntil(), after.retainUntil())
                && Objects.equals(before.resultJson(), after.resultJson())
                && Objects.equals(before.error(), after.error());
    }

    /** One form of the job row's update: its statement, that statement checking its own row count, its binding. */
    private record JobUpdate(String sql, String checkedSql, int params, StatementPipeline.Binder<Applied> binder) {
        JobUpdate(Dialect dialect, String sql, StatementPipeline.Binder<Applied> binder) {
            this(
                    sql,
                    dialect.failUnlessOneRow(sql),
                    (int) sql.chars().filter(ch -> ch == '?').count(),
                    binder);
        }

        /** Hands the transaction the update of {@code jobs}' rows. */
        void add(Transactions.Tx tx, List<Applied> jobs, boolean checkedInStatement) {
            if (jobs.isEmpty()) {
                return;
            }
            if (checkedInStatement) { // (then the commit goes with them)
                if (checkedSql == null) {
                    throw new IllegalStateException(
                            "a dialect that sends statements together must give failUnlessOneRow");
                }
                for (Applied a : jobs) {
                    tx.writes.query(checkedSql, params, (ps, first, none) -> binder.bind(ps, first, a), rs -> {});
                }
                return;
            }
            tx.writes.update(sql, params, jobs, binder, counts -> {
                for (int k = 0; k < counts.length; k++) {
                    // (SUCCESS_NO_INFO: a driver that does not count batched rows; the lock holds the guard anyway.)
                    if (counts[k] != 1 && counts[k] != java.sql.Statement.SUCCESS_NO_INFO) {
                        throw new IllegalStateException(
                                "job " + jobs.get(k).before().id() + " changed under its row lock");
                    }
                }
            });
        }
    }

    private static void bindProgress(PreparedStatement ps, int first, Applied a) throws SQLException {
        JobRecord before = a.before();
        JobRecord after = a.after();
        int i = first;
        ps.setLong(i++, after.total() - before.total());
        ps.setLong(i++, after.succeeded() - before.succeeded());
        ps.setLong(i++, after.failed() - before.failed());
        JobRows.setInstant(ps, i++, after.updatedAt());
        ps.setString(i++, after.message());
        i = JobRows.bindRate(ps, i, after);
        ps.setLong(i++, after.rateAcc());
        ps.setString(i++, before.id());
        ps.setString(i++, before.state().name());
        ps.setBoolean(i, before.settled());
    }

    private static void bindJob(PreparedStatement ps, int first, Applied a) throws SQLException {
        JobRecord before = a.before();
        JobRecord after = a.after();
        int i = first;
        ps.setString(i++, after.state().name());
        ps.setLong(i++, after.total() - before.total());
        ps.setLong(i++, after.succeeded() - before.succeeded());
        ps.setLong(i++, after.failed() - before.failed());
        ps.setBoolean(i++, after.settled());
        JobRows.setInstant(ps, i++, after.startedAt());
        JobRows.setInstant(ps, i++, after.updatedAt());
        JobRows.setInstant(ps, i++, after.finishedAt());
        i = JobRows.bindChangeable(ps, i, after);
        ps.setLong(i++, after.rateAcc());
        ps.setString(i++, before.id());
        ps.setString(i++, before.state().name());
        ps.setBoolean(i, before.settled());
    }
}
