package io.tally.cli;

import io.tally.Job;
import io.tally.store.LogEntry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** Reading a job's log for {@code logs --tail} and {@code info}: the API pages from the oldest record only. */
final class JobLogs {
    /** Records read per store call. */
    static final int PAGE = 1000;

    private JobLogs() {}

    /**
     * @return the last {@code n} records, oldest first. The API has no "newest first" read, so this pages through the
     *     whole log keeping the last {@code n}: one store call per {@value #PAGE} records.
     */
    static List<LogEntry> tail(Job job, int n) {
        Deque<LogEntry> last = new ArrayDeque<>(n);
        long after = 0;
        while (true) {
            List<LogEntry> page = job.logs(after, PAGE);
            for (LogEntry e : page) {
                if (last.size() == n) {
                    last.removeFirst();
                }
                last.addLast(e);
            }
            if (page.size() < PAGE) {
                return new ArrayList<>(last);
            }
            after = page.get(page.size() - 1).seq();
        }
    }

    /** @return one record as a line: time, level, logger (when set) and message */
    static String line(LogEntry e) {
        return e.at() + " " + Text.pad(e.level(), 5) + " " + (e.logger() == null ? "" : e.logger() + " ") + e.message();
    }
}
