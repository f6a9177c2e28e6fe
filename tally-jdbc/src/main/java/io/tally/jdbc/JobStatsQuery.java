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
 * {@link io.tally.store.JobStore#stats} on SQL. Every job: a {@code GROUP BY state}. A job and its descendants: one
 * recursive query (SQLite, PostgreSQL and MariaDB 10.2+ all have {@code WITH RECURSIVE}) down the parent index, which
 * carries the columns it needs down the recursion (no join back to the table) and answers in one result: a row per
 * state with its sums, then a row per RUNNING job with its rate fields (the only rows read into Java). A parent with
 * 3,000 children takes about 2.5 ms on SQLite (docs/fault-and-load.md).
 */
final class JobStatsQuery {
    private final String byState;
    private final String subtree;

    JobStatsQuery(Tables t) {
        this.byState = "SELECT state, COUNT(*) FROM " + t.jobs + " GROUP BY state";
        String cols = "id, state, total, succeeded, failed, rate, rate_at, rate_acc";
        this.subtree = "WITH RECURSIVE sub(" + cols + ") AS (SELECT " + cols + " FROM " + t.jobs + " WHERE id = ?"
                + " UNION ALL SELECT j.id, j.state, j.total, j.succeeded, j.failed, j.rate, j.rate_at, j.rate_acc"
                + " FROM " + t.jobs + " j JOIN sub ON j.parent = sub.id)"
                + " SELECT state, COUNT(*), SUM(total), SUM(succeeded), SUM(failed), NULL AS rate, NULL AS rate_at,"
                + " NULL AS rate_acc FROM sub GROUP BY state"
                + " UNION ALL SELECT NULL, 0, 0, 0, 0, rate, rate_at, rate_acc FROM sub WHERE state = 'RUNNING'";
    }

    /** @return the stats of every job ({@code root} null) or of {@code root}'s subtree */
    JobStats run(Connection c, String root) throws SQLException {
        Map<JobState, Long> counts = JobStats.zeros();
        if (root == null) {
            try (PreparedStatement ps = c.prepareStatement(byState);
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counts.put(JobState.valueOf(rs.getString(1)), rs.getLong(2));
                }
            }
            return new JobStats(counts, 0, 0, 0, List.of());
        }
        long total = 0;
        long succeeded = 0;
        long failed = 0;
        List<RateEstimator.State> running = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(subtree)) {
            ps.setString(1, root);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String state = rs.getString(1);
                    if (state == null) { // a RUNNING job's rate fields
                        running.add(JobRows.rateState(rs));
                    } else {
                        counts.put(JobState.valueOf(state), rs.getLong(2));
                        total += rs.getLong(3);
                        succeeded += rs.getLong(4);
                        failed += rs.getLong(5);
                    }
                }
            }
        }
        return new JobStats(counts, total, succeeded, failed, running);
    }
}
