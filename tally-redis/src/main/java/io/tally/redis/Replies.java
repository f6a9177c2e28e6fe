package io.tally.redis;

import io.tally.IllegalTransitionException;
import io.tally.InvalidInputException;
import io.tally.JobExistsException;
import io.tally.JobFinishedException;
import io.tally.JobNotFoundException;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.Page;
import io.tally.store.JobRecord;
import io.tally.store.JobRules;
import io.tally.store.LogEntry;
import io.tally.store.PartsOutcome;
import io.tally.store.RecordedProgress;
import io.tally.store.StoredItem;
import io.tally.store.Transition;
import io.tally.store.TransitionResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the functions' replies (as {@link FunctionRunner#call} decodes them) into the store SPI's answers. A function
 * that can refuse answers an array that starts with a status word; each refusal becomes the exception the SPI names
 * for it ({@code notfound}: {@link JobNotFoundException}, {@code finished}: {@link JobFinishedException}, …). What
 * follows the status is laid out as the function's {@code return} in its Lua file; {@code reply('ok', j)} in {@code
 * lib.lua} is the status, then the job hash as field/value pairs.
 */
final class Replies {
    private Replies() {}

    /** @return the status word a reply starts with */
    static String status(List<Object> r) {
        return (String) r.get(0);
    }

    /** @return the job hash in a reply as field/value pairs from index {@code from} on */
    static JobRecord job(List<Object> r, int from) {
        return Records.record(Records.map(r, from));
    }

    /** @return the job create made (or had made: a retried call); throws if the id was taken */
    static JobRecord created(String id, List<Object> r) {
        if ("exists".equals(r.get(0))) {
            throw new JobExistsException(id);
        }
        return job(r, 1);
    }

    /** @return the progress after a record call; throws what it refused */
    static RecordedProgress progress(String id, List<Object> r) {
        return switch (status(r)) {
            case "notfound" -> throw new JobNotFoundException(id);
            case "finished" -> throw new JobFinishedException(id, JobState.valueOf((String) r.get(1)));
            case "hasparts" ->
                throw new InvalidInputException(
                        "part", "job " + id + " has parts: record them with completePart/failPart");
            case "limit" -> throw JobRules.countLimit((String) r.get(1));
            default -> Records.progress(status(r)); // (the progress line: write.lua's answer when it applied the call)
        };
    }

    /** @return what a recordParts call did; throws what it refused */
    static PartsOutcome partsOutcome(String id, List<Object> r) {
        return switch (status(r)) {
            case "notfound" -> throw new JobNotFoundException(id);
            case "finished" -> throw new JobFinishedException(id, JobState.valueOf((String) r.get(1)));
            case "range" -> throw JobRules.partOutOfRange(id, ((Long) r.get(1)).intValue(), (Long) r.get(2));
            default -> new PartsOutcome(((Long) r.get(1)).intValue(), (Long) r.get(2), (Long) r.get(3) == 1L);
        };
    }

    /**
     * @return the job after move {@code t}, and whether it moved ({@code same}: it was there already, which the rules
     *     refuse if {@code t} has another outcome than the stored one)
     */
    static TransitionResult moved(String id, Transition.Move t, List<Object> r) {
        return switch (status(r)) {
            case "notfound" -> throw new JobNotFoundException(id);
            case "illegal" -> throw new IllegalTransitionException(id, JobState.valueOf((String) r.get(1)), t.target());
            case "same" -> {
                JobRecord stored = job(r, 1);
                JobRules.checkRepeat(stored, t);
                yield new TransitionResult(stored, false);
            }
            default -> new TransitionResult(job(r, 1), true);
        };
    }

    /** @return the job with its lease renewed; throws for a missing or finished job */
    static JobRecord heartbeat(String id, List<Object> r) {
        return switch (status(r)) {
            case "notfound" -> throw new JobNotFoundException(id);
            case "finished" -> throw new JobFinishedException(id, JobState.valueOf((String) r.get(1)));
            default -> job(r, 1);
        };
    }

    /**
     * @return a page of items: {@code items.lua} answers {@code ok}, then (key, value) pairs, the value {@code S} or
     *     {@code F} and {@code |reason} if the item has one; a pair more than {@code limit} says there are more
     */
    static Page<StoredItem> items(String id, List<Object> r, int limit) {
        if ("notfound".equals(r.get(0))) {
            throw new JobNotFoundException(id);
        }
        List<StoredItem> out = new ArrayList<>();
        boolean more = false;
        for (int i = 1; i + 1 < r.size(); i += 2) {
            if (out.size() == limit) {
                more = true;
                break;
            }
            String value = (String) r.get(i + 1);
            Outcome o = value.charAt(0) == 'S' ? Outcome.SUCCESS : Outcome.FAILURE;
            String reason = value.length() > 1 ? value.substring(2) : null;
            out.add(new StoredItem((String) r.get(i), o, reason));
        }
        return new Page<>(out, more ? Optional.of(out.get(out.size() - 1).key()) : Optional.empty());
    }

    /** @return a part's payload, empty if it has none; throws for a missing job or a part out of its range */
    static Optional<String> payload(String id, int part, List<Object> r) {
        return switch (status(r)) {
            case "notfound" -> throw new JobNotFoundException(id);
            case "range" -> throw JobRules.partOutOfRange(id, ((Long) r.get(1)).intValue(), part);
            case "none" -> Optional.empty();
            default -> Optional.of((String) r.get(1));
        };
    }

    /**
     * @return the log entries of {@code logs.lua}, which answers {@code ok}, the first list index ({@code afterSeq}),
     *     then the entries; the entry at list index {@code n} has seq {@code n + 1}
     */
    static List<LogEntry> logs(String id, long afterSeq, List<Object> r) {
        if ("notfound".equals(r.get(0))) {
            throw new JobNotFoundException(id);
        }
        List<LogEntry> out = new ArrayList<>(r.size() - 2);
        for (int i = 2; i < r.size(); i++) {
            out.add(LogJson.decode(afterSeq + i - 1, (String) r.get(i)));
        }
        return out;
    }
}
