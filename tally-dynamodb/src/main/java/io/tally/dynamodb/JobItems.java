package io.tally.dynamodb;

import io.tally.FailureReason;
import io.tally.JobError;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.store.JobRecord;
import io.tally.store.StoredItem;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The item layout of one namespace of the table (see the module README): the keys of a job's items, and the job item
 * itself to and from a {@link JobRecord}, with its part outcomes, its pending keyed items and its index attributes.
 * Pure mapping: no I/O, no rule.
 */
final class JobItems {
    /** The table's partition key: the job (namespaced). */
    static final String PK = "pk";
    /** The table's sort key: {@code job}, or a row of the job ({@code i#…}, {@code p#…}, {@code l#…}). */
    static final String SK = "sk";
    /** The sort key of the job item. */
    static final String JOB = "job";

    static final String VERSION = "ver";
    static final String GEN = "gen";
    static final String PART_BITS = "po";
    static final String PENDING = "pi";
    static final String TTL = "ttl";

    /** Listing indexes: partition attribute, sort attribute {@code gck} = {@code createdAt#id}. */
    static final String ALL_PK = "ga";

    static final String STATE_PK = "gst";
    static final String SCOPE_PK = "gsc";
    static final String NAME_PK = "gna";
    static final String PARENT_PK = "gpa";
    static final String CREATED_SK = "gck";
    /** Sweep indexes (sparse): partition attribute and sort attribute {@code time#id}. */
    static final String LEASE_PK = "glp";

    static final String LEASE_SK = "gls";
    static final String DEADLINE_PK = "gdp";
    static final String DEADLINE_SK = "gds";
    static final String RETAIN_PK = "grp";
    static final String RETAIN_SK = "grs";

    /** How long past a job's retention its TTL lets it live, so that the sweeper (which deletes every row) goes first. */
    static final Duration TTL_GRACE = Duration.ofHours(1);

    private final String ns;

    /** @param namespace letters, digits, {@code _} and {@code -}; empty for none */
    JobItems(String namespace) {
        this.ns = namespace;
    }

    /** @return the partition key of job {@code id} */
    String pk(String id) {
        return ns.isEmpty() ? id : ns + "/" + id;
    }

    /** @return the primary key of job {@code id}'s item */
    Map<String, AttributeValue> jobKey(String id) {
        return Map.of(PK, s(pk(id)), SK, s(JOB));
    }

    /** @return the value of an index partition attribute: the namespace, the index and the filter value */
    String indexValue(String index, String value) {
        return ns + "#" + index + "#" + value;
    }

    static String itemSk(String gen, String key) {
        return "i#" + gen + "#" + key;
    }

    static String itemPrefix(String gen) {
        return "i#" + gen + "#";
    }

    static String partSk(String gen, int part) {
        return "p#" + gen + "#" + pad(part, 7);
    }

    static String logSk(String gen, long seq) {
        return "l#" + gen + "#" + pad(seq, 19);
    }

    static String logPrefix(String gen) {
        return "l#" + gen + "#";
    }

    static String logCounterSk(String gen) {
        return "n#" + gen;
    }

    /** @return {@code millis#id}, zero-padded so that the text order is the time order */
    static String timeKey(Instant t, String id) {
        return pad(t.toEpochMilli(), 15) + "#" + id;
    }

    /** @return the lowest text of {@link #timeKey} at {@code t}: keys before it are strictly earlier */
    static String timeBound(Instant t) {
        return pad(t.toEpochMilli(), 15);
    }

    private static String pad(long n, int width) {
        String d = Long.toString(n);
        return "0".repeat(Math.max(0, width - d.length())) + d;
    }

    /** The stored job: the record and what a write step needs besides it. */
    record Stored(
            JobRecord record,
            long version,
            String gen,
            byte[] partBits,
            Map<String, PendingItem> pending,
            List<String> marks) {}

    /** Write marks kept in the job item: the last writes' own ids (see {@code DynamoDbJobStore}'s lost answers). */
    static final int MARKS = 8;

    static final String MARKS_ATTR = "wm";

    /** @return a new write mark */
    static String newMark() {
        return Long.toString(java.util.concurrent.ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    }

    /** @return the last {@link #MARKS} marks of {@code marks} followed by {@code mark} */
    static List<String> withMark(List<String> marks, String mark) {
        List<String> out =
                new java.util.ArrayList<>(marks.subList(Math.max(0, marks.size() - (MARKS - 1)), marks.size()));
        out.add(mark);
        return out;
    }

    /** A keyed item recorded in the job item and not yet in its own row: written at {@code version}. */
    record PendingItem(Outcome outcome, String reason, long version) {
        StoredItem toStored(String key) {
            return new StoredItem(key, outcome, reason);
        }
    }

    /** @return the job item of {@code r} at {@code version} */
    Map<String, AttributeValue> encode(
            JobRecord r,
            long version,
            String gen,
            byte[] partBits,
            Map<String, PendingItem> pending,
            List<String> marks) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put(PK, s(pk(r.id())));
        m.put(SK, s(JOB));
        m.put(VERSION, n(version));
        m.put(GEN, s(gen));
        m.put(MARKS_ATTR, s(String.join(",", marks)));
        m.put("id", s(r.id()));
        m.put("name", s(r.name()));
        putS(m, "scope", r.scope());
        putS(m, "parent", r.parent());
        m.put("meta", s(r.metadataJson()));
        m.put("st", s(r.state().name()));
        m.put("tot", n(r.total()));
        m.put("suc", n(r.succeeded()));
        m.put("fal", n(r.failed()));
        m.put("parts", n(r.parts()));
        m.put("tol", n(r.toleratedFailures()));
        m.put("settled", AttributeValue.fromBool(r.settled()));
        putT(m, "ca", r.createdAt());
        putT(m, "sa", r.startedAt());
        putT(m, "ua", r.updatedAt());
        putT(m, "fa", r.finishedAt());
        putD(m, "to", r.timeout());
        putD(m, "hb", r.heartbeat());
        putD(m, "rf", r.retainFor());
        putT(m, "dl", r.deadline());
        putT(m, "lu", r.leaseUntil());
        putT(m, "ru", r.retainUntil());
        putS(m, "res", r.resultJson());
        if (r.error() != null) {
            Map<String, AttributeValue> e = new HashMap<>();
            e.put("m", s(r.error().message()));
            putS(e, "t", r.error().type());
            putS(e, "s", r.error().stack());
            e.put("r", s(r.error().reason().code()));
            m.put("err", AttributeValue.fromM(e));
        }
        putS(m, "msg", r.message());
        if (r.rate() != null) {
            // (a rate decayed below 1e-100 units a second is stored as 0: DynamoDB numbers stop at 1e-130)
            double rate = Math.abs(r.rate()) < 1e-100 ? 0.0 : r.rate();
            m.put(
                    "rate",
                    AttributeValue.fromN(java.math.BigDecimal.valueOf(rate).toPlainString()));
        }
        putT(m, "rat", r.rateAt());
        m.put("racc", n(r.rateAcc()));
        if (partBits != null && partBits.length > 0) {
            m.put(PART_BITS, AttributeValue.fromB(SdkBytes.fromByteArray(partBits)));
        }
        if (!pending.isEmpty()) {
            Map<String, AttributeValue> p = new LinkedHashMap<>();
            pending.forEach((key, item) -> p.put(key, pendingValue(item)));
            m.put(PENDING, AttributeValue.fromM(p));
        }
        // the indexes: every listing's, and the sweep's sparse ones while the job is due for them some day
        String created = timeKey(r.createdAt(), r.id());
        m.put(CREATED_SK, s(created));
        m.put(ALL_PK, s(indexValue("all", "")));
        m.put(STATE_PK, s(indexValue("state", r.state().name())));
        m.put(NAME_PK, s(indexValue("name", r.name())));
        if (r.scope() != null) {
            m.put(SCOPE_PK, s(indexValue("scope", r.scope())));
        }
        if (r.parent() != null) {
            m.put(PARENT_PK, s(indexValue("parent", r.parent())));
        }
        if (r.state() == JobState.RUNNING && r.leaseUntil() != null) {
            m.put(LEASE_PK, s(indexValue("lease", "")));
            m.put(LEASE_SK, s(timeKey(r.leaseUntil(), r.id())));
        }
        if (!r.state().isTerminal() && r.deadline() != null) {
            m.put(DEADLINE_PK, s(indexValue("deadline", "")));
            m.put(DEADLINE_SK, s(timeKey(r.deadline(), r.id())));
        }
        if (r.state().isTerminal() && r.retainUntil() != null) {
            m.put(RETAIN_PK, s(indexValue("retain", "")));
            m.put(RETAIN_SK, s(timeKey(r.retainUntil(), r.id())));
            // DynamoDB's TTL (epoch seconds), a backstop behind the sweeper: see the README
            long seconds = r.retainUntil().plus(TTL_GRACE).getEpochSecond() + 1;
            m.put(TTL, n(seconds));
        }
        return m;
    }

    static AttributeValue pendingValue(PendingItem item) {
        Map<String, AttributeValue> v = new HashMap<>();
        v.put("o", s(item.outcome() == Outcome.SUCCESS ? "S" : "F"));
        putS(v, "r", item.reason());
        v.put("v", n(item.version()));
        return AttributeValue.fromM(v);
    }

    /** @return the stored job in {@code m}, a job item */
    static Stored decode(Map<String, AttributeValue> m) {
        AttributeValue err = m.get("err");
        JobError error = null;
        if (err != null) {
            Map<String, AttributeValue> e = err.m();
            error = new JobError(str(e, "m"), str(e, "t"), str(e, "s"), FailureReason.ofCode(str(e, "r")));
        }
        JobRecord r = new JobRecord(
                str(m, "id"),
                str(m, "name"),
                str(m, "scope"),
                str(m, "parent"),
                str(m, "meta"),
                JobState.valueOf(str(m, "st")),
                num(m, "tot"),
                num(m, "suc"),
                num(m, "fal"),
                (int) num(m, "parts"),
                (int) num(m, "tol"),
                m.containsKey("settled") && Boolean.TRUE.equals(m.get("settled").bool()),
                time(m, "ca"),
                time(m, "sa"),
                time(m, "ua"),
                time(m, "fa"),
                dur(m, "to"),
                dur(m, "hb"),
                dur(m, "rf"),
                time(m, "dl"),
                time(m, "lu"),
                time(m, "ru"),
                str(m, "res"),
                error,
                str(m, "msg"),
                m.containsKey("rate") ? Double.valueOf(m.get("rate").n()) : null,
                time(m, "rat"),
                num(m, "racc"));
        Map<String, PendingItem> pending = new HashMap<>();
        AttributeValue p = m.get(PENDING);
        if (p != null && p.m() != null) {
            p.m().forEach((key, v) -> pending.put(key, pendingItem(v)));
        }
        AttributeValue bits = m.get(PART_BITS);
        return new Stored(
                r,
                num(m, VERSION),
                str(m, GEN),
                bits == null ? new byte[0] : bits.b().asByteArray(),
                pending,
                str(m, MARKS_ATTR) == null
                        ? List.of()
                        : List.of(str(m, MARKS_ATTR).split(",")));
    }

    static PendingItem pendingItem(AttributeValue v) {
        Map<String, AttributeValue> f = v.m();
        return new PendingItem("S".equals(str(f, "o")) ? Outcome.SUCCESS : Outcome.FAILURE, str(f, "r"), num(f, "v"));
    }

    /** @return the part-outcome array of a job of {@code parts} parts: two bits per part, none yet */
    static byte[] newPartBits(int parts) {
        return new byte[(parts + 3) / 4];
    }

    /** @return the stored outcome of {@code part}, null when it has none */
    static Outcome partOutcome(byte[] bits, int part) {
        int code = (bits[part >> 2] >> ((part & 3) * 2)) & 3;
        return code == 0 ? null : code == 1 ? Outcome.SUCCESS : Outcome.FAILURE;
    }

    static void setPart(byte[] bits, int part, Outcome o) {
        int shift = (part & 3) * 2;
        int code = o == Outcome.SUCCESS ? 1 : 2;
        bits[part >> 2] = (byte) ((bits[part >> 2] & ~(3 << shift)) | (code << shift));
    }

    /**
     * @return DynamoDB's size of an item as it counts it against the 400 KB limit: attribute names plus values
     *     (strings in UTF-8, numbers about their digits, binaries their bytes, maps and lists their contents)
     */
    static long size(Map<String, AttributeValue> item) {
        long total = 0;
        for (Map.Entry<String, AttributeValue> e : item.entrySet()) {
            total += utf8(e.getKey()) + size(e.getValue());
        }
        return total;
    }

    private static long size(AttributeValue v) {
        if (v.s() != null) {
            return utf8(v.s());
        }
        if (v.n() != null) {
            return v.n().length() / 2 + 2;
        }
        if (v.b() != null) {
            return v.b().asByteArrayUnsafe().length;
        }
        if (v.hasM()) {
            return 3 + size(v.m()) + v.m().size();
        }
        if (v.hasL()) {
            long t = 3;
            for (AttributeValue x : v.l()) {
                t += 1 + size(x);
            }
            return t;
        }
        return 1;
    }

    static long utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }

    static AttributeValue n(long v) {
        return AttributeValue.fromN(Long.toString(v));
    }

    private static void putS(Map<String, AttributeValue> m, String name, String v) {
        if (v != null) {
            m.put(name, s(v));
        }
    }

    private static void putT(Map<String, AttributeValue> m, String name, Instant t) {
        if (t != null) {
            m.put(name, n(t.toEpochMilli()));
        }
    }

    private static void putD(Map<String, AttributeValue> m, String name, Duration d) {
        if (d != null) {
            m.put(name, n(d.toMillis()));
        }
    }

    static String str(Map<String, AttributeValue> m, String name) {
        AttributeValue v = m.get(name);
        return v == null ? null : v.s();
    }

    static long num(Map<String, AttributeValue> m, String name) {
        AttributeValue v = m.get(name);
        return v == null || v.n() == null ? 0 : Long.parseLong(v.n());
    }

    private static Instant time(Map<String, AttributeValue> m, String name) {
        AttributeValue v = m.get(name);
        return v == null ? null : Instant.ofEpochMilli(Long.parseLong(v.n()));
    }

    private static Duration dur(Map<String, AttributeValue> m, String name) {
        AttributeValue v = m.get(name);
        return v == null ? null : Duration.ofMillis(Long.parseLong(v.n()));
    }
}
