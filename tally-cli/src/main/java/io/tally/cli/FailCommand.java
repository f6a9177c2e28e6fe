package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import io.tally.InvalidInputException;
import io.tally.JobSnapshot;
import io.tally.Tally;
import io.tally.server.JobJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tally fail ID}. */
@Command(name = "fail", description = "Fail a part (with --part) or the whole job.")
final class FailCommand extends TallyCommand {
    @Parameters(paramLabel = "ID", description = "the job id")
    String id;

    @Option(names = "--part", paramLabel = "N", description = "fail this part (0 to parts-1) instead of the job")
    Integer part;

    @Option(
            names = "--reason",
            paramLabel = "TEXT",
            required = true,
            description = "why: the job's error message, or the part's reason (required)")
    String reason;

    @Option(names = "--fail-job", description = "with --part: fail the whole job (reason part_failed)")
    boolean failJob;

    @Override
    String optionFor(String field) {
        return field.equals("error") ? "--reason" : null; // the job's error message is the reason given
    }

    @Override
    public Integer call() {
        try (Tally tally = open()) {
            if (part != null) {
                print(JobJson.completion(tally.failPart(id, part, reason, failJob)));
            } else {
                if (failJob) {
                    throw new InvalidInputException("--fail-job", "needs --part (without it the job fails)");
                }
                JobSnapshot s = tally.get(id).fail(reason);
                output().state(s);
            }
        }
        return OK;
    }
}
