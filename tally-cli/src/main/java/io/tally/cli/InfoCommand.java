package io.tally.cli;

import static io.tally.cli.TallyCli.OK;

import io.tally.JobNotFoundException;
import io.tally.JobSnapshot;
import io.tally.Progress;
import io.tally.Tally;
import io.tally.server.JobJson;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code tally info ID}. */
@Command(name = "info", description = "Show one job.")
final class InfoCommand extends TallyCommand {
    @Parameters(paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
        try (Tally tally = open()) {
            JobSnapshot s = tally.snapshot(id).orElseThrow(() -> new JobNotFoundException(id));
            if (json()) {
                print(JobJson.job(s, true));
                return OK;
            }
            Progress p = s.progress();
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("id", s.id()));
            rows.add(List.of("name", s.name()));
            s.scope().ifPresent(v -> rows.add(List.of("scope", v)));
            s.parent().ifPresent(v -> rows.add(List.of("parent", v)));
            rows.add(List.of("state", s.state().name()));
            rows.add(List.of("progress", Text.progress(s)));
            rows.add(List.of("succeeded", Long.toString(p.succeeded())));
            rows.add(List.of("failed", Long.toString(p.failed())));
            rows.add(List.of("pending", Long.toString(p.pending())));
            rows.add(List.of("rate", Text.rate(p.rate())));
            rows.add(List.of("eta", Text.eta(p.eta())));
            if (s.parts() > 0) {
                rows.add(List.of("parts", s.parts() + (s.settled() ? " (settled)" : "")));
            }
            rows.add(List.of("created", s.createdAt().toString()));
            s.startedAt().ifPresent(v -> rows.add(List.of("started", v.toString())));
            s.finishedAt().ifPresent(v -> rows.add(List.of("finished", v.toString())));
            s.message().ifPresent(v -> rows.add(List.of("message", Text.clip(v, 200))));
            if (!s.metadataJson().equals("{}")) {
                rows.add(List.of("metadata", s.metadataJson()));
            }
            s.resultJson().ifPresent(v -> rows.add(List.of("result", Text.clip(v, 500))));
            s.error()
                    .ifPresent(e -> rows.add(List.of(
                            "error",
                            "[" + e.reason().code() + "] " + (e.type() == null ? "" : e.type() + ": ") + e.message())));
            Progress r = s.rollup();
            if (r.total() != p.total() || r.done() != p.done()) {
                rows.add(List.of(
                        "with children",
                        r.done() + (r.total() > 0 ? "/" + r.total() + " " + Text.percent(r.percent()) : "")));
            }
            for (List<String> row : rows) {
                println(Text.pad(row.get(0) + ":", 15) + row.get(1));
            }
        }
        return OK;
    }
}
