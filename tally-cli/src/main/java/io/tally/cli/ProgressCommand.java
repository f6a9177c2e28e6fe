package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import io.tally.InvalidInputException;
import io.tally.Job;
import io.tally.Outcome;
import io.tally.Tally;
import io.tally.internal.Validation;
import io.tally.store.ItemUpdate;
import io.tally.store.ProgressUpdate;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tally progress ID}: one atomic progress update, as {@code POST /api/jobs/{id}/progress}. */
@Command(
        name = "progress",
        description = {
            "Record progress on a job in one atomic step and print the job: counts to add, keyed items "
                    + "(idempotent: recording an item again counts once), a total to add, a status line.",
            "A PENDING job starts; the write renews the job's heartbeat lease. A finished job refuses it (exit 1)."
        })
final class ProgressCommand extends TallyCommand {
    @Parameters(paramLabel = "ID", description = "the job id")
    String id;

    @Option(names = "--succeeded", paramLabel = "N", description = "succeeded units to add")
    long succeeded;

    @Option(names = "--failed", paramLabel = "N", description = "failed units to add")
    long failed;

    @Option(
            names = "--item",
            paramLabel = "KEY",
            description = "an item that succeeded (repeatable); one that failed before moves to succeeded")
    List<String> items = new ArrayList<>();

    @Option(
            names = "--failed-item",
            paramLabel = "KEY",
            description = "an item that failed (repeatable); one that succeeded before moves to failed")
    List<String> failedItems = new ArrayList<>();

    @Option(names = "--reason", paramLabel = "TEXT", description = "with --failed-item: why the items failed")
    String reason;

    @Option(names = "--add-total", paramLabel = "N", description = "units to add to the total (it may grow)")
    long addTotal;

    @Option(names = "--message", paramLabel = "TEXT", description = "the job's new status line")
    String message;

    @Override
    public Integer call() {
        ProgressUpdate update = update();
        try (Tally tally = open()) {
            Job job = tally.get(id);
            job.record(update);
            output().progress(job.snapshot());
        }
        return OK;
    }

    /** The update, checked before the store is opened: bad input changes nothing. */
    ProgressUpdate update() {
        Validation.count("--succeeded", succeeded);
        Validation.count("--failed", failed);
        Validation.count("--add-total", addTotal);
        if (reason != null && failedItems.isEmpty()) {
            throw new InvalidInputException("--reason", "needs --failed-item");
        }
        List<ItemUpdate> updates = new ArrayList<>();
        items.forEach(k -> updates.add(new ItemUpdate(k, Outcome.SUCCESS, null)));
        failedItems.forEach(k -> updates.add(new ItemUpdate(k, Outcome.FAILURE, reason)));
        if (succeeded == 0 && failed == 0 && addTotal == 0 && updates.isEmpty() && message == null) {
            throw new InvalidInputException(
                    "progress",
                    "nothing to record: give --succeeded, --failed, --item, --failed-item, "
                            + "--add-total or --message");
        }
        return new ProgressUpdate(succeeded, failed, updates, addTotal, message);
    }
}
