package io.tally.redis;

import io.tally.FailureReason;
import io.tally.JobError;
import io.tally.JobState;
import io.tally.store.JobRecord;
import io.tally.store.NewJob;
import io.tally.store.RateEstimator;
import io.tally.store.RecordedProgress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Converts between {@link JobRecord} and the job hash (field names and formats are documented in the README). */
final class Records {
    private Records() {}

    /**
     * @return the field/value pairs of a new job's hash, the fields every record reads and writes first: a small hash
     *     is a listpack, which Redis searches from its start for each field a command names, and a keyed record's
     *     {@code HMGET} of ten fields and {@code HSET} of three then find them sooner (docs/benchmarks.md)
     */
    static List<String> fields(NewJob j, long now) {
        List<String> f = new ArrayList<>(48);
        put(f, "state", (j.start() ? JobState.RUNNING : JobState.PENDING).name());
        put(f, "parts", Integer.toString(j.partPayloads().size()));
        put(f, "total", Long.toString(j.total()));
        put(f, "succeeded", "0");
        put(f, "failed", "0");
        put(f, "updatedAt", Long.toString(now));
        put(f, "rateAcc", "0");
        if (j.start()) {
            put(f, "startedAt", Long.toString(now));
            put(f, "rateAt", Long.toString(now));
        }
        put(f, "heartbeat", millis(j.heartbeat()));
        if (j.start()) {
            put(f, "leaseUntil", plus(now, j.heartbeat()));
        }
        put(f, "tolerated", Integer.toString(j.toleratedFailures()));
        put(f, "settled", "0");
        put(f, "id", j.id());
        put(f, "name", j.name());
        put(f, "scope", j.scope());
        put(f, "parent", j.parent());
        put(f, "metadata", j.metadataJson());
        put(f, "createdAt", Long.toString(now));
        put(f, "timeout", millis(j.timeout()));
        put(f, "retainFor", millis(j.retainFor()));
        put(f, "message", j.message());
        if (j.start()) {
            put(f, "deadline", plus(now, j.timeout()));
        }
        return f;
    }

    private static void put(List<String> f, String field, String value) {
        if (value != null) {
            f.add(field);
            f.add(value);
        }
    }

    private static String millis(Duration d) {
        return d == null ? null : Long.toString(d.toMillis());
    }

    private static String plus(long now, Duration d) {
        return d == null ? null : Long.toString(now + d.toMillis());
    }

    /** @return the map of a flat field/value list, starting at {@code from} */
    static Map<String, String> map(List<?> flat, int from) {
        Map<String, String> m = new HashMap<>(64);
        for (int i = from; i + 1 < flat.size(); i += 2) {
            m.put(String.valueOf(flat.get(i)), String.valueOf(flat.get(i + 1)));
        }
        return m;
    }

    /** @return the record stored in a job hash */
    static JobRecord record(Map<String, String> h) {
        String errorReason = h.get("errorReason");
        JobError error = errorReason == null
                ? null
                : new JobError(
                        h.get("errorMessage"),
                        h.get("errorType"),
                        h.get("errorStack"),
                        FailureReason.ofCode(errorReason));
        String rate = h.get("rate");
        return new JobRecord(
                h.get("id"),
                h.get("name"),
                h.get("scope"),
                h.get("parent"),
                h.getOrDefault("metadata", "{}"),
                JobState.valueOf(h.get("state")),
                longOf(h, "total"),
                longOf(h, "succeeded"),
                longOf(h, "failed"),
                (int) longOf(h, "parts"),
                (int) longOf(h, "tolerated"),
                "1".equals(h.get("settled")),
                instant(h, "createdAt"),
                instant(h, "startedAt"),
                instant(h, "updatedAt"),
                instant(h, "finishedAt"),
                duration(h, "timeout"),
                duration(h, "heartbeat"),
                duration(h, "retainFor"),
                instant(h, "deadline"),
                instant(h, "leaseUntil"),
                instant(h, "retainUntil"),
                h.get("result"),
                error,
                h.get("message"),
                rate == null ? null : Double.valueOf(rate),
                instant(h, "rateAt"),
                longOf(h, "rateAcc"));
    }

    /**
     * @return the progress in a record call's answer: the line write.lua's {@code progress_line} makes, {@code
     *     state|total|succeeded|failed|startedAt|updatedAt|rate|rateAt|rateAcc} as stored, a field the job does not
     *     have empty (one bulk string costs Redis far less to send than an array of ten values)
     */
    static RecordedProgress progress(String line) {
        String[] f = line.split("\\|", -1);
        return new RecordedProgress(
                JobState.valueOf(f[0]),
                Long.parseLong(f[1]),
                Long.parseLong(f[2]),
                Long.parseLong(f[3]),
                instant(f[4]),
                instant(f[5]),
                new RateEstimator.State(
                        f[6].isEmpty() ? null : Double.valueOf(f[6]), instant(f[7]), Long.parseLong(f[8])),
                null);
    }

    /** @return epoch milliseconds as an instant; null or empty (none) as null */
    private static Instant instant(String millis) {
        return millis == null || millis.isEmpty() ? null : Instant.ofEpochMilli(Long.parseLong(millis));
    }

    private static long longOf(Map<String, String> h, String field) {
        String v = h.get(field);
        return v == null ? 0 : Long.parseLong(v);
    }

    private static Instant instant(Map<String, String> h, String field) {
        return instant(h.get(field));
    }

    private static Duration duration(Map<String, String> h, String field) {
        String v = h.get(field);
        return v == null ? null : Duration.ofMillis(Long.parseLong(v));
    }
}
