package io.tally.redis;

import io.lettuce.core.protocol.CommandArgs;
import io.tally.Outcome;
import io.tally.store.ItemUpdate;
import io.tally.store.PartUpdate;
import io.tally.store.ProgressUpdate;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The argument layout of the library's {@code write} function (write.lua), written once: the offsets below have the
 * names of the constants at the top of write.lua ({@code WriteArgsTest} checks that they agree), and nothing else in
 * Java knows where an argument goes.
 *
 * <p>A call is its kind's letter followed by its arguments, each at its offset from the kind: a record ({@link
 * #RECORD}), a record of one item and nothing else ({@link #ITEM}: recordSuccess(key), the common call, sent as two
 * arguments instead of nine) or a recordParts call ({@link #PARTS}). A batch is the header ({@link #NOW}, {@link
 * #CHANNEL}, {@link #CALLS}) and its calls; a call on the job of the call before it, of the same sort, is sent with
 * its kind prefixed by {@link #SAME_JOB} and without keys.
 */
final class WriteArgs {
    /**
     * The bucket keys every batch starts with, those a record may touch ({@link Keys.Bucket#writeShared()}): due:lease,
     * due:deadline (renewing a lease, auto-start), the state indexes PENDING and RUNNING (auto-start).
     */
    static final int SHARED = 4;

    /**
     * The bucket keys only finishing a job touches too ({@link Keys.Bucket#writeFinishing()}: the state indexes
     * SUCCEEDED, FAILED, CANCELLED, SKIPPED, due:retain), which end the keys of a batch with a recordParts call. A
     * batch of records only goes without them: records never finish a job, and each key costs Redis about 1,000
     * instructions per call.
     */
    static final int SHARED_FINISH = 5;

    // The header, as ARGV indexes (Lua counts from 1).
    static final int NOW = 1;
    static final int CHANNEL = 2;
    static final int CALLS = 3;
    static final int FIRST_CALL = 4;

    // A record call, from its kind: the counts, the message and n (key, value) items.
    static final int RECORD_SUCCEEDED = 1;
    static final int RECORD_FAILED = 2;
    static final int RECORD_ADD_TOTAL = 3;
    static final int RECORD_HAS_MESSAGE = 4;
    static final int RECORD_MESSAGE = 5;
    static final int RECORD_ITEMS = 6;
    static final int RECORD_FIRST_ITEM = 7;
    static final int ITEM_WIDTH = 2;

    // A record of one item, from its kind.
    static final int ITEM_KEY = 1;
    static final int ITEM_VALUE = 2;
    static final int ITEM_CALL_WIDTH = 3;

    // A recordParts call, from its kind: the settle token and n (part, value, failJob) parts.
    static final int PARTS_TOKEN = 1;
    static final int PARTS_COUNT = 2;
    static final int PARTS_FIRST = 3;
    static final int PART_WIDTH = 3;

    static final String RECORD = "r";
    static final String ITEM = "i";
    static final String PARTS = "p";
    static final String SAME_JOB = "=";

    private WriteArgs() {}

    /**
     * @param keys the job's keys: job hash, item-reasons hash, items-ok zset, items-failed zset
     * @return a record call
     */
    static WriteBatcher.Call record(List<String> keys, ProgressUpdate u) {
        List<ItemUpdate> items = u.items();
        if (items.size() == 1 && u.succeeded() == 0 && u.failed() == 0 && u.addTotal() == 0 && u.message() == null) {
            byte[][] a = new byte[ITEM_CALL_WIDTH][];
            a[0] = utf8(ITEM);
            a[ITEM_KEY] = utf8(items.get(0).key());
            a[ITEM_VALUE] = utf8(value(items.get(0).outcome(), items.get(0).reason()));
            return new WriteBatcher.Call(keys.get(0), false, utf8(keys), a, 1);
        }
        byte[][] a = new byte[RECORD_FIRST_ITEM + ITEM_WIDTH * items.size()][];
        a[0] = utf8(RECORD);
        a[RECORD_SUCCEEDED] = utf8(Long.toString(u.succeeded()));
        a[RECORD_FAILED] = utf8(Long.toString(u.failed()));
        a[RECORD_ADD_TOTAL] = utf8(Long.toString(u.addTotal()));
        a[RECORD_HAS_MESSAGE] = utf8(u.message() == null ? "0" : "1");
        a[RECORD_MESSAGE] = utf8(u.message() == null ? "" : u.message());
        a[RECORD_ITEMS] = utf8(Integer.toString(items.size()));
        int at = RECORD_FIRST_ITEM;
        for (ItemUpdate i : items) {
            a[at] = utf8(i.key());
            a[at + 1] = utf8(value(i.outcome(), i.reason()));
            at += ITEM_WIDTH;
        }
        return new WriteBatcher.Call(keys.get(0), false, utf8(keys), a, items.size());
    }

    /**
     * @param keys the job's keys: job hash, parts bitfield, part-errors hash
     * @param token the call's settle claim: the same for each attempt of one call
     * @return a recordParts call
     */
    static WriteBatcher.Call parts(List<String> keys, String token, List<PartUpdate> parts) {
        byte[][] a = new byte[PARTS_FIRST + PART_WIDTH * parts.size()][];
        a[0] = utf8(PARTS);
        a[PARTS_TOKEN] = utf8(token);
        a[PARTS_COUNT] = utf8(Integer.toString(parts.size()));
        int at = PARTS_FIRST;
        for (PartUpdate p : parts) {
            a[at] = utf8(Integer.toString(p.part()));
            a[at + 1] = utf8(value(p.outcome(), p.reason()));
            a[at + 2] = utf8(p.failJob() ? "1" : "0");
            at += PART_WIDTH;
        }
        return new WriteBatcher.Call(keys.get(0), true, utf8(keys), a, parts.size());
    }

    /**
     * Adds a batch to the arguments of an FCALL of {@code write}: the key count, the {@link #SHARED} keys, each run's
     * keys (a call on the job of the call before it, of the same sort, goes without them), the {@link #SHARED_FINISH}
     * keys if the batch has a recordParts call, the header and the calls.
     */
    static CommandArgs<String, String> batch(
            CommandArgs<String, String> args,
            byte[][] shared,
            byte[][] finishing,
            List<WriteBatcher.Call> batch,
            long now,
            String channel) {
        boolean[] sameJob = new boolean[batch.size()];
        boolean parts = false;
        int keyCount = shared.length;
        for (int i = 0; i < batch.size(); i++) {
            WriteBatcher.Call c = batch.get(i);
            sameJob[i] = i > 0 && c.sameRunAs(batch.get(i - 1));
            if (!sameJob[i]) {
                keyCount += c.keys.length;
            }
            parts |= c.parts;
        }
        if (parts) {
            keyCount += finishing.length;
        }
        args.add(keyCount);
        // The first key as a key: a Cluster client sends the call to the master of its slot (keys given as plain
        // bytes would send it to any node, which answers MOVED: a second round trip per batch).
        args.addKey(new String(shared[0], StandardCharsets.UTF_8));
        for (int k = 1; k < shared.length; k++) {
            args.add(shared[k]);
        }
        for (int i = 0; i < batch.size(); i++) {
            if (!sameJob[i]) {
                for (byte[] k : batch.get(i).keys) {
                    args.add(k);
                }
            }
        }
        if (parts) {
            for (byte[] k : finishing) {
                args.add(k);
            }
        }
        args.add(now).add(channel).add(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            byte[][] a = batch.get(i).args;
            args.add(sameJob[i] ? sameJob(a[0]) : a[0]);
            for (int k = 1; k < a.length; k++) {
                args.add(a[k]);
            }
        }
        return args;
    }

    /** @return an outcome as write.lua takes it: 'S' or 'F', then '|' and the reason if there is one */
    static String value(Outcome outcome, String reason) {
        String code = outcome == Outcome.SUCCESS ? "S" : "F";
        return reason == null ? code : code + "|" + reason;
    }

    private static byte[] sameJob(byte[] kind) {
        byte[] prefixed = new byte[kind.length + 1];
        prefixed[0] = (byte) SAME_JOB.charAt(0);
        System.arraycopy(kind, 0, prefixed, 1, kind.length);
        return prefixed;
    }

    private static byte[][] utf8(List<String> strings) {
        return strings.stream().map(WriteArgs::utf8).toArray(byte[][]::new);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
