package io.tally.dynamodb;

import io.tally.EventType;
import io.tally.InvalidInputException;
import io.tally.JobExistsException;
import io.tally.JobNotFoundException;
import io.tally.JobQuery;
import io.tally.JobState;
import io.tally.Outcome;
import io.tally.OutcomeUnknownException;
import io.tally.Page;
import io.tally.StoreUnavailableException;
import io.tally.store.Applied;
import io.tally.store.Cursor;
import io.tally.store.ItemUpdate;
import io.tally.store.JobRecord;
import io.tally.store.JobRules;
import io.tally.store.JobStats;
import io.tally.store.JobStore;
import io.tally.store.JobWrite;
import io.tally.store.LocalEventHub;
import io.tally.store.LogEntry;
import io.tally.store.NewJob;
import io.tally.store.PartStatus;
import io.tally.store.PartUpdate;
import io.tally.store.PartsOutcome;
import io.tally.store.PartsWrite;
import io.tally.store.ProgressUpdate;
import io.tally.store.RecordedProgress;
import io.tally.store.StoreEvent;
import io.tally.store.StoredItem;
import io.tally.store.SweepKind;
import io.tally.store.Transition;
import io.tally.store.TransitionResult;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.Select;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * The DynamoDB store ({@code dynamodb://host:port?…}, {@code dynamodb:?…}, or {@link #builder()} with the
 * application's own {@link DynamoDbClient}): one table, the job's item holding everything a rule reads, one
 * conditional write per step. The table design, the limits and what a DynamoDB-compatible test server lacks are in
 * the module README; this comment walks a write.
 *
 * <h2>One write: read, rules, one conditional write</h2>
 *
 * <p>Every write to a job ({@link #record}, {@link #recordParts}, {@link #transition}) is a step like the memory
 * store's, with an optimistic version in place of the monitor:
 *
 * <ol>
 *   <li><b>read</b>: the job's item (a consistent read; on the first attempt, the item this process wrote last, when it
 *       has it): the record, its version, its part outcomes (two bits a part) and its pending keyed items; the stored
 *       outcome of each item key the calls name that is not pending, from its row (a consistent BatchGetItem);
 *   <li><b>rules</b>: {@link JobRules#apply} decides the job to store, the item and part writes, the events and each
 *       call's answer. This class decides none of it;
 *   <li><b>write</b>: one PutItem of the whole job item conditioned on {@code ver = :read AND gen = :gen}: the record,
 *       the version + 1, the part outcomes and the keyed items the rules listed (added to the pending map). The settle
 *       is in it: the call that records the last part claims {@code settled} in the same conditional write, so of two
 *       writers that read the same version exactly one lands and the other re-reads and finds the job settled;
 *   <li>on a failed condition (another process wrote the job) the step is read and decided again, a bounded number
 *       of times; then the answers are given and the events published. A failed condition may also be this very
 *       write, sent again by the SDK after its answer was lost: the job item keeps the marks of its last writes, and a
 *       step that finds its own there is done ({@link #landed}).
 * </ol>
 *
 * <p>In one process the calls of one job are combined (group commit): the first call starts a drainer thread (a
 * pool's) that takes the job's queue, up to {@value #MAX_BATCH} calls a step, so callers of one job never race each other's conditions; the conditions guard
 * against other processes. A caller whose answer comes back on the draining thread and who calls the same job again
 * from there runs its call at once (no deadlock on its own queue). A creation and a delete take their turn in the same
 * queue (each alone), so CREATED comes before, and DELETED after, every other event of the job from this process.
 *
 * <h2>Keyed items, exactly once per key</h2>
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
public final class DynamoDbJobStore implements JobStore {
    /** Most parts a job may have: their outcomes live in the job's item (two bits each, 25 KB at the most). */
    public static final int MAX_PARTS = 100_000;
    /** Most bytes of a job's item at creation, leaving room for a result, an error and the pending items. */
    public static final int MAX_CREATE_BYTES = 256 * 1024;
    /** DynamoDB's item limit (400 KB), less a margin for the estimate. */
    public static final int MAX_ITEM_BYTES = 396 * 1024;

    static final int MAX_BATCH = 64;
    static final int FLUSH_ENTRIES = 64;
    static final int FLUSH_BYTES = 16 * 1024;
    private static final int MAX_ATTEMPTS = 200;
    private static final int WRITTEN = 256;
    /** Requests at once when pending items are written to their rows. */
    private static final int FLUSH_LANES = 4;

    private final DynamoDbClient client;
    private final boolean closeClient;
    private final String table;
    private final JobItems layout;
    private final Clock clock;
    private final LocalEventHub events = new LocalEventHub();
    private final ConcurrentHashMap<String, ArrayDeque<Call>> queues = new ConcurrentHashMap<>();
    private final ThreadLocal<Set<String>> draining = ThreadLocal.withInitial(HashSet::new);
    private final ThreadPoolExecutor drainers;
    private final int flushEntries;
    /**
     * The job items this process wrote last (the most recent {@value #WRITTEN} jobs): a step starts from its own last
     * write instead of reading the job, and the write's condition tells whether anyone wrote since.
     */
    private final Map<String, JobItems.Stored> written =
            java.util.Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, JobItems.Stored> eldest) {
                    return size() > WRITTEN;
                }
            });

    private DynamoDbJobStore(Builder b) {
        this.client = b.client;
        this.closeClient = b.closeClient;
        this.table = b.tablePrefix + "jobs";
        this.layout = new JobItems(b.namespace);
        this.clock = b.clock;
        this.flushEntries = b.flushEntries;
        AtomicInteger threads = new AtomicInteger();
        this.drainers =
                new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
                    Thread t = new IoThread(r, "tally-dynamodb-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        if (b.createTable) {
            TableSetup.ensure(client, table, b.tableWait);
        }
    }

    /** @return a builder: {@link Builder#client} is required */
    public static Builder builder() {
        return new Builder();
    }

    /** Opens a store on a {@link DynamoDbClient}. */
    public static final class Builder {
        private DynamoDbClient client;
        private boolean closeClient;
        private String tablePrefix = "tally_";
        private String namespace = "";
        private Clock clock = Clock.systemUTC();
        private boolean createTable = true;
        private Duration tableWait = Duration.ofMinutes(5);
        private int flushEntries = FLUSH_ENTRIES;

        private Builder() {}

        /**
         * @param client the client the store calls through; the store does not close it unless {@link #closeClient}
         * @return this builder
         */
        public Builder client(DynamoDbClient client) {
            this.client = Objects.requireNonNull(client, "client");
            return this;
        }

        /**
         * @param close true to close the client with the store (the provider does, for the client it made)
         * @return this builder
         */
        public Builder closeClient(boolean close) {
            this.closeClient = close;
            return this;
        }

        /**
         * @param prefix the table is {@code <prefix>jobs}: letters, digits, {@code _}, {@code -} and {@code .}
         * @return this builder
         * @throws IllegalArgumentException for other characters
         */
        public Builder tablePrefix(String prefix) {
            if (!prefix.matches("[A-Za-z0-9_.-]{0,200}")) {
                throw new IllegalArgumentException(
                        "tablePrefix: letters, digits, _, - and . only, at most 200, was " + prefix);
            }
            this.tablePrefix = prefix;
            return this;
        }

        /**
         * @param namespace a name of its own within the table (several stores share one table), letters, digits,
         *     {@code _} and {@code -}; empty for none
         * @return this builder
         * @throws IllegalArgumentException for other characters
         */
        public Builder namespace(String namespace) {
            if (!namespace.matches("[A-Za-z0-9_-]{0,64}")) {
                throw new IllegalArgumentException(
                        "namespace: letters, digits, _ and - only, at most 64, was " + namespace);
            }
            this.namespace = namespace;
            return this;
        }

        /**
         * @param clock the clock every write takes its time from
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * @param create false when the table is made elsewhere (infrastructure as code); true (the default) creates
         *     it on open when absent and waits until it is ACTIVE
         * @return this builder
         */
        public Builder createTable(boolean create) {
            this.createTable = create;
            return this;
        }

        /** Pending keyed items that make the next step write them to their rows (tests lower it). */
        Builder flushEntries(int entries) {
            this.flushEntries = entries;
            return this;
        }

        /**
         * @return the store
         * @throws IllegalStateException without a client
         * @throws StoreUnavailableException if the table cannot be set up
         */
        public DynamoDbJobStore build() {
            if (client == null) {
                throw new IllegalStateException("client is required");
            }
            return new DynamoDbJobStore(this);
        }
    }

    @Override
    public Clock clock() {
        return clock;
    }

    private Instant now() {
        return Instant.ofEpochMilli(clock.millis());
    }

    /** @return the table's name */
    public String table() {
        return table;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // create, find

    @Override
    public JobRecord create(NewJob j) {
        return (JobRecord) await(submitOp(j.id(), () -> createNow(j)));
    }

    /** The creation, run as an operation on the job's queue: CREATED is out before any later write of the job. */
    private JobRecord createNow(NewJob j) {
        int parts = j.partPayloads().size();
        if (parts > MAX_PARTS) {
            throw new InvalidInputException(
                    "parts",
                    "at most " + MAX_PARTS + " parts per job on the DynamoDB store (their outcomes live in the job's "
                            + "item, 400 KB at most), was " + parts + "; nothing was written");
        }
        Applied created = JobRules.create(j, now());
        JobRecord r = created.after();
        String gen = UUID.randomUUID().toString().substring(0, 8);
        byte[] bits = JobItems.newPartBits(parts);
        List<String> marks = List.of(JobItems.newMark());
        Map<String, AttributeValue> item = layout.encode(r, 1, gen, bits, Map.of(), marks);
        long size = JobItems.size(item);
        if (size > MAX_CREATE_BYTES) {
            boolean metadata = JobItems.utf8(j.metadataJson()) * 2 > size;
            throw new InvalidInputException(
                    metadata ? "metadata" : "parts",
                    "the job's DynamoDB item would be " + size + " bytes, more than the " + MAX_CREATE_BYTES
                            + " a new job may take (DynamoDB items hold 400 KB; the rest is kept for the result, "
                            + "the error and pending items); nothing was written");
        }
        List<Map<String, AttributeValue>> rows = new ArrayList<>(parts);
        for (int p = 0; p < parts; p++) {
            Map<String, AttributeValue> row = new HashMap<>();
            row.put(JobItems.PK, JobItems.s(layout.pk(j.id())));
            row.put(JobItems.SK, JobItems.s(JobItems.partSk(gen, p)));
            row.put("pl", JobItems.s(j.partPayloads().get(p)));
            if (JobItems.size(row) > MAX_ITEM_BYTES) {
                throw new InvalidInputException(
                        "parts", "part " + p + "'s payload is more than a DynamoDB item holds; nothing was written");
            }
            rows.add(row);
        }
        // the payloads first, under this creation's own generation, so that a job is never seen without them; a taken
        // id leaves them under a generation nobody reads, and they are removed again
        batchWrite(rows.stream()
                .map(row ->
                        WriteRequest.builder().putRequest(pr -> pr.item(row)).build())
                .toList());
        try {
            call(() -> client.putItem(b -> b.tableName(table)
                    .item(item)
                    .conditionExpression("attribute_not_exists(#pk)")
                    .expressionAttributeNames(Map.of("#pk", JobItems.PK))));
        } catch (ConditionalCheckFailedException taken) {
            JobItems.Stored there = read(j.id());
            if (there == null || !there.gen().equals(gen)) {
                removeRows(j.id(), gen);
                throw new JobExistsException(j.id());
            }
            // our own creation: the SDK sent it again after an answer was lost, and the second try found it
        }
        written.put(j.id(), new JobItems.Stored(r, 1, gen, bits, Map.of(), marks));
        created.events().forEach(events::publish);
        return r;
    }

    @Override
    public Optional<JobRecord> find(String id) {
        return Optional.ofNullable(read(id)).map(JobItems.Stored::record);
    }

    /** @return the job's item, read consistently, or null */
    private JobItems.Stored read(String id) {
        Map<String, AttributeValue> item = call(() -> client.getItem(
                        b -> b.tableName(table).key(layout.jobKey(id)).consistentRead(true)))
                .item();
        return item == null || item.isEmpty() ? null : JobItems.decode(item);
    }

    private JobItems.Stored readExisting(String id) {
        JobItems.Stored s = read(id);
        if (s == null) {
            throw new JobNotFoundException(id);
        }
        return s;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // the writes: queue, step, conditional write

    /**
     * A queued call: a write the rules decide ({@code write}), or an operation of its own on the job ({@code op}:
     * a creation or a delete, run alone, so that its event is in order with the job's other events).
     */
    private record Call(JobWrite write, Supplier<Object> op, CompletableFuture<Object> answer) {}

    @Override
    public CompletableFuture<RecordedProgress> record(String id, ProgressUpdate update) {
        return submit(id, update).thenApply(RecordedProgress.class::cast);
    }

    @Override
    public CompletableFuture<PartsOutcome> recordParts(String id, List<PartUpdate> parts) {
        return submit(id, new PartsWrite(parts)).thenApply(PartsOutcome.class::cast);
    }

    @Override
    public TransitionResult transition(String id, Transition transition) {
        return (TransitionResult) await(submit(id, transition));
    }

    /**
     * Queues a call on its job. A call that finds no queue starts a drainer thread for it, which takes the calls
     * queued meanwhile with it: the caller's answer comes back on that thread, so a caller may keep many calls in
     * flight (the asynchronous forms) and a blocking caller waits for its answer ({@link #await}).
     */
    private CompletableFuture<Object> submit(String id, JobWrite write) {
        return enqueue(id, new Call(write, null, new CompletableFuture<>()));
    }

    private CompletableFuture<Object> submitOp(String id, Supplier<Object> op) {
        return enqueue(id, new Call(null, op, new CompletableFuture<>()));
    }

    private CompletableFuture<Object> enqueue(String id, Call c) {
        if (draining.get().contains(id)) {
            // called again from an answer on the draining thread: run now, the queue waits for this thread
            run(id, List.of(c));
            return c.answer();
        }
        boolean[] drain = {false};
        queues.compute(id, (k, q) -> {
            ArrayDeque<Call> queue = q;
            if (queue == null) {
                queue = new ArrayDeque<>();
                drain[0] = true;
            }
            queue.add(c);
            return queue;
        });
        if (drain[0]) {
            try {
                drainers.execute(() -> drain(id));
            } catch (RejectedExecutionException closed) {
                drain(id);
            }
        }
        return c.answer();
    }

    private void drain(String id) {
        draining.get().add(id);
        try {
            while (true) {
                List<Call> batch = new ArrayList<>();
                queues.compute(id, (k, q) -> {
                    if (!q.isEmpty() && q.peek().op() != null) {
                        batch.add(q.poll()); // an operation of its own runs alone
                    }
                    while (batch.isEmpty() || batch.get(0).op() == null) {
                        if (q.isEmpty() || q.peek().op() != null || batch.size() == MAX_BATCH) {
                            break;
                        }
                        batch.add(q.poll());
                    }
                    return batch.isEmpty() ? null : q;
                });
                if (batch.isEmpty()) {
                    return;
                }
                run(id, batch);
            }
        } finally {
            draining.get().remove(id);
        }
    }

    /** Runs a batch: an operation of its own, or writes as one step; never throws. */
    private void run(String id, List<Call> calls) {
        Call first = calls.get(0);
        if (first.op() == null) {
            steps(id, calls);
            return;
        }
        try {
            first.answer().complete(first.op().get());
        } catch (RuntimeException e) {
            first.answer().completeExceptionally(e);
        }
    }

    /** Runs {@code calls} as one step and answers each; never throws. */
    private void steps(String id, List<Call> calls) {
        try {
            step(id, calls);
        } catch (RuntimeException e) {
            for (Call c : calls) {
                c.answer().completeExceptionally(e);
            }
        }
    }

    /** One step on a job: read, rules, one conditional write; again on a conflict (see the class comment). */
    private void step(String id, List<Call> calls) {
        List<JobWrite> writes = calls.stream().map(Call::write).toList();
        for (int attempt = 1; ; attempt++) {
            // the first attempt starts from this process's own last write of the job, if it has one; the write's
            // condition checks it is still the job's state (a decision that writes nothing is made on a read)
            JobItems.Stored cached = attempt == 1 ? written.remove(id) : null;
            JobItems.Stored s = cached != null ? cached : read(id);
            if (s == null) {
                for (Call c : calls) {
                    c.answer().completeExceptionally(new JobNotFoundException(id));
                }
                return;
            }
            Map<String, StoredItem> rows = itemRows(id, s, writes);
            Applied a = JobRules.apply(
                    s.record(),
                    key -> {
                        JobItems.PendingItem p = s.pending().get(key);
                        StoredItem row = rows.get(key);
                        return p != null ? p.outcome() : row == null ? null : row.outcome();
                    },
                    part -> JobItems.partOutcome(s.partBits(), part),
                    writes,
                    now());
            if (!a.changed()) {
                if (cached != null) {
                    continue; // answered without a write: only a read may say so
                }
                finish(calls, a);
                return;
            }
            if (a.deleted()) {
                if (deleteJob(id, s)) {
                    removeRows(id, s.gen());
                    finish(calls, a);
                    return;
                }
            } else {
                Map<String, JobItems.PendingItem> pending = new LinkedHashMap<>(s.pending());
                if (needsFlush(pending)) {
                    writeItemRows(id, s.gen(), pending);
                    pending.clear();
                }
                long version = s.version() + 1;
                for (ItemUpdate i : a.items()) {
                    StoredItem now =
                            pending.containsKey(i.key()) ? pending.get(i.key()).toStored(i.key()) : rows.get(i.key());
                    if (now == null || now.outcome() != i.outcome() || !Objects.equals(now.reason(), i.reason())) {
                        // (an item recorded again as it is stored changes nothing: no entry, no row write)
                        pending.put(i.key(), new JobItems.PendingItem(i.outcome(), i.reason(), version));
                    }
                }
                byte[] bits = s.partBits().clone();
                for (PartUpdate p : a.parts()) {
                    JobItems.setPart(bits, p.part(), p.outcome());
                }
                String mark = JobItems.newMark();
                List<String> marks = JobItems.withMark(s.marks(), mark);
                Map<String, AttributeValue> item = layout.encode(a.after(), version, s.gen(), bits, pending, marks);
                long size = JobItems.size(item);
                if (size > MAX_ITEM_BYTES) {
                    tooLarge(id, calls, size);
                    return;
                }
                if (putJob(item, s) || landed(id, s, mark)) {
                    written.put(id, new JobItems.Stored(a.after(), version, s.gen(), bits, pending, marks));
                    finish(calls, a);
                    return;
                }
            }
            if (attempt >= MAX_ATTEMPTS) {
                throw new StoreUnavailableException("DynamoDB: job " + id + " kept changing under " + attempt
                        + " attempts to write it (other processes write it too often); nothing was written");
            }
            // another process wrote the job between the read and the write: back off a little, read again
            LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(Math.min(attempt, 20) * 1_000_000L) + 100_000L);
        }
    }

    /**
     * The job's item would pass DynamoDB's item limit: a batch is re-run call by call, so that only the call that
     * brings it there is refused.
     */
    private void tooLarge(String id, List<Call> calls, long size) {
        if (calls.size() > 1) {
            for (Call c : calls) {
                steps(id, List.of(c));
            }
            return;
        }
        calls.get(0)
                .answer()
                .completeExceptionally(new InvalidInputException(
                        calls.get(0).write() instanceof ProgressUpdate ? "items" : "job",
                        "the job's DynamoDB item would be " + size + " bytes, past the 400 KB DynamoDB holds (a "
                                + "result, error, message or keyed items too large for it); nothing was written"));
    }

    private void finish(List<Call> calls, Applied a) {
        a.events().forEach(events::publish);
        for (int i = 0; i < calls.size(); i++) {
            a.replies().get(i).complete(calls.get(i).answer(), Object.class);
        }
    }

    /** @return the stored item of each key the calls name that is not pending, from its row */
    private Map<String, StoredItem> itemRows(String id, JobItems.Stored s, List<JobWrite> writes) {
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
        for (Map<String, AttributeValue> row : batchGet(wanted, true)) {
            String key = JobItems.str(row, JobItems.SK).substring(prefix.length());
            out.put(key, itemOf(key, row));
        }
        return out;
    }

    private static StoredItem itemOf(String key, Map<String, AttributeValue> row) {
        return new StoredItem(
                key, "S".equals(JobItems.str(row, "o")) ? Outcome.SUCCESS : Outcome.FAILURE, JobItems.str(row, "r"));
    }

    private boolean needsFlush(Map<String, JobItems.PendingItem> pending) {
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
    private void writeItemRows(String id, String gen, Map<String, JobItems.PendingItem> pending) {
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
                done.add(CompletableFuture.runAsync(work, drainers));
            }
        }
        for (CompletableFuture<Void> f : done) {
            await(f);
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
                call(() -> client.putItem(b -> b.tableName(table)
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
     * A failed condition after a write that the SDK sent again (its first answer lost: a time-out, a dropped
     * connection, throttling) may be this very write, landed on the first try. The job item keeps the marks of its last
     * {@value JobItems#MARKS} writes: if this write's mark is there, it landed, and the step is done (re-applying the
     * calls would count them twice). A write that landed and was then followed by more than that many writes of other
     * processes before the second try would be taken for a conflict: that is the window left.
     */
    private boolean landed(String id, JobItems.Stored read, String mark) {
        JobItems.Stored now = read(id);
        return now != null && now.gen().equals(read.gen()) && now.marks().contains(mark);
    }

    /** The step's one write: the whole job item, if no other writer changed the job since {@code read}. */
    private boolean putJob(Map<String, AttributeValue> item, JobItems.Stored read) {
        try {
            client.putItem(b -> b.tableName(table)
                    .item(item)
                    .conditionExpression("#ver = :ver AND #gen = :gen")
                    .expressionAttributeNames(Map.of("#ver", JobItems.VERSION, "#gen", JobItems.GEN))
                    .expressionAttributeValues(
                            Map.of(":ver", JobItems.n(read.version()), ":gen", JobItems.s(read.gen()))));
            return true;
        } catch (ConditionalCheckFailedException conflict) {
            return false;
        } catch (SdkClientException e) {
            throw new OutcomeUnknownException(
                    "DynamoDB: the write of job " + read.record().id() + " was sent and its answer lost: "
                            + e.getMessage(),
                    e);
        } catch (SdkException e) {
            throw unavailable(e);
        }
    }

    private boolean deleteJob(String id, JobItems.Stored read) {
        try {
            call(() -> client.deleteItem(b -> b.tableName(table)
                    .key(layout.jobKey(id))
                    .conditionExpression("#ver = :ver AND #gen = :gen")
                    .expressionAttributeNames(Map.of("#ver", JobItems.VERSION, "#gen", JobItems.GEN))
                    .expressionAttributeValues(
                            Map.of(":ver", JobItems.n(read.version()), ":gen", JobItems.s(read.gen())))));
            return true;
        } catch (ConditionalCheckFailedException conflict) {
            return false;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // listings

    @Override
    public Page<JobRecord> query(JobQuery q) {
        String index;
        String pkAttr;
        String value;
        if (q.parent().isPresent()) {
            index = TableSetup.BY_PARENT;
            pkAttr = JobItems.PARENT_PK;
            value = layout.indexValue("parent", q.parent().get());
        } else if (q.scope().isPresent()) {
            index = TableSetup.BY_SCOPE;
            pkAttr = JobItems.SCOPE_PK;
            value = layout.indexValue("scope", q.scope().get());
        } else if (q.name().isPresent()) {
            index = TableSetup.BY_NAME;
            pkAttr = JobItems.NAME_PK;
            value = layout.indexValue("name", q.name().get());
        } else if (q.state().isPresent()) {
            index = TableSetup.BY_STATE;
            pkAttr = JobItems.STATE_PK;
            value = layout.indexValue("state", q.state().get().name());
        } else {
            index = TableSetup.BY_ALL;
            pkAttr = JobItems.ALL_PK;
            value = layout.indexValue("all", "");
        }
        Map<String, String> names = new HashMap<>();
        Map<String, AttributeValue> values = new HashMap<>();
        names.put("#p", pkAttr);
        values.put(":p", JobItems.s(value));
        String keyCondition = "#p = :p";
        if (q.cursor().isPresent()) {
            Cursor c = Cursor.decode(q.cursor().get());
            names.put("#c", JobItems.CREATED_SK);
            values.put(":c", JobItems.s(JobItems.timeKey(c.createdAt(), c.id())));
            keyCondition += " AND #c < :c";
        }
        List<String> filters = new ArrayList<>();
        q.state().ifPresent(v -> filter(filters, names, values, "st", v.name()));
        q.scope().ifPresent(v -> filter(filters, names, values, "scope", v));
        q.name().ifPresent(v -> filter(filters, names, values, "name", v));
        q.parent().ifPresent(v -> filter(filters, names, values, "parent", v));
        String condition = keyCondition;
        List<String> ids = new ArrayList<>();
        List<String> positions = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            QueryResponse page = call(() -> client.query(QueryRequest.builder()
                    .tableName(table)
                    .indexName(index)
                    .keyConditionExpression(condition)
                    .filterExpression(filters.isEmpty() ? null : String.join(" AND ", filters))
                    .expressionAttributeNames(names)
                    .expressionAttributeValues(values)
                    .scanIndexForward(false)
                    .limit(q.limit() + 1)
                    .exclusiveStartKey(from)
                    .build()));
            for (Map<String, AttributeValue> k : page.items()) {
                if (ids.size() <= q.limit()) {
                    positions.add(JobItems.str(k, JobItems.CREATED_SK));
                    ids.add(idOf(JobItems.str(k, JobItems.CREATED_SK)));
                }
            }
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null && ids.size() <= q.limit());
        boolean more = ids.size() > q.limit();
        List<JobRecord> out = new ArrayList<>();
        for (JobRecord r : records(more ? ids.subList(0, q.limit()) : ids)) {
            // the index proposes, the stored job decides (an index entry may lag its item)
            if (r.matches(q)) {
                out.add(r);
            }
        }
        // the next page starts after the last index entry of this one (a job dropped by the re-check included)
        Optional<String> next = more ? Optional.of(cursorAt(positions.get(q.limit() - 1))) : Optional.empty();
        return new Page<>(out, next);
    }

    private static void filter(
            List<String> filters,
            Map<String, String> names,
            Map<String, AttributeValue> values,
            String attr,
            String value) {
        names.put("#f_" + attr, attr);
        values.put(":f_" + attr, JobItems.s(value));
        filters.add("#f_" + attr + " = :f_" + attr);
    }

    /** @return the cursor after the job whose listing sort key is {@code timeKey} ({@code millis#id}) */
    private static String cursorAt(String timeKey) {
        int hash = timeKey.indexOf('#');
        return new Cursor(Instant.ofEpochMilli(Long.parseLong(timeKey.substring(0, hash))), timeKey.substring(hash + 1))
                .encode();
    }

    /** @return the id in a {@code time#id} sort key */
    private static String idOf(String timeKey) {
        return timeKey.substring(timeKey.indexOf('#') + 1);
    }

    /** @return the jobs of {@code ids} that exist, in that order, read consistently */
    private List<JobRecord> records(List<String> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        Map<String, JobRecord> found = new HashMap<>();
        List<Map<String, AttributeValue>> keys = new ArrayList<>(
                new LinkedHashSet<>(ids).stream().map(layout::jobKey).toList());
        for (Map<String, AttributeValue> item : batchGet(keys, false)) {
            JobRecord r = JobItems.decode(item).record();
            found.put(r.id(), r);
        }
        List<JobRecord> out = new ArrayList<>();
        for (String id : ids) {
            if (found.containsKey(id)) {
                out.add(found.get(id));
            }
        }
        return out;
    }

    @Override
    public JobStats stats(String root) {
        Map<JobState, Long> counts = JobStats.zeros();
        if (root == null) {
            for (JobState s : JobState.values()) {
                long n = 0;
                Map<String, AttributeValue> start = null;
                do {
                    Map<String, AttributeValue> from = start;
                    QueryResponse page = call(() -> client.query(QueryRequest.builder()
                            .tableName(table)
                            .indexName(TableSetup.BY_STATE)
                            .keyConditionExpression("#p = :p")
                            .expressionAttributeNames(Map.of("#p", JobItems.STATE_PK))
                            .expressionAttributeValues(Map.of(":p", JobItems.s(layout.indexValue("state", s.name()))))
                            .select(Select.COUNT)
                            .exclusiveStartKey(from)
                            .build()));
                    n += page.count();
                    start = page.hasLastEvaluatedKey()
                                    && !page.lastEvaluatedKey().isEmpty()
                            ? page.lastEvaluatedKey()
                            : null;
                } while (start != null);
                counts.put(s, n);
            }
            return new JobStats(counts, 0, 0, 0, List.of());
        }
        long total = 0;
        long succeeded = 0;
        long failed = 0;
        List<io.tally.store.RateEstimator.State> running = new ArrayList<>();
        List<String> level = find(root).isPresent() ? List.of(root) : List.of();
        Set<String> seen = new HashSet<>();
        while (!level.isEmpty()) {
            List<String> next = new ArrayList<>();
            for (JobRecord r : records(level)) {
                if (!seen.add(r.id())) {
                    continue;
                }
                counts.merge(r.state(), 1L, Long::sum);
                total += r.total();
                succeeded += r.succeeded();
                failed += r.failed();
                if (r.state() == JobState.RUNNING) {
                    running.add(RecordedProgress.of(r).rate());
                }
                next.addAll(children(r.id()));
            }
            level = next;
        }
        return new JobStats(counts, total, succeeded, failed, running);
    }

    private List<String> children(String parent) {
        List<String> ids = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            QueryResponse page = call(() -> client.query(QueryRequest.builder()
                    .tableName(table)
                    .indexName(TableSetup.BY_PARENT)
                    .keyConditionExpression("#p = :p")
                    .expressionAttributeNames(Map.of("#p", JobItems.PARENT_PK))
                    .expressionAttributeValues(Map.of(":p", JobItems.s(layout.indexValue("parent", parent))))
                    .exclusiveStartKey(from)
                    .build()));
            page.items().forEach(k -> ids.add(idOf(JobItems.str(k, JobItems.CREATED_SK))));
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
        return ids;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The item rows merged with the job's pending items (which are newer than any row): keys in order after
     * {@code afterKey}, a pending entry taking the place of its row.
     */
    @Override
    public Page<StoredItem> items(String id, Outcome outcome, String afterKey, int limit) {
        JobItems.Stored s = readExisting(id);
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
            QueryResponse page = call(() -> client.query(QueryRequest.builder()
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

    @Override
    public List<Integer> parts(String id, PartStatus status, int after, int limit) {
        JobItems.Stored s = readExisting(id);
        Outcome wanted = switch (status) {
            case PENDING -> null;
            case SUCCEEDED -> Outcome.SUCCESS;
            case FAILED -> Outcome.FAILURE;
        };
        List<Integer> out = new ArrayList<>();
        for (int p = Math.max(0, after + 1); p < s.record().parts() && out.size() < limit; p++) {
            if (JobItems.partOutcome(s.partBits(), p) == wanted) {
                out.add(p);
            }
        }
        return out;
    }

    @Override
    public Optional<String> partPayload(String id, int part) {
        JobItems.Stored s = readExisting(id);
        JobRules.checkPart(id, s.record().parts(), part);
        Map<String, AttributeValue> row = call(() -> client.getItem(b -> b.tableName(table)
                        .key(Map.of(
                                JobItems.PK,
                                JobItems.s(layout.pk(id)),
                                JobItems.SK,
                                JobItems.s(JobItems.partSk(s.gen(), part))))
                        .consistentRead(true)))
                .item();
        return row == null || row.isEmpty() ? Optional.empty() : Optional.ofNullable(JobItems.str(row, "pl"));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // logs

    /**
     * {@inheritDoc}
     *
     * <p>The numbers come from the job's log counter ({@code n#gen}, an atomic {@code ADD} that answers the new value):
     * each append takes a range of its own, then writes its records.
     */
    @Override
    public void appendLogs(String id, List<LogEntry> entries) {
        if (entries.isEmpty()) {
            readExisting(id);
            return;
        }
        JobItems.Stored s = readExisting(id);
        long last = Long.parseLong(call(() -> client.updateItem(b -> b.tableName(table)
                        .key(Map.of(
                                JobItems.PK,
                                JobItems.s(layout.pk(id)),
                                JobItems.SK,
                                JobItems.s(JobItems.logCounterSk(s.gen()))))
                        .updateExpression("ADD #n :n")
                        .expressionAttributeNames(Map.of("#n", "n"))
                        .expressionAttributeValues(Map.of(":n", JobItems.n(entries.size())))
                        .returnValues(ReturnValue.UPDATED_NEW)))
                .attributes()
                .get("n")
                .n());
        long seq = last - entries.size();
        List<WriteRequest> puts = new ArrayList<>();
        for (LogEntry e : entries) {
            seq++;
            Map<String, AttributeValue> row = new HashMap<>();
            row.put(JobItems.PK, JobItems.s(layout.pk(id)));
            row.put(JobItems.SK, JobItems.s(JobItems.logSk(s.gen(), seq)));
            row.put("seq", JobItems.n(seq));
            row.put("at", JobItems.n(e.at().toEpochMilli()));
            row.put("lv", JobItems.s(e.level()));
            if (e.logger() != null) {
                row.put("lg", JobItems.s(e.logger()));
            }
            row.put("m", JobItems.s(e.message()));
            puts.add(WriteRequest.builder().putRequest(p -> p.item(row)).build());
        }
        batchWrite(puts);
    }

    @Override
    public List<LogEntry> logs(String id, long afterSeq, int limit) {
        JobItems.Stored s = readExisting(id);
        List<LogEntry> out = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            int want = limit - out.size();
            QueryResponse page = call(() -> client.query(QueryRequest.builder()
                    .tableName(table)
                    .keyConditionExpression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
                    .expressionAttributeNames(Map.of("#pk", JobItems.PK, "#sk", JobItems.SK))
                    .expressionAttributeValues(Map.of(
                            ":pk", JobItems.s(layout.pk(id)),
                            ":lo", JobItems.s(JobItems.logSk(s.gen(), Math.max(0, afterSeq) + 1)),
                            ":hi", JobItems.s(JobItems.logSk(s.gen(), Long.MAX_VALUE))))
                    .consistentRead(true)
                    .limit(want)
                    .exclusiveStartKey(from)
                    .build()));
            for (Map<String, AttributeValue> row : page.items()) {
                out.add(new LogEntry(
                        JobItems.num(row, "seq"),
                        Instant.ofEpochMilli(JobItems.num(row, "at")),
                        JobItems.str(row, "lv"),
                        JobItems.str(row, "lg"),
                        JobItems.str(row, "m")));
            }
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null && out.size() < limit);
        return out;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // sweep, delete, events

    /**
     * {@inheritDoc}
     *
     * <p>Read from the kind's sparse index (an entry only while the job can become due for it), ordered by the due
     * time: the keys before {@code now}.
     */
    @Override
    public List<String> sweepCandidates(SweepKind kind, Instant now, int limit) {
        String index;
        String pkAttr;
        String skAttr;
        String value;
        switch (kind) {
            case STALLED -> {
                index = TableSetup.BY_LEASE;
                pkAttr = JobItems.LEASE_PK;
                skAttr = JobItems.LEASE_SK;
                value = layout.indexValue("lease", "");
            }
            case TIMEOUT -> {
                index = TableSetup.BY_DEADLINE;
                pkAttr = JobItems.DEADLINE_PK;
                skAttr = JobItems.DEADLINE_SK;
                value = layout.indexValue("deadline", "");
            }
            default -> {
                index = TableSetup.BY_RETAIN;
                pkAttr = JobItems.RETAIN_PK;
                skAttr = JobItems.RETAIN_SK;
                value = layout.indexValue("retain", "");
            }
        }
        List<String> ids = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            QueryResponse page = call(() -> client.query(QueryRequest.builder()
                    .tableName(table)
                    .indexName(index)
                    .keyConditionExpression("#p = :p AND #s < :now")
                    .expressionAttributeNames(Map.of("#p", pkAttr, "#s", skAttr))
                    .expressionAttributeValues(
                            Map.of(":p", JobItems.s(value), ":now", JobItems.s(JobItems.timeBound(now))))
                    .limit(limit - ids.size())
                    .exclusiveStartKey(from)
                    .build()));
            page.items().forEach(k -> ids.add(idOf(JobItems.str(k, skAttr))));
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null && ids.size() < limit);
        return ids;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The job's item goes first (a DeleteItem that answers the item it deleted, for the DELETED event); a write
     * that read it before fails its condition and finds the job gone. Then its rows, those of its generation only, so
     * a job created again under the same id keeps its own.
     */
    @Override
    public boolean delete(String id) {
        return (Boolean) await(submitOp(id, () -> deleteNow(id)));
    }

    private boolean deleteNow(String id) {
        written.remove(id);
        DeleteItemResponse deleted;
        try {
            deleted = call(() -> client.deleteItem(b -> b.tableName(table)
                    .key(layout.jobKey(id))
                    .conditionExpression("attribute_exists(#pk)")
                    .expressionAttributeNames(Map.of("#pk", JobItems.PK))
                    .returnValues(ReturnValue.ALL_OLD)));
        } catch (ConditionalCheckFailedException absent) {
            return false;
        }
        JobItems.Stored old = JobItems.decode(deleted.attributes());
        removeRows(id, old.gen());
        events.publish(StoreEvent.of(EventType.DELETED, old.record()));
        return true;
    }

    /** Deletes the rows of generation {@code gen} of a job (items, payloads, logs, the log counter). */
    private void removeRows(String id, String gen) {
        List<WriteRequest> deletes = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            QueryResponse page = call(() -> client.query(QueryRequest.builder()
                    .tableName(table)
                    .keyConditionExpression("#pk = :pk")
                    .expressionAttributeNames(Map.of("#pk", JobItems.PK, "#sk", JobItems.SK))
                    .expressionAttributeValues(Map.of(":pk", JobItems.s(layout.pk(id))))
                    .projectionExpression("#pk, #sk")
                    .exclusiveStartKey(from)
                    .build()));
            for (Map<String, AttributeValue> k : page.items()) {
                String sk = JobItems.str(k, JobItems.SK);
                int hash = sk.indexOf('#');
                if (hash > 0 && sk.startsWith(gen, hash + 1)) {
                    deletes.add(
                            WriteRequest.builder().deleteRequest(d -> d.key(k)).build());
                }
            }
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
        batchWrite(deletes);
    }

    /**
     * {@inheritDoc}
     *
     * <p>In-process only: DynamoDB Streams would carry other processes' writes, but the store does not read them
     * (dynalite has none), so a process hears its own writes (see the README).
     */
    @Override
    public AutoCloseable subscribe(Consumer<StoreEvent> listener) {
        return events.subscribe(listener);
    }

    @Override
    public void close() {
        drainers.shutdown();
        if (closeClient) {
            client.close();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // requests

    /** @return the items of {@code keys} that exist (only their sort key and outcome when {@code outcomes}) */
    private List<Map<String, AttributeValue>> batchGet(List<Map<String, AttributeValue>> keys, boolean outcomes) {
        List<Map<String, AttributeValue>> out = new ArrayList<>();
        for (int i = 0; i < keys.size(); i += 100) {
            List<Map<String, AttributeValue>> chunk = keys.subList(i, Math.min(keys.size(), i + 100));
            KeysAndAttributes.Builder ka =
                    KeysAndAttributes.builder().keys(chunk).consistentRead(true);
            if (outcomes) {
                ka.projectionExpression("#sk, #o, #r")
                        .expressionAttributeNames(Map.of("#sk", JobItems.SK, "#o", "o", "#r", "r"));
            }
            Map<String, KeysAndAttributes> request = Map.of(table, ka.build());
            for (int attempt = 0; !request.isEmpty(); attempt++) {
                Map<String, KeysAndAttributes> r = request;
                BatchGetItemResponse got = call(() -> client.batchGetItem(b -> b.requestItems(r)));
                out.addAll(got.responses().getOrDefault(table, List.of()));
                request = got.hasUnprocessedKeys() ? got.unprocessedKeys() : Map.of();
                if (!request.isEmpty()) {
                    backoff(attempt);
                }
            }
        }
        return out;
    }

    private void batchWrite(List<WriteRequest> writes) {
        for (int i = 0; i < writes.size(); i += 25) {
            Map<String, List<WriteRequest>> request =
                    Map.of(table, List.copyOf(writes.subList(i, Math.min(writes.size(), i + 25))));
            for (int attempt = 0; !request.isEmpty(); attempt++) {
                Map<String, List<WriteRequest>> r = request;
                BatchWriteItemResponse done = call(() -> client.batchWriteItem(b -> b.requestItems(r)));
                request = done.hasUnprocessedItems() ? done.unprocessedItems() : Map.of();
                if (!request.isEmpty()) {
                    backoff(attempt);
                }
            }
        }
    }

    private static void backoff(int attempt) {
        if (attempt > 50) {
            throw new StoreUnavailableException("DynamoDB: batch left unprocessed after " + attempt + " attempts");
        }
        LockSupport.parkNanos(Math.min(1L << Math.min(attempt, 10), 500) * 1_000_000L);
    }

    /** Runs a request; a failed condition is the caller's, any other failure a {@link StoreUnavailableException}. */
    private <T> T call(Supplier<T> request) {
        if (Thread.currentThread() instanceof IoThread) {
            return send(request);
        }
        // On the store's own thread, and the caller waits without being interruptible: an interrupt (a closing
        // sweeper's, say) makes the SDK abort the request, and a connection dropped with a request in flight takes
        // dynalite down (it throws on the aborted request). The wait is bounded by the request's own time-outs.
        CompletableFuture<T> sent;
        try {
            sent = CompletableFuture.supplyAsync(() -> send(request), drainers);
        } catch (RejectedExecutionException closed) {
            return send(request);
        }
        return await(sent);
    }

    private static <T> T send(Supplier<T> request) {
        try {
            return request.get();
        } catch (ConditionalCheckFailedException e) {
            throw e;
        } catch (SdkException e) {
            throw unavailable(e);
        }
    }

    /** The store's threads: they run the steps and every request, and nothing interrupts them. */
    private static final class IoThread extends Thread {
        IoThread(Runnable r, String name) {
            super(r, name);
        }
    }

    private static StoreUnavailableException unavailable(SdkException e) {
        return new StoreUnavailableException("DynamoDB: " + e.getMessage(), e);
    }
}
