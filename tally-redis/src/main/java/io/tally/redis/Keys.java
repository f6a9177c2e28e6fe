package io.tally.redis;

import io.tally.InvalidInputException;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.store.SweepKind;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The key names of one namespace. Every key starts with {@code {ns}:}, the namespace as a Redis Cluster hash tag, so
 * all keys of a namespace live in one slot and every function call is single-slot (scale out by namespace). The
 * functions never build key names: they get them all from here through KEYS. The layout (the README has the fields and
 * the rules):
 *
 * <pre>
 * {ns}:job:ID                hash    the job (fields in the README)
 * {ns}:items-ok:ID           zset    succeeded item keys (score 0, BYLEX paging)
 * {ns}:items-failed:ID       zset    failed item keys
 * {ns}:item-reasons:ID       hash    item key → the reason recorded with it, for items that have one
 * {ns}:parts:ID              string  bitfield, two bits per part (BITFIELD u2 at #part): 0 pending, 1 succeeded, 2 failed
 * {ns}:part-errors:ID        hash    part number → reason, for failed parts that gave one
 * {ns}:payloads:ID           hash    part number → JSON payload
 * {ns}:logs:ID               list    JSON log records ({@link LogJson}); seq = position + 1
 * {ns}:idx:all               zset    every job; member '&lt;13-digit createdAt millis&gt;:ID', score 0 (BYLEX = newest-first keyset)
 * {ns}:idx:state:STATE       zset    same members, by state
 * {ns}:idx:scope:SCOPE       zset    same members, by scope
 * {ns}:idx:name:NAME         zset    same members, by name
 * {ns}:idx:parent:PARENT     zset    same members, by parent id
 * {ns}:due:lease             zset    RUNNING jobs with a heartbeat lease, score = leaseUntil millis, member ID
 * {ns}:due:deadline          zset    active jobs with a deadline, score = deadline millis
 * {ns}:due:retain            zset    finished jobs with a retention, score = retainUntil millis
 * {ns}:events                channel one JSON message per write ({@link RedisEvents})
 * </pre>
 */
final class Keys {
    private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final String namespace;
    private final String prefix;

    Keys(String namespace) {
        this.namespace = checkNamespace(namespace);
        this.prefix = "{" + namespace + "}:";
    }

    static String checkNamespace(String namespace) {
        if (namespace == null || !NAMESPACE.matcher(namespace).matches()) {
            throw new InvalidInputException(
                    "namespace", "must be 1-64 characters of letters, digits, '.', '_' or '-', was " + namespace);
        }
        return namespace;
    }

    String namespace() {
        return namespace;
    }

    String prefix() {
        return prefix;
    }

    String channel() {
        return prefix + "events";
    }

    String job(String id) {
        return prefix + "job:" + id;
    }

    /** The reasons recorded with items (item key → reason), for the items that have one. */
    String itemReasons(String id) {
        return prefix + "item-reasons:" + id;
    }

    String itemSet(String id, Outcome outcome) {
        return prefix + (outcome == Outcome.SUCCESS ? "items-ok:" : "items-failed:") + id;
    }

    /** The parts' outcomes: a bitfield of two bits per part ({@link PartBits}). */
    String parts(String id) {
        return prefix + "parts:" + id;
    }

    /** The reasons of failed parts that gave one. */
    String partErrors(String id) {
        return prefix + "part-errors:" + id;
    }

    String payloads(String id) {
        return prefix + "payloads:" + id;
    }

    String logs(String id) {
        return prefix + "logs:" + id;
    }

    String all() {
        return prefix + "idx:all";
    }

    String state(JobState state) {
        return prefix + "idx:state:" + state.name();
    }

    String name(String name) {
        return prefix + "idx:name:" + name;
    }

    String scope(String scope) {
        return prefix + "idx:scope:" + scope;
    }

    String parent(String parent) {
        return prefix + "idx:parent:" + parent;
    }

    String due(SweepKind kind) {
        return prefix
                + switch (kind) {
                    case STALLED -> "due:lease";
                    case TIMEOUT -> "due:deadline";
                    case RETENTION -> "due:retain";
                };
    }

    /** KEYS 1-10 of every job write: job hash, then {@link #shared()}. */
    List<String> common(String id) {
        List<String> keys = new ArrayList<>(24);
        keys.add(job(id));
        keys.addAll(shared());
        return keys;
    }

    /**
     * KEYS of a call that adds a job to every index or removes it from them: {@link #common}, then {@link #all}, its
     * name's, scope's and parent's index (for a job without a scope or parent, the index of the empty one, which the
     * function is told to skip).
     */
    List<String> indexed(String id, String name, String scope, String parent) {
        List<String> keys = common(id);
        keys.add(all());
        keys.add(name(name));
        keys.add(scope(scope == null ? "" : scope));
        keys.add(parent(parent == null ? "" : parent));
        return keys;
    }

    /** KEYS of a call on a job's items: the job hash, the item reasons, the succeeded and the failed items. */
    List<String> items(String id) {
        return List.of(job(id), itemReasons(id), itemSet(id, Outcome.SUCCESS), itemSet(id, Outcome.FAILURE));
    }

    /** The keys every job write may touch, whichever the job: the six state indexes, the three due sets. */
    List<String> shared() {
        List<String> keys = new ArrayList<>(9);
        for (JobState s : JobState.values()) {
            keys.add(state(s));
        }
        keys.add(due(SweepKind.STALLED));
        keys.add(due(SweepKind.TIMEOUT));
        keys.add(due(SweepKind.RETENTION));
        return keys;
    }

    /**
     * The shared keys a {@code write} batch starts with ({@link WriteArgs#SHARED}), those a record may touch: due:lease
     * and due:deadline, the PENDING and RUNNING state indexes (renewing a lease, auto-start).
     */
    List<String> writeShared() {
        return List.of(
                due(SweepKind.STALLED), due(SweepKind.TIMEOUT), state(JobState.PENDING), state(JobState.RUNNING));
    }

    /**
     * The shared keys a {@code write} batch with a recordParts call ends with ({@link WriteArgs#SHARED_FINISH}), those
     * finishing a job touches too: the other state indexes, due:retain.
     */
    List<String> writeFinishing() {
        return List.of(
                state(JobState.SUCCEEDED),
                state(JobState.FAILED),
                state(JobState.CANCELLED),
                state(JobState.SKIPPED),
                due(SweepKind.RETENTION));
    }

    /** Every key that belongs to one job alone (deleted with it). */
    List<String> owned(String id) {
        return List.of(
                itemReasons(id),
                itemSet(id, Outcome.SUCCESS),
                itemSet(id, Outcome.FAILURE),
                parts(id),
                partErrors(id),
                payloads(id),
                logs(id));
    }

    /** @return the index member of a job: 13-digit zero-padded createdAt millis, ':', id */
    static String member(long createdAtMillis, String id) {
        return String.format("%013d:%s", createdAtMillis, id);
    }
}
