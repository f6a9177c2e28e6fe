package io.tally.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tally.EventType;
import io.tally.JobState;
import io.tally.internal.Json;
import io.tally.store.JobRecord;
import io.tally.store.LocalEventHub;
import io.tally.store.StoreEvent;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SQL store's events. In-process listeners get every event through a {@link LocalEventHub}, after the commit, in
 * commit order per job. With an {@link EventChannel} (PostgreSQL's {@code LISTEN/NOTIFY}) other processes hear them
 * too: each job with a lifecycle event (anything but PROGRESS and PART) in a transaction gets one notification sent
 * inside it (delivered on commit, never for a rollback); a job with progress only is handed, after the commit, to the
 * {@link ProgressNotifier}, which coalesces it to one notification per 100 ms, because a notifying transaction takes a
 * server-wide lock around its commit. The listener turns other processes' notifications into events by reading the
 * job's row.
 *
 * <p>Notification payload: {@code {"s": store instance, "id": job, "e": ["STARTED", "PART:3", …], "d": {…}}}; {@code
 * d} carries the fields of a deleted job a listener can no longer read.
 */
final class StoreEvents implements Transactions.Publisher, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StoreEvents.class);

    private final LocalEventHub local = new LocalEventHub();
    private final EventChannel channel;
    private final ProgressNotifier notifier;
    private final DataSource listenSource;
    private final Function<String, Optional<JobRecord>> find;
    private final String instanceId = UUID.randomUUID().toString();
    private final Object listenLock = new Object();
    private AutoCloseable listening;
    private volatile boolean closed;

    /**
     * @param channel the cross-process channel, or null for in-process delivery only
     * @param find reads a job's current row, for notifications of other processes
     */
    StoreEvents(
            EventChannel channel,
            DataSource writeSource,
            DataSource readSource,
            String namespace,
            Function<String, Optional<JobRecord>> find) {
        this.channel = channel;
        this.listenSource = readSource;
        this.find = find;
        this.notifier =
                channel == null ? null : new ProgressNotifier(channel, writeSource, this::progressPayload, namespace);
    }

    /** Subscribes to every event; the first subscription starts listening to other processes. */
    AutoCloseable subscribe(java.util.function.Consumer<StoreEvent> listener) {
        AutoCloseable sub = local.subscribe(listener);
        if (channel != null) {
            synchronized (listenLock) {
                if (listening == null && !closed) {
                    listening = channel.listen(listenSource, this::onNotification);
                }
            }
        }
        return sub;
    }

    @Override
    public void beforeCommit(Connection c, List<StoreEvent> events) throws SQLException {
        if (channel == null) {
            return;
        }
        for (Map.Entry<String, List<StoreEvent>> job : byJob(events).entrySet()) {
            if (!progressOnly(job.getValue())) {
                channel.send(c, payload(job.getKey(), job.getValue()));
            }
        }
    }

    @Override
    public void afterCommit(List<StoreEvent> events) {
        events.forEach(local::publish);
        if (notifier == null) {
            return;
        }
        for (Map.Entry<String, List<StoreEvent>> job : byJob(events).entrySet()) {
            if (progressOnly(job.getValue())) {
                notifier.offer(job.getKey(), partsOf(job.getValue()));
            }
        }
    }

    private static Map<String, List<StoreEvent>> byJob(List<StoreEvent> events) {
        Map<String, List<StoreEvent>> out = new LinkedHashMap<>();
        for (StoreEvent e : events) {
            out.computeIfAbsent(e.record().id(), k -> new ArrayList<>()).add(e);
        }
        return out;
    }

    /** @return true if every event only reports progress (counts or parts), which the notifier sends coalesced */
    private static boolean progressOnly(List<StoreEvent> list) {
        for (StoreEvent e : list) {
            if (e.type() != EventType.PROGRESS && e.type() != EventType.PART) {
                return false;
            }
        }
        return true;
    }

    private static List<Integer> partsOf(List<StoreEvent> list) {
        List<Integer> parts = new ArrayList<>();
        for (StoreEvent e : list) {
            if (e.type() == EventType.PART) {
                parts.add(e.part());
            }
        }
        return parts;
    }

    /** The one notification of a job's lifecycle events in a transaction. */
    private String payload(String id, List<StoreEvent> list) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("s", instanceId);
        root.put("id", id);
        int budget = channel.maxPayloadBytes() - 400 - id.length();
        List<String> names = new ArrayList<>();
        int bytes = 0;
        int parts = 0;
        for (StoreEvent e : list) {
            if (e.type() == EventType.PART && bytes > budget) {
                parts++;
                continue;
            }
            String n =
                    e.part() >= 0 ? e.type().name() + ":" + e.part() : e.type().name();
            bytes += n.length() + 3;
            names.add(n);
            if (e.type() == EventType.DELETED) {
                JobRecord r = e.record();
                ObjectNode d = root.putObject("d");
                d.put("name", r.name());
                d.put("scope", r.scope());
                d.put("parent", r.parent());
                d.put("state", r.state().name());
                d.put("createdAt", r.createdAt().toEpochMilli());
                d.put("updatedAt", r.updatedAt().toEpochMilli());
            }
        }
        ArrayNode arr = root.putArray("e");
        names.forEach(arr::add);
        if (parts > 0) {
            root.put("partsLeftOut", parts);
        }
        String text = root.toString();
        return text.getBytes(StandardCharsets.UTF_8).length <= channel.maxPayloadBytes()
                ? text
                : "{\"s\":\"" + instanceId + "\",\"id\":\"" + id + "\",\"e\":[\"PROGRESS\"]}";
    }

    /**
     * The coalesced notification of a job's progress: {@code {"s": instance, "id": job, "e": ["PART:3", …,
     * "PROGRESS"]}}, with the parts recorded since the last one, as many as fit in a notification.
     */
    private String progressPayload(String id, Collection<Integer> parts) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("s", instanceId);
        root.put("id", id);
        var names = root.putArray("e");
        int budget = channel.maxPayloadBytes() - 400 - id.length();
        int bytes = 0;
        for (int p : parts) {
            String n = EventType.PART.name() + ":" + p;
            bytes += n.length() + 3;
            if (bytes > budget) {
                break;
            }
            names.add(n);
        }
        names.add(EventType.PROGRESS.name());
        return root.toString();
    }

    /** Turns another process's notification into events: the job's current row, or the fields of a deleted one. */
    private void onNotification(String payload) {
        JsonNode root = Json.tree(payload);
        if (instanceId.equals(root.path("s").asText()) || closed || !local.hasListeners()) {
            return;
        }
        String id = root.path("id").asText();
        JobRecord current = null;
        boolean read = false;
        for (JsonNode n : root.path("e")) {
            String text = n.asText();
            int colon = text.indexOf(':');
            EventType type = EventType.valueOf(colon < 0 ? text : text.substring(0, colon));
            int part = colon < 0 ? -1 : Integer.parseInt(text.substring(colon + 1));
            if (type == EventType.DELETED) {
                local.publish(StoreEvent.of(EventType.DELETED, deleted(id, root.path("d"))));
                continue;
            }
            if (!read) {
                current = find.apply(id).orElse(null);
                read = true;
            }
            if (current != null) {
                local.publish(new StoreEvent(type, current, part));
            }
        }
    }

    /** @return what a DELETED notification says of the job it deleted */
    private static JobRecord deleted(String id, JsonNode d) {
        return new JobRecord(
                id,
                d.path("name").asText(),
                d.hasNonNull("scope") ? d.get("scope").asText() : null,
                d.hasNonNull("parent") ? d.get("parent").asText() : null,
                "{}",
                JobState.valueOf(d.path("state").asText()),
                0,
                0,
                0,
                0,
                0,
                false,
                Instant.ofEpochMilli(d.path("createdAt").asLong()),
                null,
                Instant.ofEpochMilli(d.path("updatedAt").asLong()),
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                0);
    }

    @Override
    public void close() {
        synchronized (listenLock) {
            if (closed) {
                return;
            }
            closed = true;
            closeQuietly(listening);
        }
        closeQuietly(notifier);
    }

    static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            log.warn("closing {} failed", c, e);
        }
    }
}
