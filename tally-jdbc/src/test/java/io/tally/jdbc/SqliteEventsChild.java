package io.tally.jdbc;

import io.tally.Job;
import io.tally.JobSpec;
import io.tally.Tally;
import java.io.PrintStream;

/**
 * The other process of {@link SqliteCrossProcessEventsTest}: on the SQLite file it is given, waits for a line on
 * stdin, then creates and starts a job, records five successes and finishes it, printing {@code finished ID}.
 */
public final class SqliteEventsChild {
    private SqliteEventsChild() {}

    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        try (Tally tally = Tally.open("sqlite:" + args[0])) {
            out.println("ready");
            out.flush();
            if (System.in.read() < 0) {
                return; // the test went away
            }
            Job job = tally.create(JobSpec.builder().name("elsewhere").total(5).build());
            job.start();
            for (int i = 0; i < 5; i++) {
                job.recordSuccess("item-" + i);
            }
            job.finish("done");
            out.println("finished " + job.id());
            out.flush();
        }
    }
}
