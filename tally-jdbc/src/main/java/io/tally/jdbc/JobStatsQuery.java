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
 * {@link io.tally.store.JobStore#stats} on SQL. Every job: a {@code GROUP BY state}. A job and its descendants: the
 * root's row, then level by level down the parent index, two reads a level: the sums of the level's children (a row
 * per state, and a row per RUNNING child with its rate fields — the only rows read one by one) and the ids of those
 * children that have children of their own, which make the next level. A parent with 3,000 leaf children is three
 * reads.
 *
 * <p>Why not one {@code WITH RECURSIVE} query (what this was): the recursion queues and materialises every row it
 * visits, leaves included; on SQLite, with 3,000 children, it took about twice as long as these reads
 * (docs/fault-and-load.md). And it went round for ever where the parent links make a cycle, which ids that can be
 * chosen allow: a deleted parent's id re-created as a child of its former child. Walking down from the root, the only
 * job that can be met twice is the root itself (every other job has one parent, on its path from the root), so the
 * reads below the top leave the root out.
 */
final class JobStatsQuery {
    /** Ids in one IN list. */
    private static final int IN_CHUNK = 500;

    private final String byState;
    private final String rootRow;
    private final String childSums;
    private final String childParents;

    JobStatsQuery(Tables t) {
        this.byState = "SELECT state, COUNT(*) FROM " + t.jobs + " GROUP BY state";
        this.rootRow =
                "SELECT state, 1, total, succeeded, failed, rate, rate_at, rate_acc FROM " + t.jobs + " WHERE id = ?";
        // A RUNNING child is a group of its own (grouped by its id), so its rate fields come back as they are stored.
        this.childSums = "SELECT state, COUNT(*), SUM(total), SUM(succeeded), SUM(failed), MAX(rate) AS rate,"
                + " MAX(rate_at) AS rate_at, MAX(rate_acc) AS rate_acc FROM " + t.jobs
                + " WHERE id <> ? AND parent IN (%s) GROUP BY state, CASE WHEN state = 'RUNNING' THEN id END";
        this.childParents = "SELECT j.id FROM " + t.jobs + " j WHERE j.id <> ? AND j.parent IN (%s) AND EXISTS"
                + " (SELECT 1 FROM " + t.jobs + " k WHERE k.parent = j.id)";
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
        try (PreparedStatement ps = c.prepareStatement(rootRow)) {
            ps.setString(1, root);
            if (!sums.add(ps)) {
                return JobStats.none();
            }
        }
        List<String> level = List.of(root);
        while (!level.isEmpty()) {
            List<String> next = new ArrayList<>();
            for (int from = 0; from < level.size(); from += IN_CHUNK) {
                List<String> chunk = level.subList(from, Math.min(level.size(), from + IN_CHUNK));
                try (PreparedStatement ps = inList(c, childSums, root, chunk)) {
                    sums.add(ps);
                }
                try (PreparedStatement ps = inList(c, childParents, root, chunk);
                        ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        next.add(rs.getString(1));
                    }
                }
            }
            level = next;
        }
        return sums.stats();
    }

    /** {@code sql} with its IN list ({@code %s}) made for {@code ids}, bound after the root. */
    private static PreparedStatement inList(Connection c, String sql, String root, List<String> ids)
            throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql.replace("%s", JobRows.marks(ids.size())));
        ps.setString(1, root);
        for (int i = 0; i < ids.size(); i++) {
            ps.setString(2 + i, ids.get(i));
        }
        return ps;
    }

    /** What the reads add up: rows of (state, jobs, total, succeeded, failed, rate, rate_at, rate_acc). */
    private static final class Sums {
        private final Map<JobState, Long> counts = JobStats.zeros();
        private final List<RateEstimator.State> running = new ArrayList<>();
        private long total;
        private long succeeded;
        private long failed;

        /** @return whether there was a row */
        boolean add(PreparedStatement ps) throws SQLException {
            boolean any = false;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    any = true;
                    JobState state = JobState.valueOf(rs.getString(1));
                    counts.merge(state, rs.getLong(2), Long::sum);
                    total += rs.getLong(3);
                    succeeded += rs.getLong(4);
                    failed += rs.getLong(5);
                    if (state == JobState.RUNNING) {
                        running.add(JobRows.rateState(rs));
                    }
                }
            }
            return any;
        }

        JobStats stats() {
            return new JobStats(counts, total, succeeded, failed, running);
        }
    }
}
