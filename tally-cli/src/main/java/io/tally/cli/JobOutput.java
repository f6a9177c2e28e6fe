package io.tally.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tally.JobSnapshot;
import io.tally.JobState;
import io.tally.Page;
import io.tally.Progress;
import io.tally.runner.Build;
import io.tally.server.DefinitionJson;
import io.tally.server.JobJson;
import io.tally.store.LogEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one place jobs and builds are printed, as JSON or as human text, so that {@code ls}, {@code info}, {@code fail},
 * {@code cancel}, {@code build} and {@code builds} show a job the same way. Scripts parse this output: change it only
 * on purpose.
 */
final class JobOutput {
    private final Console console;
    private final boolean json;

    /** @param json true to print JSON, false for human text */
    JobOutput(Console console, boolean json) {
        this.console = console;
        this.json = json;
    }

    /** Prints rows under a header as an aligned table, then {@code whenEmpty} on its own line if there are none. */
    void table(List<String> header, List<List<String>> rows, String whenEmpty) {
        console.out().print(Text.table(header, rows));
        if (rows.isEmpty()) {
            console.out().println(whenEmpty);
        }
    }

    /** A job after a state change ({@code fail}, {@code cancel}): its JSON, or "ID STATE". */
    void state(JobSnapshot s) {
        if (json) {
            print(JobJson.job(s, false));
        } else {
            console.out().println(s.id() + " " + s.state());
        }
    }

    /** A job after a progress update ({@code progress}): its JSON, or "ID STATE progress". */
    void progress(JobSnapshot s) {
        if (json) {
            print(JobJson.job(s, false));
        } else {
            console.out().println(s.id() + " " + s.state() + " " + Text.progress(s));
        }
    }

    /**
     * A page of jobs ({@code ls}), with the command that shows the next page.
     *
     * @param nextCommand the command line that lists the same jobs (filters, page size), to which the next page's
     *     {@code --cursor} is appended, so that "more:" continues the same listing
     */
    void jobs(Page<JobSnapshot> page, String nextCommand) {
        if (json) {
            ObjectNode o = JobJson.MAPPER.createObjectNode();
            ArrayNode jobs = o.putArray("jobs");
            page.items().forEach(s -> jobs.add(JobJson.job(s, false)));
            o.put("next", page.next().orElse(null));
            print(o);
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        for (JobSnapshot s : page.items()) {
            rows.add(List.of(
                    s.id(),
                    Text.clip(s.name(), 30),
                    s.state().name(),
                    Text.progress(s),
                    Text.rate(s.progress().rate()),
                    Text.eta(s.progress().eta()),
                    s.createdAt().toString()));
        }
        table(List.of("ID", "NAME", "STATE", "PROGRESS", "RATE", "ETA", "CREATED"), rows, "(no jobs)");
        page.next().ifPresent(n -> console.out().println("more: " + nextCommand + " --cursor " + Text.shellWord(n)));
    }

    /**
     * One job in full ({@code info}): every field that is set, one "field: value" per line, then the reduce job of a
     * map-reduce job and the last records of the log. JSON: the job with its {@code rollup}, plus {@code reduce} (the
     * reduce job, or null) and {@code logs} (the last records, oldest first).
     *
     * @param reduce the child job {@code <id>:reduce} the map-reduce convention runs the reduce as, if there is one
     * @param logs the last log records, oldest first
     * @param logCount how many log records were asked for (0: none shown)
     */
    void job(JobSnapshot s, Optional<JobSnapshot> reduce, List<LogEntry> logs, int logCount) {
        if (json) {
            ObjectNode o = JobJson.job(s, true);
            o.set("reduce", reduce.<JsonNode>map(r -> JobJson.job(r, false)).orElse(null));
            if (logCount > 0) {
                ArrayNode arr = o.putArray("logs");
                logs.forEach(e -> arr.add(JobJson.log(e)));
            }
            print(o);
            return;
        }
        fields(s, reduce);
        if (logCount > 0) {
            console.out().println(logs.isEmpty() ? "logs:          (none)" : "logs (last " + logCount + "):");
            logs.forEach(e -> console.out().println("  " + JobLogs.line(e)));
        }
    }

    private void fields(JobSnapshot s, Optional<JobSnapshot> reduce) {
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
                        "[" + e.reason().name() + "] " + (e.type() == null ? "" : e.type() + ": ") + e.message())));
        Progress r = s.rollup();
        if (r.total() != p.total() || r.done() != p.done()) {
            rows.add(List.of(
                    "with children",
                    r.done() + (r.total() > 0 ? "/" + r.total() + " " + Text.percent(r.percent()) : "")));
        }
        reduce.ifPresent(red -> {
            rows.add(List.of("reduce", red.id() + " " + red.state()));
            red.resultJson().ifPresent(v -> rows.add(List.of("reduce result", Text.clip(v, 500))));
            red.error().ifPresent(e -> rows.add(List.of("reduce error", Text.clip(e.message(), 300))));
        });
        for (List<String> row : rows) {
            console.out().println(Text.pad(row.get(0) + ":", 15) + row.get(1));
        }
    }

    /** The builds of a definition ({@code builds}), newest first. */
    void builds(List<JobSnapshot> builds) {
        if (json) {
            ObjectNode o = JobJson.MAPPER.createObjectNode();
            ArrayNode arr = o.putArray("builds");
            builds.forEach(s -> arr.add(DefinitionJson.build(s)));
            print(o);
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        for (JobSnapshot s : builds) {
            rows.add(List.of(
                    s.id(),
                    s.state().name(),
                    s.startedAt().map(Object::toString).orElse("–"),
                    s.finishedAt().map(Object::toString).orElse("–"),
                    s.error().map(e -> Text.clip(e.message(), 60)).orElse("")));
        }
        table(List.of("ID", "STATE", "STARTED", "FINISHED", "ERROR"), rows, "(no builds)");
    }

    /**
     * A finished build ({@code build}): its JSON with the final state and parsed result, or "DEF: STATE - error". The
     * build may have no job to read back (the store forgot it), so the JSON then has only id, definition and state.
     */
    void finishedBuild(String definition, Build b) {
        JobState state = b.state();
        Optional<JobSnapshot> snap = b.snapshot();
        if (!json) {
            console.out()
                    .println(definition + ": " + state
                            + b.error()
                                    .map(e -> " - " + Text.clip(e.message(), 300))
                                    .orElse(""));
            return;
        }
        ObjectNode o = snap.map(DefinitionJson::build).orElseGet(() -> {
            ObjectNode n = JobJson.MAPPER.createObjectNode();
            n.put("id", b.id());
            n.put("definition", definition);
            n.put("state", state.name());
            return n;
        });
        o.put("state", state.name());
        snap.flatMap(JobSnapshot::resultJson).ifPresent(r -> {
            try {
                o.set("result", JobJson.MAPPER.readTree(r));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                o.put("result", r); // a result that is not JSON is shown as the string it is
            }
        });
        print(o);
    }

    private void print(JsonNode node) {
        console.out().println(node.toString());
    }
}
