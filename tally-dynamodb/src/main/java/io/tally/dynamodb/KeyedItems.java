package io.tally.dynamodb;

import io.tally.Outcome;
import io.tally.Page;
import io.tally.store.ItemUpdate;
import io.tally.store.JobWrite;
import io.tally.store.ProgressUpdate;
import io.tally.store.StoredItem;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;

/**
 * A job's keyed items, exactly once per key: the pending map in the job's item and the item rows it is flushed to.
 *
 * <p>A job may record any number of keyed items, more than one item of 400 KB can hold, so each has a row of its own
 * ({@code i#gen#key}). Writing the row and the job in one step would need a transaction (dynalite has none), so the
 * step records the item in the job's pending map ({@code pi}: key → outcome, reason, version) with the counts, in the
 * same conditional write. Once the map holds {@value #FLUSH_ENTRIES} entries or {@value #FLUSH_BYTES} bytes, a later
 * step first writes them to their rows (each PutItem conditioned on the row's version being older, so a late writer
 * never rolls a row back) and then drops them from the map in its own conditional write. A re-sent key is found in
 * the map or, once dropped from it, in its row: it is never counted twice, and a crash between the two steps loses
 * nothing (the map still holds it).
 */
final class KeyedItems {
    static final int FLUSH_ENTRIES = 64;
    static final int FLUSH_BYTES = 16 * 1024;
    /** Requests at once when pending items are written to their rows. */
    private static final int FLUSH_LANES = 4;

    private final Requests requests;
    private final DynamoDbClient client;
    private final String table;
    private final JobItems layout;
    private final int flushEntries;

    KeyedItems(Requests requests, int flushEntries) {
        this.requests = requests;
        this.client = requests.client();
        this.table = requests.table();
        this.layout = requests.layout();
        this.flushEntries = flushEntries;
    }

    /** @return the stored item of each key the calls name that is not pending, from its row */
    Map<String, StoredItem> itemRows(String id, JobItems.Stored s, List<JobWrite> writes) {
        Set<String> keys = new LinkedHashSet<>();
        for (JobWrite w : writes) {
            if (w instanceof ProgressUpdate u) {
                for (ItemUpdate i : u.items()) {
                    if (!s.pending().containsKey(i.key())) {
                        keys.add(i.key());
                    }
                }
            }
        }
        Map<String, StoredItem> out = new HashMap<>();
        if (keys.isEmpty()) {
            return out;
        }
        String prefix = JobItems.itemPrefix(s.gen());
        List<Map<String, AttributeValue>> wanted = keys.stream()
                .map(k -> Map.of(JobItems.PK, JobItems.s(layout.pk(id)), JobItems.SK, JobItems.s(prefix + k)))
                .toList();
        for (Map<String, AttributeValue> row : requests.batchGet(wanted, true)) {
            String key = JobItems.str(row, JobItems.SK).substring(prefix.length());
            out.put(key, itemOf(key, row));
        }
        return out;
    }

    private static StoredItem itemOf(String key, Map<String, AttributeValue> row) {
        return new StoredItem(
                key, "S".equals(JobItems.str(row, "o")) ? Outcome.SUCCESS : Outcome.FAILURE, JobItems.str(row, "r"));
    }

    boolean needsFlush(Map<String, JobItems.PendingItem> pending) {
        if (pending.size() >= flushEntries) {
            return true;
        }
        long bytes = 0;
        for (Map.Entry<String, JobItems.PendingItem> e : pending.entrySet()) {
            bytes += JobItems.utf8(e.getKey())
                    + (e.getValue().reason() == null
                            ? 0
                            : JobItems.utf8(e.getValue().reason()))
                    + 24;
        }
        return bytes >= FLUSH_BYTES;
    }

    /**
     * Writes pending items to their rows, each conditioned on the row being older than the entry (a late writer of
     * an older outcome is refused by the condition, and a row already written is left as it is).
     */
    void writeItemRows(String id, String gen, Map<String, JobItems.PendingItem> pending) {
        List<Map.Entry<String, JobItems.PendingItem>> entries = new ArrayList<>(pending.entrySet());
        int lanes = Math.min(FLUSH_LANES, entries.size());
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (int lane = 0; lane < lanes; lane++) {
            int first = lane;
            Runnable work = () -> {
                for (int i = first; i < entries.size(); i += lanes) {
                    writeItemRow(id, gen, entries.get(i));
                }
            };
            if (lane == lanes - 1) {
                work.run();
            } else {
                done.add(CompletableFuture.runAsync(work, requests.threads()));
            }
        }
        for (CompletableFuture<Void> f : done) {
            Requests.await(f);
        }
    }

    private void writeItemRow(String id, String gen, Map.Entry<String, JobItems.PendingItem> e) {
        {
            Map<String, AttributeValue> row = new HashMap<>();
            row.put(JobItems.PK, JobItems.s(layout.pk(id)));
            row.put(JobItems.SK, JobItems.s(JobItems.itemSk(gen, e.getKey())));
            row.put("o", JobItems.s(e.getValue().outcome() == Outcome.SUCCESS ? "S" : "F"));
            if (e.getValue().reason() != null) {
                row.put("r", JobItems.s(e.getValue().reason()));
            }
            row.put("v", JobItems.n(e.getValue().version()));
            try {
                requests.call(() -> client.putItem(b -> b.tableName(table)
                        .item(row)
                        .conditionExpression("attribute_not_exists(#sk) OR #v < :v")
                        .expressionAttributeNames(Map.of("#sk", JobItems.SK, "#v", "v"))
                        .expressionAttributeValues(
                                Map.of(":v", JobItems.n(e.getValue().version())))));
            } catch (ConditionalCheckFailedException newer) {
                // the row holds this entry or a newer one already
            }
        }
    }

    /**
     * The items of {@link io.tally.store.JobStore#items}: the item rows merged with the job's pending items (which are
     * newer than any row): keys in order after {@code afterKey}, a pending entry taking the place of its row.
     */
    Page<StoredItem> items(String id, Outcome outcome, String afterKey, int limit) {
        JobItems.Stored s = requests.readExisting(id);
        String prefix = JobItems.itemPrefix(s.gen());
        TreeMap<String, StoredItem> pending = new TreeMap<>();
        s.pending().forEach((k, p) -> {
            if (afterKey == null || k.compareTo(afterKey) > 0) {
                pending.put(k, p.toStored(k));
            }
        });
        List<StoredItem> out = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        boolean rowsDone = false;
        while (out.size() <= limit && !rowsDone) {
            Map<String, AttributeValue> from = start;
            QueryResponse page = requests.call(() -> client.query(QueryRequest.builder()
                    .tableName(table)
                    .keyConditionExpression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
                    .expressionAttributeNames(Map.of("#pk", JobItems.PK, "#sk", JobItems.SK))
                    .expressionAttributeValues(Map.of(
                            ":pk", JobItems.s(layout.pk(id)),
                            ":lo", JobItems.s(afterKey == null ? prefix : prefix + afterKey),
                            ":hi", JobItems.s("i#" + s.gen() + "$")))
                    .consistentRead(true)
                    .limit(Math.max(limit + 1, 25))
                    .exclusiveStartKey(from)
                    .build()));
            for (Map<String, AttributeValue> row : page.items()) {
                String key = JobItems.str(row, JobItems.SK).substring(prefix.length());
                if (afterKey != null && key.equals(afterKey)) {
                    continue;
                }
                while (!pending.isEmpty() && pending.firstKey().compareTo(key) < 0) {
                    add(out, pending.pollFirstEntry().getValue(), outcome);
                }
                StoredItem mine = pending.remove(key);
                add(out, mine != null ? mine : itemOf(key, row), outcome);
            }
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
            rowsDone = start == null;
        }
        if (rowsDone) {
            pending.values().forEach(i -> add(out, i, outcome));
        }
        boolean more = out.size() > limit;
        List<StoredItem> pageItems = more ? List.copyOf(out.subList(0, limit)) : out;
        return new Page<>(
                pageItems,
                more ? Optional.of(pageItems.get(pageItems.size() - 1).key()) : Optional.empty());
    }

    private static void add(List<StoredItem> out, StoredItem i, Outcome outcome) {
        if (outcome == null || i.outcome() == outcome) {
            out.add(i);
        }
    }
}
