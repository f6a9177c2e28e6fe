package io.tally.cli;

import static io.tally.cli.TallyCli.JOB_FAILED;
import static io.tally.cli.TallyCli.OK;

import io.tally.InvalidInputException;
import io.tally.JobNotFoundException;
import io.tally.JobSnapshot;
import io.tally.JobState;
import io.tally.Tally;
import io.tally.server.JobJson;
import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tally watch ID}. */
@Command(
        name = "watch",
        description = "Follow a job until it ends; exit 0 if it SUCCEEDED, 1 otherwise.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:SUCCEEDED", "1:FAILED, CANCELLED or SKIPPED", "3:not found", "4:store unavailable"})
final class WatchCommand extends TallyCommand {
    @Parameters(paramLabel = "ID", description = "the job id")
    String id;

    @Option(
            names = "--interval",
            defaultValue = "500",
            description = "milliseconds between reads (default ${DEFAULT-VALUE})")
    long intervalMillis;

    /** Where the progress bar is drawn; null: progressbar's own choice (stderr, redrawn in place on a terminal). */
    static volatile PrintStream barStream;

    @Override
    public Integer call() throws InterruptedException {
        if (intervalMillis < 50 || intervalMillis > 3_600_000) {
            throw new InvalidInputException("--interval", "must be 50–3600000 milliseconds, was " + intervalMillis);
        }
        // Polls the store: one read per interval, the same on every store and whatever process writes.
        try (Tally tally = openForReading()) {
            JobSnapshot s = tally.snapshot(id).orElseThrow(() -> new JobNotFoundException(id));
            if (json()) {
                String last = "";
                while (true) {
                    String line = JobJson.job(s, false).toString();
                    String key = s.state() + " " + s.succeeded() + " " + s.failed() + " " + s.total();
                    if (!key.equals(last)) {
                        println(line);
                        console.out().flush();
                        last = key;
                    }
                    if (s.state().isTerminal()) {
                        break;
                    }
                    Thread.sleep(intervalMillis);
                    s = tally.snapshot(id).orElseThrow(() -> new JobNotFoundException(id));
                }
            } else {
                s = bar(tally, s);
                println(s.name() + ": " + s.state() + ", " + Text.progress(s)
                        + s.error().map(e -> " - " + e.message()).orElse(""));
            }
            return s.state() == JobState.SUCCEEDED ? OK : JOB_FAILED;
        }
    }

    /** @return the text after the bar: state, counts and the job's own rate, each separated by a space */
    static String barMessage(JobSnapshot s) {
        return s.state() + " ok " + s.succeeded() + " failed " + s.failed() + " rate "
                + Text.rate(s.progress().rate());
    }

    private JobSnapshot bar(Tally tally, JobSnapshot first) throws InterruptedException {
        JobSnapshot[] cur = {first};
        // No showSpeed(): progressbar's own speed (units per second since this watch began) was a second rate beside
        // the job's smoothed one, and was printed glued to the text after it ("1.6/sRUNNING").
        ProgressBarBuilder builder = new ProgressBarBuilder()
                .setTaskName(Text.clip(first.name(), 24))
                .setInitialMax(first.total() > 0 ? first.total() : -1)
                .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                .setUpdateIntervalMillis(200)
                .setEtaFunction(state -> cur[0].progress().eta());
        if (barStream != null) {
            builder.setConsumer(new ConsoleProgressBarConsumer(barStream));
        }
        try (ProgressBar pb = builder.build()) {
            while (true) {
                JobSnapshot s = cur[0];
                if (s.total() > 0) {
                    pb.maxHint(s.total());
                }
                pb.stepTo(s.succeeded() + s.failed());
                pb.setExtraMessage(barMessage(s));
                if (s.state().isTerminal()) {
                    pb.refresh();
                    return s;
                }
                Thread.sleep(intervalMillis);
                cur[0] = tally.snapshot(id).orElseThrow(() -> new JobNotFoundException(id));
            }
        }
    }
}
