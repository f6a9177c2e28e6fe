package io.tally.redis;

import io.tally.InvalidInputException;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.store.SweepKind;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The key names of one namespace (see the module's README for the layout). Every key starts with {@code {ns}:}, the
 * namespace as a Redis Cluster hash tag, so all keys of a namespace live in one slot and every script is single-slot.
 * Lua scripts never build key names: they get them all from here through KEYS.
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
