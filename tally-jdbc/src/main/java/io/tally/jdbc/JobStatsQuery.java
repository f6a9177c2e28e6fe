package io.tally.jdbc;

import io.tally.JobState;
import io.tally.store.JobStats;
import io.tally.store.RateEstimator;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@link io.tally.store.JobStore#stats} on SQL. Every job: a {@code GROUP BY state}. A job and its descendants: level
 * by level down the parent index, one statement a level (500 ids at most in its IN list): the sums of the level's
 * children (a row per state, and a row per RUNNING child with its rate fields — the only rows read one by one) and
 * the ids of those children that have children of their own, which make the next level; the first also reads the
 * root's own row. A job, or a parent with 3,000 leaf children, is one statement.
 *
 * <p>Why not one {@code WITH RECURSIVE} query (what this was): the recursion queues and materialises every row it
 * visits, leaves included; on SQLite, with 3,000 children, it took 1.7 times as long as these reads
 * (docs/fault-and-load.md). And it went round for ever where the parent links make a cycle, which ids that can be
 * chosen allow: a deleted parent's id re-created as a child of its former child. Walking down from the root, the only
 * job that can be met twice is the root itself (every other job has one parent, on its path from the root), so the
 * reads below the top leave the root out.
 */
final class JobStatsQuery {
    /** Ids in one IN list. */
    private static final int IN_CHUNK = 500;

    // The kinds of row a level's statement answers (its first column).
    private static final int ROOT = 0;
    private static final int SUMS = 1;
    private static final int PARENT = 2;

    private final String byState;
    private final String rootRow;
    private final String childRows;

    JobStatsQuery(Tables t) {
        this.byState = "SELECT state, COUNT(*) FROM " + t.jobs + " GROUP BY state";
        // Every row: (kind, state, jobs, total, succeeded, failed, rate, rate_at, rate_acc, id).
        this.rootRow =
                "SELECT " + ROOT + " AS kind, state, 1 AS jobs, total, succeeded, failed, rate, rate_at, rate_acc,"
                        + " NULL AS id FROM " + t.jobs + " WHERE id = ? UNION ALL ";
        // A RUNNING child is a group of its own (grouped by its id), so its rate fields come back as they are stored;
        // then the children that have children of their own, the next level.
        this.childRows = "SELECT " + SUMS + ", state, COUNT(*), SUM(total), SUM(succeeded), SUM(failed), MAX(rate),"
                + " MAX(rate_at), MAX(rate_acc), NULL FROM " + t.jobs + " WHERE id <> ? AND parent IN (%s)"
                + " GROUP BY state, CASE WHEN state = 'RUNNING' THEN id END"
                + " UNION ALL SELECT " + PARENT + ", NULL, 0, 0, 0, 0, NULL, NULL, NULL, j.id FROM " + t.jobs + " j"
                + " WHERE j.id <> ? AND j.parent IN (%s) AND EXISTS (SELECT 1 FROM " + t.jobs
                + " k WHERE k.parent = j.id)";
    }

    /** @return the stats of every job ({@code root} null) or of {@code root}'s subtree */
    JobStats run(Connection c, String root) throws SQLException {
        if (root == null) {
            Map<JobState, Long> counts = JobStats.zeros();
            try (PreparedStatement ps = c.prepareStatement(byState);
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counts.put(JobState.valueOf(rs.getString(1)), rs.getLong(2));
                }
            }
            return new JobStats(counts, 0, 0, 0, List.of());
        }
        Sums sums = new Sums();
        List<String> level = List.of(root);
        boolean top = true;
        while (!level.isEmpty()) {
            List<String> next = new ArrayList<>();
            for (int from = 0; from < level.size(); from += IN_CHUNK) {
                List<String> chunk = level.subList(from, Math.min(level.size(), from + IN_CHUNK));
                try (PreparedStatement ps = level(c, top, root, chunk);
                        ResultSet rs = ps.executeQuery()) {
                    sums.add(rs, next);
                }
                top = false;
            }
            if (!sums.rootFound) {
                return JobStats.none();
            }
            level = next;
        }
        return sums.stats();
    }

    /** A level's statement: its children's rows, after the root's own row at the top. */
    private PreparedStatement level(Connection c, boolean top, String root, List<String> ids) throws SQLException {
        String marks = JobRows.marks(ids.size());
        PreparedStatement ps = c.prepareStatement((top ? rootRow : "") + childRows.replace("%s", marks));
        int i = 1;
        if (top) {
            ps.setString(i++, root);
        }
        for (int pass = 0; pass < 2; pass++) {
            ps.setString(i++, root);
            for (String id : ids) {
                ps.setString(i++, id);
            }
        }
        return ps;
    }

    /** What the reads add up: rows of (kind, state, jobs, total, succeeded, failed, rate, rate_at, rate_acc, id). */
    private static final class Sums {
        private final Map<JobState, Long> counts = JobStats.zeros();
        private final List<RateEstimator.State> running = new ArrayList<>();
        private long total;
        private long succeeded;
        private long failed;
        private boolean rootFound;

        /** Adds the sums of a level's rows; the ids of its children with children go to {@code next}. */
        void add(ResultSet rs, List<String> next) throws SQLException {
            while (rs.next()) {
                int kind = rs.getInt(1);
                if (kind == PARENT) {
                    next.add(rs.getString(10));
                    continue;
                }
                rootFound |= kind == ROOT;
                JobState state = JobState.valueOf(rs.getString(2));
                counts.merge(state, rs.getLong(3), Long::sum);
                total += rs.getLong(4);
                succeeded += rs.getLong(5);
                failed += rs.getLong(6);
                if (state == JobState.RUNNING) {
                    running.add(JobRows.rateState(rs, 7));
                }
            }
        }

        JobStats stats() {
            return new JobStats(counts, total, succeeded, failed, running);
        }
    }
}
