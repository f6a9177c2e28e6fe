package io.tally.redis;

import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.codec.CRC16;
import io.tally.InvalidInputException;
import io.tally.JobQuery;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.store.SweepKind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The key names of one namespace. The functions never build key names: they get them all from here through KEYS, so
 * every function call names every key it touches, as Redis Cluster requires.
 *
 * <p>A namespace's keys are spread over {@link Bucket buckets}. Each bucket has its own hash tag, so its keys share
 * one Cluster slot, and holds whole jobs: a job's keys (hash, items, parts, logs) and its entries in every index and
 * due set are all in its bucket ({@link #bucketOf}: the CRC16 of the id modulo the number of buckets). So every
 * operation on a job stays one atomic function call on one shard, the index moves included, and a listing walks the
 * buckets and merges them. On one server a namespace is one bucket with the tag {@code {ns}} ({@link #single}); on a
 * Cluster the number of buckets is fixed when the namespace is created and stored in it ({@link #layout}), and the
 * buckets' tags are chosen so that their slots are evenly spaced over the 16,384 ({@link #cluster}). The layout (the
 * README has the fields and the rules), with {@code B} a bucket's prefix:
 *
 * <pre>
 * B job:ID                   hash    the job (fields in the README)
 * B items-ok:ID              zset    succeeded item keys (score 0, BYLEX paging)
 * B items-failed:ID          zset    failed item keys
 * B item-reasons:ID          hash    item key → the reason recorded with it, for items that have one
 * B parts:ID                 string  bitfield, two bits per part (BITFIELD u2 at #part): 0 pending, 1 succeeded, 2 failed
 * B part-errors:ID           hash    part number → reason, for failed parts that gave one
 * B payloads:ID              hash    part number → JSON payload
 * B logs:ID                  list    JSON log records ({@link LogJson}); seq = position + 1
 * B idx:all                  zset    the bucket's jobs; member '&lt;13-digit createdAt millis&gt;:ID', score 0 (BYLEX = newest-first keyset)
 * B idx:state:STATE          zset    same members, by state
 * B idx:scope:SCOPE          zset    same members, by scope
 * B idx:name:NAME            zset    same members, by name
 * B idx:parent:PARENT        zset    same members, by parent id (the bucket's children of PARENT)
 * B due:lease                zset    RUNNING jobs with a heartbeat lease, score = leaseUntil millis, member ID
 * B due:deadline             zset    active jobs with a deadline, score = deadline millis
 * B due:retain               zset    finished jobs with a retention, score = retainUntil millis
 * B events                   channel one JSON message per write ({@link RedisEvents}); a shard channel on a Cluster
 * {ns}:layout                hash    on a Cluster: 'buckets', the number of buckets
 * </pre>
 */
final class Keys {
    private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    /** Redis Cluster's slots. */
    static final int SLOTS = SlotHash.SLOT_COUNT;

    private final String namespace;
    private final Bucket[] buckets;

    private Keys(String namespace, Bucket[] buckets) {
        this.namespace = namespace;
        this.buckets = buckets;
    }

    /** @return the keys of a namespace on one server: one bucket, hash tag {@code {ns}}, a plain pub/sub channel */
    static Keys single(String namespace) {
        checkNamespace(namespace);
        return new Keys(namespace, new Bucket[] {new Bucket(0, "{" + namespace + "}:", false)});
    }

    /**
     * The keys of a namespace on a Cluster, in {@code count} buckets. Bucket {@code k}'s hash tag is {@code ns:i} for
     * the smallest {@code i} not taken by an earlier bucket whose slot (CRC16 of the tag, modulo 16,384) lies in
     * {@code [k·16384/count, (k+1)·16384/count)}: the buckets' slots are evenly spaced, so the buckets split evenly
     * among masters that hold even ranges of slots, which is how {@code redis-cli --cluster create} and rebalancing
     * lay them out. Its events go on the shard channel {@code {ns:i}:events}.
     */
    static Keys cluster(String namespace, int count) {
        checkNamespace(namespace);
        checkBuckets(count);
        Bucket[] buckets = new Bucket[count];
        int found = 0;
        for (long i = 0; found < count; i++) {
            String tag = namespace + ":" + i;
            int k = (int) ((long) SlotHash.getSlot(tag) * count / SLOTS);
            // (floor(slot·count/16384) = k exactly when the slot lies in bucket k's range)
            if (buckets[k] == null) {
                buckets[k] = new Bucket(k, "{" + tag + "}:", true);
                found++;
            }
        }
        return new Keys(namespace, buckets);
    }

    static String checkNamespace(String namespace) {
        if (namespace == null || !NAMESPACE.matcher(namespace).matches()) {
            throw new InvalidInputException(
                    "namespace", "must be 1-64 characters of letters, digits, '.', '_' or '-', was " + namespace);
        }
        return namespace;
    }

    /** @return {@code count}, when it is a valid number of buckets: 1 to 16,384 */
    static int checkBuckets(int count) {
        if (count < 1 || count > SLOTS) {
            throw new InvalidInputException("buckets", "must be 1 to " + SLOTS + ", was " + count);
        }
        return count;
    }

    String namespace() {
        return namespace;
    }

    /** The layout hash of a namespace (on a Cluster: the number of buckets), under the namespace's own tag. */
    static String layout(String namespace) {
        return "{" + namespace + "}:layout";
    }

    /** @return every bucket, in order */
    List<Bucket> buckets() {
        return List.of(buckets);
    }

    /** @return the bucket that holds job {@code id}: the CRC16 of its UTF-8 bytes, modulo the number of buckets */
    Bucket bucketOf(String id) {
        if (buckets.length == 1) {
            return buckets[0];
        }
        return buckets[CRC16.crc16(id.getBytes(StandardCharsets.UTF_8)) % buckets.length];
    }

    /** @return the index member of a job: 13-digit zero-padded createdAt millis, ':', id */
    static String member(long createdAtMillis, String id) {
        return String.format("%013d:%s", createdAtMillis, id);
    }

    /**
     * One bucket of a namespace: the keys under one hash tag, so in one Cluster slot. Its jobs, its indexes and due
     * sets (of its jobs only), its event channel.
     */
    static final class Bucket {
        /** Its position among the namespace's buckets. */
        final int index;
        /** {@code {tag}:}, the start of every key. */
        final String prefix;
        /** Whether its channel is a shard channel (SPUBLISH; a Cluster) rather than a plain one (PUBLISH). */
        final boolean sharded;

        Bucket(int index, String prefix, boolean sharded) {
            this.index = index;
            this.prefix = prefix;
            this.sharded = sharded;
        }

        /** @return the Cluster slot of its keys */
        int slot() {
            return SlotHash.getSlot(prefix);
        }

        /** The events' channel, as Redis names it: {@code {tag}:events}. */
        String channel() {
            return prefix + "events";
        }

        /**
         * The channel as the functions take it: a shard channel starts with {@code #} (SPUBLISH, PUBSUB SHARDNUMSUB),
         * lib.lua's {@code publish_to}.
         */
        String channelArgument() {
            return sharded ? "#" + channel() : channel();
        }

        /** The job hash of job {@code id} (a job of this bucket: {@link Keys#bucketOf}); likewise below. */
        String job(String id) {
            return prefix + "job:" + id;
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

        /** KEYS 1-10 of every job write: the job hash, then {@link #shared()}. */
        List<String> common(String id) {
            List<String> keys = new ArrayList<>(24);
            keys.add(job(id));
            keys.addAll(shared());
            return keys;
        }

        /**
         * KEYS of a call that adds a job to every index or removes it from them: {@link #common}, then {@link #all},
         * its name's, scope's and parent's index (for a job without a scope or parent, the index of the empty one,
         * which the function is told to skip).
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
            return List.of(
                    job(id), prefix + "item-reasons:" + id, itemSet(id, Outcome.SUCCESS), itemSet(id, Outcome.FAILURE));
        }

        /** Every key that belongs to one job alone (deleted with it). */
        List<String> owned(String id) {
            List<String> keys = new ArrayList<>(items(id).subList(1, 4));
            keys.add(parts(id));
            keys.add(partErrors(id));
            keys.add(payloads(id));
            keys.add(logs(id));
            return keys;
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

        /** The six state indexes, in {@link JobState} order. */
        List<String> states() {
            List<String> keys = new ArrayList<>(6);
            for (JobState s : JobState.values()) {
                keys.add(state(s));
            }
            return keys;
        }

        /** The indexes a query walks here: one per filter it has (state, scope, name, parent), else {@link #all}. */
        List<String> indexes(JobQuery q) {
            List<String> keys = new ArrayList<>(4);
            q.state().ifPresent(s -> keys.add(state(s)));
            q.scope().ifPresent(s -> keys.add(scope(s)));
            q.name().ifPresent(n -> keys.add(name(n)));
            q.parent().ifPresent(p -> keys.add(parent(p)));
            if (keys.isEmpty()) {
                keys.add(all());
            }
            return keys;
        }

        /** The keys every job write may touch, whichever the job: the six state indexes, the three due sets. */
        List<String> shared() {
            List<String> keys = new ArrayList<>(9);
            keys.addAll(states());
            keys.add(due(SweepKind.STALLED));
            keys.add(due(SweepKind.TIMEOUT));
            keys.add(due(SweepKind.RETENTION));
            return keys;
        }

        /**
         * The shared keys a {@code write} batch starts with ({@link WriteArgs#SHARED}), those a record may touch:
         * due:lease and due:deadline, the PENDING and RUNNING state indexes (renewing a lease, auto-start).
         */
        List<String> writeShared() {
            return List.of(
                    due(SweepKind.STALLED), due(SweepKind.TIMEOUT), state(JobState.PENDING), state(JobState.RUNNING));
        }

        /**
         * The shared keys a {@code write} batch with a recordParts call ends with ({@link WriteArgs#SHARED_FINISH}),
         * those finishing a job touches too: the other state indexes, due:retain.
         */
        List<String> writeFinishing() {
            return List.of(
                    state(JobState.SUCCEEDED),
                    state(JobState.FAILED),
                    state(JobState.CANCELLED),
                    state(JobState.SKIPPED),
                    due(SweepKind.RETENTION));
        }

        @Override
        public String toString() {
            return prefix;
        }
    }
}
